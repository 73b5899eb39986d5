package bulletin

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
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
	Database    Database       `yaml:"database"`
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
	// Deprecated lists the keys the file wrote under a former name. They
	// work as the new names do; Open warns about each.
	Deprecated []DeprecatedKey `yaml:"-"`
}

// DeprecatedKey is a key written under a name config.yaml no longer uses.
type DeprecatedKey struct {
	File string
	Line int
	Key  string // as written: schedule.jobs.publish
	Use  string // its name now: schedule.jobs.issue
}

type Site struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	URL         string `yaml:"url"`
	Language    string `yaml:"language"`
	Author      string `yaml:"author"`
	Icon        string `yaml:"icon"`
	Logo        string `yaml:"logo"`
	// Accent is the colour of links, buttons and the masthead's bar, as
	// #rrggbb; text keeps WCAG AA contrast whatever it is.
	Accent string `yaml:"accent"`
	// Images shows each entry's article image on the pages and in email.
	Images bool `yaml:"images"`
}

type Database struct {
	URL string `yaml:"url"`

	fromEnv bool // URL came from BULLETIN_DATABASE_URL
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
	// AllowNetworks are CIDR networks (or single addresses) that upstream
	// fetches may reach although they are internal.
	AllowNetworks []string `yaml:"allow_networks"`
	// MaxItems bounds the items taken from one fetch of a feed, MaxPages
	// the pages fetched for full text, and CollectTimeout a whole collect.
	MaxItems       int           `yaml:"max_items"`
	MaxPages       int           `yaml:"max_pages"`
	CollectTimeout time.Duration `yaml:"collect_timeout"`
}

// allowedNetworks parses AllowNetworks, which validate has checked.
func (f Fetch) allowedNetworks() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(f.AllowNetworks))
	for _, s := range f.AllowNetworks {
		if p, err := parseNetwork(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parseNetwork reads a CIDR network, or a single address as the network of
// just itself.
func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a network in CIDR form, like 10.1.0.0/16 or fd00::/8", s)
	}
	return p.Masked(), nil
}

type DigestConfig struct {
	Summarizer       string `yaml:"summarizer"`
	Words            int    `yaml:"words"`
	MaxSentences     int    `yaml:"max_sentences"`
	BuildEmptyIssues bool   `yaml:"build_empty_issues"`
	// Review builds each issue as a draft that an editor approves (or
	// schedules) before it is published or mailed.
	Review bool `yaml:"review"`
	// MaxEntries bounds an issue (0: no bound); Overflow (wait, drop) says
	// what becomes of the rest; MaxAge leaves older entries out.
	MaxEntries int           `yaml:"max_entries"`
	Overflow   string        `yaml:"overflow"`
	MaxAge     time.Duration `yaml:"max_age"`
	LLM        LLM           `yaml:"llm"`
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
	// Confirmations bound the confirmation emails of the web form's
	// sign-ups, which wait in a queue in the store.
	Confirmations Confirmations `yaml:"confirmations"`
	Bounces       Bounces       `yaml:"bounces"`
}

type Confirmations struct {
	Concurrency int     `yaml:"concurrency"`
	Rate        float64 `yaml:"rate"`
	MaxQueued   int     `yaml:"max_queued"`
}

// Bounces is what happens after the send: how bounces and complaints find
// their way back, and what they do.
type Bounces struct {
	// Domain of the VERP return paths, bounces+TOKEN@Domain; empty: the
	// From address is the envelope sender.
	Domain    string        `yaml:"domain"`
	SoftLimit int           `yaml:"soft_limit"`
	Mailbox   BounceMailbox `yaml:"mailbox"`
	Webhooks  Webhooks      `yaml:"webhooks"`
}

// BounceMailbox is the IMAP mailbox the bounces job reads.
type BounceMailbox struct {
	Host            string `yaml:"host"`
	Port            int    `yaml:"port"`
	TLS             string `yaml:"tls"`
	Username        string `yaml:"username"`
	Password        string `yaml:"password"`
	Folder          string `yaml:"folder"`
	ProcessedFolder string `yaml:"processed_folder"`
	UnhandledFolder string `yaml:"unhandled_folder"`
	MaxMessages     int    `yaml:"max_messages"`
}

