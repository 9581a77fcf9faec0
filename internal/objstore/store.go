package objstore

import (
	"context"
	"errors"
	"io"
)

// Store is object storage: buckets holding objects by key.
//
// Buckets are never created by a Store: every method but BucketExists fails
// with ErrNoBucket on a missing bucket. Keys are '/'-separated paths (see
// ValidateKey); the same key and bucket rules hold for every implementation,
// and a bad name fails with ErrInvalidName before any I/O.
type Store interface {
	// BucketExists reports whether the bucket exists (never creates it).
	BucketExists(ctx context.Context, bucket string) (bool, error)
	// Put writes the object completely or not at all: readers never see a
	// partial object. size is the exact length of r, or -1 when unknown; a
	// reader that fails or ends at another length leaves no object behind.
	Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error
	// Get opens an object; ErrNotFound when absent.
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
	// GetRange opens the n bytes of an object from offset off (n > 0,
	// off >= 0); ErrNotFound when absent. An object that ends before
	// off+n gives fewer bytes (none when it ends at or before off): the
	// caller, which knows the length it expects, checks it.
	GetRange(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error)
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, bucket, prefix string) ([]string, error)
	// Delete removes an object (absent is not an error).
	Delete(ctx context.Context, bucket, key string) error
}

// Errors callers tell apart with errors.Is. The returned errors wrap these
// sentinels together with the details (operation, bucket, key, cause).
var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("objstore: object not found")
	// ErrNoBucket: the bucket does not exist (LTS.0416 for a transfer).
	ErrNoBucket = errors.New("objstore: bucket does not exist")
	// ErrAccessDenied: the credentials are wrong or lack the permission
	// (LTS.0018 for a transfer), as opposed to a missing bucket.
	ErrAccessDenied = errors.New("objstore: access denied")
	// ErrInvalidName: a bucket name or key breaks the naming rules.
	ErrInvalidName = errors.New("objstore: invalid name")
)
