package feed

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Source gives the documents a Handler serves: a Set rendered in advance,
// or a Live one that renders each when first asked for.
type Source interface {
	// Lookup returns the document at path, or ErrNotFound.
	Lookup(ctx context.Context, path string) (*Document, error)
}

// Handler serves the documents of its Source with what feed readers rely
// on: a strong ETag, Last-Modified, Cache-Control, gzip when asked, 304 Not
// Modified for conditional requests, and HEAD. A document is rendered (by
// a Live source) at most once until the next publish; a request only
// copies prepared values.
//
// Paths are those of Set.Paths, relative to the site URL: when Site.URL
// has a path, mount the handler under http.StripPrefix.
type Handler struct {
	src atomic.Pointer[Source]
	// Log receives failures to render; nil is slog.Default().
	Log *slog.Logger
}

// NewHandler serves src, which may be nil until there is one (the handler
// then answers 503).
func NewHandler(src Source) *Handler {
	h := &Handler{}
	if src != nil {
		h.Update(src)
	}
	return h
}

// Update swaps in another source, such as the Set of a new publish.
// Requests already running finish with the old one.
func (h *Handler) Update(src Source) { h.src.Store(&src) }

// Source returns the source being served, or nil.
func (h *Handler) Source() Source {
	if p := h.src.Load(); p != nil {
		return *p
	}
	return nil
}

var allowGetHead = []string{"GET, HEAD"}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = allowGetHead
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	src := h.Source()
	if src == nil {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "nothing published yet", http.StatusServiceUnavailable)
		return
	}
	d, err := src.Lookup(r.Context(), r.URL.Path)
	if errors.Is(err, ErrNotFound) {
		// A page lives in a folder; like a static server, send /issues/3
		// to /issues/3/ so that relative links resolve the same way.
		if r.URL.Path != "" && !strings.HasSuffix(r.URL.Path, "/") {
			if _, err := src.Lookup(r.Context(), r.URL.Path+"/"); err == nil {
				target := r.URL.Path + "/"
				if r.URL.RawQuery != "" {
					target += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, target, http.StatusMovedPermanently)
				return
			}
		}
		http.NotFound(w, r)
		return
	}
	if err != nil {
		log := h.Log
		if log == nil {
			log = slog.Default()
		}
		if r.Context().Err() == nil {
			log.Error("feed: cannot render", "path", r.URL.Path, "err", err)
		}
		http.Error(w, "cannot render this document now", http.StatusInternalServerError)
		return
	}
	header, body, etag := d.header, d.Body, d.ETag
	if acceptsGzip(r.Header["Accept-Encoding"]) {
		if gz, gzHeader, gzETag := d.gzipped(); gz != nil {
			header, body, etag = gzHeader, gz, gzETag
		}
	}
	wh := w.Header()
	for k, v := range header {
		wh[k] = v // shared, never written to: the precomputed slices are full
	}
	if notModified(r, etag, d.Modified) {
		delete(wh, "Content-Type")
		delete(wh, "Content-Length")
		delete(wh, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// notModified applies RFC 9110 section 13.2.2: If-None-Match wins over
// If-Modified-Since, and compares weakly.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		for _, list := range inm {
			if etagListMatches(list, etag) {
				return true
			}
		}
		return false
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !modified.After(t)
}

func etagListMatches(list, etag string) bool {
	for list != "" {
		var tag string
		tag, list, _ = strings.Cut(list, ",")
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding allows gzip: named (or
// x-gzip, or *) without q=0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && !strings.EqualFold(coding, "x-gzip") && coding != "*" {
				continue
			}
			return !zeroQ(params)
		}
	}
	return false
}

func zeroQ(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "q") {
			val = strings.TrimRight(strings.TrimSpace(val), "0")
			return val == "" || val == "." || val == "0" || val == "0."
		}
	}
	return false
}
