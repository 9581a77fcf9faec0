package logstore

import (
	"time"
)

func (s *Store) flushLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-s.flushReq:
		case <-t.C:
		}
		err := s.Flush()
		if err == nil {
			s.flushErr.Store(nil)
			continue
		}
		s.flushErr.Store(&err)
		// Writers waiting for memtable space must learn that none is coming.
		s.spaceMu.Lock()
		s.space.Broadcast()
		s.spaceMu.Unlock()
		s.log.Error("log store flush failed", "error", err)
		// Back off so that a persistent failure (disk full) does not spin,
		// then try again without waiting for the next trigger.
		select {
		case <-s.closing:
			return
		case <-time.After(s.opts.RetryInterval):
		}
		s.requestFlush()
	}
}

// every runs fn every interval until the store closes; fn's errors are
// logged, since the next round retries.
func (s *Store) every(interval time.Duration, what string, fn func() error) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if err := fn(); err != nil {
				s.log.Error(what+" failed", "error", err)
			}
		}
	}
}
