// Package vfs is the filesystem seam of the storage engines: a small
// interface over the file operations they need (create, open, append,
// rename, remove, make and read folders, stat, sync of files and folders,
// truncate), its implementation on the operating system (OS), and an
// in-memory one for tests (MemFS) that injects errors by rule and
// simulates a power cut that keeps only what was synced.
//
// It also owns the one way to replace a file atomically and durably
// (WriteFile: write a temporary file, sync it, rename it into place, sync
// the folder), so that every caller gets the same guarantee.
//
// It never interprets file contents, never retries, and never hides an
// error: what to do about a failed write is the caller's decision.
package vfs
