package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/bulletin-app/bulletin/internal/newsgen"
)

// sendEntries is the size of the issue sent: a realistic issue, not a toy.
const sendEntries = 20

// startSink runs Postfix's smtp-sink on a free port until stop is called.
func startSink() (port int, stop func(), err error) {
	bin, err := exec.LookPath("smtp-sink")
	if err != nil {
		return 0, nil, errors.New("smtp-sink not found: install Debian's postfix package (its daemon is not needed)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// -u: the user to run as when started as root; 1024: listen backlog.
	cmd := exec.Command(bin, "-u", "nobody", addr, "1024")
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return port, stop, nil
		}
	}
	stop()
	return 0, nil, errors.New("smtp-sink did not start listening")
}

// sendState is a store with a 20-entry issue and m confirmed subscribers,
// kept pristine: each run sends from a fresh copy of it.
type sendState struct {
	dir, cfgSMTP string
	pristine     string
	sample       string // one message as bulletin sends it, .eml
}

func (b *bench) sendState(bin *binary, m, port int) (*sendState, error) {
	dir, cfg, err := b.state("send", bin, config{subscribers: []string{}})
	if err != nil {
		return nil, err
	}
	as, err := b.model.Generate(sendEntries, newsgen.Options{Seed: 2, CopyRate: -1})
	if err != nil {
		return nil, err
	}
	for i, a := range as {
		if err := os.WriteFile(filepath.Join(dir, "articles", fmt.Sprintf("s-%02d.md", i+1)), a.Markdown(), 0o644); err != nil {
			return nil, err
		}
	}
	if _, err := b.cmd(bin, dir, cfg, "run"); err != nil {
		return nil, err
	}
	if _, err := b.importInto(bin, dir, cfg, m); err != nil {
		return nil, err
	}
	if _, err := b.cmd(bin, dir, cfg, "send", "--issue", "1", "--to", "sample@example.org"); err != nil {
		return nil, err
	}
	emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if len(emls) != 1 {
		return nil, fmt.Errorf("send --to wrote %d messages to the outbox, want 1", len(emls))
	}
	st := &sendState{dir: dir, sample: emls[0], pristine: filepath.Join(dir, "pristine")}
	if err := copyDir(st.pristine, filepath.Join(dir, "data")); err != nil {
		return nil, err
	}
	st.cfgSMTP, err = b.writeConfig(dir, "config-smtp.yaml", bin, config{subscribers: []string{}, smtpPort: port})
	return st, err
}

var sentRE = regexp.MustCompile(`issue 1: (\d+) sent`)

func (b *bench) sendOnce(bin *binary, st *sendState, m int) (sample, error) {
	data := filepath.Join(st.dir, "data")
	if err := os.RemoveAll(data); err != nil {
		return sample{}, err
	}
	if err := copyDir(data, st.pristine); err != nil {
		return sample{}, err
	}
	var out bytes.Buffer
	s, err := run(bin.path, []string{"--config", st.cfgSMTP, "send", "--issue", "1"}, runOpts{dir: st.dir, stdout: &out, log: b.log(st.dir)})
	if err != nil {
		return s, err
	}
	if sm := sentRE.FindStringSubmatch(out.String()); sm == nil || sm[1] != strconv.Itoa(m) {
		return s, fmt.Errorf("send: %q, want %d sent", strings.TrimSpace(out.String()), m)
	}
	return s, nil
}

