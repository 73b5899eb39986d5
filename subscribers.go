package bulletin

import (
	"context"
	"errors"

	"github.com/bulletin-app/bulletin/newsletter"
)

// AddConfiguredSubscribers adds config's subscribers that the store does not
// know yet, as confirmed: the operator vouches for them. Each is added once,
// ever: a known address keeps its state (an unsubscribe or a removal is
// never undone), and one erased with "subscribers forget" is not added
// again.
func (a *App) AddConfiguredSubscribers(ctx context.Context) error {
	for _, s := range a.Config.Subscribers {
		addr, err := newsletter.ParseAddress(s)
		if err != nil {
			return err
		}
		_, err = newsletter.AddSubscriber(ctx, a.Store, addr.Address, addr.Name, true)
		switch {
		case errors.Is(err, newsletter.ErrSuppressed):
			a.Log.Debug("config subscriber was erased: not added again", "subscriber", addr.Address)
		case err != nil && !errors.Is(err, newsletter.ErrExists):
			return err
		}
	}
	return nil
}
