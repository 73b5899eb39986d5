// Package bulletin is the application: its configuration, and the pipeline
// that wires source → store → digest → feed / newsletter together for the
// command line and the scheduler.
package bulletin

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/schedule"
	"github.com/bulletin-app/bulletin/source"
)

// DefaultConfig is config.yaml as shipped: every key with its default.
//
//go:embed config.yaml
var DefaultConfig []byte

// Config is everything config.yaml can say. Its zero value is not useful:
// start from LoadConfig, which fills in the defaults.
type Config struct {
	Site        Site           `yaml:"site"`
	DataDir     string         `yaml:"data_dir"`
	PublicDir   string         `yaml:"public_dir"`
	Sources     []SourceConfig `yaml:"sources"`
	Fetch       Fetch          `yaml:"fetch"`
	Digest      DigestConfig   `yaml:"digest"`
	Feeds       Feeds          `yaml:"feeds"`
	Newsletter  Newsletter     `yaml:"newsletter"`
	Subscribers []string       `yaml:"subscribers"`
	Server      Server         `yaml:"server"`
	Schedule    Schedule       `yaml:"schedule"`
	Templates   Templates      `yaml:"templates"`
	Log         Log            `yaml:"log"`

	// Path is the file the config was read from; empty for the embedded
	// defaults. Relative paths in the config are taken from its folder.
	Path string `yaml:"-"`
}

type Site struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	URL         string `yaml:"url"`
	Language    string `yaml:"language"`
	Author      string `yaml:"author"`
	Icon        string `yaml:"icon"`
	Logo        string `yaml:"logo"`
}

type SourceConfig struct {
	Name     string `yaml:"name"`
	Folder   string `yaml:"folder,omitempty"`
	Feed     string `yaml:"feed,omitempty"`
	FullText string `yaml:"full_text,omitempty"`
}

type Fetch struct {
	Timeout        time.Duration `yaml:"timeout"`
	MaxBytes       int64         `yaml:"max_bytes"`
	UserAgent      string        `yaml:"user_agent"`
	ReportAfter    int           `yaml:"report_after"`
	SeedNewSources bool          `yaml:"seed_new_sources"`
}

type DigestConfig struct {
	Summarizer       string `yaml:"summarizer"`
	Words            int    `yaml:"words"`
	MaxSentences     int    `yaml:"max_sentences"`
	BuildEmptyIssues bool   `yaml:"build_empty_issues"`
	LLM              LLM    `yaml:"llm"`
}

type LLM struct {
	BaseURL     string        `yaml:"base_url"`
	Model       string        `yaml:"model"`
	APIKey      string        `yaml:"api_key"`
	Timeout     time.Duration `yaml:"timeout"`
	Concurrency int           `yaml:"concurrency"`
	Retries     int           `yaml:"retries"`
}

type Feeds struct {
	Items int    `yaml:"items"`
	Hub   string `yaml:"hub"`
}

type Newsletter struct {
	From              string  `yaml:"from"`
	ReplyTo           string  `yaml:"reply_to"`
	MessageIDDomain   string  `yaml:"message_id_domain"`
	UnsubscribeMailto string  `yaml:"unsubscribe_mailto"`
	OutboxDir         string  `yaml:"outbox_dir"`
	SMTP              SMTP    `yaml:"smtp"`
	Concurrency       int     `yaml:"concurrency"`
	Rate              float64 `yaml:"rate"`
	Retries           int     `yaml:"retries"`
	PauseAfter        int     `yaml:"pause_after"`
	Secret            string  `yaml:"secret"`
	DKIM              DKIM    `yaml:"dkim"`
}

type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	TLS      string `yaml:"tls"`
}

type DKIM struct {
	KeyFile  string `yaml:"key_file"`
	Selector string `yaml:"selector"`
	Domain   string `yaml:"domain"`
}

type Server struct {
	Addr string `yaml:"addr"`
}

