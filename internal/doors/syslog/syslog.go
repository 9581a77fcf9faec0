// Package syslog is the syslog door: listeners for RFC 5424 and RFC 3164
// messages over TCP (octet-counting or newline framing, told apart by the
// first byte of a connection), TCP with TLS, and UDP (a message a
// datagram), each writing to one log stream through the LTS core.
//
// A message's text is the line's content and its timestamp the line's time
// (the arrival time when it has none). Its hostname and app-name are the
// labels "host" and "app"; facility, severity, procid and msgid are
// structured fields, and so is each structured-data parameter, as
// "sd.<id>.<name>". Messages are stored in batches, at most
// flushEvery apart: syslog has no acknowledgement, so a batch is as durable
// as the LTS APIs make it once stored, and what a connection sent before a
// crash may be lost with it, as with any syslog receiver. A message that
// cannot be parsed is counted and logged, never stored half.
//
// It never stores anything but through the core.
package syslog

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"logtank/internal/apierr"
	"logtank/internal/logstore"
	"logtank/internal/ltscore"
)

// Batching of a connection's messages.
const (
	flushEvery = 200 * time.Millisecond
	flushLines = 1000
	flushBytes = 4 << 20
	maxMessage = 64 << 10 // bytes of one message
	// maxConns bounds the open syslog connections; idleTimeout ends a
	// connection silent that long.
	maxConns    = 1024
	idleTimeout = 10 * time.Minute
)

// Listener is one configured listener: where it listens and the stream it
// writes to.
type Listener struct {
	Network string // "tcp", "udp" or "tls"
	Address string
	Project string
	Group   string
	Stream  string
	// TLS is the server certificate of a "tls" listener.
	TLS *tls.Config
}

// ParseListener reads a listener from its URL form,
// tcp://HOST:PORT?group=G&stream=S[&project=P], udp://..., or
// tls://HOST:PORT?group=G&stream=S&cert=FILE&key=FILE. The project is
// defaultProject unless the URL names one; group and stream are ids or
// names.
func ParseListener(raw, defaultProject string) (Listener, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Listener{}, fmt.Errorf("syslog listener %q: %v", raw, err)
	}
	q := u.Query()
	l := Listener{Network: u.Scheme, Address: u.Host, Project: q.Get("project"), Group: q.Get("group"), Stream: q.Get("stream")}
	if l.Project == "" {
		l.Project = defaultProject
	}
	switch {
	case l.Network != "tcp" && l.Network != "udp" && l.Network != "tls":
		return Listener{}, fmt.Errorf("syslog listener %q: the scheme must be tcp, udp or tls", raw)
	case l.Address == "":
		return Listener{}, fmt.Errorf("syslog listener %q: no address to listen on", raw)
	case l.Group == "" || l.Stream == "":
		return Listener{}, fmt.Errorf("syslog listener %q: name the log group and stream with ?group=...&stream=...", raw)
	}
	if l.Network == "tls" {
		cert, err := tls.LoadX509KeyPair(q.Get("cert"), q.Get("key"))
		if err != nil {
			return Listener{}, fmt.Errorf("syslog listener %q: the TLS certificate (cert= and key=): %v", raw, err)
		}
		l.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return l, nil
}

// Server runs listeners until Close.
type Server struct {
	core   *ltscore.Core
	log    *slog.Logger
	closed chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	closer []io.Closer
	// conns are the open connections, closed with the server.
	conns map[net.Conn]struct{}
	// addrs are the listeners' actual addresses (a port 0 chosen).
	addrs []net.Addr
}

// Start opens every listener, checking that its stream exists, and serves
// them in the background.
func Start(ctx context.Context, core *ltscore.Core, log *slog.Logger, listeners []Listener) (*Server, error) {
	s := &Server{core: core, log: log, closed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	for _, l := range listeners {
		t, err := core.ResolveForShipper(ctx, l.Project, l.Group, l.Stream)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("syslog listener %s://%s: %v", l.Network, l.Address, err)
		}
		if err := s.listen(l, t); err != nil {
			s.Close()
			return nil, fmt.Errorf("syslog listener %s://%s: %v", l.Network, l.Address, err)
		}
	}
	return s, nil
}

