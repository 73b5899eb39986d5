package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrNotEmpty is returned by CopyTo when the target database holds data
// already.
var ErrNotEmpty = errors.New("target database is not empty")

// kind is how a column's values are told apart between the dialects.
type kind int

const (
	kText kind = iota
	kInt
	kBool
	kTime
	kBytes
)

type column struct {
	name string
	kind kind
}

// copyTable is one table as a copy reads and writes it. The list below is
// the schema as the migrations leave it (a test holds it to that): a
// migration that adds a column adds it here too.
type copyTable struct {
	name    string
	order   string // a key, so that rows go in the order they were made
	columns []column
	// identity is the column whose sequence must continue after the
	// copied rows, if any.
	identity string
}

var copyTables = []copyTable{
	{name: "articles", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"key", kText}, {"url", kText}, {"title", kText}, {"author", kText}, {"source", kText},
		{"origin", kText}, {"published_at", kTime}, {"text", kText}, {"content_hash", kText},
		{"seeded", kBool}, {"collected_at", kTime}, {"updated_at", kTime},
		{"image_url", kText}, {"image_width", kInt}, {"image_height", kInt}, {"image_alt", kText}}},
	{name: "issues", order: "number", columns: []column{
		{"number", kInt}, {"title", kText}, {"created_at", kTime}, {"state", kText}, {"send_at", kTime},
		{"sent_at", kTime}, {"send_error", kText}, {"subject", kText}, {"intro", kText}, {"edited_at", kTime},
		{"entry_count", kInt}}},
	{name: "entries", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"article_id", kInt}, {"content_hash", kText}, {"summary", kText}, {"teaser", kText},
		{"method", kText}, {"issue_number", kInt}, {"created_at", kTime}, {"updated_at", kTime},
		{"duplicate_of", kInt}, {"position", kInt}, {"is_lead", kBool}, {"edited_title", kText},
		{"edited_summary", kText}, {"feed_seq", kInt}, {"dropped_at", kTime},
		// earlier_id and story_id name older entries, copied before them.
		{"names", kText}, {"earlier_id", kInt}, {"story_id", kInt}}},
	{name: "subscribers", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"email", kText}, {"name", kText}, {"status", kText}, {"created_at", kTime},
		{"updated_at", kTime}, {"confirmed_at", kTime}, {"confirm_sent_at", kTime},
		{"cadence", kText}, {"paused_until", kTime}}},
	{name: "weeklies", order: "number", columns: []column{
		{"number", kInt}, {"first_issue", kInt}, {"last_issue", kInt}}},
	{name: "deliveries", order: "issue_number, subscriber_id", columns: []column{
		{"issue_number", kInt}, {"subscriber_id", kInt}, {"email", kText}, {"status", kText},
		{"attempts", kInt}, {"last_error", kText}, {"message_id", kText}, {"updated_at", kTime},
		{"sent_at", kTime}}},
	{name: "job_runs", order: "job", columns: []column{
		{"job", kText}, {"started_at", kTime}, {"finished_at", kTime}, {"ok", kBool},
		{"error", kText}, {"detail", kText}, {"scheduled_at", kTime}, {"cause", kText},
		{"duration_ms", kInt}, {"last_success_at", kTime}}},
	{name: "job_fires", order: "job", columns: []column{
		{"job", kText}, {"done_upto", kTime}, {"claim_holder", kText}, {"claim_until", kTime}}},
	{name: "summary_cache", order: "key", columns: []column{
		{"key", kText}, {"value", kBytes}, {"created_at", kTime}}},
	{name: "folder_files", order: "source, path", columns: []column{
		{"source", kText}, {"path", kText}, {"size", kInt}, {"mtime_ns", kInt}, {"hash", kText},
		{"checked_at", kTime}}},
	{name: "source_states", order: "name", columns: []column{
		{"name", kText}, {"etag", kText}, {"last_modified", kText}, {"last_fetch", kTime},
		{"last_success", kTime}, {"failures", kInt}, {"first_failure", kTime},
		{"failing_since", kTime}, {"next_attempt", kTime}, {"last_error", kText},
		{"updated_at", kTime}, {"cut_mark", kText}}},
	{name: "suppressions", order: "key", columns: []column{
		{"key", kText}, {"created_at", kTime}}},
	{name: "signups", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"kind", kText}, {"email", kText}, {"name", kText}, {"requested_at", kTime},
		{"attempts", kInt}, {"next_at", kTime}, {"claimed_by", kText}, {"claimed_until", kTime}}},
	{name: "bounce_events", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"issue_number", kInt}, {"subscriber_id", kInt}, {"kind", kText}, {"source", kText},
		{"report_id", kText}, {"status", kText}, {"detail", kText}, {"reported_at", kTime},
		{"created_at", kTime}}},
	{name: "audit_log", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"at", kTime}, {"actor", kText}, {"action", kText}, {"issue_number", kInt},
		{"subscriber_id", kInt}, {"source", kText}, {"detail", kText}}},
	{name: "admin_users", order: "id", identity: "id", columns: []column{
		{"id", kInt}, {"name", kText}, {"email", kText}, {"role", kText}, {"password_hash", kText},
		{"created_at", kTime}, {"updated_at", kTime}, {"last_sign_in", kTime}}},
	{name: "paused_sources", order: "name", columns: []column{
		{"name", kText}, {"paused_at", kTime}, {"paused_by", kText}}},
}

