package bulletin

import (
	"bufio"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
)

// TestBadSecretFileIsReportedByItsPath: an empty or short data/secret
// (left by a crash or a full disk) stopped every command with
// "newsletter.secret: need at least 16 bytes", naming a config key the
// operator never set. It is now reported by its path, with what to do,
// and left as it is.
func TestBadSecretFileIsReportedByItsPath(t *testing.T) {
	for _, body := range []string{"", "\n", "0123456789abcdef\n", "0123456789abcdef0123456789abcdef\nmore\n"} {
		app, dir := newTestApp(t, "examples/articles", "")
		path := filepath.Join(dir, "data", "secret")
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := app.Newsletter()
		if err == nil {
			t.Fatalf("secret file %q: no error", body)
		}
		msg := err.Error()
		if !strings.Contains(msg, path) || !strings.Contains(msg, "Restore it") || strings.Contains(msg, "newsletter.secret") {
			t.Errorf("secret file %q: %v", body, err)
		}
		if b, _ := os.ReadFile(path); string(b) != body {
			t.Errorf("secret file %q was replaced by %q", body, b)
		}
	}
}

// TestHelperKilledWhileWritingSecret is the child process of
// TestKilledWhileWritingSecret: it makes a key and waits to be killed
// before the key is in place.
func TestHelperKilledWhileWritingSecret(t *testing.T) {
	path := os.Getenv("BULLETIN_KILLED_SECRET")
	if path == "" {
		t.Skip("the child process of TestKilledWhileWritingSecret")
	}
	testHookSecretWritten = func(tmp string) {
		os.Stdout.WriteString("WRITTEN " + tmp + "\n")
		os.Stdout.Sync()
		select {}
	}
	loadOrMakeSecret(path)
}

// TestKilledWhileWritingSecret: a process killed (SIGKILL) while it made
// the key leaves no data/secret at all, not an empty one; the next start
// makes a whole key, synced to disk, and keeps it.
func TestKilledWhileWritingSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledWhileWritingSecret$")
	cmd.Env = append(os.Environ(), "BULLETIN_KILLED_SECRET="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	written := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "WRITTEN ") {
				written <- true
				return
			}
		}
		written <- false
	}()
	select {
	case ok := <-written:
		if !ok {
			t.Fatal("the child ended before writing the key")
		}
	case <-time.After(time.Minute):
		t.Fatal("the child never wrote the key")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		b, _ := os.ReadFile(path)
		t.Fatalf("a killed start left %s (%q, %v); want no file", path, b, err)
	}
	key, err := loadOrMakeSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hex.DecodeString(string(key)); err != nil || len(key) != 64 {
		t.Errorf("new key %q", key)
	}
	again, err := loadOrMakeSecret(path)
	if err != nil || string(again) != string(key) {
		t.Errorf("the key changed on the next start: %q, %v", again, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode())
	}
}

// TestReplicasShareTheDatabasesSecret: on PostgreSQL, apps with data
// folders of their own (replicas on two hosts) sign with one key, the
// first to need one puts in its data folder's key (links sent before keep
// working), and a later one with another file still uses the database's.
func TestReplicasShareTheDatabasesSecret(t *testing.T) {
	pg := testdb.URL(t, testdb.Postgres)
	open := func() (*App, string) {
		dir := t.TempDir()
		cfg, err := LoadConfig(writeConfig(t, dir, "sources:\n  - name: test\n    folder: articles\n"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Database.URL = pg
		app, err := Open(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Close() })
		return app, dir
	}
	first, dir := open()
	old := strings.Repeat("ab", 32)
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "data", "secret"), []byte(old+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := first.secret()
	if err != nil || string(key) != old {
		t.Fatalf("first app: %q, %v; want its data folder's key", key, err)
	}
	second, dir2 := open()
	os.MkdirAll(filepath.Join(dir2, "data"), 0o755)
	os.WriteFile(filepath.Join(dir2, "data", "secret"), []byte(strings.Repeat("cd", 32)+"\n"), 0o600)
	third, _ := open()
	for i, app := range []*App{second, third} {
		if key, err := app.secret(); err != nil || string(key) != old {
			t.Errorf("app %d: %q, %v; want the database's key", i+2, key, err)
		}
	}
}
