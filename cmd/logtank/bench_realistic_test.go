package main

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

func varyOnce(line string, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	return string(vary(nil, line, map[string]string{}, rng, rand.NewZipf(rng, 1.1, 1, 99_999)))
}

// digitsAsHash is a line's template: IPv4 addresses as IP, other digits as #.
func digitsAsHash(s string) string {
	s = regexp.MustCompile(`\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b`).ReplaceAllString(s, "IP")
	return regexp.MustCompile(`[0-9]`).ReplaceAllString(s, "#")
}

func TestVaryKeepsTemplatesAndTimes(t *testing.T) {
	f := func(line, keptPrefix string) {
		t.Helper()
		got := varyOnce(line, 3)
		if !strings.HasPrefix(got, keptPrefix) {
			t.Fatalf("vary(%q) = %q: the date, time and words before the values must stay %q", line, got, keptPrefix)
		}
		if digitsAsHash(got) != digitsAsHash(line) {
			t.Fatalf("vary(%q) = %q: the template changed", line, got)
		}
		if got == line {
			t.Fatalf("vary(%q) changed nothing", line)
		}
	}
	f("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001",
		"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_")
	f("Jun  9 06:06:20 combo kernel: Memory: 125312k/129720k available (1540k kernel code, 3860k reserved)",
		"Jun  9 06:06:20 combo kernel: Memory: ")
	f("[Mon Dec 05 10:48:48 2005] [error] [client 10.2.3.4] Directory index forbidden by rule: /var/www/html/",
		"[Mon Dec 05 10:48:48 2005] [error] [client ")
	f("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating", "")
	f("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=combo",
		"Jun 14 15:16:01 combo sshd(pam_unix)[")
}

func TestVaryDrawsAddressesFromThePool(t *testing.T) {
	line := "Failed password for root from 173.234.31.186 port 38926 ssh2"
	got := varyOnce(line, 5)
	m := regexp.MustCompile(`^Failed password for root from (\S+) port (\d+) ssh2$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("vary(%q) = %q: the template changed", line, got)
	}
	if a, err := netip.ParseAddr(m[1]); err != nil || !a.Is4() {
		t.Fatalf("vary(%q) = %q: %q is not an IPv4 address (%v)", line, got, m[1], err)
	}
	if len(m[2]) != len("38926") || m[2][0] == '0' {
		t.Fatalf("vary(%q) = %q: port %q is not a 5-digit number", line, got, m[2])
	}
	// Version numbers and longer dotted runs are not addresses.
	for _, keep := range []string{"v1.2.3.4.5 loaded", "build 10.0.0.1234 done"} {
		if got := varyOnce(keep, 5); digitsAsHash(got) != digitsAsHash(keep) || strings.Count(got, ".") != strings.Count(keep, ".") {
			t.Fatalf("vary(%q) = %q", keep, got)
		}
	}
}

func TestVaryRepeatsAValueWithinARun(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	ips := rand.NewZipf(rng, 1.1, 1, 99_999)
	sub := map[string]string{}
	a := string(vary(nil, "request 4711 started by 4711", sub, rng, ips))
	b := string(vary(nil, "request 4711 done", sub, rng, ips))
	f := strings.Fields(a)
	if f[1] != f[4] || f[1] == "4711" || strings.Fields(b)[1] != f[1] {
		t.Fatalf("one value within a run must get one new value: %q, %q", a, b)
	}
}

func TestRealisticRunsFollowTheirFile(t *testing.T) {
	files := [][]string{
		{"alpha 1 start", "alpha 2 middle", "alpha 3 end"},
		{"beta x 10", "beta y 20"},
	}
	out := realistic(files, 2500, rand.New(rand.NewPCG(1, 1)))
	if len(out) != 2500 {
		t.Fatalf("%d lines, want 2500", len(out))
	}
	next := map[string]string{"alpha # start": "alpha # middle", "alpha # middle": "alpha # end", "alpha # end": "alpha # start",
		"beta x ##": "beta y ##", "beta y ##": "beta x ##"}
	for i := 1; i < len(out); i++ {
		if i%realisticRun == 0 {
			continue // a new run may start anywhere in any file
		}
		if got, want := digitsAsHash(out[i]), next[digitsAsHash(out[i-1])]; got != want {
			t.Fatalf("line %d %q follows %q: want the file's next line %q", i, out[i], out[i-1], want)
		}
	}
	again := realistic(files, 2500, rand.New(rand.NewPCG(1, 1)))
	if strings.Join(again, "\n") != strings.Join(out, "\n") {
		t.Fatal("the same seed made other lines")
	}
}
