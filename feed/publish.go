package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bulletin-app/bulletin/store"
	"github.com/bulletin-app/bulletin/templates"
)

// ChangeData is Data that also tells what changed: Publish needs it to
// render only the documents a change touches.
type ChangeData interface {
	Data
	// FeedChanges returns the issued entries that changed, or whose other
	// reports did, at or after since.
	FeedChanges(ctx context.Context, since time.Time) ([]store.FeedChange, error)
}

// PublishOptions tune Publish.
type PublishOptions struct {
	// All writes every document, whatever the folder held.
	All bool
	// Now is when the publish starts; zero is time.Now().
	Now time.Time
}

// PublishReport tells what a publish did.
type PublishReport struct {
	All      bool // every document was rendered
	Rendered int  // documents rendered
	Written  int  // files written (the others were unchanged)
}

// stateFile, in the published folder, records what the folder holds, so
// that the next publish renders only what changed since. It goes with the
// files it describes: a folder emptied or copied elsewhere starts over.
const stateFile = ".bulletin-publish.json"

type publishState struct {
	// Settings is a hash of the site settings and page templates: a change
	// to either changes every document.
	Settings string    `json:"settings"`
	Issues   int       `json:"issues"`  // the last issue published
	Entries  int       `json:"entries"` // the last feed place published
	Started  time.Time `json:"started"` // when that publish began
}

// changeMargin widens the window in which changes are looked for, for a
// write stamped before the last publish began that committed after it read
// (the store stamps a change once it holds the lock, so that is a matter of
// milliseconds), and for the clocks of other machines sharing a PostgreSQL
// store, which must be kept within it of each other (NTP). Rendering a
// document again gives the same bytes, so looking further back costs a
// little time, never a change; but a margin of minutes would make the
// publish after a large import render again all the pages it just wrote.
const changeMargin = 5 * time.Second

// Publish writes the documents of data to dir: those that changed since
// the folder's last publish, which costs what the new issues and the
// current feeds cost, not what the archive does; or all of them, when
// opts.All is set, when the folder holds no record of an earlier publish,
// or when the site settings or page templates changed. Files whose bytes
// are unchanged are left alone; the others are replaced atomically, with
// the document's modification time. The temporary files a killed publish
// left of the files it writes are removed first (see removeTemps); the
// caller makes sure that no other write to dir runs meanwhile.
func Publish(ctx context.Context, site Site, data ChangeData, dir string, opts PublishOptions) (PublishReport, error) {
	var rep PublishReport
	b, err := newBuilder(site)
	if err != nil {
		return rep, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	settings, err := b.settingsHash()
	if err != nil {
		return rep, err
	}
	t, err := data.FeedTotals(ctx)
	if err != nil {
		return rep, fmt.Errorf("publish: %w", err)
	}
	old, err := readState(dir)
	all := opts.All || err != nil || old.Settings != settings || old.Issues > t.Issues || old.Entries > t.Entries
	if !all {
		// A folder someone emptied holds a record but no feed.
		if _, err := os.Stat(filepath.Join(dir, fileName(EntriesAtom))); err != nil {
			all = true
		}
	}
	var keys []docKey
	if all {
		if keys, err = b.allKeys(ctx, data, t); err != nil {
			return rep, fmt.Errorf("publish: %w", err)
		}
	} else {
		changes, err := data.FeedChanges(ctx, old.Started.Add(-changeMargin))
		if err != nil {
			return rep, fmt.Errorf("publish: %w", err)
		}
		// The stories of the entries new since: each one's page and feed
		// show them, and no other story's do.
		stories, err := data.StoriesBetween(ctx, old.Entries, t.Entries)
		if err != nil {
			return rep, fmt.Errorf("publish: %w", err)
		}
		keys = b.changedKeys(old, t, changes, stories)
	}
	rep.All = all
	// What a publish killed part way left of the files this one writes
	// (the same ones, or more: its record was not written).
	var paths []string
	for _, k := range keys {
		paths = append(paths, k.paths()...)
	}
	if _, err := removeTempsOf(dir, paths); err != nil {
		return rep, fmt.Errorf("feed: remove temporary files in %s: %w", dir, err)
	}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		docs, err := b.render(ctx, data, k, t)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return rep, err
		}
		rep.Rendered++
		for _, d := range docs {
			wrote, err := writeDocument(dir, d)
			if err != nil {
				return rep, err
			}
			if wrote {
				rep.Written++
			}
		}
	}
	st := publishState{Settings: settings, Issues: t.Issues, Entries: t.Entries, Started: opts.Now.UTC()}
	body, _ := json.MarshalIndent(st, "", "  ")
	if err := writeAtomic(filepath.Join(dir, stateFile), append(body, '\n'), opts.Now); err != nil {
		return rep, fmt.Errorf("publish: %w", err)
	}
	return rep, nil
}

