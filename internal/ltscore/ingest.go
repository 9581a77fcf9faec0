package ltscore

import (
	"context"
	"errors"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
	"logtank/internal/logstore"
)

// Ingestion limits.
const (
	// MaxLineBytes bounds one log line.
	MaxLineBytes     = 1 << 20
	maxLabels        = 64
	maxLabelKeyLen   = 128
	maxLabelValueLen = 1024
	maxFutureSkew    = 24 * time.Hour
	// MaxBatchLines bounds one request's lines (the producer SDK sends at
	// most 40,960); with the HTTP layer's cap on decompressed bodies it
	// keeps a request within one write-ahead-log record whatever the
	// lines' sizes.
	MaxBatchLines = 100_000
)

// Target is a stream that a request writes to, resolved once per request.
type Target struct {
	StreamID string
	ttl      time.Duration
}

// Target resolves the stream a report goes to, checking that it belongs to
// group and project.
func (c *Core) Target(ctx context.Context, project, group, stream string) (Target, error) {
	ref, err := c.stream(ctx, project, group, stream)
	if err != nil {
		return Target{}, err
	}
	return Target{StreamID: ref.ID, ttl: time.Duration(ref.TTLDays) * 24 * time.Hour}, nil
}

// Batch is lines sharing labels. Field names the batch's lines in error
// messages ("contents", "log_items[2].contents").
type Batch struct {
	Labels  map[string]string
	Entries []logstore.Entry
	Field   string
}

// Ingest checks the batches (labels, line sizes, times within the
// stream's TTL and not too far ahead, the request's line count), structures
// their lines by the stream's rule and stores them, all or none. When it
// returns nil the lines are durable.
func (c *Core) Ingest(ctx context.Context, t Target, batches ...Batch) error {
	if len(batches) == 0 {
		return Invalid("a request must hold at least one batch of logs")
	}
	total := 0
	for _, b := range batches {
		if _, err := checkLabels(b.Labels); err != nil {
			return err
		}
		if err := c.checkEntries(b.Entries, t.ttl, b.Field); err != nil {
			return err
		}
		if total += len(b.Entries); total > MaxBatchLines {
			return Invalid("the request holds more than the limit of %d logs", MaxBatchLines)
		}
	}
	return c.store(ctx, t, batches)
}

// store structures checked batches by the stream's rule and appends them,
// all or none.
func (c *Core) store(ctx context.Context, t Target, batches []Batch) error {
	stored := make([]logstore.Batch, len(batches))
	for i, b := range batches {
		stored[i] = logstore.Batch{Labels: logstore.LabelsFromMap(b.Labels), Entries: b.Entries}
		c.structureEntries(t.StreamID, stored[i].Labels, stored[i].Entries)
	}
	if c.node != nil {
		if err := c.node.Append(ctx, t.StreamID, stored); err != nil {
			if errors.Is(err, catalog.ErrStreamDeleted) {
				// Deleted through another node, which this one's stream
				// cache has not seen yet.
				return ErrStreamNotFound
			}
			why := "the catalog did not commit them"
			if errors.Is(err, catalog.ErrIngestBacklog) {
				why = "the stream's logs wait to be indexed"
			}
			return ErrUnavailable.WithMsg("The service cannot store logs for now (%s); nothing of this request was stored, retry later", why)
		}
		return nil
	}
	var err error
	if len(stored) == 1 {
		_, err = c.logs.Append(t.StreamID, stored[0].Labels, stored[0].Entries)
	} else {
		_, err = c.logs.AppendBatches(t.StreamID, stored)
	}
	return storeError(err)
}

// Refused is what IngestEach left out: how many lines, why the first of
// them was refused, and each refused line by its batch and place in it.
type Refused struct {
	Lines int
	First string
	Each  []RefusedLine
}

// RefusedLine is one line IngestEach left out, and why.
type RefusedLine struct {
	Batch, Line int
	Reason      string
}

// IngestEach is Ingest for protocols that can say which lines were
// refused (OTLP's partial success): a line that fails its checks, or
// whose batch's labels do, is left out and counted, and the rest is
// stored, all together. It fails only when nothing could be stored for a
// reason other than the lines (the store refusing writes, say); a request
// whose every line is refused stores nothing and reports them all.
func (c *Core) IngestEach(ctx context.Context, t Target, batches ...Batch) (Refused, error) {
	var refused Refused
	refuse := func(bi, line int, err error) {
		reason := err.Error()
		var ae *apierr.Error
		if errors.As(err, &ae) {
			reason = ae.Msg
		}
		if refused.Lines == 0 {
			refused.First = reason
		}
		refused.Lines++
		refused.Each = append(refused.Each, RefusedLine{Batch: bi, Line: line, Reason: reason})
	}
	kept := make([]Batch, 0, len(batches))
	w := c.timeWindow(t.ttl)
	total := 0
	for bi, b := range batches {
		if _, err := checkLabels(b.Labels); err != nil {
			for i := range b.Entries {
				refuse(bi, i, err)
			}
			continue
		}
		good := b.Entries[:0:0]
		for i := range b.Entries {
			if err := w.check(b.Entries[i], b.Field, i); err != nil {
				refuse(bi, i, err)
				continue
			}
			good = append(good, b.Entries[i])
		}
		if len(good) > 0 {
			kept = append(kept, Batch{Labels: b.Labels, Entries: good, Field: b.Field})
		}
		total += len(good)
	}
	if len(kept) == 0 {
		return refused, nil
	}
	if total > MaxBatchLines {
		return refused, Invalid("the request holds more than the limit of %d logs", MaxBatchLines)
	}
	// The lines were checked against the clock once: a line at the edge of
	// the TTL is either refused above or stored, never the whole request.
	return refused, c.store(ctx, t, kept)
}

