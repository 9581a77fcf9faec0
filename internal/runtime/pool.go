package runtime

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errRetired: the pool was retired while the caller waited; it must ask
// the manager for the current pool of its spec.
var errRetired = errors.New("pool retired")

// pool holds the instances of one Spec key. A slot is taken for every
// instance in use, so at most cap(slots) invocations run at once; idle
// instances wait, most recently used last, for the next invocation.
type pool struct {
	m     *Manager
	spec  Spec
	slots chan struct{}

	mu      sync.Mutex
	idle    []*instance
	retired bool
}

// acquire returns an idle instance, or starts one, once a slot is free.
func (p *pool) acquire(ctx context.Context) (*instance, bool, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	p.mu.Lock()
	if p.retired {
		p.mu.Unlock()
		<-p.slots
		return nil, false, errRetired
	}
	for len(p.idle) > 0 {
		in := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if in.alive() {
			p.mu.Unlock()
			return in, false, nil
		}
		go in.stop()
	}
	p.mu.Unlock()
	in, err := p.m.start(p.spec)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	return in, true, nil
}

// release gives back an instance after an invocation: a healthy one waits
// for the next invocation, any other is stopped.
func (p *pool) release(in *instance, healthy bool) {
	p.mu.Lock()
	keep := healthy && !p.retired && in.alive()
	if keep {
		in.lastUsed = time.Now()
		p.idle = append(p.idle, in)
	}
	p.mu.Unlock()
	if !keep {
		in.stop()
	}
	<-p.slots
}

// expire takes out the idle instances unused since cutoff, for stopping.
func (p *pool) expire(cutoff time.Time) []*instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	var stale []*instance
	kept := p.idle[:0]
	for _, in := range p.idle {
		if in.lastUsed.Before(cutoff) || !in.alive() {
			stale = append(stale, in)
		} else {
			kept = append(kept, in)
		}
	}
	p.idle = kept
	return stale
}

// retireIfEmpty retires the pool when it has no instance, idle or busy.
// The manager holds its lock, so no caller finds the pool meanwhile.
func (p *pool) retireIfEmpty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) > 0 || len(p.slots) > 0 {
		return false
	}
	p.retired = true
	return true
}

// retire stops the idle instances; busy ones stop when released.
func (p *pool) retire() {
	p.mu.Lock()
	p.retired = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, in := range idle {
		in.stop()
	}
}
