package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/server"
)

// TestClusterAlarmsOnceThroughKills: three node processes on a clock
// sixty times as fast as the wall clock evaluate a one-minute keywords
// rule over twenty-four periods, whose error lines were all ingested
// beforehand, so that what each period decides is known: ten
// notifications, firing and recovered. Meanwhile the holder of the alarms'
// lease is killed with SIGKILL again and again: at random moments, and
// three times while the webhook endpoint holds a notification it received
// without answering (its sender dies after the endpoint received it and
// before the outcome was recorded). Every notification arrives; the three
// held ones arrive again, as at-least-once delivery promises when the
// sender dies in that window; and a notification arrives again only when
// the node that sent it before was killed in between (at-least-once is
// the documented contract: a sender that dies after the endpoint received
// a notification and before it recorded the outcome sends it twice).
func TestClusterAlarmsOnceThroughKills(t *testing.T) {
	const speed = 60
	clock := sharedClock{From: time.Now().UTC(), Real: time.Now().Round(0), Speed: speed}
	p, db, e, group, stream := killCluster(t, clock, "akill")
	ctx := context.Background()

	// The periods: the window of period i ends at first+i minutes, when it
	// is evaluated. Periods with an error line fire the alarm when it is
	// not active; two quiet ones in a row recover it.
	errs := []bool{true, false, false, false, true, true, false, false, false, true, false, false,
		false, true, true, true, false, false, false, true, false, false, false, false}
	first := clock.now().Truncate(time.Minute).Add(6 * time.Minute)
	due := func(i int) time.Time { return first.Add(time.Duration(i) * time.Minute) }
	var want []alarmNote
	active, quiet := false, 0
	for i, hasError := range errs {
		at := due(i).UTC().Format(time.RFC3339)
		switch {
		case hasError:
			quiet = 0
			if !active {
				active = true
				want = append(want, alarmNote{"firing", at})
			}
		default:
			quiet++
			if active && quiet >= 2 {
				active = false
				want = append(want, alarmNote{"recovered", at})
			}
		}
	}
	ingestPath := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	for i, hasError := range errs {
		if !hasError {
			continue
		}
		body, _ := json.Marshal(map[string]any{"log_time_ns": due(i).Add(-30 * time.Second).UnixNano(),
			"contents": []string{"error: disk full in period " + strconv.Itoa(i)}, "labels": map[string]string{}})
		if status, resp, err := signedPost(p.url(0), ingestPath, body); err != nil || status != http.StatusOK {
			t.Fatalf("ingest: %d %s %v", status, resp, err)
		}
	}

	// The endpoint records each arrival with its sender, and holds the
	// first arrival of a few notifications, unanswered, until the test
	// has killed the sender.
	type hold struct {
		sender int
		done   chan struct{}
	}
	const holds = 3
	held, quit := make(chan hold), make(chan struct{})
	var mu sync.Mutex
	var arrivals []alarmArrival
	count := map[alarmNote]int{}
	heldNotes := map[alarmNote]bool{}
	// A connection's sender is found as it is accepted: a request read
	// later may come from a process killed since.
	conns := map[string]alarmConn{}
	rc := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var n struct {
			Status string `json:"alarm_status"`
			Time   string `json:"time"`
		}
		json.Unmarshal(b, &n)
		mu.Lock()
		conn := conns[r.RemoteAddr]
		sender := conn.sender
		k := alarmNote{n.Status, n.Time}
		arrivals = append(arrivals, alarmArrival{k, time.Now(), conn})
		count[k]++
		// The second notification, and every third after it, is held
		// (the next one, when its sender was not found).
		cut := count[k] == 1 && sender >= 0 && len(heldNotes) < holds && len(count) >= 2+3*len(heldNotes)
		if cut {
			heldNotes[k] = true
		}
		mu.Unlock()
		if cut {
			h := hold{sender, make(chan struct{})}
			select {
			case held <- h:
				select {
				case <-h.done: // the sender is dead: nobody reads the answer
				case <-quit:
				}
			case <-quit:
			}
		}
	}))
	rc.Config.ConnState = func(c net.Conn, state http.ConnState) {
		if state == http.StateNew {
			sender := p.senderOf(c.RemoteAddr().String())
			mu.Lock()
			conns[c.RemoteAddr().String()] = alarmConn{sender, time.Now()}
			mu.Unlock()
		}
	}
	rc.Start()
	defer rc.Close()
	defer close(quit) // before the endpoint closes, which waits for its requests
	// A notification is claimed for its topic's timeout and a margin, on
	// the scheduler's clock, here sixty times as fast: the longest timeout
	// keeps the claim about five seconds of the wall clock, longer than a
	// handover of the lease, as the default does in production.
	if status, body := e.post(t, "/v2/"+testProject+"/logtank/alarm-topics", map[string]any{"name": "ops", "url": rc.URL, "timeout_ms": 300000}, nil); status != http.StatusCreated {
		t.Fatalf("create topic: %d %s", status, body)
	}
	resp, err := e.lts().CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("errors", group, stream, "error", 1, "ops")})
	if err != nil {
		t.Fatal(err)
	}
	ruleID := *resp.KeywordsAlarmRuleId
	if r, err := db.AlarmRule(ctx, testProject, ruleID); err != nil || r.NextDueMS > due(0).UnixMilli() {
		t.Fatalf("the rule's first period ends at %v, after the planned %v (%v)", time.UnixMilli(r.NextDueMS).UTC(), due(0), err)
	}

	var kills []nodeKill
	holderKills := 0
	killNode := func(i int) {
		p.kill(i)
		kills = append(kills, nodeKill{i, time.Now()})
		p.start(i)
	}
	holder := func() int {
		rec, err := db.Lease(ctx, server.LeaseAlarms)
		if h := p.nodeOf(rec.Owner); err == nil && rec.ExpiryMS > time.Now().UnixMilli() {
			return h
		}
		return -1
	}
	done := func() bool {
		r, err := db.AlarmRule(ctx, testProject, ruleID)
		if err != nil || r.NextDueMS <= due(len(errs)-1).UnixMilli() {
			return false
		}
		pending, err := db.DueAlarmDeliveries(ctx, math.MaxInt64, 10)
		return err == nil && len(pending) == 0
	}
	rng := rand.New(rand.NewPCG(7, 8))
	deadline := time.Now().Add(90 * time.Second)
	for random := 0; !done(); {
		if time.Now().After(deadline) {
			t.Fatalf("the rule's periods were not all evaluated and notified within 90 s")
		}
		select {
		case h := <-held:
			if h.sender == holder() {
				holderKills++
			}
			killNode(h.sender)
			close(h.done)
		case <-time.After(time.Duration(1500+rng.IntN(1000)) * time.Millisecond):
			// The holder, two times in three, else another node, while
			// periods remain to evaluate.
			if r, err := db.AlarmRule(ctx, testProject, ruleID); err != nil || r.NextDueMS > due(len(errs)-1).UnixMilli() {
				continue
			}
			h := holder()
			if h < 0 {
				continue
			}
			random++
			if random%3 == 0 {
				killNode((h + 1 + rng.IntN(2)) % 3)
				continue
			}
			holderKills++
			killNode(h)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d kills, %d of the alarms' holder, %d of them while the endpoint held what they sent; %d notifications decided, %d arrivals",
		len(kills), holderKills, len(heldNotes), len(want), len(arrivals))
	// Notifications decided together (by a node catching up on periods)
	// are sent at once, in no particular order.
	var got []alarmNote
	for n := range count {
		got = append(got, n)
	}
	order := func(a, b alarmNote) int { return strings.Compare(a.at+a.status, b.at+b.status) }
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Fatalf("notifications that arrived:\n got %v\nwant %v", got, want)
	}
	if len(heldNotes) != holds {
		t.Fatalf("%d notifications held while their sender was killed, want %d", len(heldNotes), holds)
	}
	for i, n := range want {
		seen := arrivalsOf(arrivals, n)
		if heldNotes[n] && len(seen) < 2 {
			t.Errorf("notification %d %v, held by the endpoint while its sender was killed, arrived %d times, want it sent again", i, n, len(seen))
		}
		// Every arrival but the last was answered to nobody, or the
		// answer was not recorded: its sender died meanwhile.
		for j := 1; j < len(seen); j++ {
			why := diedBefore(seen[j-1], seen[j], kills)
			if why == "" {
				t.Errorf("notification %d %v arrived again while the node that sent it before lived on: arrivals %+v, kills %+v", i, n, seen, kills)
				break
			}
			if !heldNotes[n] || j > 1 {
				t.Logf("notification %v arrived again, its sender %s", n, why)
			}
		}
	}
}