type Schedule struct {
	Timezone string            `yaml:"timezone"`
	CatchUp  time.Duration     `yaml:"catch_up"`
	Jobs     map[string]string `yaml:"jobs"`
}

type Templates struct {
	Dir string `yaml:"dir"`
}

type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// ConfigError is a problem with one key of the config file.
type ConfigError struct {
	File string // config file, or "config.yaml (embedded)"
	Line int    // 0 when unknown
	Key  string // dotted path, like newsletter.smtp.port
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// ConfigErrors is every problem found in one config file.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// LoadConfig reads the config at path over the defaults. An empty path reads
// ./config.yaml when it exists and the embedded defaults otherwise. Secrets
// in the environment override the file. Every problem is reported with the
// key and line it concerns.
func LoadConfig(path string) (*Config, error) {
	cfg := &Config{}
	name := "config.yaml (embedded)"
	keys, err := decodeConfig(DefaultConfig, name, cfg)
	if err != nil {
		return nil, fmt.Errorf("embedded defaults: %w", err)
	}
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		name = path
		if keys, err = decodeConfig(b, name, cfg); err != nil {
			return nil, err
		}
		cfg.Path = path
	}
	cfg.applyEnv()
	if errs := cfg.validate(name, keys.lineOf); len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

func (c *Config) applyEnv() {
	if v := os.Getenv("BULLETIN_SMTP_PASSWORD"); v != "" {
		c.Newsletter.SMTP.Password = v
	}
	if v := os.Getenv("BULLETIN_SECRET"); v != "" {
		c.Newsletter.Secret = v
	}
	if v := os.Getenv("BULLETIN_LLM_API_KEY"); v != "" {
		c.Digest.LLM.APIKey = v
	}
}

// Resolve turns a path from the config into one usable from the working
// directory: relative paths are taken from the config file's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decodeConfig decodes data into cfg, rejecting unknown keys, and rewrites
// the YAML library's messages so that they name the key. It returns where
// each key stands, for the messages of later checks.
func decodeConfig(data []byte, name string, cfg *Config) (keyIndex, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return keyIndex{}, configSyntaxError(name, err)
	}
	ix := indexKeys(&root)
	if len(root.Content) == 0 {
		return ix, nil // an empty file keeps every default
	}
	// Decoded again from the text: only a Decoder refuses unknown keys.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil {
		return ix, nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return ix, configSyntaxError(name, err)
	}
	keys := ix.keyOn
	var errs ConfigErrors
	for _, msg := range te.Errors {
		ce := &ConfigError{File: name, Msg: msg}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			ce.Line, _ = strconv.Atoi(m[1])
			ce.Msg = m[2]
			ce.Key = keys[ce.Line]
		}
		if f, ok := strings.CutPrefix(ce.Msg, "field "); ok {
			if field, _, ok := strings.Cut(f, " not found"); ok {
				ce.Msg = fmt.Sprintf("unknown key %q", field)
			}
		}
		errs = append(errs, ce)
	}
	return ix, errs
}

func configSyntaxError(name string, err error) error {
	ce := &ConfigError{File: name, Msg: err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		ce.Line, _ = strconv.Atoi(m[1])
		ce.Msg = m[2]
	}
	return ConfigErrors{ce}
}

// keyIndex maps each line of the document to the most specific key written
// on it, and each key to its line.
type keyIndex struct {
	keyOn  map[int]string
	lineOf map[string]int
}

