package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// subscribersCSV writes m subscribers, every other one with a name.
func (b *bench) subscribersCSV(m int) (string, error) {
	name := filepath.Join(b.work, fmt.Sprintf("subscribers-%d.csv", m))
	if _, err := os.Stat(name); err == nil {
		return name, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	w.WriteString("email,name\n")
	for i := range m {
		if i%2 == 0 {
			fmt.Fprintf(w, "reader%06d@example.org,Reader %d\n", i+1, i+1)
		} else {
			fmt.Fprintf(w, "reader%06d@example.org,\n", i+1)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	return name, f.Close()
}

// importInto imports m confirmed subscribers into the state.
func (b *bench) importInto(bin *binary, dir, cfg string, m int) (sample, error) {
	csv, err := b.subscribersCSV(m)
	if err != nil {
		return sample{}, err
	}
	return b.cmd(bin, dir, cfg, "subscribers", "import", "--confirmed", csv)
}

func (b *bench) importRow() error {
	for _, m := range b.subs {
		row := fmt.Sprintf("subscribers import, %s", size(m))
		for range b.runs {
			for _, bin := range b.bins {
				dir, cfg, err := b.state("import", bin, config{subscribers: []string{}})
				if err != nil {
					return err
				}
				s, err := b.importInto(bin, dir, cfg, m)
				if err != nil {
					return err
				}
				b.res.addSample(row, bin.name, s)
				b.res.add(row, bin.name, "rows/s", float64(m)/s.wall.Seconds())
				os.RemoveAll(dir)
			}
		}
		log.Printf("%s: %s", row, summary(b.res.vals(row, b.bins[len(b.bins)-1].name, "rows/s")))
	}
	return nil
}

func (b *bench) listRow() error {
	for _, m := range b.subs {
		states := map[string][2]string{}
		for _, bin := range b.bins {
			dir, cfg, err := b.state("list", bin, config{subscribers: []string{}})
			if err != nil {
				return err
			}
			if _, err := b.importInto(bin, dir, cfg, m); err != nil {
				return err
			}
			states[bin.name] = [2]string{dir, cfg}
		}
		list := fmt.Sprintf("subscribers list, %s", size(m))
		export := fmt.Sprintf("subscribers export, %s", size(m))
		ratio := fmt.Sprintf("list / export, %s", size(m))
		for range b.runs {
			for _, bin := range b.bins {
				dir, cfg := states[bin.name][0], states[bin.name][1]
				l, err := b.cmd(bin, dir, cfg, "subscribers", "list")
				if err != nil {
					return err
				}
				e, err := b.cmd(bin, dir, cfg, "subscribers", "export")
				if err != nil {
					return err
				}
				b.res.addSample(list, bin.name, l)
				b.res.addSample(export, bin.name, e)
				b.res.add(ratio, bin.name, "ratio", l.wall.Seconds()/e.wall.Seconds())
			}
		}
		for _, s := range states {
			os.RemoveAll(s[0])
		}
		log.Printf("%s: %s", ratio, summary(b.res.vals(ratio, b.bins[len(b.bins)-1].name, "ratio")))
	}
	return nil
}

// freshRow: run on N articles into an empty store, with each binary's
// defaults (the default subscriber, mail to the outbox).
func (b *bench) freshRow() error {
	for _, n := range b.articles {
		row := fmt.Sprintf("fresh run, %s articles", size(n))
		for range b.runs {
			for _, bin := range b.bins {
				dir, cfg, err := b.state("fresh", bin, config{})
				if err != nil {
					return err
				}
				if err := b.linkArticles(filepath.Join(dir, "articles"), 0, n); err != nil {
					return err
				}
				s, err := b.cmd(bin, dir, cfg, "run")
				if err != nil {
					return err
				}
				b.res.addSample(row, bin.name, s)
				os.RemoveAll(dir)
			}
		}
		log.Printf("%s: %s s", row, summary(b.res.vals(row, b.bins[len(b.bins)-1].name, "s")))
	}
	b.ratios("fresh run", "articles", b.articles)
	return nil
}

// ratios adds, for each binary, the ratio of the median wall time at the
// largest size to that at the smallest.
func (b *bench) ratios(prefix, what string, sizes []int) {
	if len(sizes) < 2 {
		return
	}
	lo, hi := slices.Min(sizes), slices.Max(sizes)
	for _, bin := range b.bins {
		a := median(b.res.vals(fmt.Sprintf("%s, %s %s", prefix, size(lo), what), bin.name, "s"))
		z := median(b.res.vals(fmt.Sprintf("%s, %s %s", prefix, size(hi), what), bin.name, "s"))
		if a > 0 {
			b.res.add(fmt.Sprintf("%s, %s → %s %s (%.0f× the size)", prefix, size(lo), size(hi), what, float64(hi)/float64(lo)), bin.name, "ratio", z/a)
		}
	}
}

// historyRow builds a history of N articles in one unlimited issue and
// times what comes after it.
func (b *bench) historyRow() error {
	n := slices.Max(b.articles)
	fresh := fmt.Sprintf("history: fresh run, unlimited issue, %s articles", size(n))
	nothing := fmt.Sprintf("history: run with nothing new, %s articles", size(n))
	one := fmt.Sprintf("history: run with one new article, %s articles", size(n))
	serve := fmt.Sprintf("history: serve start-up to the first GET /feed.atom, %s articles", size(n))
	for r := range b.runs {
		for _, bin := range b.bins {
			dir, cfg, err := b.state("history", bin, config{unlimited: true})
			if err != nil {
				return err
			}
			articles := filepath.Join(dir, "articles")
			if err := b.linkArticles(articles, 0, n); err != nil {
				return err
			}
			s, err := b.cmd(bin, dir, cfg, "run")
			if err != nil {
				return err
			}
			b.res.addSample(fresh, bin.name, s)
			if s, err = b.cmd(bin, dir, cfg, "run"); err != nil {
				return err
			}
			b.res.addSample(nothing, bin.name, s)
			if err := b.linkArticles(articles, n+r, n+r+1); err != nil {
				return err
			}
			if s, err = b.cmd(bin, dir, cfg, "run"); err != nil {
				return err
			}
			b.res.addSample(one, bin.name, s)
			first, rss, err := b.serveStart(bin, dir, cfg)
			if err != nil {
				return err
			}
			b.res.add(serve, bin.name, "s", first.Seconds())
			b.res.add(serve, bin.name, "MB", float64(rss)/1e6)
			os.RemoveAll(dir)
			log.Printf("history %s: fresh %.1fs, nothing new %.2fs, one new %.2fs, serve %.2fs %.0f MB",
				bin.name, b.res.vals(fresh, bin.name, "s")[r], b.res.vals(nothing, bin.name, "s")[r],
				b.res.vals(one, bin.name, "s")[r], first.Seconds(), float64(rss)/1e6)
		}
	}
	return nil
}

// history30Row builds, with the first binary that knows digest.max_entries,
// a history of N articles in issues of 30 (the default), by running run
// until no issue is left to build, and then times the rows of historyRow
// on a copy of it for each binary: a history as a newsletter makes it,
// with an archive of hundreds of issues.
func (b *bench) history30Row() error {
	n := slices.Max(b.articles)
	var builder *binary
	for _, bin := range b.bins {
		if bin.limits {
			builder = bin
			break
		}
	}
	if builder == nil {
		log.Printf("history30: no binary knows digest.max_entries; row skipped")
		return nil
	}
	dir, cfg, issues, err := b.history30(builder, n)
	if err != nil {
		return err
	}
	label := fmt.Sprintf("%s articles in %d issues", size(n), issues)
	nothing := "history30: run with nothing new, " + label
	one := "history30: run with one new article, " + label
	serve := "history30: serve start-up to the first GET /feed.atom, " + label
	for r := range b.runs {
		for _, bin := range b.bins {
			cdir := filepath.Join(b.work, "states", fmt.Sprintf("history30-%s-%d", bin.name, r))
			for _, sub := range []string{"data", "public"} {
				if err := copyDir(filepath.Join(cdir, sub), filepath.Join(dir, sub)); err != nil {
					return err
				}
			}
			ccfg := filepath.Join(cdir, "config.yaml")
			body, err := os.ReadFile(cfg)
			if err != nil {
				return err
			}
			if err := os.WriteFile(ccfg, body, 0o644); err != nil {
				return err
			}
			articles := filepath.Join(cdir, "articles")
			if err := b.linkArticles(articles, 0, n); err != nil {
				return err
			}
			s, err := b.cmd(bin, cdir, ccfg, "run")
			if err != nil {
				return err
			}
			b.res.addSample(nothing, bin.name, s)
			if err := b.linkArticles(articles, n+r, n+r+1); err != nil {
				return err
			}
			if s, err = b.cmd(bin, cdir, ccfg, "run"); err != nil {
				return err
			}
			b.res.addSample(one, bin.name, s)
			first, rss, err := b.serveStart(bin, cdir, ccfg)
			if err != nil {
				return err
			}
			b.res.add(serve, bin.name, "s", first.Seconds())
			b.res.add(serve, bin.name, "MB", float64(rss)/1e6)
			log.Printf("history30 %s: nothing new %.2fs, one new %.2fs, serve %.2fs %.0f MB", bin.name,
				b.res.vals(nothing, bin.name, "s")[r], b.res.vals(one, bin.name, "s")[r], first.Seconds(), float64(rss)/1e6)
			os.RemoveAll(cdir)
		}
	}
	if b.history != "" {
		return nil
	}
	return os.RemoveAll(dir)
}

// history30 builds the history of the history30 row with builder, or,
// with -history, reuses the one built there before: dir holds its data,
// public and articles folders, cfg its config.
func (b *bench) history30(builder *binary, n int) (dir, cfg string, issues int, err error) {
	if b.history != "" {
		dir, cfg = b.history, filepath.Join(b.history, "config.yaml")
		if body, err := os.ReadFile(filepath.Join(dir, "built")); err == nil {
			var built int
			if _, err := fmt.Sscanf(string(body), "%d articles in %d issues", &built, &issues); err != nil || built != n {
				return "", "", 0, fmt.Errorf("%s holds a history of %q, not of %d articles: remove it to build another", dir, body, n)
			}
			log.Printf("history30: reusing %s (%s)", dir, body)
			return dir, cfg, issues, nil
		}
		if err := os.MkdirAll(filepath.Join(dir, "articles"), 0o755); err != nil {
			return "", "", 0, err
		}
		if cfg, err = b.writeConfig(dir, "config.yaml", builder, config{}); err != nil {
			return "", "", 0, err
		}
	} else if dir, cfg, err = b.state("history30-build", builder, config{}); err != nil {
		return "", "", 0, err
	}
	if err := b.linkArticles(filepath.Join(dir, "articles"), 0, n); err != nil {
		return "", "", 0, err
	}
	start := time.Now()
	for {
		var out strings.Builder
		if _, err := run(builder.path, []string{"--config", cfg, "run"}, runOpts{dir: dir, stdout: &out, log: b.log(dir)}); err != nil {
			return "", "", 0, err
		}
		if !strings.Contains(out.String(), "issue: #") {
			break
		}
		issues++
	}
	log.Printf("history30: %d issues built by %s in %s", issues, builder.name, time.Since(start).Round(time.Second))
	if b.history != "" {
		err = os.WriteFile(filepath.Join(dir, "built"), fmt.Appendf(nil, "%d articles in %d issues", n, issues), 0o644)
	}
	return dir, cfg, issues, err
}

// serveStart starts serve and times its first answer to GET /feed.atom;
// rss is the peak resident set until then.
func (b *bench) serveStart(bin *binary, dir, cfg string) (time.Duration, int64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin.path, "--config", cfg, "serve", "--addr", addr)
	cmd.Dir = dir
	logf, err := os.OpenFile(b.log(dir), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, 0, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	client := &http.Client{Timeout: 30 * time.Second}
	for deadline := start.Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		resp, err := client.Get("http://" + addr + "/feed.atom")
		if err != nil {
			continue
		}
		resp.Body.Close()
		elapsed := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			return 0, 0, fmt.Errorf("serve: GET /feed.atom: %s", resp.Status)
		}
		return elapsed, peakRSS(cmd.Process.Pid), nil
	}
	return 0, 0, fmt.Errorf("serve did not answer on %s", addr)
}
