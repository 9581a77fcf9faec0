// Package transfer writes log streams to object storage, period after
// period: it owns a transfer's settings, the time windows and object keys
// a transfer writes, the RAW and JSON file formats, and the worker that
// runs due windows and records each stream's progress.
//
// A window is written exactly once: a run records the window it is about
// to write (its end and the store's sequence number) before writing, and
// the progress only after the object is in place, so a run cut short
// writes the same object again. Rows that arrive after their window was
// written (late rows) are found by sequence number and go into the
// stream's next object. The package never creates buckets and never writes
// outside the transfer's directory.
package transfer
