package bulletin

import "testing"

func TestSiteURLMismatch(t *testing.T) {
	for _, tc := range []struct {
		site, listen string
		warn         bool
	}{
		{"http://localhost:8080/", "127.0.0.1:8080", false},
		{"http://localhost:8080/", "127.0.0.1:9090", true}, // serve --addr 127.0.0.1:9090
		{"http://127.0.0.1:8080/", "[::]:8080", false},
		{"http://localhost/", "127.0.0.1:80", false},
		{"http://localhost/", "127.0.0.1:8080", true},
		{"http://localhost:8080/", "192.0.2.7:8080", true},     // links lead to this machine's loopback, not the address served
		{"https://news.example.org/", "127.0.0.1:8080", false}, // behind a reverse proxy
		{"http://news.example.org:8080/", "127.0.0.1:9090", false},
	} {
		if got := siteURLMismatch(tc.site, tc.listen) != ""; got != tc.warn {
			t.Errorf("site %s, listening on %s: warn %v, want %v", tc.site, tc.listen, got, tc.warn)
		}
	}
}
