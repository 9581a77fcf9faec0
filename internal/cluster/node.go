package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"logtank/internal/catalog"
	"logtank/internal/lease"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
	"logtank/internal/segcache"
	"logtank/internal/vfs"
)

// Config is what a node needs.
type Config struct {
	DB *catalog.DB
	// Logs is the node's follower log store.
	Logs *logstore.Store
	// Cache reads the bucket's segments for Logs, which reads them in
	// place: nothing of them is downloaded whole.
	Cache *segcache.Cache
	// Objects and Bucket are where segments are shared; Prefix starts
	// every key (e.g. "logtank/"), so a bucket may hold other things.
	Objects objstore.Store
	Bucket  string
	Prefix  string
	// Node names this process among the nodes (empty: a random name).
	// A restarted process is a new node: it starts empty.
	Node string
	// LeaseTTL is how long a stream stays with a node that stopped
	// renewing (default 10 s): the longest a dead node's streams wait
	// for another to index them.
	LeaseTTL time.Duration
	// Poll is how often the node catches up with every stream's log
	// (default 200 ms).
	Poll time.Duration
	// IndexAfter is how long a stream's rows wait before its owner writes
	// them into segments (default 30 s); IndexBatches writes them sooner,
	// once that many batches wait (default 256: with 1,000-line batches of
	// 150 bytes, about 40 MB that every node holds in memory meanwhile).
	IndexAfter   time.Duration
	IndexBatches int64
	// MaxWaiting bounds a stream's batches waiting to be indexed, which
	// every node holds in memory: past it, appends fail with
	// catalog.ErrIngestBacklog until the owner catches up (default 8 times
	// IndexBatches, as when no node can write segments).
	MaxWaiting int64
	// FollowFor is how long the node keeps applying a stream's log after a
	// catch-up asked of it (a query through it, CatchUp) when it does not
	// own the stream (default 5 minutes); once it is over, the node drops
	// what it holds of the stream and its next query catches up from the
	// manifest and the log again. It must be longer than the longest query,
	// which reads the store after its catch-up.
	FollowFor time.Duration
	// Known tells whether a stream exists, so that the log of a deleted
	// stream is not applied again (nil: all do).
	Known func(streamID string) bool
	// TTL returns a stream's TTL as the catalog says (nil or zero: kept
	// forever): its owner drops the days it expired from the manifest.
	TTL func(streamID string) time.Duration
	// Upkeep is how often a stream's owner merges its small segments,
	// drops its expired days and deletes its garbage (default 1 min).
	Upkeep time.Duration
	// Grace is how long an object that left the manifest stays in the
	// bucket for the nodes that may still read it (default 10 min).
	Grace  time.Duration
	Logger *slog.Logger
}

