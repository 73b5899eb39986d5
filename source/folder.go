package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// DefaultMaxFileBytes bounds the size of one file a Folder reads.
const DefaultMaxFileBytes = 10 << 20

// Folder collects articles from the files under a directory, recursively:
// .txt (first non-empty line is the title), .md/.markdown (YAML front
// matter with title, url, date, author) and .html/.htm. Other files and
// anything hidden (a name starting with ".") are ignored.
type Folder struct {
	// Name is the configured source name, copied to Article.Source.
	Name string
	// Dir is the directory to read.
	Dir string
	// MaxBytes bounds one file; a larger one is reported and skipped.
	// Zero means DefaultMaxFileBytes.
	MaxBytes int64
	// Seen holds, by FileStamp.Path, the stamps an earlier collect gave the files it
	// read (Result.Files). A file whose size and modification time are its
	// stamp's is not read again, and one whose bytes hash to its stamp's is
	// not parsed again: both are counted in Result.Unchanged. Nil reads
	// every file.
	Seen map[string]FileStamp
	// Now is the clock stamps are made by; nil is time.Now.
	Now func() time.Time
}

// FileStamp tells whether a file changed without reading it: its size and
// modification time, and the hash of its bytes.
type FileStamp struct {
	Path    string // relative to the folder, with forward slashes
	Size    int64
	ModTime time.Time
	Hash    string // of the bytes, and of the parsers' version
	// Checked is when the stamp was made. A file written within a tick of
	// the clock before it may have been written again since with the same
	// size and time, so its stamp is trusted only for the hash.
	Checked time.Time
}

// parseVersion goes into every file's hash: a change to how files are
// parsed changes it, so that the next collect parses every file again.
const parseVersion = "folder-1"

// racyWindow is how close to its stamp a file's modification time makes
// the time untrustworthy: file systems keep times to a second on some, and
// a write within it can leave the time as it was.
const racyWindow = 2 * time.Second

// unchangedStat says whether the file's size and time are its stamp's, in
// a stamp made long enough after the file was written.
func (st FileStamp) unchangedStat(size int64, mtime time.Time) bool {
	return st.Size == size && st.ModTime.Equal(mtime) && st.ModTime.Before(st.Checked.Add(-racyWindow))
}

func fileHash(src []byte) string {
	h := sha256.New()
	h.Write([]byte(parseVersion))
	h.Write([]byte{0})
	h.Write(src)
	return hex.EncodeToString(h.Sum(nil))
}

// ErrTooLarge is reported for a file or response over the size limit.
var ErrTooLarge = errors.New("too large")

// Collect reads every article under f.Dir. A file that cannot be read or
// parsed is reported in Result.Problems and skipped. The error is non-nil
// only when the folder itself cannot be read or ctx ends; the articles read
// until then are returned with it.
func (f Folder) Collect(ctx context.Context) (Result, error) {
	var res Result
	info, err := os.Stat(f.Dir)
	if err != nil {
		return res, fmt.Errorf("folder source %q: %w", f.Name, err)
	}
	if !info.IsDir() {
		return res, fmt.Errorf("folder source %q: %s is not a directory", f.Name, f.Dir)
	}
	// Files are opened through root, which follows no link out of the
	// folder, whatever a link says by the time it is opened.
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return res, fmt.Errorf("folder source %q: %w", f.Name, err)
	}
	defer root.Close()
	realDir, err := filepath.EvalSymlinks(f.Dir)
	if err != nil {
		return res, fmt.Errorf("folder source %q: %w", f.Name, err)
	}
	checked := time.Now()
	if f.Now != nil {
		checked = f.Now()
	}
	err = filepath.WalkDir(f.Dir, func(path string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil && (path == f.Dir || d == nil) {
			return err
		}
		if path != f.Dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if err != nil {
			// An unreadable subdirectory loses only itself.
			res.problem(path, err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || kindOf(path) == "" {
			return nil
		}
		rel, err := filepath.Rel(f.Dir, path)
		key := filepath.ToSlash(rel) // the stamp's: the same whatever the working folder
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			// Opened by where it leads, since root refuses absolute links
			// even to its own files.
			rel, err = linkInside(path, realDir)
		}
		if err != nil {
			res.problem(path, err)
			return nil
		}
		info, err := regularInfo(path, d)
		if err != nil {
			// Opening a named pipe or a device would block or never end.
			res.problem(path, err)
			return nil
		}
		seen, known := f.Seen[key]
		if known && seen.unchangedStat(info.Size(), info.ModTime()) {
			res.Unchanged++
			return nil
		}
		stamp := FileStamp{Path: key, Size: info.Size(), ModTime: info.ModTime(), Checked: checked}
		a, err := f.readFile(root, rel, path, &stamp, known && seen.Hash != "", seen.Hash)
		if errors.Is(err, errSameBytes) {
			res.Unchanged++
			res.Files = append(res.Files, stamp)
			return nil
		}
		if err != nil {
			res.problem(path, err)
			return nil
		}
		res.Articles = append(res.Articles, a)
		res.Files = append(res.Files, stamp)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("folder source %q: %w", f.Name, err)
	}
	return res, nil
}

// kindOf names the parser for a file, or "" for a file to ignore.
func kindOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt":
		return "text"
	case ".md", ".markdown":
		return "markdown"
	case ".html", ".htm":
		return "html"
	}
	return ""
}

