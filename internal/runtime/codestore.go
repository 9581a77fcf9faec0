package runtime

import (
	"archive/zip"
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"logtank/internal/vfs"
)

// Limits of a code package once unpacked: FunctionGraph allows 1.5 GB of
// unpacked code; the file count bounds the work a crafted archive can cause.
const (
	MaxUnpackedBytes = 1536 << 20
	MaxPackageFiles  = 40000
)

// Store keeps code packages: <dir>/<function id>/<digest>.zip, and, once a
// version runs, the unpacked tree next to it in <dir>/<function id>/<digest>/.
// A package is named by the SHA-512 of its bytes, so versions with the same
// code share one file. It is safe for concurrent use.
type Store struct {
	dir string

	mu      sync.Mutex
	unpacks map[string]*unpackOnce
}

type unpackOnce struct {
	once sync.Once
	dir  string
	err  error
}

// NewStore opens (creating) the store in dir.
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir, unpacks: map[string]*unpackOnce{}}, nil
}

// Digest is the hex SHA-512 of a code package, FunctionGraph's `digest`.
func Digest(pkg []byte) string {
	sum := sha512.Sum512(pkg)
	return hex.EncodeToString(sum[:])
}

// CheckPackage reports why pkg is not a code package this store can unpack:
// not a zip archive, an entry that would land outside the code folder, or
// more than MaxUnpackedBytes or MaxPackageFiles once unpacked.
func CheckPackage(pkg []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return fmt.Errorf("the code package is not a zip archive: %v", err)
	}
	if len(zr.File) > MaxPackageFiles {
		return fmt.Errorf("the code package holds %d files, more than the limit of %d", len(zr.File), MaxPackageFiles)
	}
	var total uint64
	for _, f := range zr.File {
		if _, err := entryPath(f.Name); err != nil {
			return err
		}
		total += f.UncompressedSize64
		if total > MaxUnpackedBytes {
			return fmt.Errorf("the code package unpacks to more than %d bytes", MaxUnpackedBytes)
		}
	}
	return nil
}

