package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func collectFixtures(t *testing.T) (map[string]Article, map[string]error) {
	t.Helper()
	res, err := Folder{Name: "local", Dir: "testdata/folder"}.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	arts := map[string]Article{}
	for _, a := range res.Articles {
		rel, _ := filepath.Rel("testdata/folder", a.Origin)
		arts[filepath.ToSlash(rel)] = a
	}
	probs := map[string]error{}
	for _, p := range res.Problems {
		rel, _ := filepath.Rel("testdata/folder", p.Origin)
		probs[filepath.ToSlash(rel)] = p.Err
	}
	return arts, probs
}

func TestFolderCollectFiles(t *testing.T) {
	arts, _ := collectFixtures(t)
	date := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		file      string
		title     string
		url       string
		author    string
		published time.Time
		contains  []string // substrings of Text
		absent    []string // must not appear in Text
		textStart string
	}{
		{
			file:      "kanye-trump-tower.txt",
			title:     "Kanye 2024: Rapper makes VIP trip to Trump Tower to meet president-elect and Ivanka, talk violence in Chicago, bullying and schools - then hints he will run for White House too",
			textStart: "• Rapper, 39, requested meeting with president-elect",
			contains: []string{
				"\n• West swept in to gilded lobby",
				"too.\n\nWest was cleared by the Secret Service",
			},
		},
		{
			file:      "2024/kanye-mar-a-lago.txt",
			title:     "Kanye West Says He Visited Mar-a-Lago, Talked 2024 Campaign With Trump",
			textStart: "It looks like Kanye West is serious",
			contains:  []string{"Donald Trump and Kanye West comp\nDonald Trump and Kanye West are pictured."},
		},
		{
			file:      "2024/march/sqlite-release.md",
			title:     "SQLite 3.46 adds a faster query planner",
			url:       "https://example.com/news/sqlite-3-46?a=1&b=2",
			author:    "Ana Ruiz",
			published: date("2024-03-14T09:30:00+01:00"),
			textStart: "Ignored heading? No: the title comes from the front matter\n\nSQLite 3.46 was released on Thursday with a reworked query planner that picks better indexes for joins.",
			contains:  []string{"• Faster JOIN planning\n• New JSON functions", "PRAGMA optimize;", "The release notes list 40 smaller fixes."},
			absent:    []string{"<", "alert", "**", "`", "](http"},
		},
		{
			file:      "2024/march/plain-date.md",
			title:     "Council approves new bike lanes",
			author:    "City Desk",
			published: date("2024-03-02T00:00:00Z"),
			textStart: "The city council voted 7–2 on Monday",
			contains:  []string{"Main Street.\n\nWork starts in May."},
		},
		{
			file:      "2024/march/quoted-date.md",
			title:     "Library extends weekend hours",
			published: date("2024-03-09T00:00:00Z"),
			textStart: "Starting in April",
		},
		{
			file:      "2024/march/no-front-matter.md",
			title:     "Heat pump sales overtake gas boilers",
			textStart: "For the first time, more heat pumps",
		},
		{
			file:      "2024/local-zone.md",
			title:     "Ferry timetable changes",
			published: date("2024-05-01T06:15:00Z"),
			textStart: "The morning ferry",
		},
		{
			file:      "2024/harbour.html",
			author:    "Tom Lind",
			title:     "New harbour crane arrives",
			url:       "https://www.port-gazette.example/2024/04/harbour-crane",
			textStart: "",
			contains:  []string{"arrived on Tuesday on a barge from Rotterdam", "in June.\n\nDock workers", "14 million euros"},
			absent:    []string{"dataLayer", "Subscribe to our newsletter", "All rights reserved", "pageview", "<p"},
		},
		{
			file:      "2024/short.htm",
			title:     "Short notice",
			textStart: "The museum is closed on Monday for repairs.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, ok := arts[tt.file]
			if !ok {
				t.Fatalf("no article from %s", tt.file)
			}
			if a.Title != tt.title {
				t.Errorf("Title = %q, want %q", a.Title, tt.title)
			}
			if a.URL != tt.url {
				t.Errorf("URL = %q, want %q", a.URL, tt.url)
			}
			wantKey := tt.url
			if wantKey == "" {
				wantKey = "sha256:" + a.ContentHash()
			}
			if a.Key != wantKey {
				t.Errorf("Key = %q, want %q", a.Key, wantKey)
			}
			if a.Author != tt.author {
				t.Errorf("Author = %q, want %q", a.Author, tt.author)
			}
			if !a.Published.Equal(tt.published) {
				t.Errorf("Published = %v, want %v", a.Published, tt.published)
			}
			if a.Source != "local" {
				t.Errorf("Source = %q", a.Source)
			}
			if !strings.HasPrefix(a.Text, tt.textStart) {
				t.Errorf("Text starts %q, want %q", truncateRunes(a.Text, 120), tt.textStart)
			}
			for _, s := range tt.contains {
				if !strings.Contains(a.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, a.Text)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(a.Text, s) {
					t.Errorf("Text has %q:\n%s", s, a.Text)
				}
			}
			if strings.Contains(a.Text, "\n\n\n") || strings.HasSuffix(a.Text, "\n") || strings.Contains(a.Text, "  ") {
				t.Errorf("Text not normalized: %q", a.Text)
			}
		})
	}
}

