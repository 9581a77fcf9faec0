package conformance

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"logtank/internal/iam"
	"logtank/internal/server"
)

// TestSyslogWithLogger sends messages with util-linux logger over TCP
// (newline and octet-counting framing) and UDP, in RFC 5424 and RFC 3164,
// and finds them through the LTS SDK with their labels and fields.
func TestSyslogWithLogger(t *testing.T) {
	loggerBin, err := exec.LookPath("logger")
	if err != nil {
		t.Fatal("util-linux logger is not installed (Debian's bsdutils; .ci/run installs it)")
	}
	dir := t.TempDir()
	// The stream must exist before the listeners start: a first server
	// makes it, the second listens.
	e := start(t, dir)
	group, stream := e.createStream(t, "system", "syslog")
	e.stop()
	e = startWith(t, dir, func(c *server.Config) {
		c.Syslog = []string{
			"tcp://127.0.0.1:0?group=system&stream=syslog",
			"udp://127.0.0.1:0?group=" + group + "&stream=" + stream,
		}
	})
	addrs := e.app.SyslogAddrs()
	if len(addrs) != 2 {
		t.Fatalf("listeners %v", addrs)
	}
	port := func(a net.Addr) string { _, p, _ := net.SplitHostPort(a.String()); return p }
	send := func(args ...string) {
		t.Helper()
		out, err := exec.Command(loggerBin, append([]string{"--server", "127.0.0.1"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("logger %v: %v %s", args, err, out)
		}
	}
	send("--tcp", "--port", port(addrs[0]), "--rfc5424", "--tag", "billing", "--msgid", "INV", "--sd-id", "order@32473", "--sd-param", `id="42"`, "-p", "local0.err", "invoice 42 failed over tcp")
	send("--tcp", "--port", port(addrs[0]), "--rfc5424", "--octet-count", "--tag", "billing", "invoice 43 sent with octet counts")
	send("--tcp", "--port", port(addrs[0]), "--rfc3164", "--tag", "cron", "job nightly finished over tcp")
	send("--udp", "--port", port(addrs[1]), "--rfc5424", "--tag", "billing", "invoice 44 over udp")
	send("--udp", "--port", port(addrs[1]), "--rfc3164", "--tag", "cron", "job hourly over udp")

	var lines []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got := otlpLines(t, e, group, stream, "invoice or job")
		lines = lines[:0]
		for _, l := range got {
			lines = append(lines, fmt.Sprintf("%s|%s", *l.Content, l.Labels["app"]))
		}
		if len(lines) == 5 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := []string{
		"invoice 42 failed over tcp|billing", "invoice 43 sent with octet counts|billing", "job nightly finished over tcp|cron",
		"invoice 44 over udp|billing", "job hourly over udp|cron",
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(lines, "\n"), w) {
			t.Errorf("missing %q among:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	// Facility, severity, msgid and structured data are fields.
	status, body := e.post(t, "/v2/"+testProject+"/streams/"+stream+"/struct-content/query", map[string]any{
		"query": `invoice and 42 | select facility, severity, msgid, "sd.order@32473.id" as order_id`, "format": "k-v",
		"time_range": map[string]any{"start_time": time.Now().Add(-time.Hour).UnixMilli(), "end_time": time.Now().Add(time.Minute).UnixMilli()},
	}, nil)
	if status != 200 || !strings.Contains(string(body), `"facility":"local0"`) || !strings.Contains(string(body), `"severity":"error"`) ||
		!strings.Contains(string(body), `"msgid":"INV"`) || !strings.Contains(string(body), `"order_id":"42"`) {
		t.Fatalf("fields: %d %s", status, body)
	}
}

// TestSyslogListenerNeedsAStream: a listener naming no stream, or one that
// does not exist, stops the server from starting with a message saying so.
func TestSyslogListenerNeedsAStream(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"tcp://127.0.0.1:0", "name the log group and stream"},
		{"tcp://127.0.0.1:0?group=nope&stream=x", "LTS.0201"},
		{"smtp://127.0.0.1:0?group=a&stream=b", "must be tcp, udp or tls"},
		{"tls://127.0.0.1:0?group=a&stream=b", "TLS certificate"},
	} {
		_, err := server.Open(t.Context(), server.Config{DataDir: t.TempDir(), Region: testRegion, Syslog: []string{tc.url}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
	}
}

// TestSyslogFramingLimits: over TCP with newline framing, a message longer
// than the limit is dropped without holding the connection's memory, the
// next one is read; a message the parser reads only in part is kept whole
// as its raw text.
func TestSyslogFramingLimits(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	group, stream := e.createStream(t, "system", "syslog")
	e.stop()
	e = startWith(t, dir, func(c *server.Config) { c.Syslog = []string{"tcp://127.0.0.1:0?group=system&stream=syslog"} })
	conn, err := net.Dial("tcp", e.app.SyslogAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "<34>1 2026-01-01T00:00:00Z host app - - - %s\n", strings.Repeat("x", 1<<20))
	fmt.Fprintf(conn, "<34>1 %s myhost myapp - - [broken sd zzzmarker payload text\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(conn, "<34>1 %s myhost myapp - - - after the long one\n", time.Now().UTC().Format(time.RFC3339))
	conn.Close()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = got[:0]
		for _, l := range otlpLines(t, e, group, stream, "zzzmarker or after") {
			got = append(got, *l.Content)
		}
		if len(got) == 2 {
			break
		}
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "[broken sd zzzmarker payload text") || !strings.Contains(strings.Join(got, "\n"), "after the long one") {
		t.Fatalf("lines %q", got)
	}
	if lines := otlpLines(t, e, group, stream, ""); len(lines) != 2 {
		t.Fatalf("%d lines stored, want the 2 within the limit", len(lines))
	}
}

// fuzzSyslog is one server with a TCP and a UDP syslog listener shared by
// every input of FuzzSyslog in a process; TestMain removes its folder.
var (
	fuzzSyslogOnce  sync.Once
	fuzzSyslogAddrs []net.Addr
)

func fuzzSyslogListeners(t *testing.T) []net.Addr {
	fuzzSyslogOnce.Do(func() {
		fuzzServer(t) // makes fuzzDir, which TestMain removes
		dir, err := os.MkdirTemp(fuzzDir, "syslog-")
		if err != nil {
			t.Fatal(err)
		}
		// A second server on its own folder: its first start makes the
		// project, whose shippers may then create the listeners' stream.
		cfg := server.Config{DataDir: dir, Region: testRegion, Logger: slog.New(slog.DiscardHandler),
			Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword}}
		app, err := server.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(app.Handler())
		status, _, resp := send(t, srv.URL, "PUT", "/v2/"+testProject+"/lts/shipper-settings", []byte(`{"create_streams":true}`),
			http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
		srv.Close()
		app.Close()
		if status != 200 {
			t.Fatalf("shipper settings: %d %s", status, resp)
		}
		cfg.Syslog = []string{"tcp://127.0.0.1:0?group=fuzz&stream=syslog", "udp://127.0.0.1:0?group=fuzz&stream=syslog"}
		if app, err = server.Open(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		fuzzSyslogAddrs = app.SyslogAddrs()
	})
	return fuzzSyslogAddrs
}

// FuzzSyslog sends arbitrary bytes to a TCP listener (newline or
// octet-counting framing, by the first byte) and as a UDP datagram: the
// server neither crashes nor stops accepting connections.
func FuzzSyslog(f *testing.F) {
	f.Add([]byte("<34>1 2026-01-01T00:00:00Z host app 12 ID47 [ex@1 a=\"b\"] hello\n"))
	f.Add([]byte("<13>Dec 31 23:59:58 host app[7]: rfc3164 line\n<13>broken\n"))
	f.Add([]byte("17 <34>1 - - - - - x5 <1>1 "))
	f.Add([]byte("99999999999999999999 <34>1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		addrs := fuzzSyslogListeners(t)
		conn, err := net.Dial("tcp", addrs[0].String())
		if err != nil {
			t.Fatalf("the TCP listener refused a connection: %v", err)
		}
		conn.Write(data)
		conn.Close()
		udp, err := net.Dial("udp", addrs[1].String())
		if err != nil {
			t.Fatal(err)
		}
		udp.Write(data)
		udp.Close()
	})
}
