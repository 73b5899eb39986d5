package source

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

var fetchTime = time.Date(2024, 3, 13, 12, 0, 0, 0, time.UTC)

type wantArticle struct {
	key, title, author string
	published          time.Time
	contains, absent   []string
}

func TestFetchFixtures(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name     string
		url      string
		articles []wantArticle
		problems []string // Origins of expected problems
	}{
		{
			name: "rss 2.0",
			url:  "https://riverside-chronicle.example/feed.xml",
			articles: []wantArticle{
				{
					key:       "https://riverside-chronicle.example/2024/03/12/flood-defences-finished/",
					title:     "Flood defences finished two months early",
					author:    "Priya Shah",
					published: time.Date(2024, 3, 12, 17, 30, 0, 0, time.UTC),
					contains:  []string{"within its £4.2m budget.\n\nThe 1.2 km wall", "“People on Mill Lane", "• Length: 1.2 km\n• Cost: £4.2m"},
					absent:    []string{"<p>", "tracker", "Same story"},
				},
				{
					// Relative link with a click id and fragment; a teaser
					// ending in "Read more" gets its page.
					key:       "https://riverside-chronicle.example/2024/03/11/bridge-repairs/",
					title:     "Bridge repairs: what drivers need to know",
					author:    "Tom Evans",
					published: time.Date(2024, 3, 11, 9, 15, 0, 0, time.UTC),
					contains:  []string{"replace the expansion joints", "before next winter.\n\nResidents of Bridge Street"},
					absent:    []string{"Most read", "Share on", "dataLayer", "Registered in England", "Read more"},
				},
				{
					// Dated 2099: clamped to the fetch time.
					key:       "https://riverside-chronicle.example/2099/01/01/goalkeeper/",
					title:     "Riverside FC sign goalkeeper from city rivals",
					published: fetchTime,
					contains:  []string{"Riverside FC have signed goalkeeper Sam Okafor"},
				},
				{
					// Escaped twice, and dated without a zone (UTC).
					key:       "https://riverside-chronicle.example/2024/03/08/market-hall/",
					title:     "Market hall reopens",
					published: time.Date(2024, 3, 8, 10, 0, 0, 0, time.UTC),
					contains:  []string{"restoration.\n\nTwenty-six traders", "repair café"},
					absent:    []string{"<p>", "&lt;", "&eacute;"},
				},
			},
			problems: []string{
				"https://riverside-chronicle.example/feed.xml item 5",
				"https://riverside-chronicle.example/2024/03/08/market-hall/",
				"https://riverside-chronicle.example/2099/01/01/goalkeeper/",
			},
		},
		{
			name: "atom 1.0",
			url:  "https://fieldnotes.example/atom.xml",
			articles: []wantArticle{
				{
					key:       "https://fieldnotes.example/2024/02/makefiles/",
					title:     "Why I still write Makefiles",
					author:    "Maria Lindqvist",
					published: time.Date(2024, 2, 20, 7, 0, 0, 0, time.UTC),
					contains:  []string{"with a Makefile anyway.", "runs it.\n\nWhat it is bad at\n\nMake is bad"},
					absent:    []string{"<code>", "&lt;"},
				},
				{
					// Relative link, summary only: the page (Windows-1252,
					// declared in a meta tag) gives the text.
					key:       "https://fieldnotes.example/2024/01/old-code/",
					title:     "Notes on reading old code",
					author:    "Maria Lindqvist",
					published: time.Date(2024, 1, 15, 7, 45, 0, 0, time.UTC),
					contains:  []string{"billing system written in 2003", "decisions like that one – the kind"},
					absent:    []string{"Archive", "No trackers"},
				},
				{
					key:       "https://fieldnotes.example/2023/12/small-tools/",
					title:     "Small tools, long lives",
					author:    "Maria Lindqvist",
					published: time.Date(2023, 12, 2, 10, 0, 0, 0, time.UTC),
					contains:  []string{"do one thing.\n\ngrep, sort, uniq"},
				},
			},
			problems: []string{"https://fieldnotes.example/2023/12/small-tools/"},
		},
		{
			name: "json feed 1.1",
			url:  "https://kitchentable.example/feed.json",
			articles: []wantArticle{
				{
					key:       "https://kitchentable.example/2024/03/sourdough-basics",
					title:     "Sourdough basics, without the mystique",
					author:    "Ruth Park",
					published: time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC),
					contains:  []string{"preference.\n\nFeed it once a day"},
				},
				{
					key:       "https://kitchentable.example/2024/03/lentil-soup",
					title:     "A lentil soup for the end of winter",
					author:    "Ruth Park",
					published: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
					contains:  []string{"no soaking.\n\nSoften an onion"},
				},
				{
					title:     "Kitchen notes, February",
					author:    "Ruth Park",
					published: time.Date(2024, 2, 20, 18, 30, 0, 0, time.UTC),
					contains:  []string{"roasting cauliflower whole"},
				},
			},
			problems: []string{"https://kitchentable.example/2024/03/sourdough-basics", "https://kitchentable.example/2024/03/lentil-soup"},
		},
		{
			name: "iso-8859-1 in prolog",
			url:  "https://cafedunord.example/prolog.xml",
			articles: []wantArticle{{
				key: "https://cafedunord.example/2024/creme-brulee", title: "La crème brûlée revient à la carte",
				published: time.Date(2024, 3, 6, 7, 0, 0, 0, time.UTC),
				contains:  []string{"Après deux ans d´absence", "arôme"},
			}},
			problems: []string{"https://cafedunord.example/2024/creme-brulee"},
		},
		{
			name: "iso-8859-1 in content-type",
			url:  "https://cafedunord.example/header.xml",
			articles: []wantArticle{{
				key: "https://cafedunord.example/2024/creme-brulee", title: "La crème brûlée revient à la carte",
				published: time.Date(2024, 3, 6, 7, 0, 0, 0, time.UTC),
				contains:  []string{"Après deux ans d´absence"},
			}},
			problems: []string{"https://cafedunord.example/2024/creme-brulee"},
		},
		{
			name: "koi8-r in content-type only",
			url:  "https://rayon-news.example/feed.xml",
			articles: []wantArticle{{
				key: "https://rayon-news.example/2024/katok", title: "В парке открылся новый каток",
				published: time.Date(2024, 2, 10, 8, 0, 0, 0, time.UTC),
				contains:  []string{"искусственным льдом"},
			}},
			problems: []string{"https://rayon-news.example/2024/katok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, st, err := s.feed(tt.url, fetchTime).Fetch(context.Background(), State{})
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if st.ETag != fixtureETag || st.LastModified != fixtureModified || !st.LastSuccess.Equal(fetchTime) || st.Failing() {
				t.Errorf("state = %+v", st)
			}
			if len(res.Articles) != len(tt.articles) {
				t.Fatalf("%d articles, want %d:\n%s", len(res.Articles), len(tt.articles), dump(res))
			}
			for i, w := range tt.articles {
				checkArticle(t, res.Articles[i], w)
			}
			var origins []string
			for _, p := range res.Problems {
				origins = append(origins, p.Origin)
			}
			if strings.Join(sorted(origins), "\n") != strings.Join(sorted(tt.problems), "\n") {
				t.Errorf("problems:\n%s\nwant origins %q", dump(Result{Problems: res.Problems}), tt.problems)
			}
		})
	}
}

