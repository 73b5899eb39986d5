// Command screenshots makes the pictures of bulletin in docs/screenshots:
// it builds the real binary, runs it on the example articles (two issues,
// a subscriber who signs up through the form, confirms and opens their
// preferences), serves it, and has headless Chromium take each public
// page and each email at 1280 and 390 pixels wide, and the archive and an
// issue in the dark theme too.
//
//	go run ./cmd/screenshots [-out docs/screenshots]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bulletin-app/bulletin/internal/browsertest"
)

func main() {
	out := flag.String("out", "docs/screenshots", "where the PNG files go")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(out string) error {
	chromium := browsertest.Chromium()
	if chromium == "" {
		return fmt.Errorf("chromium is not installed")
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bulletin-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "bulletin")
	if err := sh(repo, "go", "build", "-o", bin, "./cmd/bulletin"); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	site := fmt.Sprintf("http://127.0.0.1:%d/", port)
	articles := filepath.Join(work, "articles")
	os.Mkdir(articles, 0o755)
	config := fmt.Sprintf(`site:
  title: The Town Crier
  description: Our town's week, in five minutes.
  url: %s
sources:
  - name: Example News
    folder: %s
subscribers:
  - Example Reader <reader@example.com>
newsletter:
  from: The Town Crier <news@example.org>
log:
  level: warn
`, site, articles)
	if err := os.WriteFile(filepath.Join(work, "config.yaml"), []byte(config), 0o644); err != nil {
		return err
	}
	// Two issues: the first three example articles, then the rest.
	files, _ := filepath.Glob(filepath.Join(repo, "examples", "articles", "*"))
	sort.Strings(files)
	for i, batch := range [][]string{files[:min(3, len(files))], files[min(3, len(files)):]} {
		for _, f := range batch {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			os.WriteFile(filepath.Join(articles, filepath.Base(f)), b, 0o644)
		}
		if err := sh(work, bin, "run"); err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
	}
	serve := exec.Command(bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-addr", "off")
	serve.Dir, serve.Stderr = work, os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
	if err := waitUp(site + "healthz"); err != nil {
		return err
	}

	br, err := browsertest.Start(chromium, work)
	if err != nil {
		return err
	}
	defer br.Close()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	shoot := func(name string, dark bool) error {
		for _, w := range []int{1280, 390} {
			if err := br.Theme(dark, w); err != nil {
				return err
			}
			time.Sleep(200 * time.Millisecond)
			file := filepath.Join(out, fmt.Sprintf("%s-%d.png", name, w))
			if dark {
				file = filepath.Join(out, fmt.Sprintf("%s-dark-%d.png", name, w))
			}
			if err := br.Screenshot(file); err != nil {
				return err
			}
			fmt.Println(file)
		}
		return br.Theme(false, 1280)
	}
	visit := func(name, u string, dark bool) error {
		if err := br.Do(chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := shoot(name, false); err != nil {
			return err
		}
		if dark {
			return shoot(name, true)
		}
		return nil
	}
	outbox := filepath.Join(work, "outbox")
	if err := visit("archive", site, true); err != nil {
		return err
	}
	if err := visit("issue", site+"issues/2/", true); err != nil {
		return err
	}
	if err := showMail(br, visit, work, outbox, "issue-0002-", "email"); err != nil {
		return err
	}
	if err := visit("subscribe", site+"subscribe", false); err != nil {
		return err
	}
	// Signing up, as a visitor does.
	if err := br.Do(chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"), chromedp.SendKeys(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS("main button[type=submit]")), chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Check your inbox')]"))); err != nil {
		return err
	}
	if err := shoot("signed-up", false); err != nil {
		return err
	}
	confirm, err := waitMail(outbox, "confirm-")
	if err != nil {
		return err
	}
	link := regexp.MustCompile(`/confirm\?token=[A-Za-z0-9_.%-]+`).FindString(textOf(confirm))
	if err := visit("confirm", site+strings.TrimPrefix(link, "/"), false); err != nil {
		return err
	}
	if err := br.Do(chromedp.Click(chromedp.CSS("main button[type=submit]")), chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Subscribed')]"))); err != nil {
		return err
	}
	if err := showMail(br, visit, work, outbox, "welcome-", "welcome-email"); err != nil {
		return err
	}
	welcome, _ := waitMail(outbox, "welcome-")
	prefs := regexp.MustCompile(`/preferences\?token=[A-Za-z0-9_.%-]+`).FindString(textOf(welcome))
	if err := visit("preferences", site+strings.TrimPrefix(prefs, "/"), false); err != nil {
		return err
	}
	unsub := regexp.MustCompile(`/unsubscribe\?token=[A-Za-z0-9_.%-]+`).FindString(textOf(welcome))
	return visit("unsubscribe", site+strings.TrimPrefix(unsub, "/"), false)
}

// showMail writes the HTML part of the outbox's message whose file name
// starts with prefix to a file, and shoots it as a mail client shows it.
func showMail(br *browsertest.Browser, visit func(string, string, bool) error, work, outbox, prefix, name string) error {
	raw, err := waitMail(outbox, prefix)
	if err != nil {
		return err
	}
	html := part(raw, "text/html")
	file := filepath.Join(work, name+".html")
	if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
		return err
	}
	return visit(name, (&url.URL{Scheme: "file", Path: file}).String(), false)
}

func waitMail(dir, prefix string) ([]byte, error) {
	for range 100 {
		files, _ := filepath.Glob(filepath.Join(dir, prefix+"*.eml"))
		if len(files) > 0 {
			sort.Strings(files)
			return os.ReadFile(files[len(files)-1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("no %s*.eml in %s", prefix, dir)
}

func textOf(raw []byte) string { return part(raw, "text/plain") }

// part is a message's decoded part of the media type.
func part(raw []byte, mediaType string) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), mediaType) {
			b, _ := io.ReadAll(p)
			return string(b)
		}
	}
}

func sh(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, io.Discard, os.Stderr
	return cmd.Run()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitUp(u string) error {
	for range 100 {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer", u)
}
