package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/lease"
	"logtank/internal/logstore"
	"logtank/internal/vfs"
)

// A stream's owner takes care of its segments in the bucket, which no
// node's log store compacts or expires (a follower store does neither):
// every Upkeep it drops from the manifest the days the stream's TTL (the
// catalog's) expired, merges the small segments of a day by the log
// store's compaction policy and merger, and deletes the objects whose
// grace passed. Manifest changes are fenced by its lease and bump the
// manifest's generation, from which every node, the owner included,
// rebuilds its copy of the stream at its next catch-up; the objects that
// left the manifest are deleted only after the grace, as a node may still
// be reading them.

// garbagePage bounds the objects one upkeep deletes.
const garbagePage = 256

// upkeep runs the owner's care of the stream under its lease l: an
// ErrLost in the result means l is lost. It needs no lock of the stream:
// it reads objects that do not change, and its manifest changes are
// fenced by l and refused when the manifest moved meanwhile, so the
// stream's queries and rounds go on while it merges and uploads.
func (n *Node) upkeep(ctx context.Context, id string, l lease.Lease) error {
	err := n.expire(ctx, id, l)
	if err == nil {
		err = n.compact(ctx, id, l)
	}
	if errors.Is(err, lease.ErrLost) {
		return err
	}
	// Fenced too: a node that lost the stream must not delete what the
	// garbage list holds, as an upload of the new owner in flight.
	return errors.Join(err, n.collect(lease.Fenced(ctx, l), id))
}

// expire drops the days the stream's TTL expired from the manifest.
func (n *Node) expire(ctx context.Context, id string, l lease.Lease) error {
	ttl := n.cfg.TTL(id)
	if ttl <= 0 {
		return nil
	}
	_, err := n.cfg.DB.DropSegmentDays(lease.Fenced(ctx, l), id, logstore.ExpiredThrough(time.Now(), ttl), n.cfg.Grace)
	return err
}

// compact merges the small segments of each day of the manifest that has
// enough of them, as the log store's Compact would.
func (n *Node) compact(ctx context.Context, id string, l lease.Lease) error {
	m, err := n.cfg.DB.ManifestAfter(ctx, id, 0)
	if err != nil {
		return err
	}
	byDay := map[string][]catalog.SegmentRecord{}
	for _, s := range m.Segments {
		byDay[s.Day] = append(byDay[s.Day], s)
	}
	days := make([]string, 0, len(byDay))
	for day := range byDay {
		days = append(days, day)
	}
	slices.Sort(days)
	for _, day := range days {
		segs := byDay[day]
		sizes := make([]int64, len(segs))
		for i, s := range segs {
			sizes[i] = s.Bytes
		}
		picked := n.cfg.Logs.CompactionInputs(sizes)
		if len(picked) == 0 {
			continue
		}
		inputs := make([]catalog.SegmentRecord, len(picked))
		for i, p := range picked {
			inputs[i] = segs[p]
		}
		if err := n.merge(ctx, id, l, day, inputs); err != nil {
			return err
		}
	}
	return nil
}

// merge writes one segment holding the rows of inputs, uploads it under a
// new name and records it in their place.
func (n *Node) merge(ctx context.Context, id string, l lease.Lease, day string, inputs []catalog.SegmentRecord) error {
	att := n.segments(inputs)
	files := make([]vfs.File, len(att))
	for i, a := range att {
		files[i] = a.File
	}
	merged, err := n.cfg.Logs.MergeSegments(day, files)
	if err != nil {
		return err
	}
	defer n.cfg.Logs.DiscardMerged(merged)
	from, to := inputs[0].FromSeq, inputs[0].ToSeq
	objects := make([]string, len(inputs))
	for i, s := range inputs {
		from, to = min(from, s.FromSeq), max(to, s.ToSeq)
		objects[i] = s.Object
	}
	key := n.segmentKey(id, day, uint64(from), uint64(to))
	if err := n.beforeUpload(ctx, id, []string{key}); err != nil {
		return err
	}
	if err := n.upload(ctx, merged, key); err != nil {
		return err
	}
	rec := catalog.SegmentRecord{StreamID: id, Object: key, Day: day, MinLine: merged.MinLine, MaxLine: merged.MaxLine,
		Rows: int64(merged.Rows), Bytes: merged.Bytes}
	if err := n.cfg.DB.ReplaceSegments(lease.Fenced(ctx, l), id, objects, rec, n.cfg.Grace); err != nil {
		return errors.Join(err, n.unrecorded(ctx, id, []string{key}))
	}
	return nil
}