// notCopied are the tables a copy leaves: the target's migrations are its
// own, leases belong to the processes of the old database (a live one
// stops the copy), the desk's sessions to the browsers signed in to it
// (its users sign in again), a shared send's chunks and rate are remade by
// the next send, and the settings are the target's (a SQLite store keeps
// its signing key in its data folder: see bulletin.App.CarrySecretTo). The
// running tallies (0030_tallies.sql) are the target's own too: its
// triggers count the rows as they are copied in.
var notCopied = []string{"schema_migrations", "locks", "admin_sessions", "send_chunks", "send_rates", "settings",
	"subscriber_tally", "subscriber_day_tally", "delivery_tally"}

// TableCount is how many rows of a table the source held and the target
// received.
type TableCount struct {
	Table          string
	Source, Copied int64
}

// CopyTo copies everything the store holds into dst, a PostgreSQL store
// with nothing in it yet: articles, entries, issues, subscribers, the whole
// delivery ledger and the bounces recorded on it, the jobs' runs and fire
// times, the summary cache and the sources' state, with their ids. The source is read in one snapshot and
// the target written in one transaction, which commits only if every
// table's count in the target is the source's: a failed copy leaves the
// target as empty as it was. A live lease in the source (a send or a job
// running on it) stops the copy before anything is written: stop every
// process first. progress, if set, is told of each table's rows.
func (s *Store) CopyTo(ctx context.Context, dst *Store, progress func(table string, done, total int)) ([]TableCount, error) {
	if dst.dialect != postgresDialect {
		return nil, fmt.Errorf("copy to %s: the target must be a PostgreSQL database", dst.name)
	}
	if s.target == dst.target {
		return nil, fmt.Errorf("copy to %s: that is the database being copied", dst.name)
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	opts := &sql.TxOptions{ReadOnly: true} // SQLite: a deferred read, a snapshot that does not block writers
	if s.dialect == postgresDialect {
		opts.Isolation = sql.LevelRepeatableRead
	}
	src, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("copy: read %s: %w", s.name, err)
	}
	defer src.Rollback()
	if err := s.checkNoLiveLease(ctx, src); err != nil {
		return nil, err
	}

	conn, err := dst.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy to %s: %w", dst.name, err)
	}
	defer conn.Close()
	var counts []TableCount
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if err := checkEmpty(ctx, tx); err != nil {
			return err
		}
		for _, t := range copyTables {
			c, err := s.copyTable(ctx, src, tx, t, progress)
			counts = append(counts, c)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			if c.Copied != c.Source {
				return fmt.Errorf("table %s: %d rows in the source, %d in the target", t.name, c.Source, c.Copied)
			}
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return counts, fmt.Errorf("copy %s to %s: %w", s.name, dst.name, err)
	}
	return counts, nil
}