// entryPath is the local path of a zip entry, refusing absolute paths and
// any that climbs out with "..": an archive must not write outside its folder.
func entryPath(name string) (string, error) {
	p := filepath.FromSlash(strings.TrimSuffix(strings.ReplaceAll(name, `\`, "/"), "/"))
	if !filepath.IsLocal(p) {
		return "", fmt.Errorf("the code package entry %q points outside the code folder", name)
	}
	return filepath.Clean(p), nil
}

// Put stores a package that CheckPackage accepted and returns its digest.
// A package stored already is marked as used now (Touch).
func (s *Store) Put(functionID string, pkg []byte) (string, error) {
	digest := Digest(pkg)
	dir := filepath.Join(s.dir, functionID)
	final := filepath.Join(dir, digest+".zip")
	var err error
	// A sweep may remove the function's folder, found empty, between its
	// creation and the write: then once more.
	for range 2 {
		if held, terr := s.Touch(functionID, digest); held || terr != nil {
			return digest, terr
		}
		if err = os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		if err = vfs.WriteFile(vfs.OS, final, pkg); !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return digest, err
}

// Touch reports whether the store holds a package, and marks it as used
// now: a sweep leaves the packages stored or used within its age.
func (s *Store) Touch(functionID, digest string) (bool, error) {
	if !isDigest(digest) {
		return false, fmt.Errorf("bad code digest %q", digest)
	}
	now := time.Now()
	err := os.Chtimes(filepath.Join(s.dir, functionID, digest+".zip"), now, now)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Get returns a stored package.
func (s *Store) Get(functionID, digest string) ([]byte, error) {
	if !isDigest(digest) {
		return nil, fmt.Errorf("bad code digest %q", digest)
	}
	return os.ReadFile(filepath.Join(s.dir, functionID, digest+".zip"))
}

func isDigest(s string) bool {
	if len(s) != sha512.Size*2 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Prune removes the packages of a function, and their unpacked trees, whose
// digest is not in keep.
func (s *Store) Prune(functionID string, keep map[string]bool) error {
	return s.Sweep(functionID, keep, time.Time{})
}

// Functions lists the functions the store holds packages of.
func (s *Store) Functions() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		// The runtime's own folders (shims, instances' homes) start with a dot.
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Sweep is Prune for the packages last stored or used (Touch) before a
// time only (any time when before is zero), so that a package being
// stored, fetched or run meanwhile, which the caller's keep may not list
// yet, stays; the function's folder goes when nothing is left.
func (s *Store) Sweep(functionID string, keep map[string]bool, before time.Time) error {
	dir := filepath.Join(s.dir, functionID)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	done := map[string]bool{}
	for _, e := range entries {
		digest := strings.TrimSuffix(e.Name(), ".zip")
		if !isDigest(digest) || keep[digest] || done[digest] {
			continue
		}
		done[digest] = true
		// A package's age is its file's; an unpacked tree left without
		// its package is as old as can be.
		if info, err := os.Stat(filepath.Join(dir, digest+".zip")); !before.IsZero() && err == nil && !info.ModTime().Before(before) {
			continue
		}
		s.forget(functionID, digest)
		errs = append(errs, os.RemoveAll(filepath.Join(dir, digest)), os.RemoveAll(filepath.Join(dir, digest+".zip")))
	}
	if rest, err := os.ReadDir(dir); err == nil && len(rest) == 0 {
		errs = append(errs, os.Remove(dir))
	}
	return errors.Join(errs...)
}

// RemoveFunction removes every package of a function.
func (s *Store) RemoveFunction(functionID string) error {
	s.mu.Lock()
	for k := range s.unpacks {
		if strings.HasPrefix(k, functionID+"/") {
			delete(s.unpacks, k)
		}
	}
	s.mu.Unlock()
	return os.RemoveAll(filepath.Join(s.dir, functionID))
}

func (s *Store) forget(functionID, digest string) {
	s.mu.Lock()
	delete(s.unpacks, functionID+"/"+digest)
	s.mu.Unlock()
}

// Unpacked returns the folder holding the unpacked package, unpacking it on
// first use. Running instances only read it.
func (s *Store) Unpacked(functionID, digest string) (string, error) {
	if !isDigest(digest) {
		return "", fmt.Errorf("bad code digest %q", digest)
	}
	key := functionID + "/" + digest
	s.mu.Lock()
	u := s.unpacks[key]
	if u == nil {
		u = &unpackOnce{}
		s.unpacks[key] = u
	}
	s.mu.Unlock()
	u.once.Do(func() { u.dir, u.err = s.unpack(functionID, digest) })
	if u.err != nil {
		// A failure (say, a full disk) is not remembered: the next call retries.
		s.forget(functionID, digest)
	}
	return u.dir, u.err
}

func (s *Store) unpack(functionID, digest string) (string, error) {
	final := filepath.Join(s.dir, functionID, digest)
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	pkg, err := s.Get(functionID, digest)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, functionID), ".unpack-*")
	if err != nil {
		return "", err
	}
	if err := extract(pkg, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("unpacking code %s: %w", digest[:12], err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return final, nil
}

// extract writes the archive into dir. Unix permissions stored in the
// archive are kept; entries without them (archives made on Windows) get
// 0644, and a root-level bootstrap 0755, so that it can run.
func extract(pkg []byte, dir string) error {
	if err := CheckPackage(pkg); err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return err
	}
	var written int64
	for _, f := range zr.File {
		rel, err := entryPath(f.Name)
		if err != nil {
			return err
		}
		target := filepath.Join(dir, rel)
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		case mode&fs.ModeSymlink != 0:
			if err := extractSymlink(f, dir, rel); err != nil {
				return err
			}
			continue
		}
		perm := mode.Perm()
		if !unixModes(f) {
			perm = 0o644
			if rel == "bootstrap" {
				perm = 0o755
			}
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		n, err := extractFile(f, target, perm|0o400, MaxUnpackedBytes-written)
		if err != nil {
			return err
		}
		written += n
	}
	return nil
}

// unixModes tells whether an entry carries Unix permissions: archives
// made on Unix and macOS do, those made on Windows (FAT, NTFS) do not.
func unixModes(f *zip.File) bool {
	const creatorUnix, creatorMacOSX = 3, 19
	creator := f.CreatorVersion >> 8
	return (creator == creatorUnix || creator == creatorMacOSX) && f.Mode().Perm() != 0
}

func extractFile(f *zip.File, target string, perm fs.FileMode, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	if perm&0o111 != 0 {
		// A process forked while an executable is open for writing holds
		// that descriptor until it execs, and exec of the file fails
		// meanwhile ("text file busy"): an instance of another version
		// starting at that moment would die at birth. No fork happens
		// while an executable is being written.
		syscall.ForkLock.Lock()
		defer syscall.ForkLock.Unlock()
	}
	out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return 0, err
	}
	// The declared sizes were checked, but a crafted archive can lie: the
	// copy itself stops at the budget.
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = fmt.Errorf("the code package unpacks to more than %d bytes", MaxUnpackedBytes)
	}
	return n, err
}

// extractSymlink creates a link whose target stays inside the code folder.
func extractSymlink(f *zip.File, dir, rel string) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	target, err := io.ReadAll(io.LimitReader(rc, 4096))
	rc.Close()
	if err != nil {
		return err
	}
	dest := filepath.Join(filepath.Dir(rel), string(target))
	if filepath.IsAbs(string(target)) || !filepath.IsLocal(dest) {
		return fmt.Errorf("the code package link %q points outside the code folder", f.Name)
	}
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
		return err
	}
	return os.Symlink(string(target), filepath.Join(dir, rel))
}
