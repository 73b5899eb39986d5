package mailtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// Mailpit is a Mailpit server the test started, on free loopback ports,
// stopped when the test ends.
type Mailpit struct {
	SMTPPort int
	API      string // http://127.0.0.1:PORT
}

// StartMailpit starts mailpit and waits until it is ready.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin := testtool.Need(t, "mailpit")[0]
	smtpPort, httpPort := FreePort(t), FreePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-auth-allow-insecure")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	m := &Mailpit{SMTPPort: smtpPort, API: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(m.API + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MessageSummary is a message in Mailpit's list.
type MessageSummary struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Name    string `json:"Name"`
		Address string `json:"Address"`
	} `json:"To"`
}

// Messages lists what Mailpit holds, newest first.
func (m *Mailpit) Messages(t testing.TB) []MessageSummary {
	t.Helper()
	var list struct {
		Total    int              `json:"total"`
		Messages []MessageSummary `json:"messages"`
	}
	m.GetJSON(t, "/api/v1/messages", &list)
	return list.Messages
}

// Raw returns a message as Mailpit received it.
func (m *Mailpit) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return m.get(t, "/api/v1/message/"+id+"/raw")
}

// HTMLCheck is Mailpit's verdict on a message's HTML against email
// clients (caniemail.com data), in percent.
type HTMLCheck struct {
	Total struct {
		Tests       int     `json:"Tests"`
		Nodes       int     `json:"Nodes"`
		Supported   float64 `json:"Supported"`
		Partial     float64 `json:"Partial"`
		Unsupported float64 `json:"Unsupported"`
	} `json:"Total"`
	Warnings []struct {
		Slug  string `json:"Slug"`
		Score struct {
			Found       int     `json:"Found"`
			Supported   float64 `json:"Supported"`
			Partial     float64 `json:"Partial"`
			Unsupported float64 `json:"Unsupported"`
		} `json:"Score"`
	} `json:"Warnings"`
}

// HTMLCheck runs Mailpit's html-check on a message.
func (m *Mailpit) HTMLCheck(t testing.TB, id string) HTMLCheck {
	t.Helper()
	var c HTMLCheck
	m.GetJSON(t, "/api/v1/message/"+id+"/html-check", &c)
	return c
}

// GetJSON decodes the API's answer at path into v.
func (m *Mailpit) GetJSON(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(m.get(t, path), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func (m *Mailpit) get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := http.Get(m.API + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	return b
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
