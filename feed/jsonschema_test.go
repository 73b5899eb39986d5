package feed

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulletin-app/bulletin/internal/testtool"
)

// TestJSONFeedSchema checks every JSON Feed document with ajv against the
// JSON Schema of JSON Feed 1.1 published as the npm package jsonfeed-schema:
// a validator that owes nothing to our reading of the spec. .ci/run installs
// it with `npm install -g ajv-cli@5 ajv-formats@2 jsonfeed-schema`.
func TestJSONFeedSchema(t *testing.T) {
	tools := testtool.Need(t, "ajv", "npm")
	out, err := exec.Command(tools[1], "root", "-g").Output()
	if err != nil {
		t.Fatalf("npm root -g: %v", err)
	}
	modules := strings.TrimSpace(string(out))
	schema := filepath.Join(modules, "jsonfeed-schema", "schema-v1.1.json")
	if _, err := os.Stat(schema); err != nil {
		testtool.Missing(t, "the npm package jsonfeed-schema")
	}
	dir := t.TempDir()
	set := archivedSet(t, "https://news.example.org/")
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	docs := docsWithExt(set, ".json")
	if len(docs) < 3 {
		t.Fatalf("only %d JSON documents", len(docs))
	}
	ajv := func(file string) ([]byte, error) {
		cmd := exec.Command(tools[0], "validate", "--spec=draft7", "-c", "ajv-formats", "--all-errors", "-s", schema, "-d", file)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		return cmd.CombinedOutput()
	}
	for _, p := range docs {
		if out, err := ajv(filepath.Join(dir, fileName(p))); err != nil {
			t.Errorf("ajv %s: %v\n%s", p, err, out)
		}
	}
	// The validator must be able to fail: an item without its id is invalid.
	b, _ := os.ReadFile(filepath.Join(dir, fileName(docs[0])))
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(string(b), `"id":`, `"x-id":`, 1)), 0o644)
	if out, err := ajv(bad); err == nil {
		t.Errorf("ajv accepted a feed without an item id:\n%s", out)
	}
}
