// Package testdb gives each test a fresh, empty database of either kind the
// store supports, as a target for store.Open: a SQLite file in the test's
// temporary folder, or a new database on the PostgreSQL server that
// BULLETIN_TEST_POSTGRES names (a URL of a role that may create databases,
// like postgres://postgres@127.0.0.1:5432/postgres), dropped when the test
// ends. Without that server, a PostgreSQL test skips when run by hand and
// fails under BULLETIN_E2E=1.
//
// It does not import the store, so that the store's own tests can use it.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// The backends, by the names BULLETIN_TEST_BACKEND takes.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backends are every backend, in the order tests run them.
var Backends = []string{SQLite, Postgres}

// Backend returns the backend that BULLETIN_TEST_BACKEND names, SQLite when
// it is unset: the one the tests of packages above the store run on.
func Backend(tb testing.TB) string {
	tb.Helper()
	switch b := os.Getenv("BULLETIN_TEST_BACKEND"); b {
	case "", SQLite:
		return SQLite
	case Postgres:
		return Postgres
	default:
		tb.Fatalf("BULLETIN_TEST_BACKEND=%q: want %s or %s", b, SQLite, Postgres)
		return ""
	}
}

// URL returns a new, empty database of the backend, as store.Open takes it.
func URL(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case SQLite:
		return filepath.Join(tb.TempDir(), "bulletin.db")
	case Postgres:
		return postgresDB(tb)
	}
	tb.Fatalf("unknown backend %q", backend)
	return ""
}

var admin struct {
	once sync.Once
	db   *sql.DB
	url  *url.URL
	err  error
}

// Server returns the PostgreSQL server tests may create databases on, or
// stops the test when there is none.
func Server(tb testing.TB) (*sql.DB, *url.URL) {
	tb.Helper()
	raw := os.Getenv("BULLETIN_TEST_POSTGRES")
	if raw == "" {
		testtool.Missing(tb, "no PostgreSQL for tests: BULLETIN_TEST_POSTGRES is unset (a postgres:// URL of a role that may create databases)")
	}
	admin.once.Do(func() {
		if admin.url, admin.err = url.Parse(raw); admin.err != nil {
			return
		}
		if admin.db, admin.err = sql.Open("pgx", raw); admin.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		admin.err = admin.db.PingContext(ctx)
	})
	if admin.err != nil {
		testtool.Missing(tb, fmt.Sprintf("PostgreSQL at BULLETIN_TEST_POSTGRES: %v", admin.err))
	}
	return admin.db, admin.url
}

// postgresDB creates a database for this test alone and returns its URL.
func postgresDB(tb testing.TB) string {
	tb.Helper()
	db, server := Server(tb)
	var b [8]byte
	rand.Read(b[:])
	name := "bulletin_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name+` ENCODING 'UTF8' TEMPLATE template0`); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		// FORCE ends connections a test left open (a killed child's, say).
		if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u := *server
	u.Path = "/" + name
	return u.String()
}
