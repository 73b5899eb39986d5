package bulletin

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulletin-app/bulletin/server"
	"github.com/bulletin-app/bulletin/store"
)

// TestWebhooksFromConfig: the webhooks config sets up are the ones served,
// and a signed post acts on the store (found by the recipient's address,
// the source being authenticated) while a forged one changes nothing.
func TestWebhooksFromConfig(t *testing.T) {
	ctx := context.Background()
	app, _ := newTestApp(t, "examples/articles", "newsletter:\n  bounces:\n    webhooks:\n      postmark:\n        secret: a shared secret\n")
	if _, err := app.Run(ctx); err != nil {
		t.Fatal(err)
	}
	o, ok := app.webhookOptions()
	if !ok || o.Postmark == nil || o.SES != nil || o.Mailgun != nil || o.SendGrid != nil {
		t.Fatalf("webhook options %+v, %v", o, ok)
	}
	news, err := app.Newsletter()
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := server.NewWebhooks(news, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	hooks.Routes(mux)
	body, err := os.ReadFile(filepath.Join("newsletter", "bounce", "testdata", "webhooks", "postmark-bounce.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's bounce, for this newsletter's subscriber; its content
	// quotes no Message-ID of this ledger.
	body = bytes.ReplaceAll(body, []byte("john@example.com"), []byte("second@example.org"))
	post := func(secret string) int {
		req := httptest.NewRequest("POST", "/webhooks/postmark", bytes.NewReader(body))
		req.Header.Set(server.PostmarkSecretHeader, secret)
		rr := httptest.NewRecorder()
		mux.ServeHTTP(rr, req)
		return rr.Code
	}
	if code := post("a guessed secret"); code != http.StatusForbidden {
		t.Errorf("forged: %d", code)
	}
	if sub, _ := app.Store.SubscriberByEmail(ctx, "second@example.org"); sub.Status != store.StatusConfirmed {
		t.Errorf("after a forged post: %s", sub.Status)
	}
	if code := post("a shared secret"); code != http.StatusOK {
		t.Errorf("signed: %d", code)
	}
	if sub, _ := app.Store.SubscriberByEmail(ctx, "second@example.org"); sub.Status != store.StatusBounced {
		t.Errorf("after a signed post: %s", sub.Status)
	}
	if sub, _ := app.Store.SubscriberByEmail(ctx, "reader@example.com"); sub.Status != store.StatusConfirmed {
		t.Errorf("another subscriber: %s", sub.Status)
	}
}