func checkArticle(t *testing.T, a Article, w wantArticle) {
	t.Helper()
	if w.key == "" {
		w.key = "sha256:" + a.ContentHash()
	} else if a.URL != w.key {
		t.Errorf("URL = %q, want %q", a.URL, w.key)
	}
	if a.Key != w.key {
		t.Errorf("Key = %q, want %q", a.Key, w.key)
	}
	if a.Title != w.title {
		t.Errorf("Title = %q, want %q", a.Title, w.title)
	}
	if a.Author != w.author {
		t.Errorf("%s: Author = %q, want %q", w.title, a.Author, w.author)
	}
	if !a.Published.Equal(w.published) {
		t.Errorf("%s: Published = %v, want %v", w.title, a.Published, w.published)
	}
	if a.Source != "test" || a.Origin == "" {
		t.Errorf("Source, Origin = %q, %q", a.Source, a.Origin)
	}
	for _, c := range w.contains {
		if !strings.Contains(a.Text, c) {
			t.Errorf("%s: text lacks %q:\n%s", w.title, c, a.Text)
		}
	}
	for _, c := range w.absent {
		if strings.Contains(a.Text, c) {
			t.Errorf("%s: text has %q:\n%s", w.title, c, a.Text)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Broken upstreams each fail their own fetch, keep what the state knew, and
// do not disturb a good source fetched at the same time.
func TestFetchBroken(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name, url string
		maxBytes  int64
		timeout   time.Duration
		want      string // in the error
		is        error
	}{
		{name: "redirect loop", url: "https://loop.example/feed", want: "redirects"},
		{name: "endless body", url: "https://huge.example/feed", maxBytes: 1 << 20, is: ErrTooLarge},
		{name: "trickling body", url: "https://slow.example/feed", timeout: 300 * time.Millisecond, is: context.DeadlineExceeded},
		{name: "html page", url: "https://riverside-chronicle.example/", want: "links to the feed https://riverside-chronicle.example/feed/", is: errNotFeed},
		{name: "invalid xml", url: "https://broken.example/invalid.xml", want: "parse feed"},
		{name: "not found", url: "https://broken.example/gone.xml", want: "404"},
		{name: "not http", url: "ftp://broken.example/feed.xml", want: "url"},
	}
	old := State{ETag: `"old"`, LastModified: "Mon, 11 Mar 2024 10:00:00 GMT", LastSuccess: fetchTime.Add(-time.Hour)}
	var wg sync.WaitGroup
	good := make(chan int, 1)
	wg.Go(func() {
		res, _, err := s.feed("https://kitchentable.example/feed.json", fetchTime).Fetch(context.Background(), State{})
		if err != nil {
			t.Errorf("good feed: %v", err)
		}
		good <- len(res.Articles)
	})
	for _, tt := range tests {
		wg.Go(func() {
			f := s.feed(tt.url, fetchTime)
			if tt.maxBytes > 0 {
				f.MaxBytes = tt.maxBytes
			}
			if tt.timeout > 0 {
				f.Timeout = tt.timeout
			}
			res, st, err := f.Fetch(context.Background(), old)
			if err == nil {
				t.Errorf("%s: no error", tt.name)
				return
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%s: error %v is not %v", tt.name, err, tt.is)
			}
			if len(res.Articles) != 0 {
				t.Errorf("%s: %d articles", tt.name, len(res.Articles))
			}
			if st.ETag != old.ETag || st.LastModified != old.LastModified || !st.LastSuccess.Equal(old.LastSuccess) {
				t.Errorf("%s: state lost what it knew: %+v", tt.name, st)
			}
			if st.Failures != 1 || st.LastError == "" || !st.NextAttempt.After(fetchTime) || st.Failing() {
				t.Errorf("%s: state after one failure = %+v", tt.name, st)
			}
		})
	}
	wg.Wait()
	if n := <-good; n != 3 {
		t.Errorf("good feed gave %d articles beside the broken ones, want 3", n)
	}
}

func TestFetchConditional(t *testing.T) {
	s := newSite(t)
	const u = "https://fieldnotes.example/atom.xml"
	f := s.feed(u, fetchTime)
	res, st, err := f.Fetch(context.Background(), State{})
	if err != nil || len(res.Articles) != 3 {
		t.Fatalf("first fetch: %d articles, %v", len(res.Articles), err)
	}
	if !(State{}).FirstRun() || st.FirstRun() {
		t.Error("FirstRun: want true before the first success only")
	}
	f.Now = func() time.Time { return fetchTime.Add(time.Hour) }
	res, st2, err := f.Fetch(context.Background(), st)
	if err != nil || len(res.Articles) != 0 {
		t.Fatalf("second fetch: %d articles, %v", len(res.Articles), err)
	}
	if st2.ETag != fixtureETag || st2.LastModified != fixtureModified || !st2.LastSuccess.Equal(fetchTime.Add(time.Hour)) {
		t.Errorf("after 304: %+v", st2)
	}
	hits := s.hits("fieldnotes.example/atom.xml")
	if len(hits) != 2 {
		t.Fatalf("%d requests", len(hits))
	}
	if h := hits[0].Header; h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Errorf("first request sent validators: %v", h)
	}
	if h := hits[1].Header; h.Get("If-None-Match") != fixtureETag || h.Get("If-Modified-Since") != fixtureModified {
		t.Errorf("second request headers: %v", h)
	}
	for _, r := range append(hits, s.hits("fieldnotes.example/2024/01/old-code/")...) {
		if ua := r.Header.Get("User-Agent"); ua != "bulletin/test (+https://bulletin.example)" {
			t.Errorf("%s: User-Agent %q", r.URL, ua)
		}
	}
}

// The sequence bulletin status shows: failures are retried with backoff,
// become Failing only once they persist, and clear on the first success;
// nothing collected before is lost on the way.
func TestFetchFailureSequence(t *testing.T) {
	s := newSite(t)
	const u = "https://riverside-chronicle.example/feed.xml"
	now := fetchTime
	f := s.feed(u, now)
	f.Now = func() time.Time { return now }
	f.FullText = FullTextNever
	stored := map[string]Article{} // what the caller keeps
	keep := func(r Result) {
		for _, a := range r.Articles {
			stored[a.Key] = a
		}
	}

	res, st, err := f.Fetch(context.Background(), State{})
	if err != nil {
		t.Fatal(err)
	}
	keep(res)
	before := len(stored)
	if before != 4 {
		t.Fatalf("%d articles stored", before)
	}
	// A later fetch gets the whole feed again (the validators are dropped
	// as a newer feed would have other ones).
	st.ETag, st.LastModified = "", ""

	s.setFail(true)
	wantFailing := []bool{false, false, true, true}
	for i, want := range wantFailing {
		now = now.Add(time.Hour)
		// Retrying before NextAttempt is refused without a request.
		if i > 0 {
			n := len(s.hits("riverside-chronicle.example/feed.xml"))
			early := st.NextAttempt.Add(-time.Second)
			f2 := f
			f2.Now = func() time.Time { return early }
			_, st2, err := f2.Fetch(context.Background(), st)
			if !errors.Is(err, ErrBackoff) || st2 != st || len(s.hits("riverside-chronicle.example/feed.xml")) != n {
				t.Fatalf("fetch during backoff: err %v, state changed %v", err, st2 != st)
			}
			now = st.NextAttempt
		}
		var res Result
		res, st, err = f.Fetch(context.Background(), st)
		keep(res)
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("failure %d: err = %v", i+1, err)
		}
		if st.Failures != i+1 || st.Failing() != want {
			t.Errorf("after failure %d: Failures %d Failing %v, want Failing %v", i+1, st.Failures, st.Failing(), want)
		}
		if !strings.Contains(st.LastError, "500") || st.FirstRun() {
			t.Errorf("after failure %d: %+v", i+1, st)
		}
	}
	if wait := st.NextAttempt.Sub(now); wait != 8*DefaultBackoff {
		t.Errorf("backoff after 4 failures = %v, want %v", wait, 8*DefaultBackoff)
	}
	if len(stored) != before {
		t.Errorf("stored articles went from %d to %d", before, len(stored))
	}

	s.setFail(false)
	now = st.NextAttempt
	res, st, err = f.Fetch(context.Background(), st)
	keep(res)
	if err != nil {
		t.Fatal(err)
	}
	if st.Failing() || st.Failures != 0 || st.LastError != "" || !st.NextAttempt.IsZero() || !st.LastSuccess.Equal(now) {
		t.Errorf("after recovery: %+v", st)
	}
	if len(stored) != before {
		t.Errorf("stored articles: %d, want %d", len(stored), before)
	}
}

