// Package cluster is the log data path of cluster mode, where several
// logtank nodes share a PostgreSQL catalog and an object-store bucket.
//
// A node acknowledges a batch once the catalog's ingest log committed it
// (Append): PostgreSQL is the write-ahead log, and its replication is what
// survives the loss of a node. A node applies a stream's log, in sequence
// order, into its local log store, a follower (logstore Options.Follower)
// that gives every row the same line number on every node; before a query
// the node catches the stream up to the log's head (CatchUp), so an
// acknowledged line is found at once from any node. Between queries a node
// keeps applying only the streams it owns and those queried through it
// within the follow window; it drops what it holds of the others. It
// learns where every stream's log stands, and who holds which lease, by
// polling the catalog for the rows that changed since its last poll
// (poll.go), so a poll costs the catalog the streams that moved.
//
// One node at a time, the holder of the lease "stream:<id>", indexes a
// stream. The nodes alive are those holding their lease "node:<name>"; a
// stream's preferred owner is the live node of highest hash of its name
// and the stream's id (rendezvous hashing). It takes the stream's free
// lease at once, the others only once the lease stayed free for a term,
// and an owner that another live node is preferred to indexes what waits
// and lets the stream go. The owner writes the rows it applied into
// segments, uploads them under names no other upload uses, and in one
// transaction fenced by its lease records them in the manifest, advances
// the stream's indexed number and deletes the batches they hold. Every
// node, the owner included once its round is recorded, then reads those
// segments in place from the bucket through its bounded segment cache
// (package segcache), and the other nodes drop the rows they hold. A
// failure anywhere leaves the
// manifest and the log as they were (an upload is listed as garbage before
// it starts until a commit records it, so one nobody recorded is deleted
// later), and the node that failed rebuilds the stream from
// them; a dead node's leases expire and other nodes take its streams.
//
// The owner also keeps the stream's segments in the bucket (upkeep.go):
// it merges a day's small segments and drops the days the stream's TTL
// expired, recording each change in one fenced transaction that moves the
// manifest's generation, from which every node rebuilds its copy; the
// objects that left the manifest are deleted after a grace.
//
// The package owns that protocol and nothing else: it never decides
// retention or deletion (the catalog's TTLs and tombstones do), never
// writes a local file but through the log store, and keeps no state of
// its own across restarts (a node starts empty and is filled from the
// catalog and the bucket).
package cluster
