package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"logtank/internal/logquery"
	"logtank/internal/logstore"
	"logtank/internal/vfs"
)

// runCheck reads every log file of a stopped server's data folder and
// reports damage; --repair routes around it as the server would at start.
func runCheck(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	data := fs.String("data", "./data", "data folder of a stopped server")
	repair := fs.Bool("repair", false, "quarantine damaged files (a damaged segment's readable blocks are kept in a new segment)")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("check takes no arguments, got %q", pos)
	}
	dir := filepath.Join(*data, "logs")
	if ok, err := vfs.Exists(vfs.OS, dir); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%s holds no log store", *data)
	}
	rep, err := logstore.Check(vfs.OS, dir, *repair, logquery.DefaultTokenizer())
	if rep != nil {
		printCheck(stdout, dir, rep)
	}
	if err != nil {
		return err
	}
	if n := damagedFiles(rep); n > 0 && !*repair {
		return fmt.Errorf("%d damaged files; stop the server and run `logtank check --repair` to quarantine them (or start the server without --strict, which does the same)", n)
	}
	return nil
}

func damagedFiles(rep *logstore.CheckReport) int {
	n := len(rep.Damaged)
	for _, d := range rep.WAL {
		if !d.Newest {
			n++
		}
	}
	return n
}

func printCheck(w io.Writer, dir string, rep *logstore.CheckReport) {
	fmt.Fprintf(w, "checked %d write-ahead log files and %d segments in %s\n", rep.WALFiles, rep.Segments, dir)
	for _, d := range rep.WAL {
		if d.Newest {
			fmt.Fprintf(w, "note: %s: a torn tail, as an interrupted write leaves; the server cuts it at start\n", d.Err)
			continue
		}
		fmt.Fprintf(w, "damaged: %s; the records after it in that file are lost\n", d.Err)
	}
	for _, d := range rep.Damaged {
		if d.Index != nil {
			fmt.Fprintf(w, "damaged: %v; none of the file's rows can be read\n", d.Index)
			continue
		}
		blocks := make([]int, 0, len(d.Blocks))
		for b := range d.Blocks {
			blocks = append(blocks, b)
		}
		sort.Ints(blocks)
		for _, b := range blocks {
			fmt.Fprintf(w, "damaged: %v\n", d.Blocks[b])
		}
		fmt.Fprintf(w, "  %s: %d rows in %d damaged blocks cannot be read\n", d.Path, d.Rows, len(d.Blocks))
	}
	for _, r := range rep.Repairs {
		fmt.Fprintf(w, "repaired: %s\n", r)
	}
	if damagedFiles(rep) == 0 {
		fmt.Fprintln(w, "no damage found")
	}
}