func TestFetchFailingAfterDuration(t *testing.T) {
	s := newSite(t)
	s.setFail(true)
	now := fetchTime
	f := s.feed("https://quiet.example/feed.xml", now)
	f.Now = func() time.Time { return now }
	f.ReportAfter = 100
	f.FailingAfter = 2 * time.Hour
	_, st, _ := f.Fetch(context.Background(), State{})
	now = now.Add(90 * time.Minute)
	_, st, _ = f.Fetch(context.Background(), st)
	if st.Failing() {
		t.Fatal("failing after 90 minutes")
	}
	now = now.Add(45 * time.Minute)
	_, st, _ = f.Fetch(context.Background(), st)
	if !st.Failing() || !st.FailingSince.Equal(now) {
		t.Errorf("after 135 minutes: %+v", st)
	}
}

func TestFetchRetryAfter(t *testing.T) {
	s := newSite(t)
	_, st, err := s.feed("https://busy.example/feed", fetchTime).Fetch(context.Background(), State{})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 429 {
		t.Fatalf("err = %v", err)
	}
	if !st.NextAttempt.Equal(fetchTime.Add(2 * time.Hour)) {
		t.Errorf("NextAttempt = %v, want Retry-After's two hours", st.NextAttempt)
	}
}

func TestFetchEmptyFeedKeepsValidators(t *testing.T) {
	s := newSite(t)
	old := State{ETag: `"before"`, LastModified: "Mon, 11 Mar 2024 10:00:00 GMT"}
	res, st, err := s.feed("https://quiet.example/feed.xml", fetchTime).Fetch(context.Background(), old)
	if err != nil || len(res.Articles) != 0 || len(res.Problems) != 0 {
		t.Fatalf("empty feed: %v %v", err, dump(res))
	}
	if st.ETag != old.ETag || st.LastModified != old.LastModified || st.FirstRun() {
		t.Errorf("state = %+v", st)
	}
}

