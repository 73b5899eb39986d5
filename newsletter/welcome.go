package newsletter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulletin-app/bulletin/store"
)

// sendWelcome sends the welcome email to a subscriber who confirmed: what
// they signed up for, the latest issue to read now, and the links to their
// preferences and to unsubscribe. It is list mail, with the list's
// headers, signed as the issues are. Someone no longer confirmed by the
// time it is sent gets nothing.
func (n *Newsletter) sendWelcome(ctx context.Context, email string) (string, error) {
	sub, err := n.st.SubscriberByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return "gone", nil
	}
	if err != nil {
		return "", err
	}
	if sub.Status != store.StatusConfirmed {
		return "not confirmed", nil
	}
	addr, err := ParseAddress(sub.Email)
	if err != nil {
		return "", err
	}
	addr.Name = cleanName(sub.Name)
	token := n.UnsubscribeToken(addr.Address)
	data := WelcomeData{
		Site:           n.siteData(),
		Subscriber:     SubscriberData{Email: addr.Address, Name: addr.Name, FirstName: firstName(addr.Name)},
		PreferencesURL: n.PreferencesURL(addr.Address),
		UnsubscribeURL: n.pageURL("/unsubscribe", token),
		Theme:          n.opts.Theme,
	}
	if latest, err := n.st.LatestIssue(ctx); err == nil {
		data.Latest = &IssueData{Number: latest.Number, Title: latest.Title, Date: latest.CreatedAt, URL: n.issueURL(latest.Number)}
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	var hb, tb bytes.Buffer
	if err := n.tmpl.welcomeHTML.Execute(&hb, data); err != nil {
		return "", fmt.Errorf("render %s: %w", welcomeHTMLTemplate, err)
	}
	if err := n.tmpl.welcomeText.Execute(&tb, data); err != nil {
		return "", fmt.Errorf("render %s: %w", welcomeTextTemplate, err)
	}
	htmlBody, err := inlineCSS(hb.String())
	if err != nil {
		return "", err
	}
	msg, err := n.buildMsg(message{to: addr, messageID: n.newMessageID("welcome"), subject: cleanName("Welcome to " + data.Site.Title),
		html: stringPart(htmlBody), text: stringPart(tb.String()), unsubscribe: token})
	if err != nil {
		return "", err
	}
	file := fmt.Sprintf("welcome-%d-%d.eml", sub.ID, time.Now().UnixNano())
	if err := n.deliverOne(ctx, msg, addr.Address, file); err != nil {
		return "", err
	}
	return "welcome sent", nil
}