// alarmNote is a notification as the endpoint tells them apart: its
// status and the time of the period that decided it.
type alarmNote struct{ status, at string }

// alarmArrival is a notification's arrival at the endpoint, and the
// connection it came by.
type alarmArrival struct {
	note alarmNote
	at   time.Time
	conn alarmConn
}

// alarmConn is a connection to the endpoint: the node that opened it (-1:
// found nowhere) and when the endpoint accepted it.
type alarmConn struct {
	sender int
	at     time.Time
}

// nodeKill is a node killed, and when.
type nodeKill struct {
	node int
	at   time.Time
}

// diedBefore says how the node that sent a died before the next arrival
// of the same notification, b, or "" if it did not: killed after it
// opened the connection a came by and before b, or already gone when the
// endpoint accepted that connection (killed after it had sent a).
func diedBefore(a, b alarmArrival, kills []nodeKill) string {
	for _, k := range kills {
		if a.conn.sender < 0 && !k.at.After(b.at) {
			return "gone when the endpoint accepted its connection"
		}
		if k.node == a.conn.sender && k.at.After(a.conn.at) && !k.at.After(b.at) {
			return "killed before the next arrival"
		}
	}
	return ""
}

// arrivalsOf returns the arrivals of n.
func arrivalsOf(arrivals []alarmArrival, n alarmNote) []alarmArrival {
	var out []alarmArrival
	for _, a := range arrivals {
		if a.note == n {
			out = append(out, a)
		}
	}
	return out
}

// senderOf returns the node whose process holds the client end of the
// loopback connection from addr, or -1: the kernel's table of TCP sockets
// gives the socket's inode, and the node's open files name it.
func (p *clusterProcs) senderOf(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		return -1
	}
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return -1
	}
	inode := ""
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[9] == "0" {
			continue
		}
		local := f[1]
		if lp, err := strconv.ParseUint(local[strings.IndexByte(local, ':')+1:], 16, 16); err == nil && int(lp) == port {
			inode = f[9]
			break
		}
	}
	if inode == "" {
		return -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for n, node := range p.nodes {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", node.cmd.Process.Pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", node.cmd.Process.Pid), fd.Name())); l == "socket:["+inode+"]" {
				return n
			}
		}
	}
	return -1
}
