// Package logstore is the log engine: it makes ingested rows durable in a
// write-ahead log (group commit), keeps fresh rows in per-stream memtables
// that queries read at once, flushes them into immutable compressed
// columnar segments (one folder per stream and UTC day) whose blocks carry
// line-number ranges, label-set tables and token bloom filters, compacts
// small segments, drops whole days past a stream's TTL, and scans rows in
// line-number order with early termination.
//
// Every file operation goes through a vfs.FS (Options.FS), so tests fill
// the disk, fail writes, syncs and renames, and cut the power at any
// operation. A write it cannot make durable is refused with ErrUnavailable
// and taken again by itself once the cause clears; damaged files are
// quarantined and damaged blocks skipped (Damaged tells a stream has some),
// never a reason to refuse to start unless Options.Strict says so.
//
// As a follower (Options.Follower, follow.go) it is instead one node's
// replica of a log kept elsewhere: batches applied in order get the same
// line numbers on every replica, and segments written by one replica are
// attached by the others; the replica that writes them also merges them
// elsewhere (MergeSegments, by Compact's policy), and the others take the
// merged set in place of theirs (Rebase).
//
// The file formats are docs/format/wal.md and docs/format/segment.md.
// It knows nothing about HTTP, the LTS wire format or the catalog: callers
// tell it which streams exist and what their TTLs are.
package logstore