// Webhooks are the sending services' bounce webhooks, each served when
// configured.
type Webhooks struct {
	SES struct {
		TopicARNs []string `yaml:"topic_arns"`
	} `yaml:"ses"`
	Postmark struct {
		Username string `yaml:"username"`
		Password string `yaml:"password"`
		Secret   string `yaml:"secret"`
	} `yaml:"postmark"`
	Mailgun struct {
		SigningKey string `yaml:"signing_key"`
	} `yaml:"mailgun"`
	SendGrid struct {
		PublicKey string `yaml:"public_key"`
	} `yaml:"sendgrid"`
	// MaxAge is how old a Mailgun or SendGrid signature may be.
	MaxAge time.Duration `yaml:"max_age"`
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
	// MetricsAddr is where /metrics is served, apart from the public
	// address; empty serves it nowhere (unless MetricsToken is set).
	MetricsAddr string `yaml:"metrics_addr"`
	// MetricsToken, when set, is the bearer token /metrics wants, on
	// either address; it also serves /metrics on the public address.
	MetricsToken string `yaml:"metrics_token"`
	// TrustedProxies are the networks of the reverse proxies whose
	// X-Forwarded-For is believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// CORSOrigins are the origins whose pages may call the JSON sign-up
	// API (an embedded form): "https://example.org".
	CORSOrigins []string `yaml:"cors_origins"`
}

// trustedProxies parses TrustedProxies, which validate has checked.
func (s Server) trustedProxies() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(s.TrustedProxies))
	for _, n := range s.TrustedProxies {
		if p, err := parseNetwork(n); err == nil {
			out = append(out, p)
		}
	}
	return out
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
	errs := cfg.renameJobs(name, keys.lineOf)
	if errs = append(errs, cfg.validate(name, keys.lineOf)...); len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	return cfg, nil
}

// renameJobs moves the jobs the file schedules under a former name to their
// name now, and notes the key as deprecated. A job set under both names is
// an error: which spec is meant cannot be told.
func (c *Config) renameJobs(name string, lineOf map[string]int) ConfigErrors {
	var errs ConfigErrors
	olds := make([]string, 0, len(formerJobNames))
	for old := range formerJobNames {
		olds = append(olds, old)
	}
	sort.Strings(olds)
	for _, old := range olds {
		spec, ok := c.Schedule.Jobs[old]
		if !ok {
			continue
		}
		delete(c.Schedule.Jobs, old)
		oldKey, newKey := "schedule.jobs."+old, "schedule.jobs."+formerJobNames[old]
		if line, both := lineOf[newKey]; both {
			errs = append(errs, &ConfigError{File: name, Line: lineOf[oldKey], Key: oldKey,
				Msg: fmt.Sprintf("is the former name of %s, which line %d sets too; keep only %s", newKey, line, newKey)})
			continue
		}
		c.Schedule.Jobs[formerJobNames[old]] = spec
		c.Deprecated = append(c.Deprecated, DeprecatedKey{File: name, Line: lineOf[oldKey], Key: oldKey, Use: newKey})
	}
	return errs
}

func (c *Config) applyEnv() {
	if v := os.Getenv("BULLETIN_DATABASE_URL"); v != "" {
		c.Database.URL, c.Database.fromEnv = v, true
	}
	if v := os.Getenv("BULLETIN_SMTP_PASSWORD"); v != "" {
		c.Newsletter.SMTP.Password = v
	}
	if v := os.Getenv("BULLETIN_SECRET"); v != "" {
		c.Newsletter.Secret = v
	}
	if v := os.Getenv("BULLETIN_LLM_API_KEY"); v != "" {
		c.Digest.LLM.APIKey = v
	}
	if v := os.Getenv("BULLETIN_METRICS_TOKEN"); v != "" {
		c.Server.MetricsToken = v
	}
	b := &c.Newsletter.Bounces
	for env, key := range map[string]*string{
		"BULLETIN_BOUNCES_PASSWORD":          &b.Mailbox.Password,
		"BULLETIN_POSTMARK_WEBHOOK_PASSWORD": &b.Webhooks.Postmark.Password,
		"BULLETIN_POSTMARK_WEBHOOK_SECRET":   &b.Webhooks.Postmark.Secret,
		"BULLETIN_MAILGUN_SIGNING_KEY":       &b.Webhooks.Mailgun.SigningKey,
	} {
		if v := os.Getenv(env); v != "" {
			*key = v
		}
	}
}

// DatabaseURL returns the database to open, as store.Open takes it: by
// default the SQLite file bulletin.db in data_dir; with database.url set,
// that SQLite file (a relative path taken from the config's folder) or
// that PostgreSQL URL.
func (c *Config) DatabaseURL() string {
	u := c.Database.URL
	switch {
	case u == "":
		return filepath.Join(c.Resolve(c.DataDir), "bulletin.db")
	case strings.HasPrefix(u, "sqlite:"):
		return "sqlite:" + c.Resolve(strings.TrimPrefix(u, "sqlite:"))
	}
	return u
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