// Addrs returns the listeners' addresses, in the order configured.
func (s *Server) Addrs() []net.Addr { return s.addrs }

func (s *Server) listen(l Listener, t ltscore.Target) error {
	if l.Network == "udp" {
		pc, err := net.ListenPacket("udp", l.Address)
		if err != nil {
			return err
		}
		s.track(pc, pc.LocalAddr())
		s.wg.Add(1)
		go s.serveUDP(pc, l, t)
		return nil
	}
	ln, err := net.Listen("tcp", l.Address)
	if err != nil {
		return err
	}
	if l.TLS != nil {
		ln = tls.NewListener(ln, l.TLS)
	}
	s.track(ln, ln.Addr())
	s.wg.Add(1)
	go s.serveTCP(ln, l, t)
	return nil
}

func (s *Server) track(c io.Closer, a net.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closer = append(s.closer, c)
	s.addrs = append(s.addrs, a)
}

// Close stops the listeners and waits for their connections' last
// batches to be stored.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	for _, c := range s.closer {
		c.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) serveTCP(ln net.Listener, l Listener, t ltscore.Target) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.closed:
				return
			default:
			}
			s.log.Warn("syslog: accept failed", "listener", l.Address, "error", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		select {
		case <-s.closed:
			conn.Close()
		default:
			if len(s.conns) >= maxConns {
				s.log.Warn("syslog: too many connections; one refused", "listener", l.Address, "limit", maxConns)
				conn.Close()
				break
			}
			s.conns[conn] = struct{}{}
			s.wg.Add(1)
			go s.serveConn(conn, l, t)
		}
		s.mu.Unlock()
	}
}

// serveConn reads one connection's messages, framed by octet counts when
// its first byte is a digit and by newlines otherwise.
func (s *Server) serveConn(conn net.Conn, l Listener, t ltscore.Target) {
	defer s.wg.Done()
	defer func() {
		conn.Close()
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
	}()
	b := newBatcher(s, l, t)
	defer b.stop()
	r := bufio.NewReaderSize(&idleReader{conn}, maxMessage)
	first, err := r.Peek(1)
	if err != nil {
		return
	}
	if first[0] >= '0' && first[0] <= '9' {
		p := octetcounting.NewParserAuto(gosyslog.WithBestEffort(), gosyslog.WithListener(b.add), gosyslog.WithMaxMessageLength(maxMessage),
			auto.WithRFC3164MachineOptions(rfc3164Options()...))
		p.Parse(r)
		return
	}
	// Newline framing is read here, a frame at most maxMessage bytes (the
	// parser's own would buffer a frame without end), each parsed alone.
	m := newMachine()
	for {
		frame, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			s.log.Warn("syslog: a message longer than the limit was dropped", "listener", l.Address, "limit", maxMessage)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil {
				return
			}
			continue
		}
		if len(frame) > 0 {
			b.addFrame(m, frame)
		}
		if err != nil {
			return
		}
	}
}

// idleReader ends a connection that has sent nothing for idleTimeout.
type idleReader struct{ conn net.Conn }

func (r *idleReader) Read(p []byte) (int, error) {
	r.conn.SetReadDeadline(time.Now().Add(idleTimeout))
	return r.conn.Read(p)
}

// newMachine parses one message of either RFC.
func newMachine() gosyslog.Machine {
	return auto.NewMachine(auto.WithRFC3164Options(rfc3164Options()...), auto.WithRFC5424Options(rfc5424.WithBestEffort()))
}

func (s *Server) serveUDP(pc net.PacketConn, l Listener, t ltscore.Target) {
	defer s.wg.Done()
	b := newBatcher(s, l, t)
	defer b.stop()
	m := newMachine()
	buf := make([]byte, maxMessage)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		b.addFrame(m, buf[:n])
	}
}

