package bulletin

import (
	"context"

	"github.com/bulletin-app/bulletin/newsletter"
)

// Send delivers an issue as req says.
func (a *App) Send(ctx context.Context, req newsletter.SendRequest) (newsletter.Summary, error) {
	n, err := a.Newsletter()
	if err != nil {
		return newsletter.Summary{}, err
	}
	if err := a.AddConfiguredSubscribers(ctx); err != nil {
		return newsletter.Summary{}, err
	}
	if req.Progress == nil && a.SendProgress != nil {
		req.Progress = a.SendProgress
	}
	return n.Send(ctx, req)
}