func indexKeys(root *yaml.Node) keyIndex {
	ix := keyIndex{keyOn: map[int]string{}, lineOf: map[string]int{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if path != "" {
			if _, ok := ix.lineOf[path]; !ok {
				ix.lineOf[path] = n.Line
			}
			ix.keyOn[n.Line] = path // children come later and are more specific
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				ix.lineOf[p] = k.Line
				ix.keyOn[k.Line] = p
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(root, "")
	return ix
}

// validate checks values that decode but make no sense, naming each key with
// the line it is on in the file the user wrote.
func (c *Config) validate(name string, lineOf map[string]int) ConfigErrors {
	var errs ConfigErrors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ConfigError{File: name, Line: lineOf[key], Key: key, Msg: fmt.Sprintf(format, args...)})
	}

	if err := checkURL(c.Site.URL); err != nil {
		bad("site.url", "%v", err)
	}
	if c.Site.Title == "" {
		bad("site.title", "must not be empty")
	}
	for _, k := range []struct{ key, val string }{{"site.icon", c.Site.Icon}, {"site.logo", c.Site.Logo}, {"feeds.hub", c.Feeds.Hub}} {
		if k.val != "" {
			if err := checkURL(k.val); err != nil {
				bad(k.key, "%v", err)
			}
		}
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.PublicDir == "" {
		bad("public_dir", "must not be empty")
	}

	seen := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.Name == "":
			bad(key+".name", "every source needs a name")
		case seen[s.Name]:
			bad(key+".name", "source %q is named twice", s.Name)
		}
		seen[s.Name] = true
		switch {
		case s.Folder == "" && s.Feed == "":
			bad(key, "a source needs a folder or a feed")
		case s.Folder != "" && s.Feed != "":
			bad(key, "a source has a folder or a feed, not both")
		case s.Feed != "":
			if err := checkURL(s.Feed); err != nil {
				bad(key+".feed", "%v", err)
			}
		}
		if !oneOf(s.FullText, "", "auto", "always", "never") {
			bad(key+".full_text", "is %q; want auto, always or never", s.FullText)
		}
	}

	if c.Fetch.Timeout <= 0 {
		bad("fetch.timeout", "must be a positive duration, like 20s")
	}
	if c.Fetch.MaxBytes <= 0 {
		bad("fetch.max_bytes", "must be positive")
	}
	if c.Fetch.ReportAfter < 1 {
		bad("fetch.report_after", "must be at least 1")
	}

	switch c.Digest.Summarizer {
	case "extractive":
	case "llm":
		if err := checkURL(c.Digest.LLM.BaseURL); err != nil {
			bad("digest.llm.base_url", "summarizer llm needs an endpoint: %v", err)
		}
		if c.Digest.LLM.Model == "" {
			bad("digest.llm.model", "summarizer llm needs a model")
		}
	default:
		bad("digest.summarizer", "is %q; want extractive or llm", c.Digest.Summarizer)
	}
	if c.Digest.Words < 10 {
		bad("digest.words", "must be at least 10")
	}
	if c.Digest.MaxSentences < 1 {
		bad("digest.max_sentences", "must be at least 1")
	}
	if c.Digest.LLM.Timeout <= 0 {
		bad("digest.llm.timeout", "must be a positive duration")
	}
	if c.Digest.LLM.Concurrency < 1 {
		bad("digest.llm.concurrency", "must be at least 1")
	}
	if c.Digest.LLM.Retries < 0 || c.Digest.LLM.Retries > maxRetries {
		bad("digest.llm.retries", "must be from 0 to %d", maxRetries)
	}

	if c.Feeds.Items < 1 {
		bad("feeds.items", "must be at least 1")
	}

	n := c.Newsletter
	if _, err := newsletter.ParseAddress(n.From); err != nil {
		bad("newsletter.from", "%v", err)
	}
	if n.ReplyTo != "" {
		if _, err := newsletter.ParseAddress(n.ReplyTo); err != nil {
			bad("newsletter.reply_to", "%v", err)
		}
	}
	if n.UnsubscribeMailto != "" {
		if _, err := newsletter.ParseAddress(n.UnsubscribeMailto); err != nil {
			bad("newsletter.unsubscribe_mailto", "%v", err)
		}
	}
	if n.MessageIDDomain != "" && strings.ContainsAny(n.MessageIDDomain, " <>@\r\n") {
		bad("newsletter.message_id_domain", "%q is not a domain name", n.MessageIDDomain)
	}
	if n.SMTP.Host == "" && n.OutboxDir == "" {
		bad("newsletter.outbox_dir", "must not be empty when smtp.host is")
	}
	if n.SMTP.Port < 1 || n.SMTP.Port > 65535 {
		bad("newsletter.smtp.port", "%d is not a port number", n.SMTP.Port)
	}
	if !oneOf(n.SMTP.TLS, "opportunistic", "mandatory", "implicit", "none") {
		bad("newsletter.smtp.tls", "is %q; want opportunistic, mandatory, implicit or none", n.SMTP.TLS)
	}
	if n.Concurrency < 1 {
		bad("newsletter.concurrency", "must be at least 1")
	}
	if n.Rate < 0 {
		bad("newsletter.rate", "must not be negative")
	}
	if n.Retries < 0 || n.Retries > maxRetries {
		bad("newsletter.retries", "must be from 0 to %d", maxRetries)
	}
	if n.PauseAfter < 1 {
		bad("newsletter.pause_after", "must be at least 1")
	}
	if (n.DKIM.KeyFile == "") != (n.DKIM.Selector == "") {
		bad("newsletter.dkim", "key_file and selector go together")
	}

	for i, s := range c.Subscribers {
		if _, err := newsletter.ParseAddress(s); err != nil {
			bad(fmt.Sprintf("subscribers[%d]", i), "%v", err)
		}
	}

	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		bad("server.addr", "%q is not HOST:PORT", c.Server.Addr)
	}

	loc, err := time.LoadLocation(c.Schedule.Timezone)
	if err != nil {
		bad("schedule.timezone", "unknown time zone %q", c.Schedule.Timezone)
		loc = time.UTC
	}
	if c.Schedule.CatchUp < 0 {
		bad("schedule.catch_up", "must not be negative")
	}
	jobs := make([]string, 0, len(c.Schedule.Jobs))
	for job := range c.Schedule.Jobs {
		jobs = append(jobs, job)
	}
	sort.Strings(jobs)
	for _, job := range jobs {
		key := "schedule.jobs." + job
		if !oneOf(job, JobCollect, JobPublish) {
			bad(key, "unknown job %q; the jobs are %s and %s", job, JobCollect, JobPublish)
			continue
		}
		if c.Schedule.Jobs[job] == "" {
			continue // not scheduled: runs only with bulletin run
		}
		if _, err := schedule.Parse(c.Schedule.Jobs[job], loc); err != nil {
			bad(key, "%v", err)
		}
	}

	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		bad("log.level", "is %q; want debug, info, warn or error", c.Log.Level)
	}
	if !oneOf(c.Log.Format, "auto", "text", "json") {
		bad("log.format", "is %q; want auto, text or json", c.Log.Format)
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return errs
}