// changedKeys lists the documents that differ from what the folder holds:
// the current feeds and the index always; the archive pages and issue
// pages that are new, the newest old ones (whose next links appear), and
// those that hold a changed entry or an issue of one; the page and feed of
// each story with a new entry (stories) or a changed one.
func (b *builder) changedKeys(old publishState, t store.FeedTotals, changes []store.FeedChange, stories []int64) []docKey {
	n := b.site.Items
	keys := []docKey{{kind: indexPage}, {kind: entriesFeed}, {kind: issuesFeed}}
	add := func(k docKey) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	// runs adds the documents from the newest old one (whose next link
	// appears) to the newest new one, when there are new ones.
	runs := func(kind docKind, from, to int) {
		if to > from {
			for k := max(1, from); k <= to; k++ {
				add(docKey{kind: kind, n: k})
			}
		}
	}
	runs(entriesFeed, archivesFor(old.Entries, n), archivesFor(t.Entries, n))
	runs(issuesFeed, archivesFor(old.Issues, n), archivesFor(t.Issues, n))
	runs(issuePage, old.Issues, t.Issues)
	for _, c := range changes {
		add(docKey{kind: issuePage, n: c.Issue})
		if k := (c.Issue + n - 1) / n; k <= archivesFor(t.Issues, n) {
			add(docKey{kind: issuesFeed, n: k})
		}
		if k := (c.FeedSeq + n - 1) / n; c.FeedSeq > 0 && k <= archivesFor(t.Entries, n) {
			add(docKey{kind: entriesFeed, n: k})
		}
		if c.Story != 0 {
			stories = append(stories, c.Story)
		}
	}
	for _, k := range storyKeys(stories) {
		add(k)
	}
	return keys
}

func readState(dir string) (publishState, error) {
	var st publishState
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(b, &st)
	return st, err
}

// settingsHash digests what every document depends on beyond the data.
func (b *builder) settingsHash() (string, error) {
	h := sha256.New()
	s := b.site
	fmt.Fprintf(h, "bulletin feed 1\n%q\n%q\n%q\n%q\n%q %q %q\n%q\n%q\n%d\n%q\n%d\n",
		s.Title, s.Description, s.URL, s.Language, s.Author.Name, s.Author.Email, s.Author.URL,
		s.Icon, s.Logo, s.Items, s.Hub, s.MaxAge)
	// The design: the images shown or not, and the style sheet with the
	// theme's colours (site.accent, style.css).
	fmt.Fprintf(h, "images %t\nstyle %d\n%s\n", s.Images, len(b.pages.style), b.pages.style)
	fsys := s.Templates
	if fsys == nil {
		fsys = templates.FS
	}
	for _, name := range []string{layoutTemplate, indexTemplate, issueTemplate, storyTemplate} {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", fmt.Errorf("feed: templates: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(body))
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeDocument writes d under dir unless the file holds its bytes
// already, and says whether it wrote.
func writeDocument(dir string, d *Document) (bool, error) {
	name := filepath.Join(dir, fileName(d.Path))
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, d.Body) {
		return false, nil
	}
	if err := writeAtomic(name, d.Body, d.Modified); err != nil {
		return false, fmt.Errorf("feed: write %s: %w", name, err)
	}
	return true, nil
}
