package feed

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestPingHub(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", 400)
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("hub.mode") != "publish" {
			http.Error(w, "bad mode", 400)
			return
		}
		topic := r.PostForm.Get("hub.url")
		if strings.Contains(topic, "issues") {
			http.Error(w, "topic not subscribed", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, topic)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hub.Close()

	site := testSite("https://news.example.org/")
	site.Hub = hub.URL + "/"
	set := build(t, site, loadIssues(t))
	if set.Hub() != hub.URL+"/" {
		t.Fatalf("Hub() = %q", set.Hub())
	}
	topics := set.Topics()
	if len(topics) != 6 || topics[0] != "https://news.example.org/feed.atom" {
		t.Fatalf("topics %v", topics)
	}
	err := PingHub(context.Background(), hub.Client(), set.Hub(), topics...)
	if err == nil || !strings.Contains(err.Error(), "issues.atom") || !strings.Contains(err.Error(), "topic not subscribed") {
		t.Errorf("rejected topics not reported: %v", err)
	}
	if strings.Join(got, " ") != "https://news.example.org/feed.atom https://news.example.org/feed.rss https://news.example.org/feed.json" {
		t.Errorf("hub received %v", got)
	}
	if err := PingHub(context.Background(), nil, hub.URL, "https://news.example.org/feed.rss"); err != nil {
		t.Errorf("accepted ping: %v", err)
	}
	hub.Close()
	if err := PingHub(context.Background(), nil, hub.URL, "https://news.example.org/feed.rss"); err == nil {
		t.Error("no error from a hub that is down")
	}
}
