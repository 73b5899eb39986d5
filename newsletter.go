package bulletin

import (
	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/newsletter"
)

// Newsletter returns the newsletter part, built on first use.
func (a *App) Newsletter() (*newsletter.Newsletter, error) {
	if a.news != nil {
		return a.news, nil
	}
	n := a.Config.Newsletter
	secret, err := a.secret()
	if err != nil {
		return nil, err
	}
	a.news, err = newsletter.New(a.Store, newsletter.Options{
		SiteTitle:             a.Config.Site.Title,
		SiteDescription:       a.Config.Site.Description,
		SiteLogo:              a.Config.Site.Logo,
		Theme:                 a.theme(),
		Images:                a.Config.Site.Images,
		From:                  n.From,
		ReplyTo:               n.ReplyTo,
		SiteURL:               a.Config.Site.URL,
		IssuePath:             "/issues/%d/",
		StoryPath:             "/stories/%d/",
		EntryAnchor:           feed.EntryAnchor,
		ListUnsubscribeMailto: n.UnsubscribeMailto,
		MessageIDDomain:       n.MessageIDDomain,
		SMTP: newsletter.SMTP{
			Host: n.SMTP.Host, Port: n.SMTP.Port, Username: n.SMTP.Username,
			Password: n.SMTP.Password, TLS: n.SMTP.TLS,
		},
		OutboxDir:   a.Config.Resolve(n.OutboxDir),
		Concurrency: n.Concurrency,
		Rate:        n.Rate,
		Retries:     retriesOption(n.Retries),
		PauseAfter:  n.PauseAfter,
		DKIM: newsletter.DKIM{
			KeyFile: a.Config.Resolve(n.DKIM.KeyFile), Selector: n.DKIM.Selector, Domain: n.DKIM.Domain,
		},
		Secret: secret,
		Signups: newsletter.SignupOptions{
			Concurrency: n.Confirmations.Concurrency, Rate: n.Confirmations.Rate, MaxQueued: n.Confirmations.MaxQueued,
		},
		Templates: a.Templates,
		Logger:    a.Log,
		Bounces: newsletter.BounceOptions{
			ReturnPathDomain: n.Bounces.Domain, SoftLimit: n.Bounces.SoftLimit,
		},
	})
	return a.news, err
}

// retriesOption maps config's "0 retries" to the newsletter's "never".
func retriesOption(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
