// Command benchrun measures bulletin as its users run it: the real binary,
// whole processes, on articles and subscribers it makes itself, at two sizes
// each, so that the ratio between the sizes shows how the cost grows. For
// each row it prints wall time, CPU time and peak RSS (from the child's
// rusage), medians of -runs runs with their range.
//
// Several binaries (-bin name=path, repeated) are run in turn within each
// run, so that a before/after comparison is made under the same load: the
// machines these figures come from are shared and noisy.
//
//	go run ./cmd/benchrun -bin before=/tmp/bulletin-main -bin after=/tmp/bulletin
//
// Rows (-rows, comma-separated):
//
//	import   subscribers import --confirmed of M rows, into an empty store
//	list     subscribers list and export of M rows, piped away
//	fresh    run on N new articles, into an empty store, with the binary's defaults
//	history  on an unlimited issue of N articles (digest.max_entries: 0 where
//	         the binary knows it): the fresh run, a run with nothing new, a
//	         run with one new article, and serve's start-up to its first
//	         response (GET /feed.atom)
//	history30 the same after a fresh run, on N articles in issues of 30, built
//	         once by the first binary that knows digest.max_entries (one run
//	         per issue) and copied for each binary; with -history DIR, built
//	         there once and kept, and reused by the runs after
//	send     send of a 20-entry issue to M subscribers through Postfix's
//	         smtp-sink, beside a bare go-mail loop and smtp-source sending the
//	         same message to the same sink
//	cluster  on PostgreSQL (-postgres): subscribers import of M rows, then
//	         the send of a 20-entry issue to them by 1, 2, 4… bulletin send
//	         processes at once (-cluster-subscribers, -workers), each binary
//	         on a database of its own, in turn within each run
//
// Articles come from internal/newsgen, whose word model reads the shared
// evaluation articles (-eval) at run time.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/internal/newsgen"
)

type binary struct {
	name, path string
	// limits says whether the binary knows digest.max_entries.
	limits bool
}

type bench struct {
	bins     []*binary
	work     string
	runs     int
	articles []int
	subs     []int
	sendSubs []int
	conns    int
	res      results
	// The cluster row: a PostgreSQL role that may create databases, the
	// subscriber counts and the numbers of sending processes.
	postgres    string
	clusterSubs []int
	workers     []int
	corpus      string // folder of generated articles, a-000001.md …
	history     string // the history30 row's kept history, "" for none
	nCorpus     int
	model       *newsgen.Model
}

type binFlag []*binary

func (b *binFlag) String() string { return "" }
func (b *binFlag) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want name=path, got %q", s)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	*b = append(*b, &binary{name: name, path: abs})
	return nil
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func main() {
	if len(os.Args) > 3 && os.Args[1] == launchFlag {
		launch()
		return
	}
	log.SetFlags(0)
	log.SetPrefix("benchrun: ")
	var bins binFlag
	flag.Var(&bins, "bin", "name=path of a bulletin binary to measure (repeat to compare; default: this tree's, built)")
	evalDir := flag.String("eval", filepath.Join("..", "shared", "eval"), "folder of *.jsonl news articles for the word model")
	work := flag.String("work", "", "folder for the runs' stores and files (default: a new temporary folder, removed after)")
	runs := flag.Int("runs", 3, "runs of each row")
	articles := flag.String("articles", "1000,10000", "article counts N")
	subs := flag.String("subscribers", "10000,100000", "subscriber counts M of import and list")
	sendSubs := flag.String("send-subscribers", "10000,100000", "subscriber counts of send")
	conns := flag.Int("conns", 4, "SMTP connections of send, the bare loop and smtp-source")
	rows := flag.String("rows", "import,list,fresh,history,history30,send", "rows to run (also: cluster, the shared send on PostgreSQL)")
	postgres := flag.String("postgres", os.Getenv("BULLETIN_TEST_POSTGRES"), "cluster row: postgres:// URL of a role that may create databases")
	clusterSubs := flag.String("cluster-subscribers", "100000,1000000", "cluster row: subscriber counts")
	workers := flag.String("workers", "1,2,4", "cluster row: numbers of bulletin send processes sharing a send")
	history := flag.String("history", "", "history30 row: folder to keep the built history in, and to reuse it from when it is there (same -articles and -eval)")
	flag.Parse()

	b := &bench{runs: *runs, conns: *conns, postgres: *postgres, history: *history}
	var err error
	if b.clusterSubs, err = ints(*clusterSubs); err != nil {
		log.Fatal(err)
	}
	if b.workers, err = ints(*workers); err != nil {
		log.Fatal(err)
	}
	if b.articles, err = ints(*articles); err != nil {
		log.Fatal(err)
	}
	if b.subs, err = ints(*subs); err != nil {
		log.Fatal(err)
	}
	if b.sendSubs, err = ints(*sendSubs); err != nil {
		log.Fatal(err)
	}
	b.work = *work
	if b.work == "" {
		if b.work, err = os.MkdirTemp("", "benchrun-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(b.work)
	} else if err := os.MkdirAll(b.work, 0o755); err != nil {
		log.Fatal(err)
	}
	if len(bins) == 0 {
		path := filepath.Join(b.work, "bulletin")
		log.Printf("building ./cmd/bulletin into %s", path)
		cmd := exec.Command("go", "build", "-o", path, "./cmd/bulletin")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatal(err)
		}
		bins = append(bins, &binary{name: "bulletin", path: path})
	}
	b.bins = bins
	for _, bin := range b.bins {
		bin.limits = b.knowsKey(bin, "digest:\n  max_entries: 0\n")
		log.Printf("%s: %s (digest.max_entries: %v)", bin.name, bin.path, bin.limits)
	}

	want := strings.Split(*rows, ",")
	needArticles := slices.ContainsFunc(want, func(r string) bool { return r != "import" && r != "list" })
	if needArticles {
		start := time.Now()
		if b.model, err = newsgen.Load(*evalDir); err != nil {
			log.Fatal(err)
		}
		if err := b.makeCorpus(slices.Max(append([]int{0}, b.articles...)) + b.runs + 1); err != nil {
			log.Fatal(err)
		}
		log.Printf("%d articles generated in %s", b.nCorpus, time.Since(start).Round(time.Millisecond))
	}
	for _, row := range want {
		start := time.Now()
		var err error
		switch strings.TrimSpace(row) {
		case "import":
			err = b.importRow()
		case "list":
			err = b.listRow()
		case "fresh":
			err = b.freshRow()
		case "history":
			err = b.historyRow()
		case "history30":
			err = b.history30Row()
		case "send":
			err = b.sendRow()
		case "cluster":
			err = b.clusterRow()
		default:
			err = fmt.Errorf("unknown row %q", row)
		}
		if err != nil {
			b.res.print(os.Stdout)
			log.Fatal(err)
		}
		log.Printf("row %s done in %s", row, time.Since(start).Round(time.Second))
	}
	fmt.Printf("\n%d runs each; medians [min–max]. s: wall seconds, cpu-s: user+system seconds, MB: peak RSS.\n\n", b.runs)
	b.res.print(os.Stdout)
}

