package server

import (
	"net/http"

	"github.com/bulletin-app/bulletin/feed"
)

// MountArchive routes the feeds and the HTML archive to h: the index at /,
// issue pages at /issues/N/ (a request for /issues/N is redirected there,
// as a static host would), story pages at /stories/N/ with their feeds
// beside them, the current feeds and their RFC 5005 archive pages under
// /feeds/. Other paths stay free for the rest of the server.
// GET patterns also answer HEAD; other methods get 405 from the mux.
func MountArchive(mux *http.ServeMux, h *feed.Handler) {
	for _, p := range []string{
		"GET /{$}",
		"GET /issues/{n}",
		"GET /issues/{n}/{$}",
		"GET /stories/{n}",
		"GET /stories/{n}/{file}",
		"GET /stories/{n}/{$}",
		"GET " + feed.EntriesAtom,
		"GET " + feed.EntriesRSS,
		"GET " + feed.EntriesJSON,
		"GET " + feed.IssuesAtom,
		"GET " + feed.IssuesRSS,
		"GET " + feed.IssuesJSON,
		"GET /feeds/",
		"GET " + feed.FaviconPath,
	} {
		mux.Handle(p, h)
	}
}
