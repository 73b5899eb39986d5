package bulletin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/internal/design"
)

func (a *App) feedSite() feed.Site {
	s := a.Config.Site
	return feed.Site{
		Title: s.Title, Description: s.Description, URL: s.URL, Language: s.Language,
		Author: feed.Person{Name: s.Author}, Icon: s.Icon, Logo: s.Logo,
		Items: a.Config.Feeds.Items, Hub: a.Config.Feeds.Hub,
		Theme: a.theme(), Images: s.Images,
		Templates: a.Templates, Log: a.Log,
	}
}

// theme is the design's colours, from site.accent (which config checked).
func (a *App) theme() design.Theme {
	t, err := design.NewTheme(a.Config.Site.Accent)
	if err != nil {
		return design.MustTheme("")
	}
	return t
}

// designSite is the newsletter as the subscription pages show it.
func (a *App) designSite() design.Site {
	s := a.Config.Site
	return design.Site{Title: s.Title, Description: s.Description, URL: s.URL, Language: s.Language,
		Logo: s.Logo, Icon: s.Icon, Theme: a.theme()}
}

// BuildFeeds renders every feed and archive page from the store, in
// memory: what a full publish writes.
func (a *App) BuildFeeds(ctx context.Context) (*feed.Set, error) {
	issues, err := a.Store.Issues(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return feed.Build(a.feedSite(), issues)
}

// publishLease is the lease on a public folder while a publish writes it.
const publishLease = time.Minute

// Publish writes the feeds and archive pages to dir (public_dir when empty)
// and returns the folder written: the documents that changed since the
// folder's last publish, or every one when all is set or the folder holds
// no earlier publish. A running server serves the new documents, and a
// configured WebSub hub is told.
func (a *App) Publish(ctx context.Context, dir string, all bool) (string, error) {
	if dir == "" {
		dir = a.Config.Resolve(a.Config.PublicDir)
	}
	// One publish at a time into a folder, by any process: each removes
	// what a killed one left (feed.Publish), which must not be the files of
	// one still writing. A killed publish's lease is taken over at once
	// (store.TakeLock).
	lease := "publish-dir:" + dir
	if abs, err := filepath.Abs(dir); err == nil {
		lease = "publish-dir:" + abs
	}
	holder := fmt.Sprintf("publish:%d:%d", os.Getpid(), time.Now().UnixNano())
	if err := a.Store.Lock(ctx, lease, holder, publishLease); err != nil {
		return dir, fmt.Errorf("publish: %w", err)
	}
	lctx, stop := context.WithCancel(ctx)
	renewing := make(chan struct{})
	go func() {
		defer close(renewing)
		a.Store.KeepLock(lctx, lease, holder, publishLease)
	}()
	defer func() {
		// The renewal ends before the release: one after it would take the
		// lease again.
		stop()
		<-renewing
		a.Store.Unlock(context.WithoutCancel(ctx), lease, holder)
	}()
	rep, err := feed.Publish(ctx, a.feedSite(), a.Store, dir, feed.PublishOptions{All: all, Now: a.now()})
	if err != nil {
		return dir, fmt.Errorf("publish: %w", err)
	}
	if a.live != nil {
		a.live.Reset()
	}
	if hub := a.Config.Feeds.Hub; hub != "" {
		if err := feed.PingHub(ctx, a.client, hub, feed.Topics(a.feedSite())...); err != nil {
			a.Log.Warn("WebSub hub not told", "hub", hub, "err", err)
		}
	}
	a.Log.Info("published", "dir", dir, "rendered", rep.Rendered, "written", rep.Written, "all", rep.All)
	return dir, nil
}
