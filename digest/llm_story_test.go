package digest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/source"
)

// TestLLMIsGivenTheEarlierEntry summarizes, with the LLM, an article that
// continues the story of an issued entry: the model is asked again with
// the earlier entry's title and summary in the prompt, and its answer is
// the entry's summary. An article that continues nothing is asked once,
// with no earlier story in its prompt.
func TestLLMIsGivenTheEarlierEntry(t *testing.T) {
	reply := func(summary []string, teaser string) string {
		b, _ := json.Marshal(map[string]any{"summary": summary, "teaser": teaser})
		return string(b)
	}
	opened := []string{
		"Mayor Ada Lovell opened the tram line between the harbour and the central station on Saturday, four years after the works began.",
		"The line cost 310 million euros, a third more than planned, and carries its first passengers from Monday.",
		"Chief engineer Tom Brand said the trams would run every six minutes at peak hours.",
	}
	closes := []string{
		"The harbour tram line will close for six weeks from May while cracked rails are replaced, Mayor Ada Lovell announced.",
		"Buses will replace the trams between the harbour and the station.",
		"Tom Brand, the engineer in charge, blamed a faulty batch of steel and said the supplier would pay for the repairs.",
	}
	whatIsNew := []string{"The harbour tram line, opened in March, shuts for six weeks from May to replace cracked rails.", "The steel supplier pays."}
	var srv *chatServer
	var prompts []string
	srv = newChatServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		srv.mu.Lock()
		req := srv.requests[len(srv.requests)-1]
		srv.mu.Unlock()
		var user string
		for _, m := range req.Messages {
			if m.Role == "user" {
				user = m.Content
			}
		}
		prompts = append(prompts, user) // one request at a time: SummarizeNew is sequential
		switch {
		case strings.Contains(user, "continues a story"):
			completion(w, reply(whatIsNew, "The tram line shuts for repairs."))
		case strings.Contains(user, "cracked rails"):
			completion(w, reply(closes, "The tram line closes."))
		default:
			completion(w, reply(opened, "The tram line opens."))
		}
	})
	st := storetest.Open(t)
	ctx := t.Context()
	l := NewLLM(testOptions(srv.URL), nil, nil)
	save := func(key, title, text string) {
		t.Helper()
		if _, err := st.SaveArticle(ctx, source.Article{Key: key, Title: title, Text: text, Source: "City News"}, false); err != nil {
			t.Fatal(err)
		}
		if n, problems, err := SummarizeNew(ctx, st, l, nil); err != nil || n != 1 || len(problems) != 0 {
			t.Fatalf("SummarizeNew = %d, %v, %v", n, problems, err)
		}
	}
	save("opens", "Harbour tram line opens after four years of works",
		"Mayor Ada Lovell opened the tram line between the harbour and the central station on Saturday. "+
			"Lovell said the works had taken four years. Chief engineer Tom Brand said trams would run every six minutes. "+
			"Brand thanked the crews who worked through the winter.")
	if len(prompts) != 1 || strings.Contains(prompts[0], "continues a story") {
		t.Fatalf("first article: %d prompts, or one with an earlier story: %q", len(prompts), prompts)
	}
	if _, err := BuildIssue(ctx, st, IssueOptions{}); err != nil {
		t.Fatal(err)
	}
	save("closes", "Harbour tram line shut for repairs months after opening",
		"The harbour tram line will close for six weeks from May while cracked rails are replaced, Mayor Ada Lovell announced. "+
			"Lovell said buses would replace the trams. Tom Brand, the engineer in charge, blamed a faulty batch of steel. "+
			"Brand said the supplier would pay for the repairs.")
	if len(prompts) != 3 {
		t.Fatalf("second article: %d prompts in all, want 3 (the first, then the second twice)", len(prompts))
	}
	p := prompts[2]
	for _, want := range []string{"issue #1", "Harbour tram line opens after four years of works", opened[0], opened[2], "what is new", "cracked rails"} {
		if !strings.Contains(p, want) {
			t.Errorf("the prompt given the earlier entry lacks %q:\n%s", want, p)
		}
	}
	un, err := st.UnissuedEntries(ctx)
	if err != nil || len(un) != 1 {
		t.Fatalf("unissued: %d, %v", len(un), err)
	}
	if got := strings.Join(un[0].Summary, " "); got != strings.Join(whatIsNew, " ") {
		t.Errorf("the entry's summary is %q, want the answer given the earlier entry", got)
	}
	is, err := BuildIssue(ctx, st, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e := is.Entries[0]; e.Earlier == nil || e.Earlier.IssueNumber != 1 {
		t.Errorf("issue 2's entry continues %+v, want issue 1's entry", e.Earlier)
	}
}
