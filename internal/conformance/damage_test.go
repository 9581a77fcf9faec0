package conformance

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"logtank/internal/iam"
	"logtank/internal/server"
)

// TestDamagedFilesAreRoutedAround damages a stopped server's files: a
// byte flipped in a segment block, and a write-ahead log file with a
// corrupt record followed by a newer file. With --strict the server
// refuses to start; without, it starts, quarantines the log file, counts
// both in /metrics, and queries answer what is readable with
// isQueryComplete false.
func TestDamagedFilesAreRoutedAround(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	group, stream := e.createStream(t, "damage", "s")
	path := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	at := time.Now().Add(-10 * time.Minute).UnixNano()
	for b := range 3 {
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = fmt.Sprintf("damage b%d i%d", b, i)
		}
		body, _ := json.Marshal(map[string]any{"log_time_ns": at + int64(b)*1e9, "contents": lines, "labels": map[string]string{}})
		if status, resp, err := signedPost(e.URL, path, body); status != 200 || err != nil {
			t.Fatalf("ingest: %d %s %v", status, resp, err)
		}
	}
	e.stop()

	segs, _ := filepath.Glob(filepath.Join(dir, "logs", "streams", stream, "*", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	data, _ := os.ReadFile(segs[0])
	data[len(data)/4] ^= 0xff
	os.WriteFile(segs[0], data, 0o600)

	walDir := filepath.Join(dir, "logs", "wal")
	files, _ := filepath.Glob(filepath.Join(walDir, "*.wal"))
	var next uint64 = 1
	for _, f := range files {
		var n uint64
		fmt.Sscanf(filepath.Base(f), "%x.wal", &n)
		next = max(next, n+1)
	}
	header := []byte("LTWAL\x00\x01\x00")
	payload := []byte("not a record the store wrote")
	rec := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	rec = binary.LittleEndian.AppendUint32(rec, crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli))^1)
	damaged := filepath.Join(walDir, fmt.Sprintf("%016x.wal", next))
	os.WriteFile(damaged, append(append(header, rec...), payload...), 0o600)
	os.WriteFile(filepath.Join(walDir, fmt.Sprintf("%016x.wal", next+1)), header, 0o600)

	_, err := server.Open(context.Background(), server.Config{
		DataDir: dir, Region: testRegion, Logger: slog.New(slog.DiscardHandler), StrictStorage: true,
		Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
	})
	if err == nil || !strings.Contains(err.Error(), filepath.Base(damaged)) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("a strict start on a damaged log: %v", err)
	}

	e = start(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "logs", "quarantine", "wal", filepath.Base(damaged))); err != nil {
		t.Fatalf("the damaged log file was not quarantined: %v", err)
	}
	q, _ := json.Marshal(map[string]any{"start_time": time.Now().Add(-time.Hour).UnixMilli(), "end_time": time.Now().UnixMilli(), "limit": 5000})
	status, resp, err := signedPost(e.URL, "/v2/"+testProject+"/groups/"+group+"/streams/"+stream+"/content/query", q)
	var out struct {
		Logs     []json.RawMessage `json:"logs"`
		Complete *bool             `json:"isQueryComplete"`
	}
	if status != 200 || err != nil || json.Unmarshal(resp, &out) != nil {
		t.Fatalf("query over damaged data: %d %v %.300s", status, err, resp)
	}
	if out.Complete == nil || *out.Complete || len(out.Logs) == 0 || len(out.Logs) >= 3000 {
		t.Fatalf("query over a damaged block: %d lines, isQueryComplete %v", len(out.Logs), out.Complete)
	}
	_, _, metrics := e.raw("GET", "/metrics", nil, http.Header{"X-Auth-Token": {e.adminToken()}}, nil)
	for _, want := range []string{"logtank_log_wal_files_quarantined_total 1", "logtank_log_damaged_blocks_total 1", `logtank_log_writes_refused{reason="disk_full"} 0`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
