package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// SecurityOptions tune Secure.
type SecurityOptions struct {
	// HTTPS says visitors reach the site over https (site.url is https,
	// behind a proxy that ends TLS, say): responses then carry
	// Strict-Transport-Security. A request that came over TLS gets it
	// anyway.
	HTTPS bool
}

// Secure sets the headers that keep a browser from doing more with a
// response than showing it, on every response of h, whatever route made
// it: a Content-Security-Policy, X-Content-Type-Options, X-Frame-Options,
// a default Referrer-Policy and, on https, Strict-Transport-Security.
//
// The policy allows no script, frame, plugin or connection at all. An HTML
// page may use its own inline <style> elements: they are allowed by their
// SHA-256 hashes, computed from the page as it is sent, so that a template
// overridden by the operator keeps its styles and nothing injected into a
// page can add one. A handler that sets Content-Security-Policy itself
// keeps its own.
func Secure(h http.Handler, opts SecurityOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		// Set before the handler runs: also a 500 written after a panic,
		// or a 404 of the mux, carries them.
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Content-Security-Policy", basePolicy)
		hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		hdr.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if opts.HTTPS || r.TLS != nil {
			hdr.Set("Strict-Transport-Security", "max-age=31536000")
		}
		sw := &secureWriter{ResponseWriter: w}
		defer sw.finish()
		h.ServeHTTP(sw, r)
	})
}

// basePolicy is the policy of a response that is not an HTML page: a
// feed, JSON, an error. Nothing it could hold may run or load anything.
const basePolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// pagePolicy is the policy of an HTML page; styles lists the hash sources
// of its inline style elements.
func pagePolicy(styles []string) string {
	var b strings.Builder
	b.WriteString("default-src 'none'")
	if len(styles) > 0 {
		b.WriteString("; style-src " + strings.Join(styles, " "))
	}
	// Images: none of the default pages has one; a template may show the
	// site's logo (an absolute https URL) or one of its own.
	b.WriteString("; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	return b.String()
}

// maxHashedPage is how much of an HTML page is held back to find its
// style elements before the headers go out. The pages bulletin renders
// are far smaller; of a larger one, styles past this point are blocked.
const maxHashedPage = 1 << 20

// secureWriter holds back an HTML page until its end (or maxHashedPage),
// to put the hashes of its styles in the policy before the headers go
// out. Other responses pass straight through.
type secureWriter struct {
	http.ResponseWriter
	decided bool // the headers are set: passing through, or holding
	holding bool // an HTML page is being held back in buf
	status  int
	buf     bytes.Buffer
}

func (w *secureWriter) WriteHeader(code int) {
	if w.decided {
		if !w.holding {
			w.ResponseWriter.WriteHeader(code) // as net/http would, it warns of a second call
		}
		return
	}
	if code >= 100 && code < 200 {
		w.ResponseWriter.WriteHeader(code) // informational: not the response yet
		return
	}
	w.decided, w.status = true, code
	if code == http.StatusNotModified {
		// A browser updates the headers it keeps with those of a 304:
		// the stored page keeps the policy that fits it.
		w.Header().Del("Content-Security-Policy")
	}
	if isHTML(w.Header().Get("Content-Type")) && code != http.StatusNoContent && code != http.StatusNotModified &&
		w.Header().Get("Content-Security-Policy") == basePolicy {
		w.holding = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *secureWriter) Write(b []byte) (int, error) {
	if !w.decided {
		if w.Header().Get("Content-Type") == "" {
			// What net/http would send, decided here so that the policy
			// fits it.
			w.Header().Set("Content-Type", http.DetectContentType(b))
		}
		w.WriteHeader(http.StatusOK)
	}
	if !w.holding {
		return w.ResponseWriter.Write(b)
	}
	w.buf.Write(b)
	if w.buf.Len() > maxHashedPage {
		if err := w.release(); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// release sends the headers, with the policy of what is held, and what is
// held; from then on writes pass through.
func (w *secureWriter) release() error {
	if !w.holding {
		return nil
	}
	w.holding = false
	body := w.buf.Bytes()
	page := body
	if strings.EqualFold(w.Header().Get("Content-Encoding"), "gzip") {
		page = gunzip(body)
	}
	w.Header().Set("Content-Security-Policy", pagePolicy(styleHashes(page)))
	w.ResponseWriter.WriteHeader(w.status)
	_, err := w.ResponseWriter.Write(body)
	w.buf = bytes.Buffer{}
	return err
}

// finish sends a page held until the handler's end.
func (w *secureWriter) finish() { w.release() }

// Flush sends what is held, then flushes.
func (w *secureWriter) Flush() {
	w.release()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection underneath.
func (w *secureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// gunzip returns what body unpacks to, up to maxHashedPage bytes.
func gunzip(body []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(zr, maxHashedPage))
	return b
}

func isHTML(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// styleHashes returns the CSP hash source of each <style> element of page,
// computed over its text as written, which is what a browser hashes.
func styleHashes(page []byte) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) != atom.Style {
				continue
			}
			// The tokenizer gives the element's text as one raw token; an
			// empty element has none, and the hash of nothing.
			if z.Next() == html.TextToken {
				out = addHash(out, z.Raw())
			} else {
				out = addHash(out, nil)
			}
		}
	}
}

func addHash(out []string, text []byte) []string {
	sum := sha256.Sum256(text)
	h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if slices.Contains(out, h) {
		return out
	}
	return append(out, h)
}
