package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// The desk's templates and static files are its own, embedded here: unlike
// the public pages (templates/), they are not for operators to override.
//
//go:embed templates/*.html static/*
var files embed.FS

// page is what every page shows: the header, the navigation, the flash
// message of the last change. Each page's data embeds it.
type page struct {
	Title   string
	Section string // the navigation's current item
	Site    string
	User    *store.AdminUser // nil: not signed in
	CSRF    string
	Flash   string
	Failed  bool // the flash says what went wrong
}

func (p *page) base() *page { return p }

type pageData interface{ base() *page }

// errorPage says what went wrong.
type errorPage struct {
	page
	Message string
	Back    string // a link to go on from, if any
}

// pages are the parsed templates, by page name: each is the layout with
// the page's "content".
type pages map[string]*template.Template

// pageNames are the templates' files, without .html.
var pageNames = []string{"sign_in", "error", "dashboard", "issue_list", "issue_edit", "issue_preview", "issue_send",
	"subscriber_list", "subscriber_show", "subscribers_import", "source_list", "audit_list", "user_list", "account"}

// parsePages parses every page; their functions show times in the
// schedule's zone.
func (h *handler) parsePages() pages {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.In(h.app.Location()).Format("2006-01-02 15:04")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"day": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.In(h.app.Location()).Format("2006-01-02")
		},
		"zone": func() string { return h.app.Location().String() },
		"localInput": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(h.app.Location()).Format("2006-01-02T15:04")
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"add":    func(a, b int) int { return a + b },
		"static": staticURL,
		"lines":  func(l []string) string { return strings.Join(l, "\n") },
		"slug":   slug,
	}
	out := pages{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// render writes page name with data for s's user (nil: no one signed in),
// with the flash message of the last change, if any.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data pageData) {
	p := data.base()
	p.Site = h.opts.Site
	if s != nil {
		u := s.User
		p.User, p.CSRF = &u, s.CSRF
	}
	if p.Flash == "" {
		p.Flash, p.Failed = h.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.log.Error("desk: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// flashCookie carries the message of a change to the page after it.
const flashCookie = "bulletin_desk_flash"

type flash struct {
	Msg    string `json:"m"`
	Failed bool   `json:"f,omitempty"`
}

// done sends the browser to url after a change, with a message to show
// there.
func (h *handler) done(w http.ResponseWriter, r *http.Request, url, msg string) {
	h.setFlash(w, r, flash{Msg: msg})
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// failed sends the browser back to url after a change that was refused,
// saying why.
func (h *handler) failed(w http.ResponseWriter, r *http.Request, url, msg string) {
	h.setFlash(w, r, flash{Msg: msg, Failed: true})
	http.Redirect(w, r, url, http.StatusSeeOther)
}

func (h *handler) setFlash(w http.ResponseWriter, r *http.Request, f flash) {
	if len(f.Msg) > 1500 {
		f.Msg = f.Msg[:1500] + "…"
	}
	b, _ := json.Marshal(f)
	h.setCookie(w, r, flashCookie, base64.RawURLEncoding.EncodeToString(b), time.Minute)
}

func (h *handler) takeFlash(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", false
	}
	h.setCookie(w, r, flashCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	var f flash
	if err != nil || json.Unmarshal(b, &f) != nil {
		return "", false
	}
	return f.Msg, f.Failed
}

// serverError answers a request that failed for a reason of bulletin's.
func (h *handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("desk", "method", r.Method, "path", r.URL.Path, "err", err)
	h.render(w, r, http.StatusInternalServerError, "error", nil, &errorPage{page: page{Title: "Something went wrong"},
		Message: "The desk could not do this; the log says why."})
}

// notFound answers a page that does not exist.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusNotFound, "error", s, &errorPage{page: page{Title: "Not found"},
		Message: "There is no such page on the desk.", Back: "/admin/"})
}

// fail answers err of an action: not found, a state or an input that does
// not allow it (back to back, saying so), or a failure of bulletin's.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, s *session, back string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.render(w, r, http.StatusNotFound, "error", s, &errorPage{page: page{Title: "Not found"}, Message: err.Error(), Back: back})
	case errors.Is(err, store.ErrWrongState), errors.Is(err, store.ErrInvalid):
		h.failed(w, r, back, sentence(err.Error()))
	default:
		h.log.Error("desk", "method", r.Method, "path", r.URL.Path, "user", s.User.Name, "err", err)
		h.failed(w, r, back, "That did not work: "+sentence(err.Error()))
	}
}

// slug makes a name fit for an id or a fragment: lower-case letters and
// digits, the rest hyphens.
func slug(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// sentence gives a message its capital and full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; 'a' <= c && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// static is a file of static/ as served: its body, type and a hash of it
// that its URL carries, so that it can be cached for good.
type static struct {
	body  []byte
	ctype string
	hash  string
}

var statics = func() map[string]static {
	out := map[string]static{}
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, "static/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		out[e.Name()] = static{body: b, ctype: ctype, hash: hex.EncodeToString(sum[:6])}
	}
	return out
}()

// staticURL is the URL of a static file, with its hash.
func staticURL(name string) string {
	return "/admin/static/" + name + "?v=" + statics[name].hash
}

// staticFiles serves static/: anyone may read it.
func staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := statics[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == f.hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("Content-Type", f.ctype)
		w.Header().Set("ETag", `"`+f.hash+`"`)
		if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(f.body)
	})
}
