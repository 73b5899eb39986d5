package bulletin

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/store"
)

// The attacks the desk stops, made for real over loopback against
// bulletin serve by a plain HTTP client that does what an attacker's
// program or page would: no browser's help, and no knowledge of the
// desk's code but its routes.

// deskServer is bulletin serve with review on, on a loopback port, with
// two users: ann (admin) and bo (editor).
type deskServer struct {
	app  *App
	base string
	clk  *deskClock
}

func startDesk(t *testing.T, extra string) *deskServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	app, _ := newTestApp(t, "examples/articles", fmt.Sprintf(
		"site:\n  title: The Harbour Weekly\n  url: %s/\ndigest:\n  review: true\n"+
			"schedule:\n  jobs:\n    collect: \"\"\n    issue: \"\"\n%s", base, extra))
	clk := &deskClock{}
	app.Now = clk.Now
	app.Store.SetClock(clk.Now)
	ctx := context.Background()
	if rep, err := app.Run(ctx); err != nil || rep.Issue.State != store.IssueDraft {
		t.Fatalf("run: %v, %+v; want a draft", err, rep.Issue)
	}
	if _, err := app.AddUser(ctx, "cli:test", "ann", store.RoleAdmin, "ann@example.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.AddUser(ctx, "cli:test", "bo", store.RoleEditor, "bo@example.org", "another long password"); err != nil {
		t.Fatal(err)
	}
	serveDesk(t, app, ln)
	return &deskServer{app: app, base: base, clk: clk}
}

// noRedirect is a client that shows each answer as it is.
var noRedirect = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// reply is an answer read whole.
type reply struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (d *deskServer) do(t *testing.T, method, path string, form url.Values, hdr map[string]string, cookies ...*http.Cookie) reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, d.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: string(b), cookies: res.Cookies()}
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken is the form token on page (the first form's).
func formToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the page:\n%.2000s", page)
	}
	return html.UnescapeString(m[1])
}

// signIn signs name in as a browser does (the form first, then its post,
// which carries cookies too), and returns the answer to the post.
func (d *deskServer) signIn(t *testing.T, name, password string, cookies ...*http.Cookie) reply {
	t.Helper()
	form := d.do(t, "GET", "/admin/sign-in", nil, nil)
	if form.status != http.StatusOK {
		t.Fatalf("the sign-in form: %d", form.status)
	}
	c := cookieNamed(form.cookies, "bulletin_desk_signin")
	if c == nil {
		t.Fatal("no sign-in cookie with the form")
	}
	return d.do(t, "POST", "/admin/sign-in", url.Values{"name": {name}, "password": {password}, "csrf": {formToken(t, form.body)}},
		nil, append(cookies, c)...)
}

// session signs name in and returns the session's cookie and its form
// token.
func (d *deskServer) session(t *testing.T, name, password string) (*http.Cookie, string) {
	t.Helper()
	r := d.signIn(t, name, password)
	c := cookieNamed(r.cookies, "bulletin_desk")
	if r.status != http.StatusSeeOther || c == nil {
		t.Fatalf("signing %s in: %d, cookie %v:\n%.1000s", name, r.status, c, r.body)
	}
	page := d.do(t, "GET", "/admin/account", nil, nil, c)
	if page.status != http.StatusOK {
		t.Fatalf("%s's account page: %d", name, page.status)
	}
	return c, formToken(t, page.body)
}

