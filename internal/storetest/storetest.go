// Package storetest opens real stores for the tests of the packages that
// use one, on the backend the run was asked for (BULLETIN_TEST_BACKEND:
// sqlite, the default, or postgres on the server BULLETIN_TEST_POSTGRES
// names; see package testdb): a fresh database for each call, closed and
// dropped when the test ends.
package storetest

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
	"github.com/bulletin-app/bulletin/store"
)

// Backend returns the backend this run's tests use: "sqlite" or "postgres".
func Backend(tb testing.TB) string { return testdb.Backend(tb) }

// URL returns a new, empty database on this run's backend, as store.Open
// and the config's database.url take it. Opening it twice opens the same
// database, as two processes would.
func URL(tb testing.TB) string {
	tb.Helper()
	return testdb.URL(tb, testdb.Backend(tb))
}

// DatabaseURL returns what a test's config should say as database.url:
// empty on SQLite, for the default file in the config's data_dir (as a
// user's first run has it), or a new PostgreSQL database.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	if testdb.Backend(tb) == testdb.SQLite {
		return ""
	}
	return URL(tb)
}

// Open opens a new, empty store.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Exec runs a statement on st's database over a connection of its own, as
// another program would, in the dialect of the database: sqlite or
// postgres. It is for tests that change the database behind the store's
// back (a trigger that makes a write fail, say).
func Exec(tb testing.TB, st *store.Store, sqlite, postgres string) {
	tb.Helper()
	driver, dsn, stmt := "sqlite", "file:"+strings.TrimPrefix(st.Path(), "sqlite:"), sqlite
	if st.Dialect() == testdb.Postgres {
		driver, dsn, stmt = "pgx", st.Path(), postgres
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}