func TestFullTextModes(t *testing.T) {
	const u = "https://fieldnotes.example/atom.xml"
	const page = "fieldnotes.example/2024/01/old-code/"
	tests := []struct {
		mode  string
		known func(string) bool
		pages int // page requests made
		n     int // articles
	}{
		{mode: FullTextNever, pages: 0, n: 3},
		{mode: FullTextAuto, pages: 1, n: 3},
		{mode: FullTextAlways, pages: 1, n: 3},
		{mode: FullTextAuto, known: func(k string) bool { return strings.Contains(k, "old-code") }, pages: 0, n: 2},
	}
	for _, tt := range tests {
		s := newSite(t)
		f := s.feed(u, fetchTime)
		f.FullText, f.Known = tt.mode, tt.known
		res, _, err := f.Fetch(context.Background(), State{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(s.hits(page)); got != tt.pages {
			t.Errorf("%s: %d page requests, want %d", tt.mode, got, tt.pages)
		}
		if len(res.Articles) != tt.n {
			t.Errorf("%s: %d articles, want %d", tt.mode, len(res.Articles), tt.n)
		}
		if tt.mode == FullTextAlways && len(s.hits("fieldnotes.example/2024/02/makefiles/")) != 1 {
			t.Errorf("always: long item's page not fetched")
		}
		if tt.mode == FullTextNever {
			for _, a := range res.Articles {
				if strings.Contains(a.Key, "old-code") && a.Text != "Reading code written twenty years ago taught me more about my own habits than any style guide." {
					t.Errorf("never: text %q", a.Text)
				}
			}
		}
	}
	if err := (UpstreamFeed{Name: "x", URL: u, FullText: "sometimes"}).Validate(); err == nil || !strings.Contains(err.Error(), "full_text") {
		t.Errorf("Validate: %v", err)
	}
}

func TestIsTeaser(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"The wall was finished on Monday.", false},
		{"The wall was finished on Monday…", true},
		{"The wall was finished [...]", true},
		{"The wall was finished. Read more »", true},
		{"The wall was finished.\nContinue reading →", true},
		{"He said there was nothing more", false},
		{"Word count: 3...", true},
	}
	for _, tt := range tests {
		if got := isTeaser(tt.text); got != tt.want {
			t.Errorf("isTeaser(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
