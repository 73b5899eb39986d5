package bulletin

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigIsValid(t *testing.T) {
	t.Chdir(t.TempDir()) // no config.yaml here: the embedded defaults apply
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "" || len(cfg.Sources) != 1 || cfg.Sources[0].Folder != "examples/articles" {
		t.Errorf("defaults: path %q, sources %+v", cfg.Path, cfg.Sources)
	}
	if cfg.Fetch.Timeout.Seconds() != 20 || cfg.Schedule.Jobs[JobIssue] == "" {
		t.Errorf("defaults not decoded: timeout %v, jobs %v", cfg.Fetch.Timeout, cfg.Schedule.Jobs)
	}
}

func TestConfigFileOverridesDefaults(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, `
site:
  title: Weekly
sources:
  - name: news
    feed: https://example.org/feed.xml
newsletter:
  smtp:
    host: mail.example.org
`)
	t.Setenv("BULLETIN_SMTP_PASSWORD", "s3cret")
	t.Setenv("BULLETIN_BOUNCES_PASSWORD", "imap s3cret")
	t.Setenv("BULLETIN_MAILGUN_SIGNING_KEY", "key-mg")
	t.Setenv("BULLETIN_POSTMARK_WEBHOOK_SECRET", "pm secret")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Newsletter.Bounces; b.Mailbox.Password != "imap s3cret" || b.Webhooks.Mailgun.SigningKey != "key-mg" ||
		b.Webhooks.Postmark.Secret != "pm secret" || b.SoftLimit != 3 || b.Mailbox.Folder != "INBOX" {
		t.Errorf("bounces = %+v; want the secrets from the environment and the defaults", b)
	}
	if cfg.Site.Title != "Weekly" || cfg.Site.Language != "en" {
		t.Errorf("site = %+v; want the title set and the language kept", cfg.Site)
	}
	if len(cfg.Sources) != 1 || cfg.Sources[0].Name != "news" {
		t.Errorf("sources = %+v; a list in the file replaces the default", cfg.Sources)
	}
	if cfg.Newsletter.SMTP.Password != "s3cret" || cfg.Newsletter.SMTP.Port != 587 {
		t.Errorf("smtp = %+v", cfg.Newsletter.SMTP)
	}
	if got, want := cfg.Resolve("data"), filepath.Join(dir, "data"); got != want {
		t.Errorf("Resolve(data) = %q, want %q", got, want)
	}
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the message
	}{
		{"unknown key", "site:\n  title: X\n  colour: red\n", []string{":3:", "site.colour", `unknown key "colour"`}},
		{"wrong type", "newsletter:\n  smtp:\n    port: many\n", []string{":3:", "newsletter.smtp.port", "many"}},
		{"bad duration", "fetch:\n  timeout: soon\n", []string{":2:", "fetch.timeout"}},
		{"bad cron", "schedule:\n  jobs:\n    issue: \"61 * * * *\"\n", []string{":3:", "schedule.jobs.issue"}},
		{"bad cron under the former name", "schedule:\n  jobs:\n    publish: \"61 * * * *\"\n", []string{":3:", "schedule.jobs.publish:", "61", "schedule.jobs.issue now"}},
		{"a job under both names", "schedule:\n  jobs:\n    issue: \"0 7 * * 1\"\n    publish: \"0 8 * * 1\"\n",
			[]string{":4:", "schedule.jobs.publish:", "line 3", "keep only schedule.jobs.issue"}},
		{"cron zone without fields", "schedule:\n  jobs:\n    collect: \"CRON_TZ=UTC\"\n", []string{":3:", "schedule.jobs.collect"}},
		{"unknown job", "schedule:\n  jobs:\n    coffee: \"* * * * *\"\n", []string{":3:", "schedule.jobs.coffee", "unknown job"}},
		{"bad address", "newsletter:\n  from: not an address\n", []string{":2:", "newsletter.from"}},
		{"bad subscriber", "subscribers:\n  - ok@example.com\n  - nobody\n", []string{":3:", "subscribers[1]"}},
		{"bad url", "site:\n  url: localhost:8080\n", []string{":2:", "site.url"}},
		{"bad time zone", "schedule:\n  timezone: Mars/Olympus\n", []string{":2:", "schedule.timezone", "Mars/Olympus"}},
		{"source without kind", "sources:\n  - name: x\n", []string{":2:", "sources[0]", "folder or a feed"}},
		{"syntax", "site:\n  title: [unclosed\n", []string{"config.yaml"}},
		{"too many retries", "digest:\n  llm:\n    retries: 40\n", []string{":3:", "digest.llm.retries"}},
		{"bad network", "fetch:\n  allow_networks:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n", []string{":4:", "fetch.allow_networks[1]", "10.0.0.0/33", "CIDR"}},
		{"bad return path domain", "newsletter:\n  bounces:\n    domain: bounces@example.org\n", []string{":3:", "newsletter.bounces.domain"}},
		{"no soft limit", "newsletter:\n  bounces:\n    soft_limit: 0\n", []string{":3:", "newsletter.bounces.soft_limit"}},
		{"bad mailbox tls", "newsletter:\n  bounces:\n    mailbox:\n      host: imap.example.org\n      username: b\n      tls: ssl\n", []string{":6:", "newsletter.bounces.mailbox.tls", "ssl"}},
		{"mailbox without user", "newsletter:\n  bounces:\n    mailbox:\n      host: imap.example.org\n", []string{"newsletter.bounces.mailbox.username"}},
		{"mailbox folders", "newsletter:\n  bounces:\n    mailbox:\n      host: imap.example.org\n      username: b\n      processed_folder: INBOX\n", []string{":3:", "newsletter.bounces.mailbox:", "three folders"}},
		{"bad topic", "newsletter:\n  bounces:\n    webhooks:\n      ses:\n        topic_arns: [ses-bounces]\n", []string{":5:", "newsletter.bounces.webhooks.ses.topic_arns[0]", "ARN"}},
		{"postmark half", "newsletter:\n  bounces:\n    webhooks:\n      postmark:\n        username: pm\n", []string{":4:", "newsletter.bounces.webhooks.postmark", "go together"}},
		{"bad sendgrid key", "newsletter:\n  bounces:\n    webhooks:\n      sendgrid:\n        public_key: bm90IGEga2V5\n", []string{":5:", "newsletter.bounces.webhooks.sendgrid.public_key"}},
		{"network not a list", "fetch:\n  allow_networks: 10.0.0.0/8\n", []string{":2:", "fetch.allow_networks"}},
		{"quoted local part", "subscribers:\n  - '\"a b\"@example.com'\n", []string{":2:", "subscribers[0]", "quoting"}},
		{"quoted sender", "newsletter:\n  from: 'News <\"the news\"@example.com>'\n", []string{":2:", "newsletter.from", "quoting"}},
		{"templates dir nowhere", "templates:\n  dir: no/such/folder\n", []string{":2:", "templates.dir", "no/such/folder"}},
		{"overflow typo", "digest:\n  max_entries: 20\n  overflow: skip\n", []string{":3:", "digest.overflow", `"skip"`, "wait or drop"}},
		{"negative max entries", "digest:\n  max_entries: -1\n", []string{":2:", "digest.max_entries"}},
		{"weekday typo", "schedule:\n  jobs:\n    issue: \"0 7 * * mnn\"\n", []string{":3:", "schedule.jobs.issue", `"mnn"`, "weekday"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, t.TempDir(), c.yaml)
			_, err := LoadConfig(path)
			if err == nil {
				t.Fatal("LoadConfig succeeded; want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "strconv") {
				t.Errorf("error %q speaks of Go's internals", err)
			}
			var ces ConfigErrors
			if !errors.As(err, &ces) {
				t.Errorf("error is %T, want ConfigErrors", err)
			}
		})
	}
}

