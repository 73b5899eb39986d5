package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			// Opened by where it leads, since root refuses absolute links
			// even to its own files.
			rel, err = linkInside(path, realDir)
		}
		if err != nil {
			res.problem(path, err)
			return nil
		}
		if err := checkRegular(path, d); err != nil {
			// Opening a named pipe or a device would block or never end.
			res.problem(path, err)
			return nil
		}
		a, err := f.readFile(root, rel, path)
		if err != nil {
			res.problem(path, err)
			return nil
		}
		res.Articles = append(res.Articles, a)
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

// readFile reads and parses one file.
func (f Folder) readFile(root *os.Root, rel, path string) (Article, error) {
	src, err := readLimited(root, rel, f.maxBytes())
	if err != nil {
		return Article{}, err
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

// checkRegular lets through regular files and symlinks to them.
func checkRegular(path string, d fs.DirEntry) error {
	if d.Type().IsRegular() {
		return nil
	}
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			return nil
		}
	}
	return errNotRegular
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
