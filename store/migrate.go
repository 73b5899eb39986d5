package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// migrationNames lists the dialect's migrations in the order they apply.
// Both dialects have the same list: a change to the schema is written for
// each (a test holds them to it).
func migrationNames(d *dialect) ([]string, error) {
	files, err := fs.Glob(sqlFiles, "migrations/"+d.name+"/*.sql")
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = path.Base(f)
	}
	sort.Strings(names)
	return names, nil
}

// migrate applies the migrations not applied yet, each in its own
// transaction under the database's migration lock, so that processes
// starting together apply each exactly once: SQLite's write lock, taken at
// BEGIN (transactions are IMMEDIATE), or a PostgreSQL advisory lock held
// until the transaction ends. The check for a migration and its
// application happen under that lock.
func (s *Store) migrate(ctx context.Context) error { return s.migrateUpTo(ctx, "") }

// migrateUpTo is migrate, stopping before the migration named before
// (none when empty): a test makes a database as an older bulletin left it.
func (s *Store) migrateUpTo(ctx context.Context, before string) error {
	names, err := migrationNames(s.dialect)
	if err != nil {
		return err
	}
	for _, name := range names {
		if before != "" && name >= before {
			break
		}
		err := s.retryBusy(ctx, func() error {
			return s.rawTx(ctx, func(tx *sql.Tx) error {
				for _, id := range []queryID{qMigrateLock, qMigrationsTable} {
					if s.texts[id] == "" {
						continue
					}
					if _, err := tx.ExecContext(ctx, s.texts[id]); err != nil {
						return err
					}
				}
				var n int
				if err := tx.QueryRowContext(ctx, s.texts[qMigrationApplied], name).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return nil
				}
				body, err := fs.ReadFile(sqlFiles, "migrations/"+s.dialect.name+"/"+name)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, string(body)); err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, s.texts[qMigrationRecord], name, s.timeArg(s.now()))
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// retryBusy runs fn again while SQLite reports the database busy, for as
// long as its busy timeout. Its busy handler makes a connection wait for
// another's lock, except on a new file: while one process switches it to
// WAL, another opening it may be told "busy" at once.
func (s *Store) retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err := fn()
		var se *sqlite.Error
		if s.dialect != sqliteDialect || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// rawTx is tx for statements run by their text, before the schema they
// are prepared against exists.
func (s *Store) rawTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
