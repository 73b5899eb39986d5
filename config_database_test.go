package bulletin

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDatabaseURL(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, yaml, env, want string }{
		{"default", "", "", filepath.Join(dir, "data", "bulletin.db")},
		{"default follows data_dir", "data_dir: /var/lib/bulletin\n", "", "/var/lib/bulletin/bulletin.db"},
		{"sqlite, relative", "database:\n  url: sqlite:state/news.db\n", "", "sqlite:" + filepath.Join(dir, "state", "news.db")},
		{"sqlite, absolute", "database:\n  url: sqlite:/srv/news.db\n", "", "sqlite:/srv/news.db"},
		{"postgres", "database:\n  url: postgres://news@db.example.org/news\n", "", "postgres://news@db.example.org/news"},
		{"env overrides", "database:\n  url: sqlite:x.db\n", "postgresql://news:pw@db/news", "postgresql://news:pw@db/news"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BULLETIN_DATABASE_URL", tc.env)
			cfg, err := LoadConfig(writeConfig(t, dir, tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.DatabaseURL(); got != tc.want {
				t.Errorf("DatabaseURL() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDatabaseURLErrorsNameTheKeyNotThePassword(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, env string
		want            []string
	}{
		{"other scheme", "site:\n  title: X\ndatabase:\n  url: mysql://bulletin:s3cret@db/news\n", "",
			[]string{":4:", "database.url", "neither sqlite:PATH nor a postgres:// URL", `"mysql://bulletin:xxxxx@db/news"`}},
		{"sqlite without a path", "database:\n  url: \"sqlite:\"\n", "", []string{":2:", "database.url", "needs a file path"}},
		{"bare path", "database:\n  url: data/other.db\n", "", []string{":2:", "database.url", `"data/other.db"`}},
		{"from the environment", "", "mysql://bulletin:s3cret@db/news", []string{"database.url", "BULLETIN_DATABASE_URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BULLETIN_DATABASE_URL", tc.env)
			_, err := LoadConfig(writeConfig(t, t.TempDir(), tc.yaml))
			if err == nil {
				t.Fatal("LoadConfig succeeded; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %q", err)
			}
		})
	}
}
