package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAdminCommandsAndSignIn makes the desk's users as an operator does,
// with the real binary and passwords piped on standard input, and signs
// in with them at a running bulletin serve: the first user is an admin,
// the next an editor; no password is refused; passwd ends the user's
// sessions and the old password stops working; remove ends the user.
func TestAdminCommandsAndSignIn(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf("site:\n  url: http://%s/\nsources:\n  - name: local\n    folder: articles\n", addr))
	writeFile(t, filepath.Join(dir, "articles", "one.txt"), goodArticle)
	useDatabase(t, dir)
	admin := func(stdin string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"admin"}, args...)...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := admin("correct horse battery\n", "add", "ann", "--email", "ann@example.org"); err != nil || !strings.Contains(out, "added ann (admin)") {
		t.Fatalf("admin add ann: %v\n%s", err, out)
	}
	if out, err := admin("another long password\n", "add", "bo"); err != nil || !strings.Contains(out, "added bo (editor)") {
		t.Fatalf("admin add bo: %v\n%s", err, out)
	}
	if out, err := admin("", "add", "carl"); err == nil || !strings.Contains(out, "no password on standard input") {
		t.Errorf("admin add with no password: %v\n%s", err, out)
	}
	if out, err := admin("correct horse battery\n", "add", "ann"); err == nil || !strings.Contains(out, "already") {
		t.Errorf("admin add of a name taken: %v\n%s", err, out)
	}
	out, err := admin("", "list")
	if err != nil || !regexp.MustCompile(`(?m)^ann\s+admin\s+ann@example.org\s+never$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^bo\s+editor\s+-\s+never$`).MatchString(out) || strings.Contains(out, "carl") {
		t.Errorf("admin list: %v\n%s", err, out)
	}

	startServe(t, bin, dir, addr)
	base := "http://" + addr
	signIn := func(name, password string) (int, *http.Cookie) {
		t.Helper()
		res, err := noFollow.Get(base + "/admin/sign-in")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
		var formCookie *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "bulletin_desk_signin" {
				formCookie = c
			}
		}
		if m == nil || formCookie == nil {
			t.Fatalf("the sign-in form has no token: %d", res.StatusCode)
		}
		req, _ := http.NewRequest("POST", base+"/admin/sign-in", strings.NewReader(url.Values{
			"name": {name}, "password": {password}, "csrf": {string(m[1])}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(formCookie)
		res, err = noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == "bulletin_desk" {
				return res.StatusCode, c
			}
		}
		return res.StatusCode, nil
	}
	get := func(path string, c *http.Cookie) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(c)
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	code, ann := signIn("ann", "correct horse battery")
	if code != http.StatusSeeOther || ann == nil {
		t.Fatalf("ann signs in: %d", code)
	}
	if c := get("/admin/users", ann); c != http.StatusOK {
		t.Errorf("ann, an admin, opens the users' page: %d", c)
	}
	code, bo := signIn("bo", "another long password")
	if code != http.StatusSeeOther || bo == nil {
		t.Fatalf("bo signs in: %d", code)
	}
	if c := get("/admin/users", bo); c != http.StatusForbidden {
		t.Errorf("bo, an editor, opens the users' page: %d, want 403", c)
	}

	if out, err := admin("a brand new password\n", "passwd", "ann"); err != nil || !strings.Contains(out, "sessions ended") {
		t.Fatalf("admin passwd ann: %v\n%s", err, out)
	}
	if c := get("/admin/", ann); c != http.StatusSeeOther {
		t.Errorf("ann's session after passwd: %d, want 303 to sign in", c)
	}
	if code, _ := signIn("ann", "correct horse battery"); code != http.StatusUnauthorized {
		t.Errorf("ann's old password after passwd: %d, want 401", code)
	}
	if code, _ := signIn("ann", "a brand new password"); code != http.StatusSeeOther {
		t.Errorf("ann's new password: %d", code)
	}
	if out, err := admin("", "remove", "bo"); err != nil || !strings.Contains(out, "removed bo") {
		t.Fatalf("admin remove bo: %v\n%s", err, out)
	}
	if c := get("/admin/", bo); c != http.StatusSeeOther {
		t.Errorf("bo's session after remove: %d, want 303 to sign in", c)
	}
	if out, _ := admin("", "list"); strings.Contains(out, "bo") {
		t.Errorf("admin list after remove:\n%s", out)
	}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
