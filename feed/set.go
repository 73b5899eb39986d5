package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// Set is every document of one publish, rendered and ready to serve. It is
// never changed after Build, so any number of goroutines may read it.
type Set struct {
	site Site
	docs map[string]*Document
}

// Document is one rendered file.
type Document struct {
	Path        string // relative to Site.URL, starting with "/"; pages end in "/"
	ContentType string
	Body        []byte
	// Modified is when the content last changed: the newest item's update.
	Modified time.Time
	ETag     string // strong, a hash of Body

	header http.Header // precomputed, shared by every response
	cache  string

	// The gzip copy is made on first demand, once.
	gzOnce   sync.Once
	gzip     []byte // nil when compressing does not pay
	gzipETag string
	gzHeader http.Header
}

// newDocument renders the HTTP side of a document once, so that a request
// only copies prepared values.
func newDocument(path, contentType string, body []byte, modified time.Time, maxAge time.Duration) *Document {
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:18])
	d := &Document{
		Path:        path,
		ContentType: contentType,
		Body:        body,
		Modified:    modified.UTC().Truncate(time.Second),
		ETag:        `"` + tag + `"`,
		cache:       fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())),
	}
	d.header = d.makeHeader(d.cache, d.ETag, len(body), "")
	return d
}

// gzipped returns the compressed copy and its header and ETag, or nil when
// compressing does not pay.
func (d *Document) gzipped() ([]byte, http.Header, string) {
	d.gzOnce.Do(func() {
		if gz := gzipBytes(d.Body); len(gz) < len(d.Body) {
			d.gzip = gz
			d.gzipETag = strings.TrimSuffix(d.ETag, `"`) + `-gz"`
			d.gzHeader = d.makeHeader(d.cache, d.gzipETag, len(gz), "gzip")
		}
	})
	return d.gzip, d.gzHeader, d.gzipETag
}

func (d *Document) makeHeader(cache, etag string, n int, encoding string) http.Header {
	h := http.Header{
		"Content-Type":   {d.ContentType},
		"Etag":           {etag},
		"Last-Modified":  {d.Modified.Format(http.TimeFormat)},
		"Cache-Control":  {cache},
		"Vary":           {"Accept-Encoding"},
		"Content-Length": {fmt.Sprint(n)},
	}
	if encoding != "" {
		h["Content-Encoding"] = []string{encoding}
	}
	return h
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // once per document: spend the time
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Build renders every document for the given issues, which come newest
// first with their entries (each issue's newest first). Entries without a
// FeedSeq are given one in that order. A broken entry is skipped and
// logged; the error is for what no document can be made without (a bad
// Site.URL, a broken template).
func Build(site Site, issues []store.Issue) (*Set, error) {
	b, err := newBuilder(site)
	if err != nil {
		return nil, err
	}
	data := newMemData(issues)
	ctx := context.Background()
	t, _ := data.FeedTotals(ctx)
	set := &Set{docs: map[string]*Document{}, site: b.site}
	keys, err := b.allKeys(ctx, data, t)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		docs, err := b.render(ctx, data, k, t)
		if errors.Is(err, ErrNotFound) {
			continue // an issue number the list skips
		}
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			set.docs[d.Path] = d
		}
	}
	return set, nil
}

// Lookup returns the document at path, or ErrNotFound.
func (s *Set) Lookup(_ context.Context, path string) (*Document, error) {
	if d, ok := s.docs[path]; ok {
		return d, nil
	}
	return nil, ErrNotFound
}

// Document returns the document at path, such as "/feed.atom" or
// "/issues/3/".
func (s *Set) Document(path string) (*Document, bool) {
	d, ok := s.docs[path]
	return d, ok
}

// Paths lists every document's path, sorted.
func (s *Set) Paths() []string {
	out := make([]string, 0, len(s.docs))
	for p := range s.docs {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Topics are the absolute URLs of the current feeds, the ones a WebSub hub
// is told about.
func (s *Set) Topics() []string { return topics(s.site) }

// Topics are the absolute URLs of the current feeds of site.
func Topics(site Site) []string { return topics(site) }

func topics(site Site) []string {
	b := &builder{site: site}
	b.base, _ = parseBase(site.URL)
	var out []string
	for _, p := range []string{EntriesAtom, EntriesRSS, EntriesJSON, IssuesAtom, IssuesRSS, IssuesJSON} {
		out = append(out, b.abs(p))
	}
	return out
}

// Hub is the configured WebSub hub, or "".
func (s *Set) Hub() string { return s.site.Hub }

// fileName maps a document path to a file under a static root: pages become
// index.html in their folder, which every web server serves at the folder's
// URL.
func fileName(path string) string {
	p := strings.TrimPrefix(path, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	return filepath.FromSlash(p)
}

// WriteDir writes every document under dir as a static site. Each file is
// written to a temporary name and renamed into place, so a web server
// reading dir meanwhile sees the old file or the new one, never half of
// one; files whose bytes are unchanged are left alone. A file's
// modification time is the document's Modified, which static servers send
// as Last-Modified. The temporary files of a write that was killed part
// way are removed first (see removeTemps); the caller makes sure that no
// other write to dir runs meanwhile.
func (s *Set) WriteDir(dir string) error {
	if _, err := s.removeTemps(dir); err != nil {
		return fmt.Errorf("feed: remove temporary files in %s: %w", dir, err)
	}
	for _, p := range s.Paths() {
		d := s.docs[p]
		name := filepath.Join(dir, fileName(p))
		if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, d.Body) {
			continue
		}
		if err := writeAtomic(name, d.Body, d.Modified); err != nil {
			return fmt.Errorf("feed: write %s: %w", name, err)
		}
	}
	return nil
}

// testHookTempWritten, when set by a test, is called with each temporary
// file once its bytes are in it.
var testHookTempWritten func(tmp string)

func writeAtomic(name string, body []byte, mtime time.Time) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if testHookTempWritten != nil {
		testHookTempWritten(tmp)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