// Node is one node's side of the data path. It is safe for concurrent use.
type Node struct {
	cfg    Config
	leases *lease.Manager
	// member keeps the lease "node:<name>", by which the other nodes count
	// this one among the live nodes that streams are spread over.
	member *lease.Keeper
	enc    *zstd.Encoder
	dec    *zstd.Decoder

	mu      sync.Mutex
	streams map[string]*streamState

	// pollMu serialises the poll rounds, which keep polled (poll.go).
	pollMu sync.Mutex
	polled polled

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// streamState is what the node knows of one stream. mu serialises the
// stream's catch-ups and indexing rounds, which both change what the log
// store holds of it, and guards the fields.
type streamState struct {
	mu sync.Mutex
	// lease is held while owned; lastRound is when the node last indexed,
	// upkept when it last took care of the stream's segments (upkeep.go),
	// upkeeping true while it does, which it does without mu.
	lease             lease.Lease
	owned             bool
	lastRound, upkept time.Time
	upkeeping         bool
	// gen is the manifest generation the stream's segments follow.
	gen int64
	// followUntil is when the follow window that the last catch-up asked
	// of the node ends.
	followUntil time.Time
	// freeSince is when this node first saw the stream with batches
	// waiting and its lease free, while another node is its preferred
	// owner; zero when it has not.
	freeSince time.Time
}

// follows tells whether the node applies the stream's log now: while it
// owns the stream, and within the follow window of a query. The caller
// holds st.mu.
func (st *streamState) follows(now time.Time) bool {
	return st.owned || now.Before(st.followUntil)
}

// Start starts the node's background catch-up and indexing.
func Start(cfg Config) (*Node, error) {
	if cfg.Cache == nil {
		return nil, errors.New("cluster: a node needs a segment cache")
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.IndexAfter <= 0 {
		cfg.IndexAfter = 30 * time.Second
	}
	if cfg.IndexBatches <= 0 {
		cfg.IndexBatches = 256
	}
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = 8 * cfg.IndexBatches
	}
	if cfg.FollowFor <= 0 {
		cfg.FollowFor = 5 * time.Minute
	}
	if cfg.Upkeep <= 0 {
		cfg.Upkeep = time.Minute
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Minute
	}
	if cfg.TTL == nil {
		cfg.TTL = func(string) time.Duration { return 0 }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Known == nil {
		cfg.Known = func(string) bool { return true }
	}
	if cfg.Node == "" {
		cfg.Node = "node-" + randomHex(6)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(256<<20))
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, leases: lease.New(cfg.DB, cfg.Node, cfg.LeaseTTL), enc: enc, dec: dec, streams: map[string]*streamState{}}
	// Counted among the members from the first round on; the keeper takes
	// the lease over (the same holding) and retries when this fails.
	ctx, cancel := context.WithTimeout(context.Background(), cfg.LeaseTTL)
	if _, ok, err := n.leases.Acquire(ctx, nodePrefix+cfg.Node); err != nil || !ok {
		cfg.Logger.Warn("cluster: the node's membership lease was not taken yet; retrying", "node", cfg.Node, "taken", ok, "error", err)
	}
	cancel()
	n.member = n.leases.Keep(nodePrefix+cfg.Node, cfg.Logger)
	ctx, cancel = context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(1)
	go n.loop(ctx)
	return n, nil
}

// Name is the node's name, the owner of its leases.
func (n *Node) Name() string { return n.cfg.Node }

// Close stops the background work, leaves the members and hands the
// node's streams back, so the others take them at once. Closing again
// does nothing.
func (n *Node) Close() { n.closed.Do(n.close) }

func (n *Node) close() {
	n.cancel()
	n.wg.Wait()
	n.member.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, st := range n.streams {
		st.mu.Lock()
		if st.owned {
			n.leases.Release(ctx, st.lease)
			st.owned = false
		}
		st.mu.Unlock()
	}
}

func (n *Node) stream(id string) *streamState {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := n.streams[id]
	if st == nil {
		st = &streamState{}
		n.streams[id] = st
	}
	return st
}

// Append makes batches durable in the stream's log, all or none: when it
// returns nil, every node will find them.
func (n *Node) Append(ctx context.Context, streamID string, batches []logstore.Batch) error {
	payload := n.enc.EncodeAll(logstore.EncodeBatches(nil, batches), nil)
	seq, err := n.cfg.DB.AppendIngest(ctx, streamID, payload, n.cfg.MaxWaiting)
	if err != nil {
		if !errors.Is(err, catalog.ErrIngestBacklog) && !errors.Is(err, catalog.ErrStreamDeleted) && ctx.Err() == nil {
			n.cfg.Logger.Warn("cluster: a batch could not be committed to the ingest log", "stream", streamID, "error", err)
		}
		return err
	}
	// When the node follows the stream and the batch follows the last one
	// applied here, apply it now rather than read it back from the log.
	// Out of turn, or while a catch-up runs, it is left to the next
	// catch-up; a stream the node does not follow is left to its followers.
	st := n.stream(streamID)
	if st.mu.TryLock() {
		if applied, _ := n.cfg.Logs.Applied(streamID); st.follows(time.Now()) && applied == uint64(seq)-1 {
			if err := n.cfg.Logs.Apply(streamID, uint64(seq), batches); err != nil {
				n.cfg.Logger.Warn("cluster: applying an acknowledged batch failed; the next catch-up applies it", "stream", streamID, "error", err)
			}
		}
		st.mu.Unlock()
	}
	return nil
}

// CatchUp applies the stream's log up to its head as it stands now, so
// that every batch acknowledged before the call is in the log store, and
// keeps the node following the stream for Config.FollowFor. A stream that
// does not exist has nothing to catch up.
func (n *Node) CatchUp(ctx context.Context, streamID string) error {
	if !n.cfg.Known(streamID) {
		return nil
	}
	st := n.stream(streamID)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.followUntil = time.Now().Add(n.cfg.FollowFor)
	h, err := n.cfg.DB.StreamIngestHead(ctx, streamID)
	if err != nil {
		return err
	}
	return n.catchUp(ctx, streamID, st, h)
}

// catchUpRounds bounds how often one catch-up starts again because the
// stream was indexed while it read the log.
const catchUpRounds = 8

// logPage is how many batches one read of the log returns.
const logPage = 256

// catchUp brings the stream's segments and rows up to head h, and its
// segments to the manifest's generation. The caller holds st.mu.
func (n *Node) catchUp(ctx context.Context, id string, st *streamState, h catalog.IngestHead) error {
	for range catchUpRounds {
		_, covered := n.cfg.Logs.Applied(id)
		if uint64(h.Indexed) > covered || h.Gen != st.gen {
			if err := n.attach(ctx, id, st, covered); err != nil {
				return err
			}
		}
		applied, _ := n.cfg.Logs.Applied(id)
		gap := false
		for !gap && applied < uint64(h.Head) {
			page, err := n.cfg.DB.IngestAfter(ctx, id, int64(applied), logPage)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				gap = true
				break
			}
			for _, b := range page {
				if uint64(b.Seq) != applied+1 {
					// Indexed and deleted since the head was read: the
					// segments hold them now.
					gap = true
					break
				}
				batches, err := n.decode(b.Batch)
				if err != nil {
					return fmt.Errorf("cluster: stream %s batch %d: %w", id, b.Seq, err)
				}
				if err := n.cfg.Logs.Apply(id, uint64(b.Seq), batches); err != nil {
					return err
				}
				applied = uint64(b.Seq)
			}
		}
		if !gap {
			return nil
		}
		var err error
		if h, err = n.cfg.DB.StreamIngestHead(ctx, id); err != nil {
			return err
		}
	}
	return fmt.Errorf("cluster: stream %s: its log kept moving under %d catch-ups", id, catchUpRounds)
}

