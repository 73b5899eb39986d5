package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// TestCORSForTheJSONSignup: a page of a configured origin may ask (the
// preflight) and then POST JSON to /subscribe and read the reply; another
// origin's preflight is refused, and its POST's reply carries no CORS
// header, so its browser keeps it from the page.
func TestCORSForTheJSONSignup(t *testing.T) {
	e := newSubscribeEnv(t)
	e.subs.CORSOrigins = []string{"https://friends.example"}
	do := func(method, origin, body string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+"/subscribe", strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	pre := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

	r := do(http.MethodOptions, "https://friends.example", "", pre)
	if r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "https://friends.example" ||
		r.Header.Get("Access-Control-Allow-Methods") != "POST" || !strings.EqualFold(r.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight of a configured origin: %d %v", r.StatusCode, r.Header)
	}
	for _, origin := range []string{"https://evil.example", "https://friends.example.evil.example", "null"} {
		r := do(http.MethodOptions, origin, "", pre)
		if r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight of %s: %d, Allow-Origin %q", origin, r.StatusCode, r.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	// Another method than POST is not offered.
	if r := do(http.MethodOptions, "https://friends.example", "", map[string]string{"Access-Control-Request-Method": "DELETE"}); r.StatusCode != http.StatusForbidden {
		t.Errorf("preflight for DELETE: %d", r.StatusCode)
	}

	json := map[string]string{"Content-Type": "application/json"}
	r = do(http.MethodPost, "https://friends.example", `{"email":"cors@example.org","name":"Cora"}`, json)
	if r.StatusCode != http.StatusAccepted || r.Header.Get("Access-Control-Allow-Origin") != "https://friends.example" ||
		!strings.Contains(r.Header.Get("Vary"), "Origin") {
		t.Errorf("POST from a configured origin: %d %v", r.StatusCode, r.Header)
	}
	r = do(http.MethodPost, "https://evil.example", `{"email":"evil@example.org"}`, json)
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("POST from another origin answered with Allow-Origin %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	e.drain(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		sub, err := e.st.SubscriberByEmail(context.Background(), "cors@example.org")
		if err == nil && sub.Status == store.StatusPending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the embedded form's sign-up: %+v %v", sub, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPreferencesPage chooses the weekly digest and a pause on the
// preferences page, as its form posts them, and is refused a pause in the
// past and a forged link.
func TestPreferencesPage(t *testing.T) {
	e := newSubscribeEnv(t)
	ctx := context.Background()
	if _, _, err := e.st.AddSubscriber(ctx, "pat@example.org", "Pat", store.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	token := e.nl.PreferencesToken("pat@example.org")
	if r, b := e.get(t, "/preferences?token="+token); r.StatusCode != 200 || !strings.Contains(b, "pat@example.org") || !strings.Contains(b, `value="issue" checked`) {
		t.Fatalf("GET: %d\n%s", r.StatusCode, b)
	}
	until := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	r, b := e.post(t, "/preferences", "application/x-www-form-urlencoded", "token="+token+"&cadence=weekly&pause_until="+until)
	if r.StatusCode != 200 || !strings.Contains(b, "Saved") || !strings.Contains(b, `value="weekly" checked`) || !strings.Contains(b, until) {
		t.Fatalf("POST: %d\n%s", r.StatusCode, b)
	}
	sub, _ := e.st.SubscriberByEmail(ctx, "pat@example.org")
	if sub.Cadence != store.CadenceWeekly || sub.PausedUntil.Format("2006-01-02") != until {
		t.Errorf("stored %q until %v", sub.Cadence, sub.PausedUntil)
	}
	// Back to every issue, no pause.
	if r, _ := e.post(t, "/preferences", "application/x-www-form-urlencoded", "token="+token+"&cadence=issue&pause_until="); r.StatusCode != 200 {
		t.Errorf("resume: %d", r.StatusCode)
	}
	if sub, _ := e.st.SubscriberByEmail(ctx, "pat@example.org"); sub.Cadence != store.CadenceIssue || !sub.PausedUntil.IsZero() {
		t.Errorf("after resuming: %q until %v", sub.Cadence, sub.PausedUntil)
	}
	for body, want := range map[string]string{
		"token=" + token + "&cadence=issue&pause_until=2020-01-01": "within a year",
		"token=" + token + "&cadence=monthly":                      "every issue or the weekly digest",
		"token=" + token + "&cadence=issue&pause_until=tomorrow":   "as a day",
	} {
		if r, b := e.post(t, "/preferences", "application/x-www-form-urlencoded", body); r.StatusCode != http.StatusBadRequest || !strings.Contains(b, want) {
			t.Errorf("%s: %d, want 400 saying %q", body, r.StatusCode, want)
		}
	}
	// An unsubscribe token is no preferences token.
	if r, _ := e.get(t, "/preferences?token="+e.nl.UnsubscribeToken("pat@example.org")); r.StatusCode != http.StatusBadRequest {
		t.Errorf("an unsubscribe token opened the preferences: %d", r.StatusCode)
	}
	// The unsubscribe page offers the preferences instead.
	if _, b := e.get(t, "/unsubscribe?token="+e.nl.UnsubscribeToken("pat@example.org")); !strings.Contains(b, "/preferences?token=") {
		t.Errorf("the unsubscribe page does not link the preferences")
	}
}
