package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/digest"
)

func TestLead3SplitsLikeTheReference(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"One. Two! Three? Four.", []string{"One.", "Two!", "Three?"}},
		// The closing quote after the stop is dropped by the reference split.
		{"He said 'yes.' Then he left. Fine.", []string{"He said 'yes.", "Then he left.", "Fine."}},
		{"Mr. Smith came. lower case. The end.", []string{"Mr.", "Smith came. lower case.", "The end."}},
		{"No stop at all", []string{"No stop at all"}},
		{"A. (B) c. D.", []string{"A.", "(B) c.", "D."}},
	}
	for _, tc := range cases {
		if got := lead3(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("lead3(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRunWritesPredictions(t *testing.T) {
	exs, err := load("testdata/tiny.jsonl", "all")
	if err != nil || len(exs) != 2 {
		t.Fatalf("load = %d, %v", len(exs), err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "default.jsonl")
	res, err := run(system{"default", summaryOf(digest.NewExtractive(digest.ExtractiveOptions{}))}, exs, path)
	if err != nil {
		t.Fatal(err)
	}
	if res.scores.R1 <= 0.2 || res.scores.R1 > 1 {
		t.Errorf("R1 = %.3f on easy articles", res.scores.R1)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	ids := []string{}
	for sc.Scan() {
		var p struct{ ID, Summary string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
		if strings.Contains(p.Summary, "Wrecked:") || strings.Contains(p.Summary, "Scroll down") || strings.Contains(p.Summary, "(CNN)") {
			t.Errorf("prediction keeps page furniture: %q", p.Summary)
		}
		if len(strings.Split(p.Summary, "\n")) < 2 {
			t.Errorf("prediction %s is not one sentence a line: %q", p.ID, p.Summary)
		}
	}
	if strings.Join(ids, ",") != "a1,a2" {
		t.Errorf("ids = %v", ids)
	}
}

func TestSplitsArePartition(t *testing.T) {
	tune, _ := load("testdata/tiny.jsonl", "tune")
	held, _ := load("testdata/tiny.jsonl", "held")
	if len(tune)+len(held) != 2 {
		t.Fatalf("tune %d + held %d != 2", len(tune), len(held))
	}
	if _, err := load("testdata/tiny.jsonl", "other"); err == nil {
		t.Error("unknown split accepted")
	}
}

// TestLead3MatchesReferenceScorer checks the Lead-3 baseline against
// rouge.py's own --lead3 on the same file.
func TestLead3MatchesReferenceScorer(t *testing.T) {
	script := filepath.Join("..", "..", "..", "shared", "tools", "rouge.py")
	out, err := exec.Command("/usr/bin/python3", script, "testdata/tiny.jsonl", "--lead3").Output()
	if err != nil {
		if os.Getenv("BULLETIN_E2E") == "1" {
			t.Fatalf("rouge.py: %v", err)
		}
		t.Skipf("rouge.py could not run: %v", err)
	}
	exs, _ := load("testdata/tiny.jsonl", "all")
	res, err := run(system{"lead3", func(e example) []string { return lead3(e.Article) }}, exs, filepath.Join(t.TempDir(), "lead3.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(out)) // lead3 R1 x R2 y RLsum z
	want := strings.Join([]string{fields[2], fields[4], fields[6]}, " ")
	got := strings.Join([]string{f2(res.scores.R1), f2(res.scores.R2), f2(res.scores.RLsum)}, " ")
	if got != want {
		t.Errorf("Go Lead-3 %s, rouge.py %s", got, want)
	}
}

func f2(x float64) string { return fmt.Sprintf("%.2f", 100*x) }
