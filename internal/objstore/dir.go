package objstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Dir is a Store on a local directory: each top-level folder of the root is a
// bucket, and a key's '/'-separated segments are sub-folders of its bucket.
//
// All file access goes through an os.Root, so no key, bucket or symbolic link
// can reach outside the root even if validation were bypassed. Put writes a
// temporary file inside the bucket folder (same file system, so the final
// rename is atomic), syncs it, renames it over the key and syncs the folder:
// a reader sees the old object or the new one, never a part, and after a crash
// at worst an orphan temporary file is left, which List never shows.
//
// Unlike S3, a key cannot be both an object and a folder of other objects
// ("a" and "a/b"): Put reports the conflict instead of guessing.
type Dir struct {
	root *os.Root
	// tree serialises the steps that create or prune folders (Put's mkdir and
	// rename, Delete's removal of emptied folders), so a Delete pruning an
	// empty folder never races a Put about to rename a file into it. Writing
	// the data happens outside it.
	tree sync.Mutex
}

var _ Store = (*Dir)(nil)

// NewDir opens a directory store at root, creating the root folder (never a
// bucket) if it is missing.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("objstore: directory store: root path is empty")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("objstore: directory store: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("objstore: directory store: %w", err)
	}
	return &Dir{root: r}, nil
}

// Close releases the root directory.
func (d *Dir) Close() error { return d.root.Close() }

// BucketExists reports whether the bucket folder exists.
func (d *Dir) BucketExists(_ context.Context, bucket string) (bool, error) {
	if err := ValidateBucket(bucket); err != nil {
		return false, err
	}
	err := d.checkBucket("bucket exists", bucket)
	if errors.Is(err, ErrNoBucket) {
		return false, nil
	}
	return err == nil, err
}

// checkBucket returns nil when the bucket folder exists, or an error wrapping
// ErrNoBucket when it does not.
func (d *Dir) checkBucket(op, bucket string) error {
	fi, err := d.root.Stat(bucket)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && !fi.IsDir():
		return fmt.Errorf("%w: %s: %q", ErrNoBucket, op, bucket)
	case err != nil:
		return fmt.Errorf("objstore: %s %q: %w", op, bucket, err)
	}
	return nil
}

// Put writes the object through a synced temporary file renamed over the key.
func (d *Dir) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if err := validate(bucket, key); err != nil {
		return err
	}
	if err := d.checkBucket("put", bucket); err != nil {
		return err
	}
	tmp := bucket + "/" + tempPrefix + rand.Text()
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			d.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("objstore: put %s/%s: the reader gave %d bytes, %d were announced", bucket, key, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}

	d.tree.Lock()
	defer d.tree.Unlock()
	name := bucket + "/" + key
	parent := path.Dir(name)
	if err := d.root.MkdirAll(parent, 0o755); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("objstore: put %s/%s: a parent of the key is an existing object", bucket, key)
		}
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	if fi, err := d.root.Lstat(name); err == nil && fi.IsDir() {
		return fmt.Errorf("objstore: put %s/%s: the key is a folder of other objects", bucket, key)
	}
	if err := d.root.Rename(tmp, name); err != nil {
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	done = true
	// The rename is durable only once the folder holding the new entry is.
	if err := d.syncDir(parent); err != nil {
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (d *Dir) syncDir(name string) error {
	f, err := d.root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Get opens the object's file.
func (d *Dir) Get(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	if err := validate(bucket, key); err != nil {
		return nil, err
	}
	if err := d.checkBucket("get", bucket); err != nil {
		return nil, err
	}
	f, err := d.root.Open(bucket + "/" + key)
	if isAbsent(err) {
		return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, bucket, key)
	}
	if err != nil {
		return nil, fmt.Errorf("objstore: get %s/%s: %w", bucket, key, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("objstore: get %s/%s: %w", bucket, key, err)
		}
		return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, bucket, key)
	}
	return f, nil
}

// GetRange opens the object's file and reads the range from it.
func (d *Dir) GetRange(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error) {
	if err := checkRange(bucket, key, off, n); err != nil {
		return nil, err
	}
	rc, err := d.Get(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	f := rc.(*os.File)
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, off, n), f}, nil
}

// isAbsent reports whether err says a path does not exist, including the case
// where one of its parents is a file.
func isAbsent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// List walks only the folder named by prefix's part up to its last '/', so a
// prefix such as "LogTanks/region/2026/" does not read the whole bucket.
func (d *Dir) List(_ context.Context, bucket, prefix string) ([]string, error) {
	if err := ValidateBucket(bucket); err != nil {
		return nil, err
	}
	if err := d.checkBucket("list", bucket); err != nil {
		return nil, err
	}
	start := bucket
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		if ValidateKey(prefix[:i]) != nil {
			// No valid key starts with this prefix.
			return []string{}, nil
		}
		start = bucket + "/" + prefix[:i]
	}
	keys := []string{}
	err := fs.WalkDir(d.root.FS(), start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if isAbsent(err) {
				// The start folder does not exist, or a folder was pruned
				// by a concurrent Delete: it holds no keys.
				return nil
			}
			return err
		}
		if strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
			return nil
		}
		if key := p[len(bucket)+1:]; strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: list %s/%s: %w", bucket, prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}

// Delete removes the object's file, then the folders it leaves empty, so that
// deleting "a/b" lets "a" be written as an object again.
func (d *Dir) Delete(_ context.Context, bucket, key string) error {
	if err := validate(bucket, key); err != nil {
		return err
	}
	if err := d.checkBucket("delete", bucket); err != nil {
		return err
	}
	d.tree.Lock()
	defer d.tree.Unlock()
	name := bucket + "/" + key
	fi, err := d.root.Lstat(name)
	if isAbsent(err) || err == nil && fi.IsDir() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("objstore: delete %s/%s: %w", bucket, key, err)
	}
	if err := d.root.Remove(name); err != nil && !isAbsent(err) {
		return fmt.Errorf("objstore: delete %s/%s: %w", bucket, key, err)
	}
	for dir := path.Dir(name); dir != bucket; dir = path.Dir(dir) {
		if d.root.Remove(dir) != nil {
			break // not empty: it still holds other objects
		}
	}
	return nil
}

// ctxReader stops a copy as soon as its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
