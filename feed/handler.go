package feed

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Handler serves the documents of the current Set from memory with what
// feed readers rely on: a strong ETag, Last-Modified, Cache-Control, gzip
// when asked, 304 Not Modified for conditional requests, and HEAD. Nothing
// is rendered per request.
//
// Paths are those of Set.Paths, relative to the site URL: when Site.URL
// has a path, mount the handler under http.StripPrefix.
type Handler struct {
	set atomic.Pointer[Set]
}

// NewHandler serves set, which may be nil until the first publish (the
// handler then answers 503).
func NewHandler(set *Set) *Handler {
	h := &Handler{}
	if set != nil {
		h.set.Store(set)
	}
	return h
}

// Update swaps in the documents of a new publish. Requests already running
// finish with the old Set.
func (h *Handler) Update(set *Set) { h.set.Store(set) }

// Set returns the Set being served, or nil.
func (h *Handler) Set() *Set { return h.set.Load() }

var allowGetHead = []string{"GET, HEAD"}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = allowGetHead
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	set := h.set.Load()
	if set == nil {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "nothing published yet", http.StatusServiceUnavailable)
		return
	}
	d, ok := set.docs[r.URL.Path]
	if !ok {
		// A page lives in a folder; like a static server, send /issues/3
		// to /issues/3/ so that relative links resolve the same way.
		if _, ok := set.docs[r.URL.Path+"/"]; ok && r.URL.Path != "" {
			target := r.URL.Path + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		http.NotFound(w, r)
		return
	}
	header, body, etag := d.header, d.Body, d.ETag
	if d.gzip != nil && acceptsGzip(r.Header["Accept-Encoding"]) {
		header, body, etag = d.gzHeader, d.gzip, d.gzipETag
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