// rfc3164Options read an RFC 3164 timestamp, which has no year and no
// zone, as this year's in the server's zone, as senders mean it.
func rfc3164Options() []gosyslog.MachineOption {
	return []gosyslog.MachineOption{rfc3164.WithYear(rfc3164.CurrentYear{}), rfc3164.WithTimezone(time.Local), rfc3164.WithBestEffort()}
}

// trimFrame drops the line end a sender may put after a datagram's message.
func trimFrame(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}

// batcher gathers one connection's (or one UDP listener's) messages and
// stores them at most flushEvery apart or every flushLines messages. The
// reader goes on parsing the next batch while one is being stored, and
// waits only when that next one is full too: parsing and the write-ahead
// log's sync overlap, and memory stays bounded by two batches.
//
// Syslog has no acknowledgement: a batch the store refuses for now (a
// full disk) is held and retried every flushEvery, and while one batch is
// held the connection is not read any further, so TCP senders wait (and
// queue, as rsyslog does) instead of losing messages.
type batcher struct {
	s       *Server
	l       Listener
	t       ltscore.Target
	mu      sync.Mutex
	cond    *sync.Cond // signalled when a store ends or the batcher stops
	pending []message
	bytes   int  // of the pending messages' texts
	storing bool // a batch is being stored
	held    bool // the last store was refused for now
	closing bool
	kick    chan struct{} // a full batch is waiting
	done    chan struct{}
	ticker  *time.Ticker
	wg      sync.WaitGroup
}

type message struct {
	labels map[string]string
	entry  logstore.Entry
}

func newBatcher(s *Server, l Listener, t ltscore.Target) *batcher {
	b := &batcher{s: s, l: l, t: t, kick: make(chan struct{}, 1), done: make(chan struct{}), ticker: time.NewTicker(flushEvery)}
	b.cond = sync.NewCond(&b.mu)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			select {
			case <-b.ticker.C:
			case <-b.kick:
			case <-b.done:
				return
			}
			b.flush()
		}
	}()
	return b
}

// addFrame parses one framed message. A message the parser could read
// only in part is stored whole, as its raw text, so nothing is lost.
func (b *batcher) addFrame(m gosyslog.Machine, frame []byte) {
	frame = trimFrame(frame)
	if len(frame) == 0 {
		return
	}
	msg, err := m.Parse(frame)
	if err == nil {
		b.add(&gosyslog.Result{Message: msg})
		return
	}
	b.keep(message{labels: map[string]string{}, entry: logstore.Entry{TimeNs: time.Now().UnixNano(), Content: string(frame)}})
}

// add takes one parse result.
func (b *batcher) add(res *gosyslog.Result) {
	m, ok := toMessage(res, time.Now())
	if !ok {
		b.s.log.Warn("syslog: a message could not be read", "listener", b.l.Address, "error", res.Error)
		return
	}
	b.keep(m)
}

