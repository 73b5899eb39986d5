package feed

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// tempName is the name writeAtomic gives a file before renaming it into
// place: os.CreateTemp's "." + name + "." + digits + ".tmp".
var tempName = regexp.MustCompile(`^\.(.+)\.[0-9]+\.tmp$`)

// removeTemps removes what a publish killed part way left in dir: the
// temporary files of writeAtomic, for the files the set writes. Only names
// that are exactly such a temporary name of one of the set's own files,
// in the folder that file goes in, and only regular files: whatever else
// is in the folder (the operator's files, temporary files of other
// programs) stays. It returns how many it removed.
func (s *Set) removeTemps(dir string) (int, error) { return removeTempsOf(dir, s.Paths()) }

// removeTempsOf is removeTemps for the documents at paths.
func removeTempsOf(dir string, paths []string) (int, error) {
	own := map[string]map[string]bool{} // folder → the base names written there
	for _, p := range paths {
		name := filepath.Join(dir, fileName(p))
		d := filepath.Dir(name)
		if own[d] == nil {
			own[d] = map[string]bool{}
		}
		own[d][filepath.Base(name)] = true
	}
	removed := 0
	for d, bases := range own {
		entries, err := os.ReadDir(d)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return removed, err
		}
		for _, e := range entries {
			m := tempName.FindStringSubmatch(e.Name())
			if m == nil || !bases[m[1]] || !e.Type().IsRegular() || strings.ContainsRune(m[1], os.PathSeparator) {
				continue
			}
			if err := os.Remove(filepath.Join(d, e.Name())); err != nil && !os.IsNotExist(err) {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}
