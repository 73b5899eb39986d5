package bulletin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulletin-app/bulletin/feed"
	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// IssuePreview is an issue as it goes out: its email to one recipient, and
// its web page.
type IssuePreview struct {
	newsletter.MessagePreview
	// Page is the issue's web page: for a released issue, the page served
	// now; for a draft or a scheduled one, the page its release publishes.
	Page []byte
}

// PreviewIssue renders issue n (0: the latest), in any state, with the
// same rendering as its send and its publish: the email as to would get it
// ("Name <address>"; empty: newsletter.PreviewReader), and the web page.
// Nothing is sent, published or recorded.
func (a *App) PreviewIssue(ctx context.Context, n int, to string) (IssuePreview, error) {
	news, err := a.Newsletter()
	if err != nil {
		return IssuePreview{}, err
	}
	msg, err := news.PreviewFor(ctx, n, to)
	if err != nil {
		return IssuePreview{}, err
	}
	page, err := a.issuePage(ctx, msg.Issue)
	if err != nil {
		return IssuePreview{}, err
	}
	return IssuePreview{MessagePreview: msg, Page: page}, nil
}

// issuePage renders issue n's page as publishing does.
func (a *App) issuePage(ctx context.Context, n int) ([]byte, error) {
	is, err := a.Store.Issue(ctx, n)
	if err != nil {
		return nil, err
	}
	if is.State.Released() {
		// Rendered as serve renders it: the one page, from the store.
		live, err := feed.NewLive(a.feedSite(), a.Store)
		if err != nil {
			return nil, err
		}
		doc, err := live.Lookup(ctx, feed.IssuePagePath(n))
		if err != nil {
			return nil, fmt.Errorf("preview: the published issue's page: %w", err)
		}
		return doc.Body, nil
	}
	// Released, it will be the newest published issue (no issue is built
	// while it awaits review), after the newest one published now.
	var older *store.Issue
	published, err := a.Store.Issues(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(published) > 0 {
		older = &published[0]
	}
	return feed.IssuePage(a.feedSite(), is, nil, older)
}

// TestSend sends one [TEST] copy of issue n, in any state, to the address
// to (an editor's own), outside the ledger: it counts for no subscriber's
// delivery. The audit log records it.
func (a *App) TestSend(ctx context.Context, actor string, n int, to string) (newsletter.Summary, error) {
	sum, err := a.SendAs(ctx, actor, newsletter.SendRequest{Issue: n, To: to})
	if err != nil {
		if errors.Is(err, newsletter.ErrInvalidAddress) {
			return sum, &InputError{"to", err.Error()}
		}
		return sum, err
	}
	return sum, a.Store.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: store.AuditIssueTest, Issue: sum.Issue, Detail: "to " + to})
}

// Preview writes issue's email (0: the latest) to htmlPath, and its text part
// beside it with the extension .txt, and, when pagePath is not empty, the
// issue's web page there. It returns the files written.
func (a *App) Preview(ctx context.Context, issue int, htmlPath, pagePath string) ([]string, error) {
	p, err := a.PreviewIssue(ctx, issue, "")
	if err != nil {
		return nil, err
	}
	files := []struct {
		path string
		body []byte
	}{{htmlPath, []byte(p.HTML)}, {strings.TrimSuffix(htmlPath, filepath.Ext(htmlPath)) + ".txt", []byte(p.Text)}}
	if pagePath != "" {
		files = append(files, struct {
			path string
			body []byte
		}{pagePath, p.Page})
	}
	var written []string
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(f.path, f.body, 0o644); err != nil {
			return written, err
		}
		written = append(written, f.path)
	}
	return written, nil
}
