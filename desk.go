package bulletin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bulletin-app/bulletin/admin"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// desk is the App as the editor's desk sees it (admin.App): the review
// operations as they are, and the store's and the newsletter's in the
// desk's words.
type desk struct{ *App }

var _ admin.App = desk{}

// Desk returns the editor's desk, for serve to mount at /admin/.
func (a *App) Desk() http.Handler {
	return admin.New(desk{a}, a.Store, admin.Options{
		Site:           a.Config.Site.Title,
		HTTPS:          strings.HasPrefix(a.Config.Site.URL, "https:"),
		SiteURL:        a.Config.Site.URL,
		TrustedProxies: a.Config.Server.trustedProxies(),
		Now:            a.now,
		Log:            a.Log,
	})
}

// Review tells whether issues are drafts that wait for an editor.
func (d desk) Review() bool { return d.Config.Digest.Review }

func (d desk) PreviewIssue(ctx context.Context, n int, to string) (admin.Preview, error) {
	p, err := d.App.PreviewIssue(ctx, n, to)
	if err != nil {
		return admin.Preview{}, err
	}
	return admin.Preview{Issue: p.Issue, Subject: p.Subject, HTML: p.HTML, Text: p.Text, Page: p.Page}, nil
}

func (d desk) DeliveryCounts(ctx context.Context, n int) (map[store.DeliveryStatus]int, error) {
	return d.Store.DeliveryCounts(ctx, n)
}

func (d desk) BounceCounts(ctx context.Context, n int) (map[store.BounceKind]int, error) {
	return d.Store.BounceCounts(ctx, n)
}

func (d desk) SubscriberPage(ctx context.Context, q store.SubscriberQuery) ([]store.Subscriber, bool, error) {
	return d.Store.SubscriberPage(ctx, q)
}

func (d desk) CountSubscribers(ctx context.Context) (map[store.SubscriberStatus]int, error) {
	return d.Store.CountSubscribers(ctx)
}

func (d desk) ConfirmedByDay(ctx context.Context, days int) ([]store.DayCount, error) {
	return d.Store.ConfirmedByDay(ctx, days)
}

func (d desk) Subscriber(ctx context.Context, id int64) (store.Subscriber, error) {
	return d.Store.Subscriber(ctx, id)
}

func (d desk) SubscriberDeliveries(ctx context.Context, id int64, limit int) ([]store.Delivery, error) {
	return d.Store.SubscriberDeliveries(ctx, id, limit)
}

func (d desk) SubscriberBounces(ctx context.Context, id int64, limit int) ([]store.BounceEvent, error) {
	return d.Store.SubscriberBounces(ctx, id, limit)
}

// AddSubscriber adds an address as bulletin subscribers add does:
// confirmed when the editor vouches for it, else with a confirmation link.
func (d desk) AddSubscriber(ctx context.Context, address, name string, confirmed bool) (store.Subscriber, newsletter.Subscribed, error) {
	if confirmed {
		sub, err := newsletter.AddSubscriber(ctx, d.Store, address, name, true)
		return sub, newsletter.ConfirmationSent, err
	}
	n, err := d.Newsletter()
	if err != nil {
		return store.Subscriber{}, 0, err
	}
	what, err := n.Subscribe(ctx, address, name)
	if err != nil {
		return store.Subscriber{}, 0, err
	}
	addr, err := newsletter.ValidEmail(address)
	if err != nil {
		return store.Subscriber{}, 0, err
	}
	sub, err := d.Store.SubscriberByEmail(ctx, addr)
	return sub, what, err
}

// ImportSubscribers imports a CSV file as bulletin subscribers import
// --confirmed does.
func (d desk) ImportSubscribers(ctx context.Context, r io.Reader) (newsletter.ImportReport, error) {
	return newsletter.ImportCSV(ctx, d.Store, r, newsletter.ImportOptions{Confirmed: true})
}

func (d desk) ExportSubscribers(ctx context.Context, w io.Writer, status string) (int, error) {
	return newsletter.ExportCSV(ctx, d.Store, w, status)
}

func (d desk) Unsubscribe(ctx context.Context, address string) (store.Subscriber, bool, error) {
	return newsletter.RemoveSubscriber(ctx, d.Store, address)
}

func (d desk) Forget(ctx context.Context, address string) error {
	return newsletter.ForgetSubscriber(ctx, d.Store, address)
}

// Sources lists config's sources with their fetch state, article counts
// and pauses.
func (d desk) Sources(ctx context.Context) ([]admin.Source, error) {
	states, err := d.Store.ListSourceStates(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]store.NamedSourceState{}
	for _, s := range states {
		byName[s.Name] = s
	}
	articles, err := d.Store.ArticlesBySource(ctx)
	if err != nil {
		return nil, err
	}
	paused, err := d.Store.PausedSources(ctx)
	if err != nil {
		return nil, err
	}
	var out []admin.Source
	for _, sc := range d.Config.Sources {
		s := admin.Source{Name: sc.Name, Kind: "feed", Location: sc.Feed, State: byName[sc.Name],
			Articles: articles[sc.Name].Count, LastCollected: articles[sc.Name].LastCollected}
		if sc.Folder != "" {
			s.Kind, s.Location = "folder", sc.Folder
		}
		if p, ok := paused[sc.Name]; ok {
			s.Paused = &p
		}
		out = append(out, s)
	}
	return out, nil
}

// FetchSource reads one source now (CollectSource).
func (d desk) FetchSource(ctx context.Context, name string) (string, error) {
	rep, err := d.CollectSource(ctx, name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d found, %d new, %d updated, %d skipped", rep.Found, rep.New, rep.Updated, rep.Problems), nil
}

func (d desk) PauseSource(ctx context.Context, name, actor string) (bool, error) {
	return d.Store.PauseSource(ctx, name, actor)
}

func (d desk) ResumeSource(ctx context.Context, name, actor string) (bool, error) {
	return d.Store.ResumeSource(ctx, name, actor)
}
