package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Keeper tries to hold one lease for as long as it runs: a job that must
// run on one node of a cluster at a time (transfers, the alarm scheduler)
// asks it, round after round, whether this node holds the lease now
// (Hold). It takes the lease when it is free, renews it every third of the
// Manager's ttl, and gives it up on Close.
//
// A holding ends, and the contexts Hold handed out for it are cancelled,
// when a renewal finds the lease lost, or when no renewal has succeeded
// for a whole ttl counted from the moment the last successful one was
// sent (the database cannot have granted less, so the node stops before
// the lease can have passed to another, by its own elapsed time and never
// by comparing clocks). Writes made under the fenced context Hold returns
// are refused by the catalog once the holding is over, whatever the node
// believes.
//
// A nil *Keeper holds every lease: the embedded server runs its jobs
// without leases, as the only node there is.
type Keeper struct {
	m    *Manager
	name string
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	// mu guards the current holding: held, the lease, end, the context
	// cancelled when the holding ends, and lapse, the timer that ends it
	// at deadline, a ttl after the last successful renewal was sent.
	mu       sync.Mutex
	held     bool
	cur      Lease
	end      context.Context
	quit     context.CancelFunc
	lapse    *time.Timer
	deadline time.Time
}

// Keep starts a Keeper of the lease name; Close stops it.
func (m *Manager) Keep(name string, log *slog.Logger) *Keeper {
	if log == nil {
		log = slog.Default()
	}
	k := &Keeper{m: m, name: name, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go k.loop()
	return k
}

// Hold returns, when this node holds the lease now, a context derived
// from parent that is fenced by the holding (see Fenced) and cancelled
// when the holding ends, with the function that releases that context's
// resources; ok is false when another node holds the lease (or nobody
// does yet). On a nil Keeper it returns parent itself, always held.
func (k *Keeper) Hold(parent context.Context) (ctx context.Context, done func(), ok bool) {
	if k == nil {
		return parent, func() {}, true
	}
	k.mu.Lock()
	held, l, end := k.held, k.cur, k.end
	k.mu.Unlock()
	if !held {
		return nil, nil, false
	}
	ctx, cancel := context.WithCancel(Fenced(parent, l))
	stop := context.AfterFunc(end, cancel)
	return ctx, func() { stop(); cancel() }, true
}

// Held returns the current holding, if this node has one.
func (k *Keeper) Held() (Lease, bool) {
	if k == nil {
		return Lease{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cur, k.held
}

// Close stops the Keeper: the holding ends (its contexts are cancelled)
// and the lease is released, so another node takes it at once.
func (k *Keeper) Close() {
	if k == nil {
		return
	}
	close(k.stop)
	<-k.done
}

func (k *Keeper) loop() {
	defer close(k.done)
	period := k.m.ttl / 3
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), period)
		cur, held := k.Held()
		if held {
			l, err := k.m.Renew(ctx, cur)
			switch {
			case err == nil:
				k.set(l, sent)
			case errors.Is(err, ErrLost):
				k.log.Warn("lease lost", "lease", k.name, "epoch", cur.Epoch)
				k.drop(cur.Epoch)
			default:
				k.log.Warn("lease renewal failed; trying again", "lease", k.name, "error", err)
			}
		} else {
			l, ok, err := k.m.Acquire(ctx, k.name)
			switch {
			case err != nil:
				k.log.Warn("lease acquisition failed; trying again", "lease", k.name, "error", err)
			case ok:
				k.log.Info("lease taken", "lease", k.name, "epoch", l.Epoch)
				k.set(l, sent)
			}
		}
		cancel()
		select {
		case <-k.stop:
			if cur, held := k.Held(); held {
				k.drop(cur.Epoch)
				ctx, cancel := context.WithTimeout(context.Background(), period)
				if err := k.m.Release(ctx, cur); err != nil {
					k.log.Warn("lease not released; it will expire", "lease", k.name, "error", err)
				}
				cancel()
			}
			return
		case <-t.C:
		}
	}
}

// set records l, granted by a request sent at sent, as the current
// holding, starting a new one unless it continues the holding in force
// (same epoch), and makes it lapse a ttl after sent: the database cannot
// have granted less, so the node stops before the lease can have passed
// to another, by its own elapsed time rather than by comparing clocks.
func (k *Keeper) set(l Lease, sent time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deadline = sent.Add(k.m.ttl)
	if k.held && k.cur.Epoch == l.Epoch {
		k.cur = l
		k.lapse.Reset(time.Until(k.deadline))
		return
	}
	k.endLocked()
	k.held, k.cur = true, l
	k.end, k.quit = context.WithCancel(context.Background())
	k.lapse = time.AfterFunc(time.Until(k.deadline), func() { k.expire(l.Epoch) })
}

// expire ends the holding of epoch if its deadline has passed (a renewal
// may have moved it since the timer fired).
func (k *Keeper) expire(epoch int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.held && k.cur.Epoch == epoch && !time.Now().Before(k.deadline) {
		k.log.Warn("lease given up: not renewed within its term", "lease", k.name, "epoch", epoch)
		k.endLocked()
	}
}

// drop ends the current holding if it is of epoch.
func (k *Keeper) drop(epoch int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.held && k.cur.Epoch == epoch {
		k.endLocked()
	}
}

func (k *Keeper) endLocked() {
	k.held = false
	if k.quit != nil {
		k.quit()
		k.lapse.Stop()
		k.quit, k.lapse = nil, nil
	}
}