func TestConfigAllowNetworks(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, t.TempDir(), "fetch:\n  allow_networks: [10.1.2.3/16, 192.168.5.7, \"fd00:1::/64\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.Fetch.allowedNetworks() {
		got = append(got, p.String())
	}
	if want := "10.1.0.0/16 192.168.5.7/32 fd00:1::/64"; strings.Join(got, " ") != want {
		t.Errorf("allowed networks %v, want %s", got, want)
	}
	def, err := LoadConfig(writeConfig(t, t.TempDir(), ""))
	if err != nil || len(def.Fetch.allowedNetworks()) != 0 {
		t.Errorf("by default, allowed networks = %v (%v); want none", def.Fetch.AllowNetworks, err)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	path := writeConfig(t, t.TempDir(), "feeds:\n  items: 0\nlog:\n  level: loud\n")
	_, err := LoadConfig(path)
	var ces ConfigErrors
	if !errors.As(err, &ces) || len(ces) != 2 {
		t.Fatalf("err = %v; want two problems", err)
	}
	if ces[0].Key != "feeds.items" || ces[0].Line != 2 || ces[1].Key != "log.level" || ces[1].Line != 4 {
		t.Errorf("problems = %v, %v", ces[0], ces[1])
	}
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFormerJobKeyStillWorks reads a config written before the issue job
// was renamed from publish: the spec applies to issue, and opening the app
// warns with the key to write instead.
func TestFormerJobKeyStillWorks(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "data_dir: data\nschedule:\n  jobs:\n    publish: \"0 8 * * 2\"\n")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Schedule.Jobs; got[JobIssue] != "0 8 * * 2" || len(got) != 4 {
		t.Errorf("jobs = %v; want the former key's spec on %s, and collect, bounces and weekly", got, JobIssue)
	}
	want := []DeprecatedKey{{File: path, Line: 4, Key: "schedule.jobs.publish", Use: "schedule.jobs.issue"}}
	if !slices.Equal(cfg.Deprecated, want) {
		t.Errorf("Deprecated = %+v; want %+v", cfg.Deprecated, want)
	}

	var logs strings.Builder
	app, err := Open(t.Context(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	app.Close()
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "key=schedule.jobs.publish use=schedule.jobs.issue") ||
		!strings.Contains(logs.String(), "line=4") {
		t.Errorf("no warning naming the new key:\n%s", logs.String())
	}

	// Unscheduling under the former name unschedules the job.
	cfg, err = LoadConfig(writeConfig(t, dir, "schedule:\n  jobs:\n    publish: \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if spec, ok := cfg.Schedule.Jobs[JobIssue]; !ok || spec != "" {
		t.Errorf("issue = %q, %v; want it unscheduled", spec, ok)
	}
}

// TestBrokenTemplateStopsStartUp: a template that does not parse is found
// when the app opens, naming the file, not at the next send.
func TestBrokenTemplateStopsStartUp(t *testing.T) {
	for _, name := range []string{"email.html.tmpl", "confirm.txt.tmpl", "archive_issue.html.tmpl", "unsubscribe.html.tmpl", "summarize.tmpl"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "tmpl"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "tmpl", name), []byte("<p>{{.Issue.Title</p>\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(writeConfig(t, dir, "templates:\n  dir: tmpl\n"))
			if err != nil {
				t.Fatal(err)
			}
			app, err := Open(context.Background(), cfg, nil)
			if err == nil {
				app.Close()
				t.Fatal("the app opened with a broken template")
			}
			if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "templates.dir") {
				t.Errorf("error %q does not name %s and the key", err, name)
			}
		})
	}
}
