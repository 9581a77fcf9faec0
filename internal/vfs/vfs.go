package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// File is an open file. Reads and writes follow io semantics; a short
// write always comes with an error.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync makes the file's data and metadata durable (fsync).
	Sync() error
	// Datasync makes the file's data durable, and the metadata needed to
	// read it back such as its size (fdatasync where the system has it).
	Datasync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
	Name() string
}

// FS is a filesystem. Paths are OS paths (filepath separators); an FS
// gives them no meaning beyond naming files.
//
// A new or renamed entry, or a removed one, is durable only once its
// folder is synced (SyncDir); a written byte only once its file is synced.
type FS interface {
	// Create makes a new, empty file for writing; it fails if name exists.
	Create(name string) (File, error)
	// CreateTrunc makes name empty for writing, whether or not it existed.
	CreateTrunc(name string) (File, error)
	// Open opens an existing file for reading.
	Open(name string) (File, error)
	// OpenReadWrite opens an existing file for reading and writing at its start.
	OpenReadWrite(name string) (File, error)
	// OpenAppend opens an existing file for writing at its end.
	OpenAppend(name string) (File, error)
	Rename(oldname, newname string) error
	// Remove removes a file or an empty folder.
	Remove(name string) error
	// RemoveAll removes name and everything under it; a missing name is no error.
	RemoveAll(name string) error
	// Mkdir makes one folder; it fails if name exists.
	Mkdir(name string) error
	// ReadDir lists a folder, sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	Stat(name string) (fs.FileInfo, error)
	// SyncDir makes the folder's entries durable.
	SyncDir(name string) error
}

// ErrNotExist is the error (under errors.Is) for a name that does not exist.
var ErrNotExist = fs.ErrNotExist

// ErrUnavailable is the error (under errors.Is) of a read that failed for
// now, with nothing known wrong in the file: a file whose bytes live
// elsewhere (an object store) could not reach them. A later read may
// succeed, so a caller must not take it for damage.
var ErrUnavailable = errors.New("vfs: the file's bytes cannot be reached for now")

// MkdirAll makes dir and its missing parents, syncing each parent whose
// entries changed, so that the new folders survive a crash.
func MkdirAll(fsys FS, dir string) error {
	dir = filepath.Clean(dir)
	info, err := fsys.Stat(dir)
	if err == nil {
		if !info.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAll(fsys, parent); err != nil {
			return err
		}
	}
	if err := fsys.Mkdir(dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return fsys.SyncDir(parent)
}

// WriteFile replaces name with data atomically and durably: data goes to
// a temporary file beside it, which is synced, renamed over name, and the
// folder synced. After a crash name holds either the old or the new data,
// never a mix; once WriteFile returns nil, the new data survives.
func WriteFile(fsys FS, name string, data []byte) error {
	return WriteAtomic(fsys, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// tmpSeq numbers temporary files, so that two writers of the same name
// (two uploads of one package) never share one.
var tmpSeq atomic.Uint64

// WriteAtomic is WriteFile for content that write streams out. A failed
// write, sync or rename removes the temporary file and leaves name as it
// was; when only the final folder sync fails, name already holds the new
// data, which a crash may still undo. The temporary file's name is name, a number and ".tmp": what a
// crash leaves behind ends in ".tmp".
func WriteAtomic(fsys FS, name string, write func(io.Writer) error) error {
	tmp := name + "." + strconv.FormatUint(tmpSeq.Add(1), 10) + ".tmp"
	f, err := fsys.CreateTrunc(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, name)
	}
	if err != nil {
		fsys.Remove(tmp)
		return err
	}
	return fsys.SyncDir(filepath.Dir(name))
}

// ReadFile returns the whole content of name.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Exists reports whether name exists; an error other than "not found" is
// returned as is.
func Exists(fsys FS, name string) (bool, error) {
	_, err := fsys.Stat(name)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// CopyFile copies src to dst durably (dst is replaced as WriteFile does),
// without holding the whole file in memory.
func CopyFile(fsys FS, src, dst string) error {
	in, err := fsys.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return WriteAtomic(fsys, dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
