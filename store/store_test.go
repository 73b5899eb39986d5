package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

func TestOpenTwiceKeepsData(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		path := db.url(t)
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveArticle(ctx, source.Article{Key: "k", Title: "T", Text: "x"}, false); err != nil {
			t.Fatal(err)
		}
		st.Close()
		st, err = Open(ctx, path) // migrations already applied must not run again
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if tot, err := st.Totals(ctx); err != nil || tot.Articles != 1 {
			t.Fatalf("Totals().Articles = %d, %v; want 1", tot.Articles, err)
		}
	})
}

func TestOpenSQLiteMakesItsFolderAndUsesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db", "bulletin.db")
	for _, target := range []string{path, "sqlite:" + path} {
		st := testDB{}.openURL(t, target)
		var mode string
		if err := st.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("%s: journal_mode = %q, %v; want wal", target, mode, err)
		}
		if st.Dialect() != "sqlite" || st.Path() != target || st.Name() != path {
			t.Errorf("%s: dialect %q, path %q, name %q", target, st.Dialect(), st.Path(), st.Name())
		}
	}
}

func TestSaveArticleOnceAndUpdate(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		a := source.Article{Key: "https://example.org/a", URL: "https://example.org/a", Title: "A", Text: "one"}
		steps := []struct {
			name string
			art  source.Article
			want Outcome
		}{
			{"new", a, Inserted},
			{"same again", a, Unchanged},
			{"text changed", func() source.Article { b := a; b.Text = "two"; return b }(), Updated},
			{"changed again is stable", func() source.Article { b := a; b.Text = "two"; return b }(), Unchanged},
		}
		for _, s := range steps {
			got, err := st.SaveArticle(ctx, s.art, false)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Errorf("%s: outcome %v, want %v", s.name, got, s.want)
			}
		}
		if tot, _ := st.Totals(ctx); tot.Articles != 1 {
			t.Errorf("stored %d articles, want 1", tot.Articles)
		}
	})
}

func TestEntriesAndIssues(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		for _, k := range []string{"a", "b"} {
			if _, err := st.SaveArticle(ctx, source.Article{Key: k, Title: "Title " + k, Text: "text " + k}, false); err != nil {
				t.Fatal(err)
			}
		}
		// A seeded article is kept but never summarized nor issued.
		if _, err := st.SaveArticle(ctx, source.Article{Key: "old", Title: "Old", Text: "old"}, true); err != nil {
			t.Fatal(err)
		}
		todo, err := st.ArticlesToSummarize(ctx)
		if err != nil || len(todo) != 2 {
			t.Fatalf("ArticlesToSummarize = %d, %v; want 2 (seeded left out)", len(todo), err)
		}
		for _, a := range todo {
			if err := st.SaveEntry(ctx, Entry{ArticleID: a.ID, ContentHash: a.ContentHash, Summary: []string{"S1.", "S2."}, Teaser: "T", Method: "extractive"}); err != nil {
				t.Fatal(err)
			}
		}
		if todo, _ := st.ArticlesToSummarize(ctx); len(todo) != 0 {
			t.Fatalf("after summarizing, %d articles still to summarize", len(todo))
		}
		un, err := st.UnissuedEntries(ctx)
		if err != nil || len(un) != 2 {
			t.Fatalf("UnissuedEntries = %d, %v; want 2", len(un), err)
		}
		is, err := st.CreateIssue(ctx, func(n int) string { return "No. " + string(rune('0'+n)) }, []int64{un[0].ID, un[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if is.Number != 1 || is.Title != "No. 1" || len(is.Entries) != 2 {
			t.Fatalf("issue = #%d %q with %d entries", is.Number, is.Title, len(is.Entries))
		}
		if got := is.Entries[0].Summary; len(got) != 2 || got[1] != "S2." {
			t.Errorf("summary round trip = %q", got)
		}
		// The same entries cannot go into a second issue.
		if _, err := st.CreateIssue(ctx, func(int) string { return "x" }, []int64{un[0].ID}); !errors.Is(err, ErrNotFound) {
			t.Errorf("second issue of taken entries: err = %v, want ErrNotFound", err)
		}
		if latest, err := st.LatestIssue(ctx); err != nil || latest.Number != 1 {
			t.Errorf("LatestIssue = %d, %v", latest.Number, err)
		}
		// A changed article is summarized again but stays in its issue.
		if _, err := st.SaveArticle(ctx, source.Article{Key: "a", Title: "Title a", Text: "new text"}, false); err != nil {
			t.Fatal(err)
		}
		todo, _ = st.ArticlesToSummarize(ctx)
		if len(todo) != 1 || todo[0].Key != "a" {
			t.Fatalf("after an update, to summarize = %v", todo)
		}
		if err := st.SaveEntry(ctx, Entry{ArticleID: todo[0].ID, ContentHash: todo[0].ContentHash, Summary: []string{"New."}, Method: "extractive"}); err != nil {
			t.Fatal(err)
		}
		is, _ = st.Issue(ctx, 1)
		if len(is.Entries) != 2 {
			t.Errorf("issue 1 has %d entries after an update, want 2", len(is.Entries))
		}
	})
}

func TestLockLease(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		if err := st.Lock(ctx, "send", "a", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := st.Lock(ctx, "send", "b", time.Minute); !errors.Is(err, ErrLocked) {
			t.Fatalf("second holder: err = %v, want ErrLocked", err)
		}
		if err := st.Lock(ctx, "send", "a", time.Minute); err != nil {
			t.Fatalf("renewal by holder: %v", err)
		}
		now = now.Add(2 * time.Minute) // the holder died: its lease runs out
		if err := st.Lock(ctx, "send", "b", time.Minute); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if err := st.Unlock(ctx, "send", "a"); err != nil {
			t.Fatal(err)
		}
		if err := st.Lock(ctx, "send", "a", time.Minute); !errors.Is(err, ErrLocked) {
			t.Fatalf("unlock by a non-holder must not free the lock: %v", err)
		}
	})
}