// makeCorpus writes n generated articles, the same ones on every run (a
// fixed seed).
func (b *bench) makeCorpus(n int) error {
	as, err := b.model.Generate(n, newsgen.Options{Seed: 1})
	if err != nil {
		return err
	}
	b.corpus = filepath.Join(b.work, "corpus")
	if err := os.MkdirAll(b.corpus, 0o755); err != nil {
		return err
	}
	for i, a := range as {
		// An article already there as generated is left alone: a kept
		// history (-history) links to it, and a new modification time
		// would make its next run re-read all of them.
		body := a.Markdown()
		if old, err := os.ReadFile(b.articlePath(i)); err == nil && string(old) == string(body) {
			continue
		}
		if err := os.WriteFile(b.articlePath(i), body, 0o644); err != nil {
			return err
		}
	}
	b.nCorpus = n
	return nil
}

func (b *bench) articlePath(i int) string {
	return filepath.Join(b.corpus, fmt.Sprintf("a-%06d.md", i+1))
}

// linkArticles puts articles [from, to) of the corpus into dir, as hard
// links: regular files, written once.
func (b *bench) linkArticles(dir string, from, to int) error {
	if to > b.nCorpus {
		return fmt.Errorf("the corpus has %d articles, %d wanted", b.nCorpus, to)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := from; i < to; i++ {
		if err := os.Link(b.articlePath(i), filepath.Join(dir, filepath.Base(b.articlePath(i)))); err != nil {
			return err
		}
	}
	return nil
}

// config is what a state's config.yaml says beyond the common part.
type config struct {
	subscribers []string // nil: the built-in default
	smtpPort    int      // 0: the outbox
	unlimited   bool     // digest.max_entries: 0, where the binary knows it
	extra       string
}

// state is one store with its config, in a folder of its own.
func (b *bench) state(name string, bin *binary, c config) (dir, cfg string, err error) {
	dir = filepath.Join(b.work, "states", fmt.Sprintf("%s-%s-%d", name, bin.name, time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Join(dir, "articles"), 0o755); err != nil {
		return "", "", err
	}
	cfg, err = b.writeConfig(dir, "config.yaml", bin, c)
	return dir, cfg, err
}

func (b *bench) writeConfig(dir, file string, bin *binary, c config) (string, error) {
	var y strings.Builder
	y.WriteString("site:\n  url: http://localhost:8080/\n")
	y.WriteString("data_dir: data\npublic_dir: public\n")
	y.WriteString("sources:\n  - name: Wire\n    folder: articles\n")
	y.WriteString("newsletter:\n  outbox_dir: outbox\n  secret: benchrun-secret-0123456789abcdef0123\n")
	if c.smtpPort != 0 {
		fmt.Fprintf(&y, "  concurrency: %d\n  smtp:\n    host: 127.0.0.1\n    port: %d\n    tls: none\n", b.conns, c.smtpPort)
	}
	if c.subscribers != nil {
		y.WriteString("subscribers:")
		if len(c.subscribers) == 0 {
			y.WriteString(" []")
		}
		y.WriteString("\n")
		for _, s := range c.subscribers {
			fmt.Fprintf(&y, "  - %q\n", s)
		}
	}
	y.WriteString("schedule:\n  jobs:\n    collect: \"\"\n    issue: \"\"\n")
	y.WriteString("log:\n  level: warn\n  format: text\n")
	if c.unlimited && bin.limits {
		y.WriteString("digest:\n  max_entries: 0\n")
	}
	y.WriteString(c.extra)
	cfg := filepath.Join(dir, file)
	return cfg, os.WriteFile(cfg, []byte(y.String()), 0o644)
}

// knowsKey tells whether bin accepts a config with the given extra YAML.
func (b *bench) knowsKey(bin *binary, extra string) bool {
	dir, cfg, err := b.state("probe", bin, config{extra: extra})
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_, err = run(bin.path, []string{"--config", cfg, "sources", "export"}, runOpts{dir: dir})
	return err == nil
}

func (b *bench) log(dir string) string { return filepath.Join(dir, "stderr.log") }

func (b *bench) cmd(bin *binary, dir, cfg string, args ...string) (sample, error) {
	return run(bin.path, append([]string{"--config", cfg}, args...), runOpts{dir: dir, log: b.log(dir)})
}

func size(n int) string { return commas(strconv.Itoa(n)) }