// errSameBytes is readFile's answer for a file whose bytes are those it
// was told of.
var errSameBytes = errors.New("unchanged")

// readFile reads and parses one file, and fills in the stamp's hash. With
// compare set, a file that hashes to oldHash is not parsed: errSameBytes.
func (f Folder) readFile(root *os.Root, rel, path string, stamp *FileStamp, compare bool, oldHash string) (Article, error) {
	src, err := readLimited(root, rel, f.maxBytes())
	if err != nil {
		return Article{}, err
	}
	stamp.Hash = fileHash(src)
	if compare && stamp.Hash == oldHash {
		return Article{}, errSameBytes
	}
	a, err := parseFile(path, src)
	if err != nil {
		return Article{}, err
	}
	a.Source = f.Name
	return a, nil
}

// parseFile turns the contents of the file at path into an article, by
// the kind its name says. Parsers are third-party code fed untrusted
// input, so a panic in one is turned into an error for that file.
func parseFile(path string, src []byte) (a Article, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = Article{}, fmt.Errorf("parser failure: %v", r)
		}
	}()
	switch kindOf(path) {
	case "text":
		if src, err = textUTF8(src); err == nil {
			a = parseText(src)
		}
	case "markdown":
		if src, err = textUTF8(src); err == nil {
			a, err = parseMarkdown(src)
		}
	case "html":
		abs, _ := filepath.Abs(path)
		a, err = parseHTML(src, &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)})
	default:
		err = errors.New("not an article file")
	}
	if err != nil {
		return Article{}, err
	}
	a.Title, a.Author = singleLine(a.Title), singleLine(a.Author)
	if a.Title == "" && a.Text == "" {
		return Article{}, errNoText
	}
	if a.Title == "" {
		a.Title = singleLine(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	}
	a.Origin = path
	articleKey(&a)
	return a, nil
}

func (f Folder) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return DefaultMaxFileBytes
}

// errNotRegular is reported for a named pipe, device or socket, and for a
// symlink to one.
var errNotRegular = errors.New("not a regular file")

// regularInfo returns the file information of a regular file, or of the
// regular file a symlink leads to; anything else is errNotRegular.
func regularInfo(path string, d fs.DirEntry) (fs.FileInfo, error) {
	if d.Type().IsRegular() {
		return d.Info()
	}
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if info.Mode().IsRegular() {
			return info, nil
		}
	}
	return nil, errNotRegular
}

// textUTF8 returns a plain-text or Markdown file as UTF-8. Files with a
// UTF-16 byte order mark are decoded; other files that are not valid UTF-8
// are read as Windows-1252 (a superset of Latin-1, what editors on Windows
// save), so no letter is lost. A NUL byte outside UTF-16 means a binary file.
func textUTF8(src []byte) ([]byte, error) {
	if bytes.HasPrefix(src, []byte("\xff\xfe")) || bytes.HasPrefix(src, []byte("\xfe\xff")) {
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Bytes(src)
		if err != nil {
			return nil, fmt.Errorf("decoding UTF-16: %w", err)
		}
		return out, nil
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, errBinary
	}
	if utf8.Valid(src) {
		return src, nil
	}
	return charmap.Windows1252.NewDecoder().Bytes(src)
}

// errBinary is reported for a text file that holds binary data.
var errBinary = errors.New("binary data, not text")

// errOutside is reported for a symbolic link that leads out of the folder.
var errOutside = errors.New("outside the folder: not followed")

// linkInside returns where the symbolic link at path leads, all links
// resolved, relative to dir (itself resolved), or an error matching
// errOutside when that is not inside dir.
func linkInside(path, dir string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(dir, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("symbolic link to %s, %w", target, errOutside)
	}
	return rel, nil
}

func readLimited(root *os.Root, name string, limit int64) ([]byte, error) {
	file, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	src, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return src, nil
}

// parseText reads a plain-text article: the first non-empty line is the
// title, the rest the text.
func parseText(src []byte) Article {
	title, rest := firstLine(normalizeText(string(src)))
	return Article{Title: title, Text: unwrap(strings.TrimLeft(rest, "\n"))}
}