// maxRetries bounds retry counts: with backoff doubling each time, ten
// retries already wait about half an hour, and past some sixty the wait
// no longer fits in a time.Duration.
const maxRetries = 10

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// checkURL accepts only absolute http(s) URLs: every URL in the config is
// fetched, linked to or announced as it is.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// WriteSourcesYAML writes subs as entries of config.yaml's sources list, to
// paste into the file. Feeds the config has already are left out, and names
// it uses already get a suffix, since sources are told apart by name.
func WriteSourcesYAML(w io.Writer, cfg *Config, subs []source.Subscription) error {
	names, feeds := map[string]bool{}, map[string]bool{}
	for _, s := range cfg.Sources {
		names[s.Name] = true
		if u, err := source.CanonicalURL(s.Feed); err == nil {
			feeds[u] = true
		}
	}
	var out []SourceConfig
	for _, s := range subs {
		if u, err := source.CanonicalURL(s.URL); err == nil && feeds[u] {
			continue
		}
		name := s.Name
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s (%d)", s.Name, i)
		}
		names[name] = true
		out = append(out, SourceConfig{Name: name, Feed: s.URL, FullText: s.FullText})
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(w, "# every feed of the file is among the sources already")
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2) // as config.yaml is written
	if err := enc.Encode(map[string][]SourceConfig{"sources": out}); err != nil {
		return err
	}
	return enc.Close()
}
