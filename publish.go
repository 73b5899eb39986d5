package bulletin

import (
	"context"
	"fmt"

	"github.com/bulletin-app/bulletin/feed"
)

func (a *App) feedSite() feed.Site {
	s := a.Config.Site
	return feed.Site{
		Title: s.Title, Description: s.Description, URL: s.URL, Language: s.Language,
		Author: feed.Person{Name: s.Author}, Icon: s.Icon, Logo: s.Logo,
		Items: a.Config.Feeds.Items, Hub: a.Config.Feeds.Hub,
		Templates: a.Templates, Log: a.Log,
	}
}

// BuildFeeds renders every feed and archive page from the store.
func (a *App) BuildFeeds(ctx context.Context) (*feed.Set, error) {
	issues, err := a.Store.Issues(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return feed.Build(a.feedSite(), issues)
}

// Publish writes the feeds and archive pages to dir (public_dir when empty)
// and returns the folder written. A running server starts serving them, and
// a configured WebSub hub is told.
func (a *App) Publish(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		dir = a.Config.Resolve(a.Config.PublicDir)
	}
	set, err := a.BuildFeeds(ctx)
	if err != nil {
		return dir, err
	}
	if err := set.WriteDir(dir); err != nil {
		return dir, fmt.Errorf("publish: %w", err)
	}
	if a.feeds != nil {
		a.feeds.Update(set)
	}
	if hub := set.Hub(); hub != "" {
		if err := feed.PingHub(ctx, a.client, hub, set.Topics()...); err != nil {
			a.Log.Warn("WebSub hub not told", "hub", hub, "err", err)
		}
	}
	a.Log.Info("published", "dir", dir, "documents", len(set.Paths()))
	return dir, nil
}
