package aom

import (
	"fmt"
	"strings"
	"testing"

	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

func TestParseTimeRange(t *testing.T) {
	const now = 1_700_000_000_000
	for _, tc := range []struct {
		in                  string
		start, end, minutes int64
		problem             string // a substring; empty when valid
	}{
		{"-1.-1.60", now - 3_600_000, now, 60, ""},
		{"-1.1650852300000.5", 1650852000000, 1650852300000, 5, ""},
		{"1650852000000.-1.5", 1650852000000, 1650852300000, 5, ""},
		{"1650852000000.1650852300000.5", 1650852000000, 1650852300000, 5, ""},
		{"1650852000000.1650852300000.4", 1650852000000, 1650852300000, 4, ""}, // duration >= minutes - 1
		{fmt.Sprintf("%d.-1.10", now-60_000), now - 60_000, now, 10, ""},       // end clamped to now
		{"1650852000000.1650852300000.3", 0, 0, 0, "shorter"},
		{"-1.-1.0", 0, 0, 0, "positive"},
		{"-1.-1.-5", 0, 0, 0, "positive"},
		{"-2.-1.5", 0, 0, 0, "-1"},
		{"-1.-1", 0, 0, 0, "form"},
		{"a.b.c", 0, 0, 0, "integer"},
		{"-1.-1.5.", 0, 0, 0, "form"},
		{"", 0, 0, 0, "form"},
		{"5.5.1", 0, 0, 0, "before"},
		{fmt.Sprintf("%d.-1.1", now+60_000), 0, 0, 0, "before"},
		{"-1.-1.99999999999999999999", 0, 0, 0, "integer"},
		{"-1.-1.999999999999999", 0, 0, 0, "positive"},
	} {
		start, end, minutes, problem := parseTimeRange(tc.in, now)
		switch {
		case tc.problem == "" && (problem != "" || start != tc.start || end != tc.end || minutes != tc.minutes):
			t.Errorf("%q: got %d %d %d %q", tc.in, start, end, minutes, problem)
		case tc.problem != "" && !strings.Contains(problem, tc.problem):
			t.Errorf("%q: problem %q, want one about %q", tc.in, problem, tc.problem)
		}
	}
}

func TestParseStatQueryLimits(t *testing.T) {
	const now = 1_700_000_000_000
	ok := func(period int64, tr string) error {
		_, err := parseStatQuery(wire.Int{Value: period, Set: true}, "timerange", tr, []string{"sum"}, "", now, amsStatErrors)
		return err
	}
	if err := ok(60, "-1.-1.1440"); err != nil {
		t.Fatal(err)
	}
	if err := ok(3600, "-1.-1.86400"); err != nil { // 60 days at hourly periods
		t.Fatal(err)
	}
	if err := ok(60, "-1.-1.1441"); err == nil || err.(*wire.Error).Code != "SVCSTG_AMS_4000107" {
		t.Fatalf("1441 points: %v", err)
	}
	if _, err := parseStatQuery(wire.Int{}, "timerange", "-1.-1.5", []string{"sum"}, "", now, amsStatErrors); err == nil || err.(*wire.Error).Code != "SVCSTG_AMS_4000103" {
		t.Fatalf("no period: %v", err)
	}
}

func TestDataPoints(t *testing.T) {
	q := statQuery{start: -150_000, end: 90_000, periodMS: 60_000, stats: []string{"sampleCount", "average"}, fill: "average"}
	first := floorDiv(q.start, q.periodMS) * q.periodMS
	if first != -180_000 {
		t.Fatalf("first period %d", first)
	}
	buckets := make([]bucket, 5)
	for _, p := range []metricstore.Point{{T: -170_000, V: 2}, {T: -130_000, V: 4}, {T: 60_000, V: 9}} {
		buckets[(p.T-first)/q.periodMS].add(p.V)
	}
	var got []string
	for _, dp := range dataPoints(buckets, first, q, "u") {
		got = append(got, fmt.Sprintf("%d:%g/%g", dp.Timestamp, *dp.Statistics[0].Value, *dp.Statistics[1].Value))
	}
	// Periods at -180s, -120s, -60s, 0s, 60s: two points, none, none, none,
	// one; the empty ones take the mean of their neighbours.
	want := "-180000:2/3 -120000:1.5/6 -60000:1.5/6 0:1.5/6 60000:1/9"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, " "), want)
	}
	q.fill = "null"
	if dp := dataPoints(make([]bucket, 5), first, q, ""); len(dp) != 5 || dp[0].Statistics[0].Value != nil {
		t.Fatalf("null fill: %+v", dp)
	}
}