func (n *Node) decode(payload []byte) ([]logstore.Batch, error) {
	raw, err := n.dec.DecodeAll(payload, nil)
	if err != nil {
		return nil, err
	}
	return logstore.DecodeBatches(raw)
}

// attach brings in the manifest's segments of the stream beyond covered,
// one indexing round at a time, or rebuilds the stream's segments from
// the whole manifest when it is of another generation.
func (n *Node) attach(ctx context.Context, id string, st *streamState, covered uint64) error {
	m, err := n.cfg.DB.ManifestAfter(ctx, id, int64(covered))
	if err != nil {
		return err
	}
	if m.Gen != st.gen {
		return n.rebuild(ctx, id, st)
	}
	segs := m.Segments
	for len(segs) > 0 {
		round := segs[:1]
		for len(round) < len(segs) && segs[len(round)].ToSeq == segs[0].ToSeq {
			round = segs[:len(round)+1]
		}
		segs = segs[len(round):]
		if uint64(round[0].FromSeq) != covered {
			// The store holds rows of a round it did not get from the
			// manifest: start the stream again from the manifest.
			n.cfg.Logger.Warn("cluster: a stream's segments do not follow the manifest; rebuilding it", "stream", id,
				"covered", covered, "round_from", round[0].FromSeq)
			return n.rebuild(ctx, id, st)
		}
		if err := n.cfg.Logs.Attach(id, uint64(round[0].ToSeq), n.segments(round)); err != nil {
			return err
		}
		covered = uint64(round[0].ToSeq)
	}
	return nil
}

// loop tends every stream that ingested, each poll, until ctx ends.
func (n *Node) loop(ctx context.Context) {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.round(ctx); err != nil && ctx.Err() == nil {
			n.cfg.Logger.Warn("cluster: catching up with the ingest log failed; retrying", "error", err)
		}
	}
}

