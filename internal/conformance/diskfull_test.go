//go:build linux

package conformance

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"logtank/internal/server"
)

// mountTmpfs mounts a tmpfs of size bytes on a new folder, or skips the
// test when this process may not mount (CI runs as root; a developer's
// machine usually does not).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the disk-full test needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillDisk writes a ballast file until the filesystem is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestDiskFull fills a real filesystem under a running server: ingestion
// (the LTS API and the shippers' doors) answers 503 with the LTS error body
// and Retry-After, /readyz says why,
// queries go on; once space is freed ingestion resumes without a restart,
// and after a restart every acknowledged line is stored exactly once.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 48<<20)
	data := filepath.Join(dir, "data")
	configure := func(c *server.Config) { c.MemtableBytes = 1 << 20 }
	e := startWith(t, data, configure)
	group, stream := e.createStream(t, "full", "s")
	path := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	acked := map[string]bool{}
	batch := 0
	post := func() (int, http.Header, []byte) {
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = fmt.Sprintf("full b%d i%d %s", batch, i, strings.Repeat("x", 100))
		}
		batch++
		body, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": lines, "labels": map[string]string{}})
		status, header, resp := e.raw("POST", path, body, http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
		if status == 200 {
			for _, l := range lines {
				acked[l] = true
			}
		}
		return status, header, resp
	}
	for range 5 {
		if status, _, resp := post(); status != 200 {
			t.Fatalf("ingest before the disk is full: %d %s", status, resp)
		}
	}

	ballast := filepath.Join(dir, "ballast")
	fillDisk(t, ballast)
	var status int
	var header http.Header
	var resp []byte
	for range 50 {
		if status, header, resp = post(); status != 200 {
			break
		}
	}
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Fatalf("ingest on a full disk: %d, Retry-After %q, %s", status, header.Get("Retry-After"), resp)
	}
	var body struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	if err := json.Unmarshal(resp, &body); err != nil || body.Code != "LTS.0012" || !strings.Contains(body.Msg, "disk is full") {
		t.Fatalf("503 body %s", resp)
	}
	// The shippers' doors answer the same.
	basic := http.Header{"Authorization": {basicAuth(testAK, testSK)}}
	doors := []struct {
		name, path, contentType, body string
	}{
		{"Elasticsearch bulk", "/v2/" + testProject + "/es/_bulk?group=full&stream=s", "application/x-ndjson", "{\"index\":{}}\n{\"message\":\"es line\"}\n"},
		{"OTLP/HTTP JSON", "/v2/" + testProject + "/otlp/v1/logs?group=full&stream=s", "application/json",
			`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"` + fmt.Sprint(time.Now().UnixNano()) + `","body":{"stringValue":"otlp line"}}]}]}]}`},
		{"Loki push JSON", "/v2/" + testProject + "/loki/api/v1/push?group=full&stream=s", "application/json",
			`{"streams":[{"stream":{"app":"x"},"values":[["` + fmt.Sprint(time.Now().UnixNano()) + `","loki line"]]}]}`},
	}
	for _, d := range doors {
		h := basic.Clone()
		h.Set("Content-Type", d.contentType)
		status, header, resp := e.raw("POST", d.path, []byte(d.body), h, nil)
		if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || !strings.Contains(string(resp), "LTS.0012") {
			t.Fatalf("%s on a full disk: %d, Retry-After %q, %s", d.name, status, header.Get("Retry-After"), resp)
		}
	}
	if status, _, resp := e.raw("GET", "/readyz", nil, nil, nil); status != 503 || !strings.Contains(string(resp), "disk_full") {
		t.Fatalf("/readyz on a full disk: %d %s", status, resp)
	}
	if status, _, _ := e.raw("GET", "/healthz", nil, nil, nil); status != 200 {
		t.Fatalf("/healthz on a full disk: %d", status)
	}
	if got := storedLines(t, e.URL, group, stream); len(got) != len(acked) {
		t.Fatalf("a query on a full disk found %d lines, want %d", len(got), len(acked))
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, _, resp := post()
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingestion did not resume after space was freed: %d %s", status, resp)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 3 {
		if status, _, resp := post(); status != 200 {
			t.Fatalf("ingest after recovery: %d %s", status, resp)
		}
	}
	if status, _, resp := e.raw("GET", "/readyz", nil, nil, nil); status != 200 {
		t.Fatalf("/readyz after recovery: %d %s", status, resp)
	}

	e.stop()
	e = startWith(t, data, func(c *server.Config) { configure(c); c.StrictStorage = true })
	got := storedLines(t, e.URL, group, stream)
	for l, n := range got {
		if n != 1 || !acked[l] {
			t.Fatalf("line %q stored %d times (acknowledged: %v)", l, n, acked[l])
		}
	}
	if len(got) != len(acked) {
		t.Fatalf("%d lines after the restart, %d acknowledged", len(got), len(acked))
	}
	t.Logf("%d lines acknowledged in %d batches", len(acked), batch)
}

