package admin

import (
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/bulletin-app/bulletin/server"
)

// Sign-in is throttled per user name and per client address: each failed
// attempt spends a token of both, and while either has none left, sign-in
// is refused before any password is checked. Guessing one user's password
// from many addresses, or many users' from one, is slowed down alike; a
// person who mistypes a few times is not.
var (
	perUser   = limit{every: time.Minute, burst: 5}
	perClient = limit{every: 30 * time.Second, burst: 10}
)

type limit struct {
	every time.Duration
	burst int
}

// throttle keeps the limiters, forgetting those unused for forgetAfter.
type throttle struct {
	now   func() time.Time
	mu    sync.Mutex
	keys  map[string]*limiter
	sweep time.Time
}

type limiter struct {
	lim  *rate.Limiter
	seen time.Time
}

const forgetAfter = 30 * time.Minute

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, keys: map[string]*limiter{}}
}

func (t *throttle) get(key string, l limit, now time.Time) *limiter {
	if now.Sub(t.sweep) > forgetAfter/3 {
		for k, v := range t.keys {
			if now.Sub(v.seen) > forgetAfter {
				delete(t.keys, k)
			}
		}
		t.sweep = now
	}
	v := t.keys[key]
	if v == nil {
		v = &limiter{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		t.keys[key] = v
	}
	v.seen = now
	return v
}

// wait returns how long sign-in for user from client is refused: 0 when it
// is allowed now.
func (t *throttle) wait(user, client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var longest time.Duration
	for _, k := range []struct {
		key string
		l   limit
	}{{"user:" + user, perUser}, {"client:" + client, perClient}} {
		lim := t.get(k.key, k.l, now).lim
		if tokens := lim.TokensAt(now); tokens < 1 {
			d := time.Duration(math.Ceil((1 - tokens) * float64(k.l.every)))
			longest = max(longest, d)
		}
	}
	return longest
}

// failed spends a token of user's and of client's.
func (t *throttle) failed(user, client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.get("user:"+user, perUser, now).lim.AllowN(now, 1)
	t.get("client:"+client, perClient, now).lim.AllowN(now, 1)
}

// client is the address r came from, by the server's rules for reverse
// proxies, grouped as the server's rate limits group them (an IPv6 /64).
func (h *handler) client(r *http.Request) string {
	return server.ClientKey(server.ClientAddr(r, h.opts.TrustedProxies))
}