func TestFolderSkipsAndReports(t *testing.T) {
	arts, probs := collectFixtures(t)
	var got []string
	for f := range arts {
		got = append(got, f)
	}
	slices.Sort(got)
	want := []string{
		"2024/harbour.html", "2024/kanye-mar-a-lago.txt", "2024/local-zone.md",
		"2024/march/no-front-matter.md", "2024/march/plain-date.md", "2024/march/quoted-date.md",
		"2024/march/sqlite-release.md", "2024/short.htm", "kanye-trump-tower.txt",
	}
	if !slices.Equal(got, want) {
		t.Errorf("collected %q\nwant %q", got, want)
	}
	wantProblems := map[string]string{
		"broken/bad-date.md": "date",
		"broken/unclosed.md": "no closing ---",
		"broken/bad-yaml.md": "front matter",
		"broken/empty.txt":   errNoText.Error(),
		"broken/blank.txt":   errNoText.Error(),
	}
	for f, sub := range wantProblems {
		err, ok := probs[f]
		if !ok {
			t.Errorf("no problem reported for %s", f)
			continue
		}
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("%s: error %q does not mention %q", f, err, sub)
		}
	}
	if len(probs) != len(wantProblems) {
		t.Errorf("problems: %v", probs)
	}
}

func TestFolderErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := (Folder{Name: "x", Dir: "testdata/no-such-dir"}).Collect(ctx); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: err = %v", err)
	}
	if _, err := (Folder{Name: "x", Dir: "testdata/folder/notes.json"}).Collect(ctx); err == nil {
		t.Error("file as dir: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (Folder{Name: "x", Dir: "testdata/folder"}).Collect(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.txt"), []byte("Title\n\n"+strings.Repeat("word ", 100)), 0o644)
	os.WriteFile(filepath.Join(dir, "small.txt"), []byte("Title\n\nshort"), 0o644)
	res, err := Folder{Name: "x", Dir: dir, MaxBytes: 100}.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) != 1 || len(res.Problems) != 1 || !errors.Is(res.Problems[0].Err, ErrTooLarge) {
		t.Errorf("size limit: %d articles, problems %v", len(res.Articles), res.Problems)
	}
}

func TestFolderKeyStable(t *testing.T) {
	a1, _ := collectFixtures(t)
	a2, _ := collectFixtures(t)
	for f, a := range a1 {
		if a2[f].Key != a.Key {
			t.Errorf("%s: key changed between runs", f)
		}
	}
}

// A folder read with the stamps of an earlier read skips the files whose
// size and time say they are unchanged, hashes those whose time moved, and
// parses only those whose bytes changed.
func TestFolderSkipsUnchangedFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	write := func(name, body string, mtime time.Time) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.txt", "Alpha\n\nThe first story.", old)
	b := write("b.txt", "Beta\n\nThe second story.", old)
	c := write("c.txt", "Gamma\n\nThe third story.", old)
	now := old.Add(time.Hour)
	f := Folder{Name: "local", Dir: dir, Now: func() time.Time { return now }}
	first, err := f.Collect(ctx)
	if err != nil || len(first.Articles) != 3 || len(first.Files) != 3 || first.Unchanged != 0 {
		t.Fatalf("first read: %d articles, %d stamps, %d unchanged, %v", len(first.Articles), len(first.Files), first.Unchanged, err)
	}
	f.Seen = map[string]FileStamp{}
	for _, st := range first.Files {
		f.Seen[st.Path] = st
	}

	// a: new bytes of the same size under the old time, which the stamp
	// cannot tell from the old ones (the price of not reading); b: touched,
	// same bytes; c: new bytes.
	write("a.txt", "Alpha\n\nThe FIRST story.", old)
	write("b.txt", "Beta\n\nThe second story.", old.Add(time.Minute))
	write("c.txt", "Gamma\n\nThe third story, updated.", old.Add(time.Minute))
	now = now.Add(time.Hour)
	second, err := f.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Articles) != 1 || second.Articles[0].Origin != c || second.Unchanged != 2 {
		t.Fatalf("second read: articles %v, %d unchanged; want only %s, 2", second.Articles, second.Unchanged, c)
	}
	stamps := map[string]FileStamp{}
	for _, st := range second.Files {
		stamps[filepath.Join(dir, st.Path)] = st
	}
	if _, ok := stamps[a]; ok {
		t.Error("a, unchanged by size and time, was read")
	}
	if st, ok := stamps[b]; !ok || !st.ModTime.Equal(old.Add(time.Minute)) || st.Hash != f.Seen["b.txt"].Hash {
		t.Errorf("b, touched: stamp %+v, want its new time and its old hash", st)
	}
	if st, ok := stamps[c]; !ok || st.Hash == f.Seen["c.txt"].Hash {
		t.Errorf("c, changed: stamp %+v, want a new hash", st)
	}
	// Stamps do not depend on how the folder is named.
	f2 := f
	f2.Dir = filepath.Join(dir, "..", filepath.Base(dir)) + string(filepath.Separator)
	if again, err := f2.Collect(ctx); err != nil || len(again.Articles) != 1 {
		t.Errorf("the same folder by another name: %d articles, %v; want only the one changed since its stamp", len(again.Articles), err)
	}

	// A file written moments before its stamp was made may have been
	// written again within the same tick: its time is not trusted.
	racy := write("d.txt", "Delta\n\nThe fourth story.", now.Add(-time.Second))
	third, err := f.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range third.Files {
		f.Seen[st.Path] = st
	}
	write("d.txt", "Delta\n\nThe 4th story.", now.Add(-time.Second))
	fourth, err := f.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fourth.Articles) != 1 || fourth.Articles[0].Origin != racy {
		t.Errorf("a file changed within the tick of its stamp: articles %v, want %s", fourth.Articles, racy)
	}
}
