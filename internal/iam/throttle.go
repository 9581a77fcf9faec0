package iam

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed password sign-ins are limited per client address: a burst of
// failedBurst, then one per failedEvery. Successful sign-ins cost nothing.
const (
	failedBurst = 10
	failedEvery = 6 * time.Second
	// throttleKeep bounds the addresses remembered; beyond it, those whose
	// allowance is whole again are forgotten.
	throttleKeep = 10000
)

// signinThrottle remembers recent failed sign-ins by client address.
type signinThrottle struct {
	mu    sync.Mutex
	addrs map[string]*rate.Limiter
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wait returns how long the address must wait before it may try a
// password again (zero: now).
func (t *signinThrottle) wait(addr string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	lim, ok := t.addrs[addr]
	if !ok || lim.TokensAt(now) >= 1 {
		return 0
	}
	return time.Duration((1 - lim.TokensAt(now)) * float64(failedEvery))
}

// failed counts one failed sign-in of the address.
func (t *signinThrottle) failed(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.addrs == nil {
		t.addrs = map[string]*rate.Limiter{}
	}
	lim, ok := t.addrs[addr]
	if !ok {
		if len(t.addrs) >= throttleKeep {
			for a, l := range t.addrs {
				if l.TokensAt(now) >= failedBurst {
					delete(t.addrs, a)
				}
			}
		}
		lim = rate.NewLimiter(rate.Every(failedEvery), failedBurst)
		t.addrs[addr] = lim
	}
	lim.AllowN(now, 1)
}
