package wal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"logtank/internal/vfs"
)

// Damage is a damaged record found in a WAL file: everything before it
// was read, nothing after it in that file.
type Damage struct {
	Err *CorruptError
	// Newest tells that the file was the newest: its damaged tail is what a
	// crash in the middle of a write leaves, and is simply cut.
	Newest bool
	// Quarantined is where a copy of an older damaged file was put before
	// the file was cut ("" when it was not copied).
	Quarantined string
}

func (d Damage) String() string {
	switch {
	case d.Newest:
		return d.Err.Error() + " (torn tail of the newest file)"
	case d.Quarantined != "":
		return d.Err.Error() + " (copied to " + d.Quarantined + ")"
	}
	return d.Err.Error()
}

// Check reads every WAL file in dir without changing anything and returns
// the damage it finds, for a consistency check of a stopped server.
func Check(fsys vfs.FS, dir string) ([]Damage, error) {
	seqs, err := listFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	return recoverFiles(fsys, dir, seqs, Options{FS: fsys}, false, nil)
}

// Repair routes around the damage in dir as Open does (without Strict),
// without opening the WAL for appends.
func Repair(fsys vfs.FS, dir, quarantineDir string) ([]Damage, error) {
	seqs, err := listFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	return recoverFiles(fsys, dir, seqs, Options{FS: fsys, QuarantineDir: quarantineDir}, true, nil)
}

// recoverFiles reads files seqs of dir in order, feeding each intact record
// to fn (when set). With modify, it cuts damaged tails, quarantining older
// files first, and removes files too short to hold their header.
func recoverFiles(fsys vfs.FS, dir string, seqs []uint64, opts Options, modify bool, fn func([]byte) error) ([]Damage, error) {
	var found []Damage
	for i, seq := range seqs {
		newest := i == len(seqs)-1
		path := filepath.Join(dir, name(seq))
		good, cerr, err := readFile(fsys, path, fn)
		if errors.Is(err, errNoHeader) {
			// A crash right after the file was created: it holds no record.
			// It is removed, so that it is never taken for a torn older file.
			if modify {
				if err := fsys.Remove(path); err != nil {
					return found, err
				}
				if err := fsys.SyncDir(dir); err != nil {
					return found, err
				}
			}
			continue
		}
		if err != nil {
			return found, err
		}
		if cerr == nil {
			continue
		}
		d := Damage{Err: cerr, Newest: newest}
		if !newest && opts.Strict {
			return found, fmt.Errorf("%w; it is not the newest file, so acknowledged records may follow the damage (start without --strict to quarantine it)", cerr)
		}
		if modify {
			if !newest {
				if err := vfs.MkdirAll(fsys, opts.QuarantineDir); err != nil {
					return found, err
				}
				dst := filepath.Join(opts.QuarantineDir, name(seq))
				if err := vfs.CopyFile(fsys, path, dst); err != nil {
					return found, fmt.Errorf("wal: quarantining %s: %w", path, err)
				}
				d.Quarantined = dst
			}
			if err := truncate(fsys, path, good); err != nil {
				return found, err
			}
		}
		found = append(found, d)
	}
	return found, nil
}

// readFile feeds the intact records of path to fn and returns where the
// last one ends, with the damaged record that stopped the read, if any.
func readFile(fsys vfs.FS, path string, fn func([]byte) error) (int64, *CorruptError, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, fileHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return 0, nil, err
	}
	if err := readFileHeader(hdr); err != nil {
		if err == errNoHeader {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("wal: %s: %w", path, err)
	}
	rr := &recordReader{r: r, file: filepath.Base(path), off: fileHeaderSize}
	for {
		rec, err := rr.next()
		var ce *CorruptError
		switch {
		case err == io.EOF:
			return rr.off, nil, nil
		case errors.As(err, &ce):
			return rr.off, ce, nil
		case err != nil:
			return rr.off, nil, fmt.Errorf("wal: reading %s: %w", path, err)
		}
		if fn != nil {
			if err := fn(rec); err != nil {
				return rr.off, nil, err
			}
		}
	}
}

func truncate(fsys vfs.FS, path string, size int64) error {
	f, err := fsys.OpenReadWrite(path)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
