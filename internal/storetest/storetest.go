// Package storetest opens real stores for the tests of the packages that
// use one: a fresh SQLite file in the test's temporary folder, closed when
// the test ends.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bulletin-app/bulletin/store"
)

// Open opens a new, empty store.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "bulletin.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}