func (n *Node) round(ctx context.Context) error {
	n.pollMu.Lock()
	defer n.pollMu.Unlock()
	v, err := n.look(ctx)
	if err != nil {
		return err
	}
	var first error
	n.mu.Lock()
	var gone []string
	for id := range n.streams {
		if !n.cfg.Known(id) {
			gone = append(gone, id)
		}
	}
	n.mu.Unlock()
	for _, id := range gone {
		if err := n.drop(ctx, id); err != nil && first == nil {
			first = fmt.Errorf("dropping deleted stream %s: %w", id, err)
		}
	}
	var unknown []string
	for _, h := range n.polled.heads {
		if ctx.Err() != nil {
			return nil
		}
		if !n.cfg.Known(h.StreamID) {
			unknown = append(unknown, h.StreamID)
			continue
		}
		if err := n.tend(ctx, h, v); err != nil && first == nil {
			first = fmt.Errorf("stream %s: %w", h.StreamID, err)
		}
	}
	if len(unknown) > 0 {
		if err := n.forgetDeleted(ctx, unknown); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// tend keeps one stream's lease, takes it when the stream is the node's to
// take, catches the stream up while the node follows it, indexes its rows
// when they have waited long enough, and hands it over when another live
// node is its preferred owner. A stream the node no longer follows is
// dropped from the store.
func (n *Node) tend(ctx context.Context, h catalog.IngestHead, v view) error {
	st := n.stream(h.StreamID)
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	waiting := h.Head - h.Indexed
	if st.owned && time.Until(st.lease.Expires) < n.cfg.LeaseTTL/2 {
		l, err := n.leases.Renew(ctx, st.lease)
		if err != nil {
			st.owned = false
			if !errors.Is(err, lease.ErrLost) {
				return err
			}
		} else {
			st.lease = l
		}
	}
	if waiting == 0 || st.owned {
		st.freeSince = time.Time{}
	}
	pref := preferred(v.members, h.StreamID)
	// The preferred owner also takes an idle stream whose segments are due
	// for upkeep, so that its days still expire and merge.
	upkeepDue := h.Indexed > 0 && pref == n.cfg.Node && now.Sub(st.upkept) >= n.cfg.Upkeep
	if (waiting > 0 || upkeepDue) && !st.owned && n.mayTake(st, h.StreamID, pref, v, now) {
		l, ok, err := n.leases.Acquire(ctx, streamPrefix+h.StreamID)
		if err != nil {
			return err
		}
		if ok {
			st.lease, st.owned, st.lastRound, st.freeSince = l, true, now, time.Time{}
			if waiting > 0 {
				st.upkept = now
			}
		}
	}
	if !st.follows(now) {
		return n.unfollow(h.StreamID)
	}
	applied, covered := n.cfg.Logs.Applied(h.StreamID)
	if applied < uint64(h.Head) || covered < uint64(h.Indexed) || h.Gen != st.gen {
		if err := n.catchUp(ctx, h.StreamID, st, h); err != nil {
			return err
		}
	}
	if !st.owned {
		return nil
	}
	// Another live node is preferred: index what waits now, so that the
	// stream passes with nothing of this node's pending, and let it go.
	handover := pref != "" && pref != n.cfg.Node
	var err error
	if waiting > 0 && (handover || waiting >= n.cfg.IndexBatches || now.Sub(st.lastRound) >= n.cfg.IndexAfter) {
		st.lastRound = now
		err = n.index(ctx, h.StreamID, st)
	}
	if handover && st.owned {
		if rerr := n.leases.Release(ctx, st.lease); rerr != nil {
			return errors.Join(err, rerr)
		}
		st.owned = false
		if !st.follows(now) {
			return errors.Join(err, n.unfollow(h.StreamID))
		}
	}
	if st.owned && !st.upkeeping && now.Sub(st.upkept) >= n.cfg.Upkeep {
		// Without the stream's lock: merging and uploading take a while,
		// and the stream's queries through this node must not wait.
		st.upkept, st.upkeeping = now, true
		l := st.lease
		st.mu.Unlock()
		uerr := n.upkeep(ctx, h.StreamID, l)
		st.mu.Lock()
		st.upkeeping = false
		if errors.Is(uerr, lease.ErrLost) && st.lease.Epoch == l.Epoch {
			st.owned = false
		}
		err = errors.Join(err, uerr)
	}
	return err
}

// mayTake tells whether the node may take the lease of a stream with
// batches waiting that it does not hold: when nobody holds it and the node
// is its preferred owner, or when it has been free for a whole term while
// another node was preferred (that node lives but does not take it), so
// that no stream is left unindexed. The caller holds st.mu.
func (n *Node) mayTake(st *streamState, id, pref string, v view, now time.Time) bool {
	if holder, held := v.holder(id); held && holder != n.cfg.Node {
		st.freeSince = time.Time{}
		return false
	}
	if pref == n.cfg.Node {
		return true
	}
	if st.freeSince.IsZero() {
		st.freeSince = now
		return false
	}
	return now.Sub(st.freeSince) >= n.cfg.LeaseTTL
}

// unfollow drops what the store holds of a stream the node no longer
// follows; the next catch-up fills it again from the manifest and the log.
func (n *Node) unfollow(id string) error {
	if applied, covered := n.cfg.Logs.Applied(id); applied == 0 && covered == 0 {
		return nil
	}
	return n.cfg.Logs.ResetStream(id)
}

// index writes the stream's applied rows into segments, uploads them and
// records them. Any failure after the store wrote them resets the stream
// in the store, which the next catch-up fills again from the manifest and
// the log: the store never keeps a segment the manifest does not name.
func (n *Node) index(ctx context.Context, id string, st *streamState) error {
	// A whole term for the round: writing, uploading and recording take
	// longer than the half term left at worst, and a round fenced out
	// costs the stream's rebuild.
	l, err := n.leases.Renew(ctx, st.lease)
	if err != nil {
		st.owned = false
		return err
	}
	st.lease = l
	_, from := n.cfg.Logs.Applied(id)
	flushed, to, err := n.cfg.Logs.FlushStream(id)
	if err != nil {
		return err
	}
	if len(flushed) == 0 || to <= from {
		return nil
	}
	if err := n.publish(ctx, id, st, from, to, flushed); err != nil {
		if errors.Is(err, lease.ErrLost) {
			st.owned = false
		}
		// The next catch-up rebuilds the stream from the whole manifest.
		st.gen = -1
		if rerr := n.cfg.Logs.ResetStream(id); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

func (n *Node) publish(ctx context.Context, id string, st *streamState, from, to uint64, flushed []logstore.FlushedSegment) error {
	recs := make([]catalog.SegmentRecord, len(flushed))
	keys := make([]string, len(flushed))
	for i, f := range flushed {
		keys[i] = n.segmentKey(id, f.Day, from, to)
		recs[i] = catalog.SegmentRecord{StreamID: id, Object: keys[i], Day: f.Day, MinLine: f.MinLine, MaxLine: f.MaxLine,
			Rows: int64(f.Rows), Bytes: f.Bytes}
	}
	if err := n.beforeUpload(ctx, id, keys); err != nil {
		return err
	}
	for i, f := range flushed {
		if err := n.upload(ctx, f, keys[i]); err != nil {
			return err
		}
	}
	if err := n.cfg.DB.RecordSegments(lease.Fenced(ctx, st.lease), id, int64(from), int64(to), recs); err != nil {
		return errors.Join(err, n.unrecorded(ctx, id, keys))
	}
	// Published: the node reads them from the bucket too, so that its
	// disk holds only the cache's bound of them. Failing that, the local
	// files serve as well.
	files := make([]vfs.File, len(recs))
	for i, r := range recs {
		files[i] = n.cfg.Cache.Open(n.cfg.Objects, n.cfg.Bucket, r.Object, r.Bytes)
	}
	if err := n.cfg.Logs.Reference(id, flushed, files); err != nil {
		n.cfg.Logger.Warn("cluster: published segments stay in the local folder", "stream", id, "error", err)
	}
	return nil
}

// Forget deletes a deleted stream's log, manifest and segments, and what
// the node holds of it; the other nodes drop theirs at their next poll. An
// object whose deletion fails stays in the bucket, never read again.
func (n *Node) Forget(ctx context.Context, streamID string) error {
	objects, err := n.cfg.DB.ForgetStreamLog(ctx, streamID)
	if err != nil {
		return err
	}
	for _, o := range objects {
		if err := n.cfg.Objects.Delete(ctx, n.cfg.Bucket, o); err != nil {
			n.cfg.Logger.Warn("cluster: a deleted stream's segment could not be deleted", "stream", streamID, "object", o, "error", err)
		}
	}
	return n.drop(ctx, streamID)
}

// drop forgets what the node holds of a stream, and its lease.
func (n *Node) drop(ctx context.Context, streamID string) error {
	n.mu.Lock()
	st := n.streams[streamID]
	delete(n.streams, streamID)
	n.mu.Unlock()
	if st != nil {
		st.mu.Lock()
		if st.owned {
			n.leases.Release(ctx, st.lease)
			st.owned = false
		}
		st.mu.Unlock()
	}
	return n.cfg.Logs.ResetStream(streamID)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
