package store

import (
	"context"
	"testing"
)

func TestSummaryCache(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		path := db.url(t)
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := st.CacheGet(ctx, "k1"); err != nil || ok {
			t.Fatalf("CacheGet on empty cache = %v, %v; want miss", ok, err)
		}
		if err := st.CachePut(ctx, "k1", []byte(`{"a":1}`)); err != nil {
			t.Fatal(err)
		}
		if err := st.CachePut(ctx, "k1", []byte(`{"a":2}`)); err != nil {
			t.Fatal(err)
		}
		st.Close()

		// A cached summary outlives the process that wrote it.
		st, err = Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		v, ok, err := st.CacheGet(ctx, "k1")
		if err != nil || !ok || string(v) != `{"a":2}` {
			t.Fatalf("CacheGet = %q, %v, %v; want the latest value", v, ok, err)
		}
		if _, ok, _ := st.CacheGet(ctx, "k2"); ok {
			t.Fatal("CacheGet of another key hit")
		}
	})
}