func TestSaveEntryMovesUpdatedOnlyWhenTheSummaryChanges(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		if _, err := st.SaveArticle(ctx, source.Article{Key: "k", Title: "T", Text: "x"}, false); err != nil {
			t.Fatal(err)
		}
		todo, _ := st.ArticlesToSummarize(ctx)
		e := Entry{ArticleID: todo[0].ID, ContentHash: "h1", Summary: []string{"Same."}, Teaser: "T", Method: "extractive"}
		updated := func() time.Time {
			un, err := st.UnissuedEntries(ctx)
			if err != nil || len(un) != 1 {
				t.Fatalf("UnissuedEntries = %v, %v", un, err)
			}
			return un[0].UpdatedAt
		}
		st.SaveEntry(ctx, e)
		first := updated()
		now = now.Add(time.Hour)
		e.ContentHash = "h2" // the article changed, but not its summary
		st.SaveEntry(ctx, e)
		if got := updated(); !got.Equal(first) {
			t.Errorf("same summary: updated moved from %v to %v", first, got)
		}
		e.Summary = []string{"Different."}
		st.SaveEntry(ctx, e)
		if got := updated(); !got.Equal(now) {
			t.Errorf("new summary: updated = %v, want %v", got, now)
		}
	})
}

func TestKeepLockRenewsUntilTakenOver(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		const ttl = 300 * time.Millisecond
		if err := st.Lock(ctx, "job", "a", ttl); err != nil {
			t.Fatal(err)
		}
		kctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- st.KeepLock(kctx, "job", "a", ttl) }()
		// Held for several lease lengths, it stays held because it is renewed.
		time.Sleep(3 * ttl)
		if err := st.Lock(ctx, "job", "b", ttl); !errors.Is(err, ErrLocked) {
			t.Fatalf("while renewed, another holder got the lock: %v", err)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("KeepLock after its context ended: %v", err)
		}

		// Taken over while not renewed: KeepLock says so.
		st.Unlock(ctx, "job", "a")
		if err := st.Lock(ctx, "job", "b", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := st.KeepLock(ctx, "job", "a", ttl); !errors.Is(err, ErrLocked) {
			t.Errorf("KeepLock of a lock another holds = %v, want ErrLocked", err)
		}
	})
}

