package alarms

import (
	"testing"
	"time"
)

func TestFrequencyNext(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 7, 30, 0, time.UTC) // a Sunday
	hour := func(h int) *int { return &h }
	f := func(fr Frequency, want time.Time) {
		t.Helper()
		if err := fr.check(); err != nil {
			t.Fatal(err)
		}
		if got := fr.next(at); !got.Equal(want) {
			t.Fatalf("%+v: next %v, want %v", fr, got, want)
		}
	}
	f(Frequency{Type: FixedRate, FixedRate: 5, RateUnit: "minute"}, time.Date(2026, 11, 22, 10, 10, 0, 0, time.UTC))
	f(Frequency{Type: FixedRate, FixedRate: 2, RateUnit: "hour"}, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	f(Frequency{Type: Hourly}, time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC))
	f(Frequency{Type: Daily, HourOfDay: hour(9)}, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	f(Frequency{Type: Weekly, HourOfDay: hour(9), DayOfWeek: hour(2)}, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	f(Frequency{Type: Cron, CronExpr: "*/15 * * * *"}, time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC))
	f(Frequency{Type: Cron, CronExpr: "0 8 * * 1-5"}, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
	f(Frequency{Type: Cron, CronExpr: "30 6 1 * *"}, time.Date(2026, 12, 1, 6, 30, 0, 0, time.UTC))
	for _, bad := range []Frequency{{Type: Cron, CronExpr: "* * *"}, {Type: Cron, CronExpr: "61 * * * *"}, {Type: Cron, CronExpr: "*/0 * * * *"},
		{Type: FixedRate, FixedRate: 0}, {Type: Daily}, {Type: "NEVER"}} {
		if err := bad.check(); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
	// February 30th never comes: next gives up instead of looping.
	c := Frequency{Type: Cron, CronExpr: "0 0 30 2 *"}
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	c.next(at)
}

func TestCondition(t *testing.T) {
	row := map[string]value{"n": {kind: 1, num: 12}, "level": {kind: 2, str: "ERROR"}}
	env := func(q int, name string) (value, bool) {
		if q == 1 {
			return value{kind: 1, num: 3}, true
		}
		v, ok := row[name]
		return v, ok
	}
	f := func(expr string, want bool) {
		t.Helper()
		c, err := parseCondition(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got := c.eval(env).truthy(); got != want {
			t.Fatalf("%s = %v, want %v", expr, got, want)
		}
	}
	f("n > 10", true)
	f("n > 12", false)
	f("n >= 12 && level = 'ERROR'", true)
	f("n < 5 or level != \"ERROR\"", false)
	f("(n - $2.x) * 2 == 18", true)
	f("!(n > 10)", false)
	f("missing > 1", false)
	f("n / 0 > 1", false)
	for _, bad := range []string{"", "n >> 3", "n > (1", "'open", "$9.x > 1", "n > 1 )"} {
		if _, err := parseCondition(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
