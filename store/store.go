// Package store keeps bulletin's state: articles, digest entries, issues,
// subscribers and the delivery ledger, in one SQLite file (the default) or
// in PostgreSQL, for several processes on several machines. All SQL lives in
// this package, once per dialect: the schema in migrations/<dialect>/,
// applied when the store opens, and every statement in
// queries/<dialect>/*.sql under the name the Go code runs it by.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL through database/sql, as "pgx"
	_ "modernc.org/sqlite"             // pure-Go SQLite driver: no cgo, one static binary
)

//go:embed migrations/*/*.sql queries/*/*.sql
var sqlFiles embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open database. It is safe for concurrent use, also by several
// processes sharing the database: SQLite serializes writers and WAL mode
// lets readers go on meanwhile; PostgreSQL locks the rows a statement
// changes, and the statements that read before they write lock what they
// read.
type Store struct {
	db      *sql.DB
	dialect *dialect
	target  string // as given to Open
	name    string // for messages: the path, or the URL without its password
	now     func() time.Time
	texts   [numQueries]string
	stmts   [numQueries]*sql.Stmt
}

// dialect is what differs between the databases beyond the text of their
// statements.
type dialect struct {
	name   string // the folder of its queries and migrations
	driver string // for sql.Open
	// textTimes is true when times are stored as fixed-width UTC text
	// (SQLite) rather than as timestamps (PostgreSQL).
	textTimes bool
	// jsonLists says how a batch statement takes lists of values: one JSON
	// array of rows (SQLite's json_each), or one array per column
	// (PostgreSQL's unnest).
	jsonLists bool
	// sharedSends is true where several processes can send one issue at
	// once, each holding chunks of its ledger (FOR UPDATE SKIP LOCKED).
	sharedSends bool
	// ledgerStatement is true where a send's group of claims and "sent"
	// marks is written in one statement (ledger-apply) rather than in a
	// transaction of four: the database is a round trip away.
	ledgerStatement bool
}

var (
	sqliteDialect   = &dialect{name: "sqlite", driver: "sqlite", textTimes: true, jsonLists: true}
	postgresDialect = &dialect{name: "postgres", driver: "pgx", sharedSends: true, ledgerStatement: true}
	dialects        = []*dialect{sqliteDialect, postgresDialect}
)

// Open opens the database target names and brings its schema up to date.
// target is a file path or "sqlite:PATH" for SQLite (the file and its
// folder are created if needed), or a "postgres://" URL for PostgreSQL.
func Open(ctx context.Context, target string) (*Store, error) {
	d, dsn, name, err := parseTarget(target)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if d == sqliteDialect {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open store: %w", err)
			}
		}
		// Immediate transactions take the write lock at BEGIN, so two writers
		// wait for each other (busy_timeout) instead of failing on upgrade.
		dsn = "file:" + dsn + "?_txlock=immediate" +
			fmt.Sprintf("&_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)", sqliteBusyTimeout.Milliseconds()) +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	s := &Store{db: db, dialect: d, target: target, name: name, now: time.Now}
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	if s.dialect == postgresDialect {
		// A send holds a connection for its ledger and one per worker;
		// keep that many open between statements.
		s.db.SetMaxIdleConns(8)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
		if err := checkPostgres(ctx, s.db); err != nil {
			return err
		}
	}
	var err error
	if s.texts, err = loadQueries(s.dialect); err != nil {
		return err
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	return s.prepare(ctx)
}

// checkPostgres refuses a server that lacks what the schema and queries
// use (gen_random_uuid is built in from 13) or a database whose text
// cannot hold every address and article (it must be UTF-8).
func checkPostgres(ctx context.Context, db *sql.DB) error {
	var version int
	var encoding string
	err := db.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_encoding')`).
		Scan(&version, &encoding)
	if err != nil {
		return err
	}
	if version < 130000 {
		return fmt.Errorf("PostgreSQL %d.%d is too old: bulletin needs 13 or later", version/10000, version%10000)
	}
	if encoding != "UTF8" {
		return fmt.Errorf("the database's encoding is %s: bulletin needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')", encoding)
	}
	return nil
}

// parseTarget tells which database target names and how to reach it.
func parseTarget(target string) (d *dialect, dsn, name string, err error) {
	switch {
	case strings.HasPrefix(target, "postgres://"), strings.HasPrefix(target, "postgresql://"):
		u, err := url.Parse(target)
		if err != nil {
			return nil, "", "", fmt.Errorf("database URL: %w", redactErr(err, target))
		}
		return postgresDialect, target, RedactURL(u), nil
	case strings.HasPrefix(target, "sqlite:"):
		path := strings.TrimPrefix(target, "sqlite:")
		if path == "" {
			return nil, "", "", errors.New("sqlite: needs a file path, like sqlite:data/bulletin.db")
		}
		return sqliteDialect, path, path, nil
	case target == "":
		return nil, "", "", errors.New("no database path or URL")
	}
	return sqliteDialect, target, target, nil
}

// RedactURL returns u without its password, for messages and logs.
func RedactURL(u *url.URL) string {
	c := *u
	if q := c.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

// redactErr keeps a URL's password out of the message of an error about it.
func redactErr(err error, target string) error {
	if u, perr := url.Parse(target); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
		}
	}
	return err
}

// sqliteBusyTimeout is how long a SQLite connection waits for another's
// write lock.
const sqliteBusyTimeout = 10 * time.Second

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		if st != nil {
			st.Close()
		}
	}
	return s.db.Close()
}

// Path returns what Open was given: the database file's path, or the
// PostgreSQL URL (password included: it is for opening the same database
// again, not for showing).
func (s *Store) Path() string { return s.target }

// Name returns where the database is, for messages: the file's path, or
// the PostgreSQL URL without its password.
func (s *Store) Name() string { return s.name }

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name }

// SetClock replaces the clock used for timestamps; tests use it.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(runner) error) error {
	return s.rawTx(ctx, func(tx *sql.Tx) error { return fn(runner{s: s, tx: tx}) })
}

// timeLayout is fixed-width so that times stored as text sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeArg is t as its database stores it: fixed-width UTC text in SQLite, a
// timestamp (to the microsecond) in PostgreSQL.
func (s *Store) timeArg(t time.Time) any {
	if s.dialect.textTimes {
		return formatTime(t)
	}
	return t.UTC()
}

// nullTimeArg is timeArg(t), or NULL for the zero time.
func (s *Store) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.timeArg(t)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Parse(time.RFC3339Nano, s)
	}
	return t, nil
}

// scanTime is a sql.Scanner for time columns of either dialect; NULL
// scans as the zero time. Times come back in UTC from both.
type scanTime struct{ t *time.Time }

func (st scanTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*st.t = time.Time{}
		return nil
	case string:
		t, err := parseTime(v)
		*st.t = t
		return err
	case []byte:
		t, err := parseTime(string(v))
		*st.t = t
		return err
	case time.Time:
		*st.t = v.UTC()
		return nil
	}
	return fmt.Errorf("store: cannot scan %T as time", v)
}

// noLimit is the limit the list queries take for "all": LIMIT -1 in
// SQLite, and NULL (LIMIT ALL) in PostgreSQL, whose query says so.
const noLimit = -1

func limitArg(limit int) int {
	if limit <= 0 {
		return noLimit
	}
	return limit
}
