package main

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/bulletin-app/bulletin/internal/newsgen"
)

// clusterRow is the shared send on PostgreSQL: for each subscriber count,
// one database with a 20-entry issue and the subscribers imported (the
// import timed too), then the issue sent by 1, 2, 4… bulletin send
// processes started together against one smtp-sink. Throughput is the
// subscribers over the wall time from the start of the processes to the
// end of the last; memory is each process's peak RSS.
func (b *bench) clusterRow() error {
	if b.postgres == "" {
		return errors.New("the cluster row needs -postgres URL (a role that may create databases), or BULLETIN_TEST_POSTGRES")
	}
	admin, err := sql.Open("pgx", b.postgres)
	if err != nil {
		return err
	}
	defer admin.Close()
	port, stop, err := startSink()
	if err != nil {
		return err
	}
	defer stop()
	bin := b.bins[0]
	for _, m := range b.clusterSubs {
		name := fmt.Sprintf("benchrun_cluster_%d_%d", m, time.Now().UnixNano())
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			return err
		}
		defer admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		u, err := url.Parse(b.postgres)
		if err != nil {
			return err
		}
		u.Path = "/" + name
		dbURL := u.String()
		extra := fmt.Sprintf("database:\n  url: %q\n", dbURL)
		dir, cfg, err := b.state("cluster", bin, config{subscribers: []string{}, smtpPort: port, extra: extra})
		if err != nil {
			return err
		}
		as, err := b.model.Generate(sendEntries, newsgen.Options{Seed: 2, CopyRate: -1})
		if err != nil {
			return err
		}
		for i, a := range as {
			if err := os.WriteFile(filepath.Join(dir, "articles", fmt.Sprintf("s-%02d.md", i+1)), a.Markdown(), 0o644); err != nil {
				return err
			}
		}
		if _, err := b.cmd(bin, dir, cfg, "run"); err != nil {
			return err
		}
		imp, err := b.importInto(bin, dir, cfg, m)
		if err != nil {
			return err
		}
		b.res.addSample(fmt.Sprintf("PostgreSQL: import %s subscribers", size(m)), bin.name, imp)
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			return err
		}
		for r := range b.runs {
			for _, p := range b.workers {
				// A fresh ledger: the same send again.
				if _, err := db.Exec(`DELETE FROM send_chunks WHERE issue_number = 1`); err != nil {
					db.Close()
					return err
				}
				if _, err := db.Exec(`DELETE FROM deliveries WHERE issue_number = 1`); err != nil {
					db.Close()
					return err
				}
				wall, samples, sent, err := b.sendTogether(bin.path, dir, cfg, p)
				if err != nil {
					db.Close()
					return err
				}
				if sent != m {
					db.Close()
					return fmt.Errorf("%d processes sent %d messages in all, want %d", p, sent, m)
				}
				row := fmt.Sprintf("PostgreSQL: send %s subscribers, %d processes", size(m), p)
				b.res.add(row, bin.name, "s", wall.Seconds())
				b.res.add(row, bin.name, "msgs/s", float64(m)/wall.Seconds())
				var peak int64
				var cpu time.Duration
				for _, s := range samples {
					peak = max(peak, s.rss)
					cpu += s.cpu
				}
				b.res.add(row, bin.name, "MB/process", float64(peak)/1e6)
				b.res.add(row, bin.name, "cpu-s", cpu.Seconds())
				log.Printf("cluster %s, %d processes, run %d: %.0f msgs/s, peak %.0f MB per process", size(m), p, r+1, float64(m)/wall.Seconds(), float64(peak)/1e6)
			}
		}
		db.Close()
		os.RemoveAll(dir)
	}
	return nil
}

// sendTogether starts p bulletin send processes at once and waits for
// them all: the wall time from the first start to the last end, each
// one's sample, and how many messages they say they sent together.
func (b *bench) sendTogether(bin, dir, cfg string, p int) (time.Duration, []sample, int, error) {
	samples := make([]sample, p)
	outs := make([]bytes.Buffer, p)
	errs := make([]error, p)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range p {
		wg.Go(func() {
			samples[i], errs[i] = run(bin, []string{"--config", cfg, "send", "--issue", "1"}, runOpts{dir: dir, stdout: &outs[i], log: b.log(dir)})
		})
	}
	wg.Wait()
	wall := time.Since(start)
	sent := 0
	for i := range p {
		if errs[i] != nil {
			return 0, nil, 0, errs[i]
		}
		sm := sentRE.FindStringSubmatch(outs[i].String())
		if sm == nil {
			return 0, nil, 0, fmt.Errorf("send printed no summary: %q", outs[i].String())
		}
		n, _ := strconv.Atoi(sm[1])
		sent += n
	}
	return wall, samples, sent, nil
}