// deskRoutes reads the desk's route table from its source, so that a route
// added later is checked too without anyone listing it here.
func deskRoutes(t *testing.T) (editor, admin []string) {
	t.Helper()
	src, err := os.ReadFile("admin/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*(editor|admin)\("([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		if m[1] == "editor" {
			editor = append(editor, m[2])
		} else {
			admin = append(admin, m[2])
		}
	}
	if len(editor) < 30 || len(admin) < 5 {
		t.Fatalf("read %d editors' and %d admins' routes from admin/routes.go", len(editor), len(admin))
	}
	return editor, admin
}

// routeRequest is a request on pattern: its method (GET for one that has
// none), and a path with its wildcards filled in.
func routeRequest(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.NewReplacer("{$}", "", "{n}", "1", "{id}", "1", "{part}", "email").Replace(path)
	return method, path
}

// Nothing under /admin/ answers without a session: every route of the
// table, a path that is none, and with a cookie that is no session's.
func TestDeskEveryRouteWantsASession(t *testing.T) {
	d := startDesk(t, "")
	editor, admin := deskRoutes(t)
	routes := append(append(slices.Clone(editor), admin...), "GET /admin/no-such-page", "GET /admin/issues/1/../../users")
	forged := &http.Cookie{Name: "bulletin_desk", Value: "someid.somesecret"}
	for _, pattern := range routes {
		method, path := routeRequest(pattern)
		for _, c := range []*http.Cookie{nil, forged} {
			var form url.Values
			if method == "POST" {
				form = url.Values{"csrf": {"x"}, "name": {"mallory"}, "password": {"mallory's password"}, "role": {"admin"}}
			}
			r := d.do(t, method, path, form, nil, c)
			switch {
			case method == "GET" && r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/admin/sign-in?next="):
			case method == "POST" && r.status == http.StatusUnauthorized:
			case r.status == http.StatusTemporaryRedirect && strings.Contains(path, ".."): // cleaned by the mux first
			default:
				t.Errorf("%s %s (cookie %v) without a session: %d %s", method, path, c != nil, r.status, r.header.Get("Location"))
			}
			if strings.Contains(r.body, "ann@example.org") || strings.Contains(r.body, "reader@example.com") {
				t.Errorf("%s %s without a session shows the desk's data", method, path)
			}
		}
	}
	if _, err := d.app.Store.AdminUserByName(context.Background(), "mallory"); err == nil {
		t.Error("a post without a session added a user")
	}
	t.Logf("%d routes and 2 paths that are none, each without a cookie and with a forged one", len(editor)+len(admin))
}

// An editor reaches every editor's page but none of an admin's: her posts
// to the users' routes, with her session's own form token, are refused.
func TestDeskEditorsDoNotManageUsers(t *testing.T) {
	d := startDesk(t, "")
	ctx := context.Background()
	editor, admin := deskRoutes(t)
	c, token := d.session(t, "bo", "another long password")
	ann, err := d.app.Store.AdminUserByName(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range admin {
		method, path := routeRequest(pattern)
		path = strings.Replace(path, "/users/1/", fmt.Sprintf("/users/%d/", ann.ID), 1)
		var form url.Values
		if method == "POST" {
			form = url.Values{"csrf": {token}, "name": {"mallory"}, "password": {"mallory's password"}, "role": {"editor"}}
		}
		if r := d.do(t, method, path, form, nil, c); r.status != http.StatusForbidden {
			t.Errorf("an editor's %s %s: %d, want 403", method, path, r.status)
		}
	}
	if _, err := d.app.Store.AdminUserByName(ctx, "mallory"); err == nil {
		t.Error("an editor added a user")
	}
	if u, err := d.app.Store.AdminUserByName(ctx, "ann"); err != nil || u.Role != store.RoleAdmin || u.PasswordHash != ann.PasswordHash {
		t.Errorf("an editor changed ann: %+v, %v", u, err)
	}
	// The editor's own pages open: the refusals above are for her role,
	// not for a session that does not work.
	for _, pattern := range editor {
		method, path := routeRequest(pattern)
		if method != "GET" || strings.Contains(pattern, "{") && !strings.Contains(pattern, "{n}") || strings.HasSuffix(pattern, "/admin/") {
			continue
		}
		if r := d.do(t, method, path, nil, nil, c); r.status != http.StatusOK {
			t.Errorf("an editor's %s %s: %d, want 200", method, path, r.status)
		}
	}
	// ... and an admin's session gets the users' page.
	ac, _ := d.session(t, "ann", "correct horse battery")
	if r := d.do(t, "GET", "/admin/users", nil, nil, ac); r.status != http.StatusOK || !strings.Contains(r.body, "bo@example.org") {
		t.Errorf("an admin's users page: %d", r.status)
	}
}

// A post that another origin makes with the admin's cookie (as a page of
// a site beside the desk's, which SameSite=Lax does not stop, makes it)
// is refused by its origin; one with no origin headers at all (not a
// browser's) by its missing or foreign form token. The same post with the
// session's token, from the desk itself, goes through: the refusals are
// the attack's, not a broken form's.
func TestDeskRefusesCrossSiteRequests(t *testing.T) {
	d := startDesk(t, "")
	ctx := context.Background()
	c, token := d.session(t, "ann", "correct horse battery")
	_, boToken := d.session(t, "bo", "another long password")
	add := func(name, token string) url.Values {
		return url.Values{"csrf": {token}, "name": {name}, "password": {"a long enough password"}, "role": {"admin"}}
	}
	for _, attack := range []struct {
		what string
		form url.Values
		hdr  map[string]string
	}{
		{"from another origin, with the right token", add("mallory1", token), map[string]string{"Origin": "http://evil.example"}},
		{"from a port beside the desk's", add("mallory2", token), map[string]string{"Origin": "http://127.0.0.1:1"}},
		{"a browser says cross-site", add("mallory3", token), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"a browser says same-site", add("mallory4", ""), map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}},
		{"no origin, no token", url.Values{"name": {"mallory5"}, "password": {"a long enough password"}, "role": {"admin"}}, nil},
		{"no origin, an empty token", add("mallory6", ""), nil},
		{"no origin, another session's token", add("mallory7", boToken), nil},
		{"no origin, a made-up token", add("mallory8", strings.Repeat("A", len(token))), nil},
	} {
		r := d.do(t, "POST", "/admin/users", attack.form, attack.hdr, c)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Nothing was changed") {
			t.Errorf("a post %s: %d, want 403:\n%.500s", attack.what, r.status, r.body)
		}
		if _, err := d.app.Store.AdminUserByName(ctx, attack.form.Get("name")); err == nil {
			t.Errorf("a post %s added a user", attack.what)
		}
	}
	// The sign-in form is guarded too: a post of another site's form
	// cannot sign a browser in as the attacker (login CSRF).
	r := d.do(t, "POST", "/admin/sign-in", url.Values{"name": {"bo"}, "password": {"another long password"}, "csrf": {"x"}}, nil)
	if r.status != http.StatusForbidden || cookieNamed(r.cookies, "bulletin_desk") != nil {
		t.Errorf("a sign-in post without the form's cookie: %d, cookies %v", r.status, r.cookies)
	}
	r = d.do(t, "POST", "/admin/sign-in", url.Values{"name": {"bo"}, "password": {"another long password"}}, map[string]string{"Origin": "http://evil.example"})
	if r.status != http.StatusForbidden || cookieNamed(r.cookies, "bulletin_desk") != nil {
		t.Errorf("a sign-in post from another origin: %d", r.status)
	}

	// The control: from the desk's own page, it works.
	r = d.do(t, "POST", "/admin/users", add("carla", token), map[string]string{"Origin": d.base, "Sec-Fetch-Site": "same-origin"}, c)
	if r.status != http.StatusSeeOther {
		t.Fatalf("the desk's own post: %d:\n%.500s", r.status, r.body)
	}
	if _, err := d.app.Store.AdminUserByName(ctx, "carla"); err != nil {
		t.Errorf("the desk's own post added no user: %v", err)
	}
}

// The session cookie: HttpOnly, SameSite=Lax, for /admin/ only, Secure on
// https; new at every sign-in, so a cookie planted in a browser before
// (session fixation) opens nothing after; ended by sign-out and by time.
func TestDeskSessionCookie(t *testing.T) {
	d := startDesk(t, "")
	r := d.signIn(t, "ann", "correct horse battery")
	c := cookieNamed(r.cookies, "bulletin_desk")
	if c == nil {
		t.Fatalf("no session cookie: %d", r.status)
	}
	raw := r.header.Values("Set-Cookie")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin/" || c.Secure || c.Domain != "" {
		t.Errorf("session cookie on http: %v; want HttpOnly, SameSite=Lax, Path=/admin/, host-only, not Secure", raw)
	}
	if len(c.Value) < 40 {
		t.Errorf("a session cookie of %d characters", len(c.Value))
	}

	// Fixation: bo, an editor, plants his own session's cookie in ann's
	// browser, and one he made up; ann signs in there. Her cookie is new,
	// and both of his open nothing after (his real one is ended: it was
	// the browser's).
	planted := cookieNamed(d.signIn(t, "bo", "another long password").cookies, "bulletin_desk")
	if r := d.do(t, "GET", "/admin/", nil, nil, planted); r.status != http.StatusOK {
		t.Fatalf("bo's session: %d", r.status)
	}
	madeUp := &http.Cookie{Name: "bulletin_desk", Value: "fixed.0123456789abcdef"}
	for _, p := range []*http.Cookie{planted, madeUp} {
		r := d.signIn(t, "ann", "correct horse battery", p)
		got := cookieNamed(r.cookies, "bulletin_desk")
		if got == nil || got.Value == p.Value || strings.HasPrefix(got.Value, strings.SplitN(p.Value, ".", 2)[0]+".") {
			t.Fatalf("signing in over a planted cookie %q: got %v", p.Value, got)
		}
		if r := d.do(t, "GET", "/admin/account", nil, nil, got); r.status != http.StatusOK || !strings.Contains(r.body, "ann@example.org") {
			t.Errorf("ann's new session: %d", r.status)
		}
		if r := d.do(t, "GET", "/admin/account", nil, nil, p); r.status != http.StatusSeeOther {
			t.Errorf("the planted cookie %q after ann signed in: %d, want 303 to sign in", p.Value, r.status)
		}
	}

	// Sign-out ends the session on the server, not only in the browser.
	s, token := d.session(t, "ann", "correct horse battery")
	if r := d.do(t, "POST", "/admin/sign-out", url.Values{"csrf": {token}}, nil, s); r.status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.status)
	}
	if r := d.do(t, "GET", "/admin/", nil, nil, s); r.status != http.StatusSeeOther {
		t.Errorf("the cookie after sign-out: %d", r.status)
	}

	// An idle session expires (12 hours), and so does one in use after
	// 7 days.
	s, _ = d.session(t, "ann", "correct horse battery")
	d.clk.jump(11 * time.Hour)
	if r := d.do(t, "GET", "/admin/", nil, nil, s); r.status != http.StatusOK {
		t.Fatalf("after 11 idle hours: %d", r.status)
	}
	d.clk.jump(12*time.Hour + time.Minute)
	if r := d.do(t, "GET", "/admin/", nil, nil, s); r.status != http.StatusSeeOther {
		t.Errorf("after 12 idle hours: %d, want 303 to sign in", r.status)
	}
	s, _ = d.session(t, "ann", "correct horse battery")
	for range 7 {
		d.clk.jump(24 * time.Hour)
		d.do(t, "GET", "/admin/", nil, nil, s)
	}
	if r := d.do(t, "GET", "/admin/", nil, nil, s); r.status != http.StatusSeeOther {
		t.Errorf("a session used daily, after 7 days: %d, want 303 to sign in", r.status)
	}

	// On https (site.url, behind a proxy that ends TLS, or TLS itself), the
	// cookies are Secure.
	hs := startDesk(t, "")
	hs.app.Config.Site.URL = "https://news.example.org/"
	tls := httptest.NewTLSServer(hs.app.Desk())
	defer tls.Close()
	hs.app.Config.Site.URL = hs.base + "/"
	for _, srv := range []struct{ what, base string }{{"https site behind a proxy", ""}, {"TLS", tls.URL}} {
		var res *http.Response
		var err error
		if srv.base == "" {
			h := httptest.NewServer(func() http.Handler {
				hs.app.Config.Site.URL = "https://news.example.org/"
				defer func() { hs.app.Config.Site.URL = hs.base + "/" }()
				return hs.app.Desk()
			}())
			defer h.Close()
			res, err = noRedirect.Get(h.URL + "/admin/sign-in")
		} else {
			res, err = tls.Client().Get(srv.base + "/admin/sign-in")
		}
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		c := cookieNamed(res.Cookies(), "bulletin_desk_signin")
		if c == nil || !c.Secure || !c.HttpOnly {
			t.Errorf("%s: the sign-in cookie %v, want Secure and HttpOnly", srv.what, res.Header.Values("Set-Cookie"))
		}
	}
}

