package cluster

import (
	"context"
	"fmt"
	"io"

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
	att, done := n.fetch(ctx, id, m.Segments)
	err = n.cfg.Logs.Rebase(id, uint64(m.Indexed), att)
	done()
	if err != nil {
		return err
	}
	st.gen = m.Gen
	return nil
}

// fetch returns the segments of recs to attach, each downloaded as the
// store reads it (one download open at a time), and a function that
// closes what is still open.
func (n *Node) fetch(ctx context.Context, id string, recs []catalog.SegmentRecord) ([]logstore.AttachedSegment, func()) {
	att := make([]logstore.AttachedSegment, len(recs))
	objs := make([]*object, len(recs))
	for i, s := range recs {
		objs[i] = &object{ctx: ctx, n: n, stream: id, key: s.Object}
		att[i] = logstore.AttachedSegment{Day: s.Day, Body: objs[i]}
	}
	return att, func() {
		for _, o := range objs {
			o.Close()
		}
	}
}

// object reads an object of the bucket, fetched at its first read.
type object struct {
	ctx         context.Context
	n           *Node
	stream, key string
	r           io.ReadCloser
	closed      bool
}

func (o *object) Read(p []byte) (int, error) {
	if o.closed {
		return 0, io.EOF
	}
	if o.r == nil {
		r, err := o.n.cfg.Objects.Get(o.ctx, o.n.cfg.Bucket, o.key)
		if err != nil {
			return 0, fmt.Errorf("cluster: segment %s of stream %s: %w", o.key, o.stream, err)
		}
		o.r = r
	}
	k, err := o.r.Read(p)
	if err == io.EOF {
		o.Close()
	}
	return k, err
}

func (o *object) Close() error {
	if o.closed || o.r == nil {
		o.closed = true
		return nil
	}
	o.closed = true
	return o.r.Close()
}
