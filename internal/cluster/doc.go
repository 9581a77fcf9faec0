// Package cluster is the log data path of cluster mode, where several
// logtank nodes share a PostgreSQL catalog and an object-store bucket.
//
// A node acknowledges a batch once the catalog's ingest log committed it
// (Append): PostgreSQL is the write-ahead log, and its replication is what
// survives the loss of a node. Every node applies each stream's log in
// sequence order into its local log store, a follower (logstore
// Options.Follower) that gives every row the same line number on every
// node; before a query the node catches the stream up to the log's head
// (CatchUp), so an acknowledged line is found at once from any node.
//
// One node at a time, the holder of the lease "stream:<id>", indexes a
// stream: it writes the rows it applied into segments, uploads them under
// names no other upload uses, and in one transaction fenced by its lease
// records them in the manifest, advances the stream's indexed number and
// deletes the batches they hold. Every node, the owner included once its
// round is recorded, then reads those segments in place from the bucket
// through its bounded segment cache (package segcache), and the other
// nodes drop the rows they hold. A failure anywhere leaves
// the manifest and the log as they were (an upload nobody recorded is an
// orphan, never read), and the node that failed rebuilds the stream from
// them; a dead node's leases expire and other nodes take its streams.
//
// The package owns that protocol and nothing else: it never decides
// retention or deletion, never writes a local file but through the log
// store, and keeps no state of its own across restarts (a node starts
// empty and is filled from the catalog and the bucket).
package cluster
