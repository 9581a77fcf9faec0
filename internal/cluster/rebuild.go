package cluster

import (
	"context"

	"logtank/internal/catalog"
	"logtank/internal/logstore"
)

// rebuild replaces the stream's segments by the whole manifest's, as one
// transaction read it, and takes its generation. The rows of the batches
// the manifest does not cover yet stay in the store, with their line
// numbers (logstore's Rebase).
func (n *Node) rebuild(ctx context.Context, id string, st *streamState) error {
	m, err := n.cfg.DB.ManifestAfter(ctx, id, 0)
	if err != nil {
		return err
	}
	if err := n.cfg.Logs.Rebase(id, uint64(m.Indexed), n.segments(m.Segments)); err != nil {
		return err
	}
	st.gen = m.Gen
	return nil
}

// segments returns the segments of recs to attach, read in place from the
// bucket through the node's cache: the store reads their indexes when it
// takes them (a small segment costs one GET) and keeps them in memory.
func (n *Node) segments(recs []catalog.SegmentRecord) []logstore.AttachedSegment {
	att := make([]logstore.AttachedSegment, len(recs))
	for i, s := range recs {
		att[i] = logstore.AttachedSegment{Day: s.Day, File: n.cfg.Cache.Open(n.cfg.Objects, n.cfg.Bucket, s.Object, s.Bytes)}
	}
	return att
}
