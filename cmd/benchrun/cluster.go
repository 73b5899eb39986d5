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
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/bulletin-app/bulletin/internal/newsgen"
)

// clusterRow is the shared send on PostgreSQL: for each subscriber count
// and each binary, one database with a 20-entry issue and the subscribers
// imported (the import timed too), then the issue sent by 1, 2, 4…
// bulletin send processes started together against one smtp-sink, the
// binaries in turn within each run, so that they are compared under the
// same load. Throughput is the subscribers over the wall time from the
// start of the processes to the end of the last; memory is each process's
// peak RSS; "vs FIRST" is the first binary's wall time over this one's, in
// the same run.
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
	for _, m := range b.clusterSubs {
		states := make([]*clusterState, len(b.bins))
		for i, bin := range b.bins {
			cs, err := b.clusterState(admin, bin, m, port)
			if cs != nil {
				defer cs.remove(admin)
			}
			if err != nil {
				return err
			}
			states[i] = cs
		}
		for r := range b.runs {
			for _, p := range b.workers {
				var first time.Duration
				for i, bin := range b.bins {
					wall, err := states[i].send(b, p)
					if err != nil {
						return err
					}
					if i == 0 {
						first = wall
					} else {
						b.res.add(fmt.Sprintf("PostgreSQL: send %s subscribers, %d processes", size(m), p), bin.name,
							"vs "+b.bins[0].name, first.Seconds()/wall.Seconds())
					}
					log.Printf("cluster %s, %d processes, run %d, %s: %.0f msgs/s (load %s)", size(m), p, r+1, bin.name, float64(m)/wall.Seconds(), loadAverage())
				}
			}
		}
	}
	return nil
}

// clusterState is one binary's database and folder for the cluster row.
type clusterState struct {
	bin  *binary
	m    int
	name string // the database
	db   *sql.DB
	dir  string
	cfg  string
}

func (b *bench) clusterState(admin *sql.DB, bin *binary, m, port int) (*clusterState, error) {
	name := fmt.Sprintf("benchrun_cluster_%d_%d", m, time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		return nil, err
	}
	cs := &clusterState{bin: bin, m: m, name: name}
	u, err := url.Parse(b.postgres)
	if err != nil {
		return cs, err
	}
	u.Path = "/" + name
	dbURL := u.String()
	extra := fmt.Sprintf("database:\n  url: %q\n", dbURL)
	if cs.dir, cs.cfg, err = b.state("cluster", bin, config{subscribers: []string{}, smtpPort: port, extra: extra}); err != nil {
		return cs, err
	}
	as, err := b.model.Generate(sendEntries, newsgen.Options{Seed: 2, CopyRate: -1})
	if err != nil {
		return cs, err
	}
	for i, a := range as {
		if err := os.WriteFile(filepath.Join(cs.dir, "articles", fmt.Sprintf("s-%02d.md", i+1)), a.Markdown(), 0o644); err != nil {
			return cs, err
		}
	}
	if _, err := b.cmd(bin, cs.dir, cs.cfg, "run"); err != nil {
		return cs, err
	}
	imp, err := b.importInto(bin, cs.dir, cs.cfg, m)
	if err != nil {
		return cs, err
	}
	b.res.addSample(fmt.Sprintf("PostgreSQL: import %s subscribers", size(m)), bin.name, imp)
	cs.db, err = sql.Open("pgx", dbURL)
	return cs, err
}

// send sends the issue again, from a fresh ledger, with p processes, and
// records the figures.
func (cs *clusterState) send(b *bench, p int) (time.Duration, error) {
	if _, err := cs.db.Exec(`DELETE FROM send_chunks WHERE issue_number = 1`); err != nil {
		return 0, err
	}
	if _, err := cs.db.Exec(`DELETE FROM deliveries WHERE issue_number = 1`); err != nil {
		return 0, err
	}
	wall, samples, sent, err := b.sendTogether(cs.bin.path, cs.dir, cs.cfg, p)
	if err != nil {
		return 0, err
	}
	if sent != cs.m {
		return 0, fmt.Errorf("%s: %d processes sent %d messages in all, want %d", cs.bin.name, p, sent, cs.m)
	}
	row := fmt.Sprintf("PostgreSQL: send %s subscribers, %d processes", size(cs.m), p)
	b.res.add(row, cs.bin.name, "s", wall.Seconds())
	b.res.add(row, cs.bin.name, "msgs/s", float64(cs.m)/wall.Seconds())
	var peak int64
	var cpu time.Duration
	for _, s := range samples {
		peak = max(peak, s.rss)
		cpu += s.cpu
	}
	b.res.add(row, cs.bin.name, "MB/process", float64(peak)/1e6)
	b.res.add(row, cs.bin.name, "cpu-s", cpu.Seconds())
	return wall, nil
}

func (cs *clusterState) remove(admin *sql.DB) {
	if cs.db != nil {
		cs.db.Close()
	}
	admin.Exec("DROP DATABASE IF EXISTS " + cs.name + " WITH (FORCE)")
	if cs.dir != "" {
		os.RemoveAll(cs.dir)
	}
}

// loadAverage is the machine's load average over the last minute, as
// uptime prints it, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
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
