package conformance

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"logtank/internal/server"
)

// TestSyslogFromRsyslog: rsyslog, as operators run it, receives messages
// (sent by logger to its imtcp input) and forwards them with omfwd to
// logtank's listeners: octet-counted RFC 5424 over TCP, and its default
// (RFC 3164) over UDP. Every message is found once, with its labels.
func TestSyslogFromRsyslog(t *testing.T) {
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		rsyslogd = "/usr/sbin/rsyslogd"
		if _, err := os.Stat(rsyslogd); err != nil {
			t.Fatal("rsyslog is not installed (Debian's rsyslog; .ci/run installs it)")
		}
	}
	loggerBin, err := exec.LookPath("logger")
	if err != nil {
		t.Fatal("util-linux logger is not installed (Debian's bsdutils; .ci/run installs it)")
	}
	dir := t.TempDir()
	e := start(t, dir)
	group, stream := e.createStream(t, "system", "rsyslog")
	e.stop()
	e = startWith(t, dir, func(c *server.Config) {
		c.Syslog = []string{
			"tcp://127.0.0.1:0?group=system&stream=rsyslog",
			"udp://127.0.0.1:0?group=system&stream=rsyslog",
		}
	})
	port := func(a net.Addr) string { _, p, _ := net.SplitHostPort(a.String()); return p }
	addrs := e.app.SyslogAddrs()

	work := t.TempDir()
	portFile := filepath.Join(work, "port")
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName=%q)
if $msg contains "viatcp" then {
  action(type="omfwd" target="127.0.0.1" port=%q protocol="tcp" template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted")
} else {
  action(type="omfwd" target="127.0.0.1" port=%q protocol="udp")
}
`, work, portFile, port(addrs[0]), port(addrs[1]))
	confPath := filepath.Join(work, "rsyslog.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, rsyslogd, "-n", "-f", confPath, "-i", filepath.Join(work, "pid"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	var inPort string
	waitFor(t, "rsyslog's input port", func() bool {
		b, _ := os.ReadFile(portFile)
		inPort = strings.TrimSpace(string(b))
		return inPort != ""
	})
	const n = 50
	// What goes on over UDP arrives as local programs' messages do, in
	// RFC 3164 with a "tag:" (rsyslog forwards a tag as it got it).
	for i := range n {
		via, format := "viatcp", "--rfc5424"
		if i%2 == 1 {
			via, format = "viaudp", "--rfc3164"
		}
		msg := fmt.Sprintf("relayed %s message %d", via, i)
		if b, err := exec.Command(loggerBin, "--server", "127.0.0.1", "--port", inPort, "--tcp", format, "--tag", "relay", msg).CombinedOutput(); err != nil {
			t.Fatalf("logger: %v %s", err, b)
		}
	}
	var got map[string]int
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got = map[string]int{}
		for _, l := range otlpLines(t, e, group, stream, "relayed") {
			got[fmt.Sprintf("%s|%s", *l.Content, l.Labels["app"])]++
		}
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
	}
	for i := range n {
		via := "viatcp"
		if i%2 == 1 {
			via = "viaudp"
		}
		key := fmt.Sprintf("relayed %s message %d|relay", via, i)
		if got[key] != 1 {
			t.Errorf("%q found %d times", key, got[key])
		}
	}
	if len(got) != n {
		t.Fatalf("%d distinct lines, want %d; rsyslog said:\n%s", len(got), n, out.String())
	}
}