// Guessing a password is bounded: 5 failures for a user, then even the
// right password is refused for a while; 10 from one client over any
// names, and that client is refused for everyone. Time lets them in again.
func TestDeskSignInThrottle(t *testing.T) {
	d := startDesk(t, "")
	for i := range 5 {
		if r := d.signIn(t, "ann", fmt.Sprintf("guess %d", i)); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, r.status)
		}
	}
	r := d.signIn(t, "ann", "correct horse battery")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || cookieNamed(r.cookies, "bulletin_desk") != nil {
		t.Fatalf("the right password after 5 wrong ones: %d, Retry-After %q, cookies %v; want 429 and no session",
			r.status, r.header.Get("Retry-After"), r.cookies)
	}
	// Another user from the same client is not locked out by ann's.
	if r := d.signIn(t, "bo", "another long password"); r.status != http.StatusSeeOther {
		t.Fatalf("bo after ann's failures: %d", r.status)
	}
	// Names that do not exist count as failures too (and cost as long).
	for i := range 5 {
		if r := d.signIn(t, fmt.Sprintf("nobody%d", i), "guess"); r.status != http.StatusUnauthorized {
			t.Fatalf("an unknown name %d: %d, want 401", i, r.status)
		}
	}
	if r := d.signIn(t, "bo", "another long password"); r.status != http.StatusTooManyRequests {
		t.Errorf("bo after 10 failures from his client: %d, want 429", r.status)
	}
	// A user's bound: a minute a guess, so 5 guesses' worth after 5 minutes.
	d.clk.jump(5*time.Minute + time.Second)
	if r := d.signIn(t, "ann", "correct horse battery"); r.status != http.StatusSeeOther {
		t.Errorf("ann after 5 minutes: %d, want 303", r.status)
	}
	var refused int
	start := time.Now()
	for i := range 50 {
		if r := d.signIn(t, "ann", fmt.Sprintf("guess %d", i)); r.status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 40 {
		t.Errorf("50 guesses in a row: %d refused, want at least 40", refused)
	}
	t.Logf("50 guesses in a row at ann's password: %d refused before any check (429), %d checked, in %s",
		refused, 50-refused, time.Since(start).Round(time.Millisecond))
}

