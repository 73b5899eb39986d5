package newsletter

import (
	"context"
	"fmt"
)

// keepLock renews the send lock until ctx ends; losing it stops the send,
// since another process may then take over.
func (n *Newsletter) keepLock(ctx context.Context, cancel context.CancelCauseFunc, lock, holder string) {
	if err := n.st.KeepLock(ctx, lock, holder, n.opts.LockTTL); err != nil {
		cancel(fmt.Errorf("lost the send lock: %w", err))
	}
}