// TestSyslogHeldWhileDiskFull: syslog has no acknowledgement, so messages
// that arrive while the disk is full are held (and the connection is no
// longer read once a batch is held) until space is freed; then every one
// is stored, once.
func TestSyslogHeldWhileDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 48<<20)
	data := filepath.Join(dir, "data")
	e := start(t, data)
	group, stream := e.createStream(t, "system", "syslog")
	e.stop()
	configure := func(c *server.Config) {
		c.MemtableBytes = 1 << 20
		c.Syslog = []string{"tcp://127.0.0.1:0?group=system&stream=syslog"}
	}
	e = startWith(t, data, configure)
	ballast := filepath.Join(dir, "ballast")
	fillDisk(t, ballast)
	// The store finds out on its next write.
	path := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		body, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": []string{strings.Repeat("filler ", 20000)}, "labels": map[string]string{}})
		status, _, _ := e.raw("POST", path, body, http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
		if status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the disk never filled: %d", status)
		}
	}
	const n = 1500 // more than a batch, so the connection is held
	conn, err := net.Dial("tcp", e.app.SyslogAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < n && err == nil; i++ {
			_, err = fmt.Fprintf(conn, "<34>1 %s host app - - - held %d\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), i)
		}
		sent <- err
	}()
	time.Sleep(time.Second)
	if got := otlpLines(t, e, group, stream, "held"); len(got) != 0 {
		t.Fatalf("%d lines stored on a full disk", len(got))
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	count := func() map[string]int {
		got := map[string]int{}
		for l, k := range storedLines(t, e.URL, group, stream) {
			if strings.HasPrefix(l, "held ") {
				got[l] += k
			}
		}
		return got
	}
	for deadline := time.Now().Add(15 * time.Second); len(count()) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d held messages stored after space was freed", len(count()), n)
		}
	}
	conn.Close()
	e.stop()
	e = startWith(t, data, configure)
	got := count()
	for l, k := range got {
		if k != 1 {
			t.Fatalf("%q stored %d times", l, k)
		}
	}
	if len(got) != n {
		t.Fatalf("%d messages after a restart, want %d", len(got), n)
	}
}

// TestOTLPRefusedAfterAPartialStore: an OTLP request naming only the group
// writes each resource to its own stream; when the disk fills between two
// of those writes, the first resource stays stored and the rest are
// rejected in the answer's partial success (not a 503: the exporter would
// resend the whole request and store the first resource twice).
func TestOTLPRefusedAfterAPartialStore(t *testing.T) {
	dir := mountTmpfs(t, 16<<20)
	data := filepath.Join(dir, "data")
	e := start(t, data)
	group, first := e.createStream(t, "apps", "first")
	second, err := e.lts().CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "second"}})
	if err != nil {
		t.Fatal(err)
	}
	// The second resource is far larger than the space left: random bytes
	// in base64 do not compress below three quarters of their size.
	noise := make([]byte, 48<<10)
	logs := plog.NewLogs()
	now := time.Now()
	for _, r := range []struct {
		service string
		n       int
	}{{"first", 3}, {"second", 40}} {
		rl := logs.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", r.service)
		records := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := range r.n {
			line := fmt.Sprintf("%s partial %d", r.service, i)
			if r.service == "second" {
				rand.Read(noise)
				line += " " + base64.StdEncoding.EncodeToString(noise)
			}
			rec := records.AppendEmpty()
			rec.Body().SetStr(line)
			rec.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		}
	}
	body, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}

	ballast := filepath.Join(dir, "ballast")
	fillDisk(t, ballast)
	info, err := os.Stat(ballast)
	if err != nil {
		t.Fatal(err)
	}
	// Leave room for the first resource's write and no more.
	if err := os.Truncate(ballast, info.Size()-256<<10); err != nil {
		t.Fatal(err)
	}
	status, _, resp := e.raw("POST", "/v2/"+testProject+"/otlp/v1/logs?group=apps", body,
		http.Header{"Content-Type": {"application/x-protobuf"}, "Authorization": {basicAuth(testAK, testSK)}}, nil)
	answer := plogotlp.NewExportResponse()
	if status != 200 || answer.UnmarshalProto(resp) != nil {
		t.Fatalf("export with the disk filling: %d %q", status, resp)
	}
	if n, why := answer.PartialSuccess().RejectedLogRecords(), answer.PartialSuccess().ErrorMessage(); n != 40 || !strings.Contains(why, "disk is full") {
		t.Fatalf("partial success: %d rejected, %q; want the second resource's 40 for a full disk", n, why)
	}
	check := func(when string) {
		got := storedLines(t, e.URL, group, first)
		if len(got) != 3 {
			t.Fatalf("%s: the first stream holds %v, want its 3 lines", when, got)
		}
		for l, n := range got {
			if n != 1 {
				t.Fatalf("%s: %q stored %d times", when, l, n)
			}
		}
		if got := storedLines(t, e.URL, group, *second.LogStreamId); len(got) != 0 {
			t.Fatalf("%s: the second stream holds %d lines of a rejected resource", when, len(got))
		}
	}
	check("on the full disk")
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	e.stop()
	e = startWith(t, data, func(c *server.Config) { c.StrictStorage = true })
	check("after a restart")
}