// An article collected again unchanged is settled by a read: it takes no
// write lock, so it neither waits for a writer nor makes one wait. Another
// connection holds the lock a change would need (SQLite's write lock, or
// PostgreSQL's lock on the row) while the same article is saved again.
func TestSaveArticleUnchangedTakesNoLock(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		a := source.Article{Key: "https://example.org/a", URL: "https://example.org/a", Title: "A", Text: "one"}
		if _, err := st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		driver, dsn, lock := "sqlite", "file:"+strings.TrimPrefix(st.Path(), "sqlite:"), "BEGIN IMMEDIATE"
		if db.postgres() {
			driver, dsn, lock = "pgx", st.Path(), "BEGIN; SELECT id FROM articles WHERE key = 'https://example.org/a' FOR UPDATE"
		}
		other, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, lock); err != nil {
			t.Fatal(err)
		}
		// Were a lock taken, this would wait for the other connection until
		// the deadline.
		short, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if got, err := st.SaveArticle(short, a, false); err != nil || got != Unchanged {
			t.Fatalf("unchanged article while another holds the lock: %v, %v", got, err)
		}
		// A change waits for the lock, and goes through once it is free.
		done := make(chan Outcome, 1)
		go func() {
			b := a
			b.Text = "two"
			got, err := st.SaveArticle(ctx, b, false)
			if err != nil {
				t.Error(err)
			}
			done <- got
		}()
		select {
		case got := <-done:
			t.Fatalf("a changed article was saved (%v) while another connection held the lock", got)
		case <-time.After(200 * time.Millisecond):
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
		if got := <-done; got != Updated {
			t.Errorf("changed article: %v, want updated", got)
		}
	})
}

// An article whose image alone changes keeps its summary, and the pages
// that show the image are published again; the same image again writes
// nothing.
func TestSaveArticleImageAlone(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return clock })
		a := source.Article{Key: "https://example.org/a", URL: "https://example.org/a", Title: "A", Text: "one",
			Image: source.Image{URL: "https://example.org/1.jpg", Width: 800, Height: 600, Alt: "One"}}
		if _, err := st.SaveArticle(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		todo, err := st.ArticlesToSummarize(ctx)
		if err != nil || len(todo) != 1 {
			t.Fatalf("to summarize: %d, %v", len(todo), err)
		}
		if err := st.SaveEntry(ctx, Entry{ArticleID: todo[0].ID, ContentHash: todo[0].ContentHash, Summary: []string{"S."}, Method: "extractive"}); err != nil {
			t.Fatal(err)
		}
		un, err := st.UnissuedEntries(ctx)
		if err != nil || len(un) != 1 {
			t.Fatalf("unissued: %d, %v", len(un), err)
		}
		if _, err := st.CreateIssue(ctx, func(int) string { return "One" }, []int64{un[0].ID}); err != nil {
			t.Fatal(err)
		}
		changes := func(since time.Time) int {
			t.Helper()
			c, err := st.FeedChanges(ctx, since)
			if err != nil {
				t.Fatal(err)
			}
			return len(c)
		}
		clock = clock.Add(time.Hour)
		if got, err := st.SaveArticle(ctx, a, false); err != nil || got != Unchanged {
			t.Fatalf("same article and image: %v, %v", got, err)
		}
		if n := changes(clock); n != 0 {
			t.Errorf("the same image again: %d feed changes, want 0", n)
		}
		clock = clock.Add(time.Hour)
		b := a
		b.Image = source.Image{URL: "https://example.org/2.jpg", Alt: "Two"}
		if got, err := st.SaveArticle(ctx, b, false); err != nil || got != Unchanged {
			t.Fatalf("another image: %v, %v; want unchanged (no new summary)", got, err)
		}
		if todo, _ := st.ArticlesToSummarize(ctx); len(todo) != 0 {
			t.Errorf("another image: %d articles to summarize, want 0", len(todo))
		}
		if n := changes(clock); n != 1 {
			t.Errorf("another image: %d feed changes, want 1", n)
		}
		is, err := st.Issue(ctx, 1)
		if err != nil || len(is.Entries) != 1 {
			t.Fatalf("issue 1: %v", err)
		}
		if got := is.Entries[0].Image; got != b.Image {
			t.Errorf("image = %+v, want %+v", got, b.Image)
		}
	})
}
