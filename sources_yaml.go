package bulletin

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/bulletin-app/bulletin/source"
)

// WriteSourcesYAML writes subs as entries of config.yaml's sources list, to
// paste into the file. Feeds the config has already are left out, and names
// it uses already get a suffix, since sources are told apart by name.
func WriteSourcesYAML(w io.Writer, cfg *Config, subs []source.Subscription) error {
	names, feeds := map[string]bool{}, map[string]bool{}
	for _, s := range cfg.Sources {
		names[s.Name] = true
		if u, err := source.CanonicalURL(s.Feed); err == nil {
			feeds[u] = true
		}
	}
	var out []SourceConfig
	for _, s := range subs {
		if u, err := source.CanonicalURL(s.URL); err == nil && feeds[u] {
			continue
		}
		name := s.Name
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s (%d)", s.Name, i)
		}
		names[name] = true
		out = append(out, SourceConfig{Name: name, Feed: s.URL, FullText: s.FullText})
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(w, "# every feed of the file is among the sources already")
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2) // as config.yaml is written
	if err := enc.Encode(map[string][]SourceConfig{"sources": out}); err != nil {
		return err
	}
	return enc.Close()
}
