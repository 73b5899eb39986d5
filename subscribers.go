package bulletin

import (
	"context"
	"errors"

	"github.com/bulletin-app/bulletin/newsletter"
)

// AddConfiguredSubscribers adds config's subscribers that the store does not
// know yet, as confirmed: the operator vouches for them. Known addresses keep
// their state, so an unsubscribe is never undone.
func (a *App) AddConfiguredSubscribers(ctx context.Context) error {
	for _, s := range a.Config.Subscribers {
		addr, err := newsletter.ParseAddress(s)
		if err != nil {
			return err
		}
		_, err = newsletter.AddSubscriber(ctx, a.Store, addr.Address, addr.Name, true)
		if err != nil && !errors.Is(err, newsletter.ErrExists) {
			return err
		}
	}
	return nil
}