func (b *bench) sendRow() error {
	port, stop, err := startSink()
	if err != nil {
		return err
	}
	defer stop()
	source, err := exec.LookPath("smtp-source")
	if err != nil {
		return errors.New("smtp-source not found: install Debian's postfix package")
	}
	for _, m := range b.sendSubs {
		states := map[string]*sendState{}
		for _, bin := range b.bins {
			st, err := b.sendState(bin, m, port)
			if err != nil {
				return err
			}
			states[bin.name] = st
		}
		rcpts := make([]string, m)
		for i := range rcpts {
			rcpts[i] = fmt.Sprintf("reader%06d@example.org", i+1)
		}
		// The baselines do not depend on the binary: each run times them
		// once, beside every binary's send, and each send is compared with
		// the baselines of its own run.
		msg, err := readSample(states[b.bins[0].name].sample)
		if err != nil {
			return err
		}
		bareRow := fmt.Sprintf("bare go-mail loop, %s messages of %.1f KB", size(m), float64(msg.size)/1000)
		srcRow := fmt.Sprintf("smtp-source, %s messages of %.1f KB", size(m), float64(msg.size)/1000)
		for r := range b.runs {
			bare, err := bareLoop(port, b.conns, rcpts, msg)
			if err != nil {
				return err
			}
			b.res.add(bareRow, "(baseline)", "s", bare.Seconds())
			b.res.add(bareRow, "(baseline)", "msgs/s", float64(m)/bare.Seconds())
			src, err := smtpSource(source, port, b.conns, m, msg)
			if err != nil {
				return err
			}
			b.res.add(srcRow, "(baseline)", "s", src.Seconds())
			b.res.add(srcRow, "(baseline)", "msgs/s", float64(m)/src.Seconds())
			for _, bin := range b.bins {
				st := states[bin.name]
				own, err := readSample(st.sample)
				if err != nil {
					return err
				}
				row := fmt.Sprintf("send, %s subscribers, %.1f KB messages", size(m), float64(own.size)/1000)
				s, err := b.sendOnce(bin, st, m)
				if err != nil {
					return err
				}
				b.res.addSample(row, bin.name, s)
				b.res.add(row, bin.name, "msgs/s", float64(m)/s.wall.Seconds())
				b.res.add(fmt.Sprintf("send / bare go-mail loop, %s", size(m)), bin.name, "ratio", bare.Seconds()/s.wall.Seconds())
				b.res.add(fmt.Sprintf("send / smtp-source, %s", size(m)), bin.name, "ratio", src.Seconds()/s.wall.Seconds())
				log.Printf("send %s, %s, run %d: %.0f msgs/s; bare loop %.0f; smtp-source %.0f", bin.name, size(m), r+1,
					float64(m)/s.wall.Seconds(), float64(m)/bare.Seconds(), float64(m)/src.Seconds())
			}
		}
		for _, st := range states {
			os.RemoveAll(st.dir)
		}
	}
	return nil
}

// sampleMsg is the message bulletin sent, taken apart for the bare loop.
type sampleMsg struct {
	from, subject string
	text, html    string
	raw           []byte // with LF line ends, for smtp-source
	size          int
}

func readSample(path string) (sampleMsg, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return sampleMsg{}, err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return sampleMsg{}, err
	}
	var dec mime.WordDecoder
	subject, _ := dec.DecodeHeader(m.Header.Get("Subject"))
	s := sampleMsg{from: m.Header.Get("From"), subject: subject, size: len(raw),
		raw: bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return sampleMsg{}, err
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sampleMsg{}, err
		}
		body, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			return sampleMsg{}, err
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			s.text = string(body)
		case "text/html":
			s.html = string(body)
		}
	}
	if s.text == "" || s.html == "" {
		return sampleMsg{}, fmt.Errorf("%s: want a text and an HTML part", path)
	}
	return s, nil
}

// bareLoop sends one message per recipient with go-mail alone: built,
// then sent with SendWithSMTPClient over conns connections, no ledger.
func bareLoop(port, conns int, rcpts []string, m sampleMsg) (time.Duration, error) {
	client, err := gomail.NewClient("127.0.0.1", gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS),
		gomail.WithoutNoop(), gomail.WithoutRset(), gomail.WithTimeout(30*time.Second))
	if err != nil {
		return 0, err
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			c, err := client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				errs[w] = err
				return
			}
			defer client.CloseWithSMTPClient(c)
			for i := w; i < len(rcpts); i += conns {
				msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
				if err := msg.From(m.from); err != nil {
					errs[w] = err
					return
				}
				if err := msg.To(rcpts[i]); err != nil {
					errs[w] = err
					return
				}
				msg.Subject(m.subject)
				msg.SetMessageIDWithValue(fmt.Sprintf("bare.%d@bulletin.example", i))
				msg.SetDate()
				msg.SetBodyString(gomail.TypeTextPlain, m.text)
				msg.AddAlternativeString(gomail.TypeTextHTML, m.html)
				if err := client.SendWithSMTPClient(c, msg); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// smtpSource sends m copies of the message with Postfix's smtp-source,
// over conns sessions that each send one message after another.
func smtpSource(bin string, port, conns, m int, msg sampleMsg) (time.Duration, error) {
	f, err := os.CreateTemp("", "benchrun-*.eml")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	f.Write(msg.raw)
	f.Close()
	args := []string{"-s", strconv.Itoa(conns), "-m", strconv.Itoa(m), "-d", "-F", f.Name(),
		"-f", "bulletin@localhost", "-t", "reader@example.org", fmt.Sprintf("127.0.0.1:%d", port)}
	start := time.Now()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("smtp-source: %v: %s", err, out)
	}
	return time.Since(start), nil
}
