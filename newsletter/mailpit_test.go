package newsletter

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// TestMailpit sends an issue through Mailpit, a real mail server with an
// HTTP API, and checks what arrived: one message per subscriber, both parts,
// the list headers and a DKIM signature.
func TestMailpit(t *testing.T) {
	bin := testtool.Need(t, "mailpit")[0]
	ctx := context.Background()
	smtpPort, httpPort := freePort(t), freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-auth-allow-insecure")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	api := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(api + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}

	st := openStore(t)
	emails := addSubscribers(t, st, 3)
	keyFile := writeDKIMKey(t)
	o := testOptions(t)
	o.OutboxDir = ""
	o.SMTP = SMTP{Host: "127.0.0.1", Port: smtpPort, TLS: "none"}
	o.DKIM = DKIM{KeyFile: keyFile, Selector: "mail"}
	n := newTestNewsletter(t, st, o)
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 3 {
		rows, _ := st.Deliveries(ctx, 1, "failed", false, 0, 1)
		t.Fatalf("send: %+v %v %+v", sum, err, rows)
	}
	if sum, err := n.Send(ctx, SendRequest{}); err != nil || sum.Sent != 0 {
		t.Fatalf("second send: %+v %v", sum, err)
	}

	var list struct {
		Total    int `json:"total"`
		Messages []struct {
			ID string `json:"ID"`
			To []struct {
				Address string `json:"Address"`
			} `json:"To"`
		} `json:"messages"`
	}
	getJSON(t, api+"/api/v1/messages", &list)
	if list.Total != 3 {
		t.Fatalf("mailpit holds %d messages, want 3", list.Total)
	}
	got := map[string]int{}
	for _, m := range list.Messages {
		got[m.To[0].Address]++
		var msg struct {
			HTML, Text string
		}
		getJSON(t, api+"/api/v1/message/"+m.ID, &msg)
		if !strings.Contains(msg.HTML, "View in browser") || !strings.Contains(msg.Text, "Unsubscribe: https://bulletin.example/unsubscribe?token=") {
			t.Errorf("message %s lacks its HTML or text part", m.ID)
		}
		var h map[string][]string
		getJSON(t, api+"/api/v1/message/"+m.ID+"/headers", &h)
		for _, name := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "Dkim-Signature", "Message-Id", "Precedence"} {
			if len(h[name]) == 0 {
				t.Errorf("message %s has no %s header (has %v)", m.ID, name, keys(h))
			}
		}
	}
	for _, e := range emails {
		if got[e] != 1 {
			t.Errorf("%s received %d messages", e, got[e])
		}
	}
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
