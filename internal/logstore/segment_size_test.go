package logstore

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"logtank/internal/logquery"
	"logtank/internal/vfs"
)

// replayLines returns the lines BenchmarkSegmentSize stores: the file named
// by LOGTANK_REPLAY (one line per line, e.g. the benchmark kit's loadgen in
// file mode), else the loghub samples one system after the other.
func replayLines(b *testing.B) []string {
	path := os.Getenv("LOGTANK_REPLAY")
	if path == "" {
		var lines []string
		for _, ls := range readLoghub(b) {
			lines = append(lines, ls...)
		}
		return lines
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return lines
}

// BenchmarkSegmentSize stores the replay lines through a store (batches of
// 1,000 lines with two labels, times spread over a day at millisecond
// precision as the benchmark kit stamps them), flushes, and reports the
// bytes of its segment files per raw byte (raw/disk, lines with their
// newlines) and each chunk's bytes per line.
func BenchmarkSegmentSize(b *testing.B) {
	lines := replayLines(b)
	var raw int64
	for _, l := range lines {
		raw += int64(len(l)) + 1
	}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).UnixNano()
	step := int64(24*time.Hour) / int64(len(lines))
	for _, dict := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "dictionary"}[dict], func(b *testing.B) { segmentSize(b, lines, raw, day, step, dict) })
	}
}

func segmentSize(b *testing.B, lines []string, raw, day, step int64, dict bool) {
	for b.Loop() {
		dir := b.TempDir()
		s, err := Open(dir, Options{Tokenizer: logquery.DefaultTokenizer(), TemplateDictionary: dict}, func(id string) bool { return id == sid })
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for first := 0; first < len(lines); first += 1000 {
			batch := lines[first:min(first+1000, len(lines))]
			entries := make([]Entry, len(batch))
			for i, l := range batch {
				ts := day + int64(first+i)*step + rng.Int64N(step)
				entries[i] = Entry{TimeNs: ts - ts%int64(time.Millisecond), Content: l}
			}
			labels := LabelsFromMap(map[string]string{"app": "replay", "host": string(rune('a' + first/1000%10))})
			if _, err := s.Append(sid, labels, entries); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Flush(); err != nil {
			b.Fatal(err)
		}
		var parts [7]int64 // lines, labels, contents, postings, seqs, blooms, the rest
		var disk int64
		for _, seg := range s.existing(sid).segs {
			disk += seg.size
			var chunks int64
			for _, m := range seg.blocks {
				for i, n := range []int{m.lineLen, m.labelLen, m.contentLen, m.postingsLen, m.seqLen} {
					parts[i] += int64(n)
					chunks += int64(n)
				}
			}
			parts[5] += seg.bloomEnd - seg.bloomStart
			parts[6] += seg.size - chunks - (seg.bloomEnd - seg.bloomStart)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "streams", sid, "*", "*.seg"))
		if len(files) == 0 {
			b.Fatal("no segment written")
		}
		s.Close()
		b.ReportMetric(float64(raw)/float64(disk), "raw/disk")
		for i, name := range []string{"lines", "labels", "contents", "postings", "seqs", "blooms", "rest"} {
			b.ReportMetric(float64(parts[i])/float64(len(lines)), name+"-B/line")
		}
	}
}

// BenchmarkBlockReadReplay decodes the blocks of a segment of the replay
// lines (see replayLines) one after the other into reused buffers, as a
// search does; bytes are the rows' contents.
func BenchmarkBlockReadReplay(b *testing.B) {
	lines := replayLines(b)
	lines = lines[:min(len(lines), 200_000)]
	rows := make([]row, len(lines))
	var raw int64
	for i, l := range lines {
		rows[i] = row{line: base + int64(i)*int64(time.Millisecond), content: l}
		raw += int64(len(l))
	}
	for _, dict := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "dictionary"}[dict], func(b *testing.B) { blockReadReplay(b, rows, raw, dict) })
	}
}

func blockReadReplay(b *testing.B, rows []row, raw int64, dict bool) {
	seg, err := writeSegment(vfs.OS, filepath.Join(b.TempDir(), "s"), rows, logquery.DefaultTokenizer(), dict)
	if err != nil {
		b.Fatal(err)
	}
	defer seg.close()
	b.SetBytes(raw / int64(len(seg.blocks)))
	var scratch blockScratch
	for i := 0; b.Loop(); i++ {
		if _, err := seg.decodeBlock(i%len(seg.blocks), &scratch); err != nil {
			b.Fatal(err)
		}
	}
}