// Resolve finds a stream of project by its group's id or name and its own
// id or name, as shippers are configured by name. An unknown group is
// LTS.0201, an unknown stream LTS.0208.
func (c *Core) Resolve(ctx context.Context, project, group, stream string) (Target, error) {
	if group == "" || stream == "" {
		return Target{}, Invalid("a log group and a log stream are required (by id or name)")
	}
	if id, ok := c.streams.lookup(project, group, stream); ok {
		if t, err := c.Target(ctx, project, "", id); err == nil {
			return t, nil
		}
	}
	if t, err := c.Target(ctx, project, group, stream); err == nil {
		return t, nil
	}
	groupSeen := false
	for _, f := range []catalog.StreamFilter{{GroupID: group}, {GroupName: group}} {
		streams, err := c.db.LogStreams(ctx, project, f)
		if err != nil {
			return Target{}, &apierr.Internal{Err: ErrInternal, Cause: err}
		}
		for _, s := range streams {
			groupSeen = true
			if s.ID == stream || s.Name == stream {
				return c.Target(ctx, project, s.GroupID, s.ID)
			}
		}
	}
	if !groupSeen {
		if _, err := c.groupID(ctx, project, group); err != nil {
			return Target{}, err
		}
	}
	return Target{}, ErrStreamNotFound.WithMsg("The log stream %q does not existed in log group %q", stream, group)
}

func checkLabels(m map[string]string) (logstore.Labels, error) {
	if len(m) > maxLabels {
		return nil, Invalid("labels may hold at most %d labels", maxLabels)
	}
	for k, v := range m {
		if k == "" || len(k) > maxLabelKeyLen {
			return nil, Invalid("label key %q must be 1-%d bytes", k, maxLabelKeyLen)
		}
		if len(v) > maxLabelValueLen {
			return nil, Invalid("label %s: the value must be at most %d bytes", k, maxLabelValueLen)
		}
	}
	return logstore.LabelsFromMap(m), nil
}

// checkEntries refuses lines that are empty-handed, too large, older than
// the stream's TTL or too far in the future.
func (c *Core) checkEntries(entries []logstore.Entry, ttl time.Duration, field string) error {
	if len(entries) == 0 {
		return Invalid("%s must hold at least one log", field)
	}
	if len(entries) > MaxBatchLines {
		return Invalid("%s holds %d logs, more than the limit of %d per request", field, len(entries), MaxBatchLines)
	}
	w := c.timeWindow(ttl)
	for i, e := range entries {
		if err := w.check(e, field, i); err != nil {
			return err
		}
	}
	return nil
}

// lineWindow is what a line may be, read off the clock once per request.
type lineWindow struct {
	ttl            time.Duration
	oldest, newest int64
}

func (c *Core) timeWindow(ttl time.Duration) lineWindow {
	now := c.now()
	return lineWindow{ttl: ttl, oldest: now.Add(-ttl).UnixNano(), newest: now.Add(maxFutureSkew).UnixNano()}
}

// check refuses line i of field when it is too large, older than the
// stream's TTL or too far in the future.
func (w lineWindow) check(e logstore.Entry, field string, i int) error {
	switch {
	case len(e.Content) > MaxLineBytes:
		return Invalid("%s[%d] is %d bytes, more than the limit of %d", field, i, len(e.Content), MaxLineBytes)
	case w.ttl > 0 && e.TimeNs < w.oldest:
		return Invalid("%s[%d]: log time %s is older than the stream's TTL of %d days", field, i,
			time.Unix(0, e.TimeNs).UTC().Format(time.RFC3339Nano), int(w.ttl/(24*time.Hour)))
	case e.TimeNs > w.newest:
		return Invalid("%s[%d]: log time %s is more than %v in the future", field, i,
			time.Unix(0, e.TimeNs).UTC().Format(time.RFC3339Nano), maxFutureSkew)
	case e.TimeNs <= 0:
		return Invalid("%s[%d]: log_time_ns must be a positive Unix time in nanoseconds", field, i)
	}
	return nil
}

// storeError is what a failed append answers: too much for one write is
// the request's fault; a full or failing disk is a 503 to retry later
// (nothing of the request was stored); anything else the server's fault.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, logstore.ErrTooLarge):
		return ErrTooLarge.WithMsg("The request's logs are too large to store in one write (%v): send them in smaller requests", err)
	case errors.Is(err, logstore.ErrUnavailable):
		why := "a write to disk failed"
		if logstore.RefusalReason(err) == logstore.RefusedDiskFull {
			why = "the disk is full"
		}
		return ErrUnavailable.WithMsg("The service cannot store logs for now (%s); nothing of this request was stored, retry later", why)
	}
	return &apierr.Internal{Err: ErrInternal.WithMsg("Failed to write the logs"), Cause: err}
}