// What an editor types reaches no page, email or feed as markup that runs:
// the intro (Markdown), the subject, an entry's title and summary, each
// carrying the usual payloads, are read back through an HTML parser (not
// bulletin's) from the desk's editor, the previews, and the published
// page and feeds.
func TestDeskSanitizesEditorInput(t *testing.T) {
	d := startDesk(t, "")
	ctx := context.Background()
	c, token := d.session(t, "ann", "correct horse battery")
	is, err := d.app.Issue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	e := is.Entries[0]
	post := func(path string, form url.Values) {
		t.Helper()
		form.Set("csrf", token)
		if r := d.do(t, "POST", path, form, nil, c); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%.800s", path, r.status, r.body)
		}
	}
	post("/admin/issues/1/intro", url.Values{"intro": {"Hello **harbour**.\n\n<script>window.pwned=1</script>\n\n" +
		"<img src=x onerror=\"window.pwned=2\">\n\n[a link](javascript:window.pwned=3) and <a href=\"javascript:alert(4)\">raw</a>\n\n" +
		"<iframe src=\"https://evil.example/\"></iframe><style>body{display:none}</style>"}})
	post("/admin/issues/1/subject", url.Values{"subject": {`Ferries <script>window.pwned=5</script> "and" <b onmouseover=alert(6)>more</b>`}})
	post(fmt.Sprintf("/admin/issues/1/entries/%d", e.ID), url.Values{
		"title":   {`<img src=x onerror=alert(7)>A ferry`},
		"summary": {"Sails <svg onload=alert(8)> every hour.\n<a href=\"javascript:alert(9)\">click</a>"},
	})
	is, err = d.app.Issue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(is.Intro, "<script>") || !strings.Contains(is.Entries[0].Title, "onerror") {
		t.Fatalf("the edits were not saved as written: %q, %q", is.Intro, is.Entries[0].Title)
	}

	// The check itself finds the payloads when they are not sanitized.
	if bad := unsafeMarkup(t, "<p>"+is.Intro+is.Entries[0].Title+is.Entries[0].Summary[0]+"</p>"); len(bad) < 7 {
		t.Fatalf("the raw payloads show only %d findings: %q", len(bad), bad)
	}
	check := func(what, doc string, wantText ...string) {
		t.Helper()
		for _, bad := range unsafeMarkup(t, doc) {
			t.Errorf("%s: %s", what, bad)
		}
		for _, w := range wantText {
			if !strings.Contains(doc, w) {
				t.Errorf("%s has not %q (the edit is not shown at all?)", what, w)
			}
		}
	}
	desk := d.do(t, "GET", "/admin/issues/1", nil, nil, c)
	check("the desk's editor", desk.body, "A ferry")
	for _, part := range []string{"email", "page"} {
		r := d.do(t, "GET", "/admin/issues/1/preview/"+part, nil, nil, c)
		if r.status != http.StatusOK {
			t.Fatalf("preview %s: %d", part, r.status)
		}
		check("the "+part+" preview", r.body, "<strong>harbour</strong>", "A ferry")
	}
	pre := d.do(t, "GET", "/admin/issues/1/preview", nil, nil, c)
	check("the preview page", pre.body)

	// Approved and sent: the published page and the feeds.
	if _, err := d.app.Approve(ctx, "admin:ann", 1); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/issues/1/": "A ferry", "/": "The Harbour Weekly #1"} {
		r := d.do(t, "GET", path, nil, nil)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", path, r.status)
			continue
		}
		check("the public "+path, r.body, want)
	}
	for _, path := range []string{feed.EntriesAtom, feed.EntriesRSS, feed.IssuesAtom} {
		r := d.do(t, "GET", path, nil, nil)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", path, r.status)
			continue
		}
		// The entries' HTML, as a reader unescapes and shows it.
		for _, m := range regexp.MustCompile(`(?s)<(?:content|description)[^>]*>(.*?)</(?:content|description)>`).FindAllStringSubmatch(r.body, -1) {
			body := html.UnescapeString(strings.TrimSuffix(strings.TrimPrefix(m[1], "<![CDATA["), "]]>"))
			for _, bad := range unsafeMarkup(t, body) {
				t.Errorf("%s: %s", path, bad)
			}
		}
	}
}

