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
	// Known tells whether a stream exists, so that the log of a deleted
	// stream is not applied again (nil: all do).
	Known  func(streamID string) bool
	Logger *slog.Logger
}

// Node is one node's side of the data path. It is safe for concurrent use.
type Node struct {
	cfg    Config
	leases *lease.Manager
	enc    *zstd.Encoder
	dec    *zstd.Decoder

	mu      sync.Mutex
	streams map[string]*streamState

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// streamState is what the node knows of one stream. mu serialises the
// stream's catch-ups and indexing rounds, which both change what the log
// store holds of it.
type streamState struct {
	mu sync.Mutex
	// lease is held while owned; lastRound is when the node last indexed.
	lease     lease.Lease
	owned     bool
	lastRound time.Time
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
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(1)
	go n.loop(ctx)
	return n, nil
}

// Name is the node's name, the owner of its leases.
func (n *Node) Name() string { return n.cfg.Node }

// Close stops the background work and hands the node's streams back.
func (n *Node) Close() {
	n.cancel()
	n.wg.Wait()
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
		if !errors.Is(err, catalog.ErrIngestBacklog) && ctx.Err() == nil {
			n.cfg.Logger.Warn("cluster: a batch could not be committed to the ingest log", "stream", streamID, "error", err)
		}
		return err
	}
	// The batch follows the last one applied here: apply it now rather
	// than read it back from the log. Out of turn, or while a catch-up
	// runs, it is left to the next catch-up.
	st := n.stream(streamID)
	if st.mu.TryLock() {
		if applied, _ := n.cfg.Logs.Applied(streamID); applied == uint64(seq)-1 {
			if err := n.cfg.Logs.Apply(streamID, uint64(seq), batches); err != nil {
				n.cfg.Logger.Warn("cluster: applying an acknowledged batch failed; the next catch-up applies it", "stream", streamID, "error", err)
			}
		}
		st.mu.Unlock()
	}
	return nil
}

// CatchUp applies the stream's log up to its head as it stands now, so
// that every batch acknowledged before the call is in the log store. A
// stream that does not exist has nothing to catch up.
func (n *Node) CatchUp(ctx context.Context, streamID string) error {
	if !n.cfg.Known(streamID) {
		return nil
	}
	st := n.stream(streamID)
	st.mu.Lock()
	defer st.mu.Unlock()
	h, err := n.cfg.DB.StreamIngestHead(ctx, streamID)
	if err != nil {
		return err
	}
	return n.catchUp(ctx, streamID, h)
}

// catchUpRounds bounds how often one catch-up starts again because the
// stream was indexed while it read the log.
const catchUpRounds = 8

// logPage is how many batches one read of the log returns.
const logPage = 256

// catchUp brings the stream's segments and rows up to head h. The caller
// holds the stream's mu.
func (n *Node) catchUp(ctx context.Context, id string, h catalog.IngestHead) error {
	for range catchUpRounds {
		_, covered := n.cfg.Logs.Applied(id)
		if uint64(h.Indexed) > covered {
			if err := n.attach(ctx, id, covered); err != nil {
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
// one indexing round at a time.
func (n *Node) attach(ctx context.Context, id string, covered uint64) error {
	segs, err := n.cfg.DB.SegmentsAfter(ctx, id, int64(covered))
	if err != nil {
		return err
	}
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
			if err := n.cfg.Logs.ResetStream(id); err != nil {
				return err
			}
			return n.attach(ctx, id, 0)
		}
		if err := n.attachRound(id, round); err != nil {
			return err
		}
		covered = uint64(round[0].ToSeq)
	}
	return nil
}

// attachRound has the store read a round's segments in place, through
// the cache. The store reads their indexes now (from the cache's blocks:
// a small segment costs one GET) and keeps them in memory.
func (n *Node) attachRound(id string, round []catalog.SegmentRecord) error {
	att := make([]logstore.AttachedSegment, len(round))
	for i, s := range round {
		att[i] = logstore.AttachedSegment{Day: s.Day, File: n.cfg.Cache.Open(n.cfg.Objects, n.cfg.Bucket, s.Object, s.Bytes)}
	}
	if err := n.cfg.Logs.Attach(id, uint64(round[0].ToSeq), att); err != nil {
		return fmt.Errorf("cluster: attaching segments of stream %s: %w", id, err)
	}
	return nil
}

// loop catches up with every stream that moved, and indexes the streams
// the node owns or can take, until ctx ends.
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
	heads, err := n.cfg.DB.IngestHeads(ctx)
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
	for _, h := range heads {
		if ctx.Err() != nil {
			return nil
		}
		if !n.cfg.Known(h.StreamID) {
			continue
		}
		if err := n.tend(ctx, h); err != nil && first == nil {
			first = fmt.Errorf("stream %s: %w", h.StreamID, err)
		}
	}
	return first
}

// tend catches one stream up, takes or keeps its lease while it has rows
// to index, and indexes them when they have waited long enough.
func (n *Node) tend(ctx context.Context, h catalog.IngestHead) error {
	st := n.stream(h.StreamID)
	st.mu.Lock()
	defer st.mu.Unlock()
	applied, covered := n.cfg.Logs.Applied(h.StreamID)
	if applied < uint64(h.Head) || covered < uint64(h.Indexed) {
		if err := n.catchUp(ctx, h.StreamID, h); err != nil {
			return err
		}
	}
	waiting := h.Head - h.Indexed
	now := time.Now()
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
	if waiting == 0 {
		return nil
	}
	if !st.owned {
		l, ok, err := n.leases.Acquire(ctx, "stream:"+h.StreamID)
		if err != nil || !ok {
			return err
		}
		st.lease, st.owned, st.lastRound = l, true, now
	}
	if waiting < n.cfg.IndexBatches && now.Sub(st.lastRound) < n.cfg.IndexAfter {
		return nil
	}
	st.lastRound = now
	return n.index(ctx, h.StreamID, st)
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
		if rerr := n.cfg.Logs.ResetStream(id); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

func (n *Node) publish(ctx context.Context, id string, st *streamState, from, to uint64, flushed []logstore.FlushedSegment) error {
	recs := make([]catalog.SegmentRecord, len(flushed))
	for i, f := range flushed {
		key := fmt.Sprintf("%ssegments/%s/%s/%020d-%020d-%s.seg", n.cfg.Prefix, id, f.Day, from, to, randomHex(8))
		r, err := n.cfg.Logs.OpenFlushed(f)
		if err != nil {
			return err
		}
		err = n.cfg.Objects.Put(ctx, n.cfg.Bucket, key, r, f.Bytes)
		r.Close()
		if err != nil {
			return err
		}
		recs[i] = catalog.SegmentRecord{StreamID: id, Object: key, Day: f.Day, MinLine: f.MinLine, MaxLine: f.MaxLine,
			Rows: int64(f.Rows), Bytes: f.Bytes}
	}
	if err := n.cfg.DB.RecordSegments(lease.Fenced(ctx, st.lease), id, int64(from), int64(to), recs); err != nil {
		return err
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
