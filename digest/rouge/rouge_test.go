package rouge

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreByHand(t *testing.T) {
	cases := []struct {
		pred, ref string
		want      Scores
	}{
		{"the cat sat", "the cat sat", Scores{1, 1, 1}},
		{"dogs bark", "the cat sat", Scores{0, 0, 0}},
		{"", "the cat sat", Scores{0, 0, 0}},
		// 2 of 3 unigrams, 1 of 2 bigrams: F1 = 2/3 and 1/2.
		{"the cat ran", "the cat sat", Scores{2.0 / 3, 0.5, 2.0 / 3}},
		// Stemming: "running" and "runs" both become "run".
		{"Running fast.", "runs fast", Scores{1, 1, 1}},
		// Lsum works per line: order across lines does not matter.
		{"b c\na", "a\nb c", Scores{1, 0.5, 1}},
	}
	for _, tc := range cases {
		got := Score(tc.pred, tc.ref)
		if math.Abs(got.R1-tc.want.R1) > 1e-9 || math.Abs(got.R2-tc.want.R2) > 1e-9 || math.Abs(got.RLsum-tc.want.RLsum) > 1e-9 {
			t.Errorf("Score(%q, %q) = %+v, want %+v", tc.pred, tc.ref, got, tc.want)
		}
	}
}

// TestScoreMatchesReference scores the same predictions with the reference
// scorer, rouge.py, and requires agreement to 0.01 points.
func TestScoreMatchesReference(t *testing.T) {
	script := filepath.Join("..", "..", "..", "shared", "tools", "rouge.py")
	if _, err := os.Stat(script); err != nil {
		if os.Getenv("BULLETIN_E2E") == "1" {
			t.Fatalf("reference scorer missing: %v", err)
		}
		t.Skipf("reference scorer not available: %v", err)
	}
	pairs := [][2]string{
		{"Residents voted to rebuild the pier.\nWork starts in the autumn.", "Port Alder residents backed rebuilding the storm-hit pier.\nThe £12.5 million plan passed with 71 per cent.\nWork will start in the autumn."},
		{"The council said 71 per cent backed the plan.", "Most voters backed the £12.5m plan, the council said."},
		{"Opponents argued the levy would hurt businesses.\nThey will not challenge the vote.\nThe pier opened in 1889.", "The pier, opened in 1889, drew 300,000 visitors a year.\nOpponents will not challenge the result."},
		{"", "Something was said."},
		{"Ça a coûté 5 €, a dit M. Dupont's aide.", "It cost 5 euros, said Dupont's aide."},
	}
	dir := t.TempDir()
	evalPath, predPath := filepath.Join(dir, "eval.jsonl"), filepath.Join(dir, "pred.jsonl")
	var ev, pr strings.Builder
	var total Scores
	for i, p := range pairs {
		id := fmt.Sprint(i)
		e, _ := json.Marshal(map[string]string{"id": id, "reference": p[1], "article": ""})
		q, _ := json.Marshal(map[string]string{"id": id, "summary": p[0]})
		ev.Write(append(e, '\n'))
		pr.Write(append(q, '\n'))
		total = total.Add(Score(p[0], p[1]))
	}
	os.WriteFile(evalPath, []byte(ev.String()), 0o644)
	os.WriteFile(predPath, []byte(pr.String()), 0o644)
	out, err := exec.Command("/usr/bin/python3", script, evalPath, predPath).Output()
	if err != nil {
		if os.Getenv("BULLETIN_E2E") == "1" {
			t.Fatalf("rouge.py (needs python3-nltk): %v", err)
		}
		t.Skipf("rouge.py could not run (apt-get install python3-nltk): %v", err)
	}
	var r1, r2, rl float64
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "pred R1 %f R2 %f RLsum %f", &r1, &r2, &rl); err != nil {
		t.Fatalf("parse %q: %v", out, err)
	}
	got := total.Scale(100 / float64(len(pairs)))
	if math.Abs(got.R1-r1) > 0.01 || math.Abs(got.R2-r2) > 0.01 || math.Abs(got.RLsum-rl) > 0.01 {
		t.Errorf("Go %.2f/%.2f/%.2f, rouge.py %.2f/%.2f/%.2f", got.R1, got.R2, got.RLsum, r1, r2, rl)
	}
}