// unsafeMarkup lists what in doc would run script or load what it should
// not: script, style, iframe, object and embed elements (but the desk's
// own script file), event handler attributes, javascript: URLs.
func unsafeMarkup(t *testing.T, doc string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script":
			if src := attr(n, "src"); src == "" || !strings.HasPrefix(src, "/admin/static/") {
				bad = append(bad, "a script element: "+render(n))
			}
		case "iframe":
			if src := attr(n, "src"); !strings.HasPrefix(src, "/admin/issues/") {
				bad = append(bad, "a frame: "+render(n))
			}
		case "object", "embed", "svg", "math", "form", "base":
			if !(n.Data == "form" && ownForm(attr(n, "action"))) && !(n.Data == "base" && ownBase(attr(n, "href"))) {
				bad = append(bad, "a "+n.Data+" element: "+render(n))
			}
		}
		for _, a := range n.Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || strings.HasPrefix(v, "javascript:") ||
				strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:text/html") {
				bad = append(bad, fmt.Sprintf("attribute %s=%q on <%s>", a.Key, a.Val, n.Data))
			}
		}
	}
	return bad
}

// ownForm reports whether a form posts to the desk or is the public pages'
// own sign-up form (a relative link to the site's subscribe): no payload
// above holds a form, so any other one was let through.
func ownForm(action string) bool {
	if strings.HasPrefix(action, "/admin/") {
		return true
	}
	return !strings.Contains(action, ":") && !strings.HasPrefix(action, "//") &&
		strings.TrimLeft(action, "./") == "subscribe"
}

// ownBase reports whether a base element is the one the desk gives the
// page preview: the issue's place on the public site.
func ownBase(href string) bool {
	u, err := url.Parse(href)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && regexp.MustCompile(`^/issues/[0-9]+/$`).MatchString(u.Path)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func render(n *html.Node) string {
	var b strings.Builder
	html.Render(&b, n)
	if b.Len() > 200 {
		return b.String()[:200] + "..."
	}
	return b.String()
}