func (s *Store) checkNoLiveLease(ctx context.Context, src *sql.Tx) error {
	rows, err := src.QueryContext(ctx, `SELECT name, holder, expires_at FROM locks`)
	if err != nil {
		return fmt.Errorf("copy: read locks: %w", err)
	}
	defer rows.Close()
	now := s.now()
	for rows.Next() {
		var name, holder string
		var expires time.Time
		if err := rows.Scan(&name, &holder, scanTime{&expires}); err != nil {
			return fmt.Errorf("copy: read locks: %w", err)
		}
		if expires.After(now) {
			return fmt.Errorf("copy: %w: %q is held by %s until %s; stop bulletin's processes and copy again",
				ErrLocked, name, holder, expires.Format(time.RFC3339))
		}
	}
	return rows.Err()
}

// checkEmpty refuses a target that holds any row of the tables copied.
func checkEmpty(ctx context.Context, tx pgx.Tx) error {
	var full []string
	for _, t := range copyTables {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			full = append(full, fmt.Sprintf("%s: %d", t.name, n))
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w (rows in %s)", ErrNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// copyTable streams one table from the source into the target with COPY,
// then moves its identity sequence past the copied ids and counts what
// the target holds.
func (s *Store) copyTable(ctx context.Context, src *sql.Tx, tx pgx.Tx, t copyTable, progress func(string, int, int)) (TableCount, error) {
	c := TableCount{Table: t.name}
	if err := src.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Source); err != nil {
		return c, err
	}
	names := make([]string, len(t.columns))
	for i, col := range t.columns {
		names[i] = col.name
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+t.name+` ORDER BY `+t.order)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	r := &copyRows{rows: rows, table: t, total: int(c.Source), progress: progress,
		raw: make([]any, len(t.columns)), values: make([]any, len(t.columns))}
	progress(t.name, 0, r.total)
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, r); err != nil {
		return c, err
	}
	progress(t.name, r.done, r.total)
	if t.identity != "" {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', '%[2]s'), coalesce(max(%[2]s), 0) + 1, false) FROM %[1]s`,
			t.name, t.identity)); err != nil {
			return c, err
		}
	}
	err = tx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Copied)
	return c, err
}

// copyRows feeds a source table's rows to CopyFrom, turned into the
// values PostgreSQL's columns take.
type copyRows struct {
	rows         *sql.Rows
	table        copyTable
	raw, values  []any
	ptrs         []any // to raw's elements, for Scan
	err          error
	done, total  int
	progress     func(string, int, int)
	lastProgress time.Time
}

func (r *copyRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if r.ptrs == nil {
		r.ptrs = make([]any, len(r.raw))
		for i := range r.raw {
			r.ptrs[i] = &r.raw[i]
		}
	}
	if r.err = r.rows.Scan(r.ptrs...); r.err != nil {
		return false
	}
	for i, col := range r.table.columns {
		if r.values[i], r.err = convert(r.raw[i], col.kind); r.err != nil {
			r.err = fmt.Errorf("row %d, %s: %w", r.done+1, col.name, r.err)
			return false
		}
	}
	r.done++
	if now := time.Now(); now.Sub(r.lastProgress) > 200*time.Millisecond {
		r.lastProgress = now
		r.progress(r.table.name, r.done, r.total)
	}
	return true
}

func (r *copyRows) Values() ([]any, error) { return r.values, nil }

func (r *copyRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// convert turns a value as either driver returns it into the Go value for
// a PostgreSQL column of kind k. NULL stays NULL.
func convert(v any, k kind) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kText:
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		}
	case kInt:
		if v, ok := v.(int64); ok {
			return v, nil
		}
	case kBool:
		switch v := v.(type) {
		case bool:
			return v, nil
		case int64:
			return v != 0, nil
		}
	case kTime:
		var t time.Time
		if err := (scanTime{&t}).Scan(v); err != nil {
			return nil, err
		}
		return t, nil
	case kBytes:
		switch v := v.(type) {
		case []byte:
			return v, nil
		case string:
			return []byte(v), nil
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}
