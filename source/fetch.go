package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// Defaults for UpstreamFeed's zero fields.
const (
	DefaultUserAgent    = "bulletin (+https://github.com/bulletin-app/bulletin)"
	DefaultMaxBytes     = 10 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultReportAfter  = 3
	DefaultFailingAfter = 24 * time.Hour
	DefaultBackoff      = 15 * time.Minute
	DefaultMaxBackoff   = 24 * time.Hour
	DefaultMaxItems     = 100
	DefaultMaxPages     = 50
	maxRedirects        = 10
)

// StatusError is an HTTP response that was neither a success nor 304.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// defaultClient reaches public addresses only (see NewClient). It is not
// http.DefaultClient, so that nobody else's changes to that reach us.
var defaultClient = NewClient(ClientOptions{})

// fetcher holds the limits every request of a source obeys, feed or page.
type fetcher struct {
	client    *http.Client
	userAgent string
	maxBytes  int64
	timeout   time.Duration
}

// response is a fully read body with what is needed to interpret it.
type response struct {
	status      int
	url         *url.URL // after redirects
	contentType string
	etag        string
	lastMod     string
	retryAfter  time.Time
	body        []byte
}

// get fetches rawURL with the given extra headers. The timeout covers the
// whole exchange, body included, so a server trickling an endless body is cut
// off; the size limit stops one that sends it fast.
func (f fetcher) get(ctx context.Context, rawURL, accept string, header http.Header, now time.Time) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GET %s: %w", rawURL, ErrNotWebURL)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &response{
		status:      resp.StatusCode,
		url:         resp.Request.URL,
		contentType: resp.Header.Get("Content-Type"),
		etag:        resp.Header.Get("ETag"),
		lastMod:     resp.Header.Get("Last-Modified"),
		retryAfter:  parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
	if resp.StatusCode == http.StatusNotModified {
		return r, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return r, &StatusError{URL: rawURL, Code: resp.StatusCode}
	}
	if resp.ContentLength > f.maxBytes {
		return r, fmt.Errorf("GET %s: %w: Content-Length %d over %d bytes", rawURL, ErrTooLarge, resp.ContentLength, f.maxBytes)
	}
	r.body, err = readBody(resp.Body, f.maxBytes+1, resp.ContentLength)
	if ctxErr := ctx.Err(); ctxErr != nil {
		// A body cut short by the timeout can look like a clean end.
		err = ctxErr
	}
	if err != nil {
		return r, fmt.Errorf("GET %s: reading body: %w", rawURL, err)
	}
	if int64(len(r.body)) > f.maxBytes {
		return r, fmt.Errorf("GET %s: %w: body over %d bytes", rawURL, ErrTooLarge, f.maxBytes)
	}
	return r, nil
}

// readBody reads r to its end, or to limit bytes. A body of known size is
// read into one buffer of that size; one of unknown size in blocks, joined
// once at the end. Either way it is not grown by repeated copying, as
// io.ReadAll grows it, which for a 10 MB body allocates several times that.
func readBody(r io.Reader, limit, size int64) ([]byte, error) {
	r = io.LimitReader(r, limit)
	if size >= 0 && size < limit {
		b := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
		_, err := b.ReadFrom(r)
		return b.Bytes(), err
	}
	const blockSize = 64 << 10
	var blocks [][]byte
	total := 0
	for {
		block := make([]byte, blockSize)
		n, err := io.ReadFull(r, block)
		blocks = append(blocks, block[:n])
		total += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(blocks) == 1 {
		return blocks[0], nil
	}
	out := make([]byte, 0, total)
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out, nil
}

// parseRetryAfter reads either form of Retry-After (seconds or HTTP date).
func parseRetryAfter(v string, now time.Time) time.Time {
	if v == "" {
		return time.Time{}
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}

var xmlEncoding = regexp.MustCompile(`^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])`)

// toUTF8 returns an XML or JSON body as UTF-8, from the charset named in the
// Content-Type (which wins, as RFC 7303 says) or else in the XML prolog. The
// prolog is rewritten to say UTF-8 so the XML parser does not convert twice.
// A body that claims UTF-8 (or nothing) but is not valid UTF-8 is read as
// Windows-1252, the usual truth behind such feeds.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	label := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		label = params["charset"]
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(body, []byte("\xfe\xff")) || bytes.HasPrefix(body, []byte("\xff\xfe")) {
		label = "utf-16" // a BOM is unambiguous
	}
	m := xmlEncoding.FindSubmatchIndex(body)
	if label == "" && m != nil {
		label = string(body[m[4]:m[5]])
	}
	if label != "" && !isUTF8Label(label) {
		enc, _ := charset.Lookup(label)
		if enc == nil {
			return nil, fmt.Errorf("unsupported character encoding %q", label)
		}
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", label, err)
		}
		body = out
	} else if !utf8.Valid(body) {
		out, err := charmap.Windows1252.NewDecoder().Bytes(body)
		if err != nil {
			return nil, err
		}
		body = out
	}
	// Copied only when the prolog says otherwise than UTF-8: a copy of
	// a body of 10 MB is 10 MB more to hold.
	if m := xmlEncoding.FindSubmatchIndex(body); m != nil && !isUTF8Label(string(body[m[4]:m[5]])) {
		body = append(append(append([]byte{}, body[:m[4]]...), "UTF-8"...), body[m[5]:]...)
	}
	return body, nil
}

func isUTF8Label(label string) bool {
	l := strings.ToLower(strings.TrimSpace(label))
	return l == "utf-8" || l == "utf8" || l == "us-ascii" || l == "ascii"
}

// errNotFeed is returned for a body that is no feed format.
var errNotFeed = errors.New("not a feed")