// keep queues a message and has a full batch stored. It waits while the
// batch it fills is full and the one before is still being stored or is
// held.
func (b *batcher) keep(m message) {
	b.mu.Lock()
	for b.full() && (b.storing || b.held) && !b.closing {
		b.cond.Wait()
	}
	b.pending = append(b.pending, m)
	b.bytes += len(m.entry.Content)
	full := b.full()
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

func (b *batcher) full() bool { return len(b.pending) >= flushLines || b.bytes >= flushBytes }

// flush stores what is pending, grouped by labels. Only the batcher's
// loop calls it, and stop once the loop has ended.
func (b *batcher) flush() {
	b.mu.Lock()
	pending, size := b.pending, b.bytes
	b.pending, b.bytes = nil, 0
	b.storing = len(pending) > 0
	b.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	stored := b.store(pending)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.storing = false
	defer b.cond.Broadcast()
	if stored {
		b.held = false
		if b.full() {
			// Filled meanwhile: store it without waiting for the tick.
			select {
			case b.kick <- struct{}{}:
			default:
			}
		}
		return
	}
	// Refused for now: hold the batch, ahead of what came since.
	if !b.held {
		b.s.log.Warn("syslog: storing is refused for now; messages held and retried", "listener", b.l.Address, "messages", len(pending))
	}
	b.held = true
	b.pending = append(pending, b.pending...)
	b.bytes += size
}

// store stores messages; false when the store refuses them for now and
// they should be tried again.
func (b *batcher) store(pending []message) bool {
	index := map[string]int{}
	var batches []ltscore.Batch
	for _, m := range pending {
		key := m.labels["host"] + "\x00" + m.labels["app"]
		i, ok := index[key]
		if !ok {
			i = len(batches)
			index[key] = i
			batches = append(batches, ltscore.Batch{Labels: m.labels, Field: "messages"})
		}
		batches[i].Entries = append(batches[i].Entries, m.entry)
	}
	// The stream is looked up again: it may have been deleted, or its TTL
	// changed, since the listener started.
	ctx := context.Background()
	t, err := b.s.core.ResolveForShipper(ctx, b.l.Project, b.l.Group, b.l.Stream)
	if err != nil {
		b.s.log.Error("syslog: the listener's stream is gone; messages dropped", "listener", b.l.Address, "messages", len(pending), "error", err)
		return true
	}
	refused, err := b.s.core.IngestEach(ctx, t, batches...)
	var ae *apierr.Error
	switch {
	case errors.As(err, &ae) && ae.Code == ltscore.ErrUnavailable.Code:
		return false
	case err != nil:
		b.s.log.Error("syslog: messages could not be stored", "listener", b.l.Address, "messages", len(pending), "error", err)
	case refused.Lines > 0:
		b.s.log.Warn("syslog: messages refused", "listener", b.l.Address, "messages", refused.Lines, "first", refused.First)
	}
	return true
}

// stop stores what is left and ends the batcher. What the store still
// refuses then is lost, and said so.
func (b *batcher) stop() {
	b.mu.Lock()
	b.closing = true
	b.cond.Broadcast()
	b.mu.Unlock()
	b.ticker.Stop()
	close(b.done)
	b.wg.Wait()
	b.flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) > 0 {
		b.s.log.Error("syslog: messages held at shutdown could not be stored and are lost", "listener", b.l.Address, "messages", len(b.pending))
	}
}

// toMessage turns a parsed message into a line; false when nothing of it
// could be read.
func toMessage(res *gosyslog.Result, now time.Time) (message, bool) {
	if res.Message == nil {
		return message{}, false
	}
	var base *gosyslog.Base
	var sd *map[string]map[string]string
	switch m := res.Message.(type) {
	case *rfc5424.SyslogMessage:
		base, sd = &m.Base, m.StructuredData
	case *rfc3164.SyslogMessage:
		base = &m.Base
	}
	if base == nil || base.Message == nil && base.Hostname == nil && base.Appname == nil {
		return message{}, false
	}
	e := logstore.Entry{TimeNs: now.UnixNano()}
	if base.Timestamp != nil && !base.Timestamp.IsZero() {
		ts := *base.Timestamp
		// An RFC 3164 time has no year and is read as this year's: one
		// sent on December 31 and read after midnight is last year's.
		if _, ok := res.Message.(*rfc3164.SyslogMessage); ok && ts.After(now.Add(24*time.Hour)) {
			ts = ts.AddDate(-1, 0, 0)
		}
		e.TimeNs = ts.UnixNano()
	}
	if base.Message != nil {
		e.Content = strings.TrimRight(*base.Message, "\r\n")
	}
	labels := map[string]string{}
	if base.Hostname != nil {
		labels["host"] = *base.Hostname
	}
	if base.Appname != nil {
		labels["app"] = *base.Appname
	}
	str := func(name string, v *string) {
		if v != nil {
			e.Fields = append(e.Fields, logstore.Field{Name: name, Type: logstore.FieldString, Str: *v})
		}
	}
	str("facility", res.Message.FacilityLevel())
	str("severity", res.Message.SeverityLevel())
	str("procid", base.ProcID)
	str("msgid", base.MsgID)
	if sd != nil {
		for id, params := range *sd {
			for k, v := range params {
				e.Fields = append(e.Fields, logstore.Field{Name: "sd." + id + "." + k, Type: logstore.FieldString, Str: v})
			}
		}
	}
	return message{labels: labels, entry: e}, true
}
