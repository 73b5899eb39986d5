package store

import (
	"context"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/internal/storetest/testdb"
)

// testDB is the backend one run of a test is on.
type testDB struct{ backend string }

// eachDB runs f once per backend, as the subtests sqlite and postgres, so
// that every behaviour of the store is checked on both. Without a
// PostgreSQL server for tests, the postgres subtest skips (fails under
// BULLETIN_E2E=1).
func eachDB(t *testing.T, f func(t *testing.T, db testDB)) {
	t.Helper()
	for _, b := range testdb.Backends {
		t.Run(b, func(t *testing.T) { f(t, testDB{b}) })
	}
}

// url returns a new, empty database's target for Open; opening it twice
// opens the same database, as two processes would.
func (db testDB) url(t *testing.T) string { return testdb.URL(t, db.backend) }

// urlB is url for a benchmark.
func (db testDB) urlB(b *testing.B) string { return testdb.URL(b, db.backend) }

// open opens a store on a new, empty database, closed when the test ends.
func (db testDB) open(t *testing.T) *Store {
	t.Helper()
	return db.openURL(t, db.url(t))
}

// openURL opens a store on target, closed when the test ends.
func (db testDB) openURL(t testing.TB, target string) *Store {
	t.Helper()
	st, err := Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func (db testDB) postgres() bool { return db.backend == testdb.Postgres }

// precision is how finely the backend keeps times: SQLite's text holds
// nanoseconds, PostgreSQL's timestamps microseconds.
func (db testDB) precision() time.Duration {
	if db.postgres() {
		return time.Microsecond
	}
	return time.Nanosecond
}