// collect deletes the stream's objects whose grace passed. One whose
// deletion fails stays listed, for the next upkeep.
func (n *Node) collect(ctx context.Context, id string) error {
	due, err := n.cfg.DB.DueGarbage(ctx, id, garbagePage)
	if err != nil || len(due) == 0 {
		return err
	}
	var gone []string
	var failed error
	for _, o := range due {
		if err := n.cfg.Objects.Delete(ctx, n.cfg.Bucket, o); err != nil {
			failed = errors.Join(failed, err)
			continue
		}
		gone = append(gone, o)
	}
	return errors.Join(failed, n.cfg.DB.ForgetGarbage(ctx, gone))
}

// segmentKey names a new segment of the stream's day holding batches from
// < seq <= to, under a name no other upload uses.
func (n *Node) segmentKey(id, day string, from, to uint64) string {
	return fmt.Sprintf("%ssegments/%s/%s/%020d-%020d-%s.seg", n.cfg.Prefix, id, day, from, to, randomHex(8))
}

func (n *Node) upload(ctx context.Context, f logstore.FlushedSegment, key string) error {
	r, err := n.cfg.Logs.OpenFlushed(f)
	if err != nil {
		return err
	}
	defer r.Close()
	return n.cfg.Objects.Put(ctx, n.cfg.Bucket, key, r, f.Bytes)
}

// unrecorded deletes uploads whose commit failed because their stream was
// deleted meanwhile: the deletion forgot the stream's garbage list, and
// may have deleted their keys before the uploads landed. Those of a live
// stream stay listed, for the owner's upkeep after the grace.
func (n *Node) unrecorded(ctx context.Context, id string, keys []string) error {
	ctx = context.WithoutCancel(ctx)
	if deleted, err := n.cfg.DB.StreamDeleted(ctx, id); err != nil || !deleted {
		return err
	}
	var errs []error
	for _, k := range keys {
		errs = append(errs, n.cfg.Objects.Delete(ctx, n.cfg.Bucket, k))
	}
	return errors.Join(errs...)
}

// beforeUpload lists the keys of segments about to be uploaded as garbage,
// deleted after the grace unless the commit that records them takes them
// off the list: an upload whose node dies, hangs or fails before that
// commit is deleted in time by whichever node then owns the stream, rather
// than left in the bucket for good. Nothing is uploaded unless listed.
func (n *Node) beforeUpload(ctx context.Context, id string, keys []string) error {
	return n.cfg.DB.AddGarbage(ctx, id, keys, n.cfg.Grace)
}

// forgetDeleted forgets the logs of those of the streams the node does not
// know that the catalog records as deleted: what a batch appended through
// a node that had not yet seen the deletion left behind. The others are
// streams too new for the node's stream cache.
func (n *Node) forgetDeleted(ctx context.Context, ids []string) error {
	objects, err := n.cfg.DB.ForgetDeletedStreamLogs(ctx, ids)
	if err != nil {
		return fmt.Errorf("forgetting the logs of deleted streams: %w", err)
	}
	for _, o := range objects {
		if err := n.cfg.Objects.Delete(ctx, n.cfg.Bucket, o); err != nil {
			n.cfg.Logger.Warn("cluster: a deleted stream's segment could not be deleted", "object", o, "error", err)
		}
	}
	return nil
}
