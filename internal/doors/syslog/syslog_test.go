package syslog

import (
	"testing"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
)

// TestRFC3164YearRollover: a message stamped December 31 and read on
// January 1 is last year's, not next year's.
func TestRFC3164YearRollover(t *testing.T) {
	m := newMachine()
	for _, tc := range []struct {
		now  time.Time
		want time.Time
	}{
		{time.Date(2027, 1, 1, 0, 0, 5, 0, time.Local), time.Date(2026, 12, 31, 23, 59, 58, 0, time.Local)},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.Local), time.Date(2026, 12, 31, 23, 59, 58, 0, time.Local)},
	} {
		msg, err := m.Parse([]byte("<13>Dec 31 23:59:58 host app: end of the year"))
		if err != nil {
			t.Fatal(err)
		}
		// The parser reads the year off the clock; the test's clock is
		// tc.now, so the parsed time is moved to that year first.
		got, ok := toMessage(parsedAs(msg, tc.now), tc.now)
		if !ok || got.entry.TimeNs != tc.want.UnixNano() || got.entry.Content != "end of the year" || got.labels["host"] != "host" {
			t.Errorf("at %v: %v %+v, want %v", tc.now, ok, got, tc.want)
		}
	}
}

// parsedAs is msg as the parser reads it at now: its year is now's.
func parsedAs(msg gosyslog.Message, now time.Time) *gosyslog.Result {
	m := msg.(*rfc3164.SyslogMessage)
	ts := *m.Timestamp
	ts = time.Date(now.Year(), ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), ts.Location())
	m.Timestamp = &ts
	return &gosyslog.Result{Message: m}
}
