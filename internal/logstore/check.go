package logstore

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"logtank/internal/logstore/wal"
	"logtank/internal/vfs"
)

// SegmentDamage is what a check found wrong with one segment file.
type SegmentDamage struct {
	Path string
	// Index is set when the file's index cannot be read: none of its rows can.
	Index error
	// Blocks are the blocks that cannot be read, each error naming its part.
	Blocks map[int]error
	// Rows is how many rows the damaged blocks held (from the index).
	Rows int
}

// CheckReport is the result of Check.
type CheckReport struct {
	WALFiles, Segments int
	WAL                []wal.Damage
	Damaged            []SegmentDamage
	// Repairs says what Check did with repair set, one line each.
	Repairs []string
}

// Check reads every WAL record and every segment block of the store in
// dir, which no server may have open, and reports the damage. With repair
// it routes around it as a start would, ahead of time: damaged WAL files
// are copied to the quarantine folder and cut after their last good
// record; a segment whose index is unreadable is moved there; a segment
// with damaged blocks is moved there and replaced by a copy of its
// readable blocks, whose bloom filters tok builds (it must be the
// store's Options.Tokenizer).
func Check(fsys vfs.FS, dir string, repair bool, tok Tokenizer) (*CheckReport, error) {
	rep := &CheckReport{}
	walDir := filepath.Join(dir, "wal")
	var err error
	if ok, _ := vfs.Exists(fsys, walDir); ok {
		files, err := fsys.ReadDir(walDir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if strings.HasSuffix(f.Name(), ".wal") {
				rep.WALFiles++
			}
		}
		if repair {
			rep.WAL, err = wal.Repair(fsys, walDir, filepath.Join(dir, "quarantine", "wal"))
		} else {
			rep.WAL, err = wal.Check(fsys, walDir)
		}
		if err != nil {
			return rep, err
		}
		for _, d := range rep.WAL {
			if repair {
				rep.Repairs = append(rep.Repairs, "cut the write-ahead log after its last good record: "+d.String())
			}
		}
	}
	paths, maxNum, err := segmentPaths(fsys, filepath.Join(dir, "streams"))
	if err != nil {
		return rep, err
	}
	for _, p := range paths {
		rep.Segments++
		d := checkSegment(fsys, p)
		if d == nil {
			continue
		}
		rep.Damaged = append(rep.Damaged, *d)
		if !repair {
			continue
		}
		what, err := repairSegment(fsys, dir, d, &maxNum, tok)
		if err != nil {
			return rep, fmt.Errorf("repairing %s: %w", p, err)
		}
		rep.Repairs = append(rep.Repairs, what)
	}
	return rep, nil
}

// segmentPaths lists the segment files under root (streams/<id>/<day>/)
// and returns the highest segment file number.
func segmentPaths(fsys vfs.FS, root string) ([]string, uint64, error) {
	var out []string
	var maxNum uint64
	ids, err := fsys.ReadDir(root)
	if errors.Is(err, vfs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	for _, id := range ids {
		days, err := fsys.ReadDir(filepath.Join(root, id.Name()))
		if err != nil {
			return nil, 0, err
		}
		for _, day := range days {
			files, err := fsys.ReadDir(filepath.Join(root, id.Name(), day.Name()))
			if err != nil {
				return nil, 0, err
			}
			for _, f := range files {
				seq, ok := strings.CutSuffix(f.Name(), ".seg")
				n, err := strconv.ParseUint(seq, 10, 64)
				if !ok || err != nil {
					continue
				}
				maxNum = max(maxNum, n)
				out = append(out, filepath.Join(root, id.Name(), day.Name(), f.Name()))
			}
		}
	}
	return out, maxNum, nil
}

// checkSegment reads every part of every block of the segment at path.
func checkSegment(fsys vfs.FS, path string) *SegmentDamage {
	seg, err := openSegment(fsys, path)
	if err != nil {
		return &SegmentDamage{Path: path, Index: err}
	}
	defer seg.close()
	d := &SegmentDamage{Path: path, Blocks: map[int]error{}}
	if _, err := seg.readBlooms(nil); err != nil {
		d.Index = err
		return d
	}
	for i := range seg.blocks {
		_, err := seg.readBlock(i)
		if err == nil {
			_, err = seg.readSeqs(i)
		}
		if err == nil {
			_, err = seg.readFields(i)
		}
		if err == nil {
			_, err = seg.readPostings(i, nil)
		}
		if err != nil {
			d.Blocks[i] = err
			d.Rows += seg.blocks[i].rows
		}
	}
	if len(d.Blocks) == 0 {
		return nil
	}
	return d
}

// repairSegment moves a damaged segment into the quarantine folder, first
// writing a copy of its readable blocks in its place when it has some.
func repairSegment(fsys vfs.FS, dir string, d *SegmentDamage, maxNum *uint64, tok Tokenizer) (string, error) {
	qdir := filepath.Join(dir, "quarantine", "segments")
	if err := vfs.MkdirAll(fsys, qdir); err != nil {
		return "", err
	}
	day := filepath.Dir(d.Path)
	stream := filepath.Base(filepath.Dir(day))
	dst := filepath.Join(qdir, stream+"-"+filepath.Base(day)+"-"+filepath.Base(d.Path))
	if err := vfs.CopyFile(fsys, d.Path, dst); err != nil {
		return "", err
	}
	what := fmt.Sprintf("moved %s to %s", d.Path, dst)
	if d.Index == nil {
		seg, err := openSegment(fsys, d.Path)
		if err != nil {
			return "", err
		}
		oldNum, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(d.Path), ".seg"), 10, 64)
		*maxNum++
		path := filepath.Join(day, fmt.Sprintf("%020d.seg", *maxNum))
		// The copy names the damaged file as replaced, so that a start
		// after a crash right here drops the damaged file.
		// A dictionary that cannot be read leaves no block readable, and
		// none to compress against.
		dict, _ := seg.readDict()
		rest, err := writeSegmentFrom(fsys, path, readableRows(seg, d.Blocks), []uint64{oldNum}, tok, dict)
		seg.close()
		if err != nil {
			return "", err
		}
		rest.close()
		what = fmt.Sprintf("replaced %s by %s, which holds its %d readable rows, and moved it to %s", d.Path, path, rest.rows, dst)
	}
	if err := fsys.Remove(d.Path); err != nil {
		return "", err
	}
	return what, fsys.SyncDir(day)
}

// readableRows yields the rows of seg's blocks that are not in damaged.
func readableRows(seg *segment, damaged map[int]error) func() (row, bool, error) {
	sc := Scan{Start: math.MinInt64, End: math.MaxInt64, wholeRows: true}
	block, rows := 0, []row(nil)
	return func() (row, bool, error) {
		for len(rows) == 0 {
			if block == len(seg.blocks) {
				return row{}, false, nil
			}
			if damaged[block] == nil {
				got := loadBlock(seg, block, &sc, labelFuncs{})
				if got.err != nil {
					return row{}, false, got.err
				}
				rows = got.rows
			}
			block++
		}
		r := rows[0]
		rows = rows[1:]
		return r, true, nil
	}
}
