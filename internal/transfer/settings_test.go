package transfer

import (
	"testing"
	"time"
)

func TestNextBoundary(t *testing.T) {
	lagos := time.FixedZone("UTC+01:00", 3600)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at     time.Time
		length time.Duration
		loc    *time.Location
		want   time.Time
	}{
		{time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC), 2 * time.Minute, time.UTC, time.Date(2026, 11, 22, 10, 2, 0, 0, time.UTC)},
		{time.Date(2026, 11, 22, 10, 2, 0, 0, time.UTC), 2 * time.Minute, time.UTC, time.Date(2026, 11, 22, 10, 4, 0, 0, time.UTC)},
		{time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC), 5 * time.Minute, time.UTC, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		// Windows of hours start at the zone's midnight: 3-hour windows in
		// UTC+01:00 end at 02:00, 05:00, ... UTC.
		{time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC), 3 * time.Hour, lagos, time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)},
		// The day clocks go back has 25 hours: 12-hour windows still start
		// at 00:00 and 12:00 on the wall clock.
		{time.Date(2026, 11, 1, 11, 30, 0, 0, ny), 12 * time.Hour, ny, time.Date(2026, 11, 1, 12, 0, 0, 0, ny)},
		{time.Date(2026, 11, 1, 13, 0, 0, 0, ny), 12 * time.Hour, ny, time.Date(2026, 11, 2, 0, 0, 0, 0, ny)},
		// Short windows after the hour clocks go back keep their length.
		{time.Date(2026, 11, 1, 15, 3, 0, 0, ny), 2 * time.Minute, ny, time.Date(2026, 11, 1, 15, 4, 0, 0, ny)},
		{time.Date(2026, 11, 1, 15, 3, 0, 0, ny), 5 * time.Minute, ny, time.Date(2026, 11, 1, 15, 5, 0, 0, ny)},
	} {
		if got := NextBoundary(tc.at, tc.length, tc.loc); !got.Equal(tc.want) {
			t.Errorf("NextBoundary(%v, %v) = %v, want %v", tc.at, tc.length, got, tc.want)
		}
	}
}

func TestKey(t *testing.T) {
	w := Window{Start: time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC), End: time.Date(2026, 11, 22, 10, 2, 0, 0, time.UTC)}
	const sid = "c54dbc58-0fd8-48ed-b007-6d54981427a7"
	n := Names{Region: "cn-north-4", GroupName: "app", StreamName: "web", StreamID: sid}
	for _, tc := range []struct {
		s    Settings
		want string
	}{
		{Settings{}, "LogTanks/cn-north-4/2026/11/22/app/web/web_20261122T100030.000_20261122T100200.000_" + sid + ".log"},
		{Settings{Prefix: "p", Compress: "gzip"}, "LogTanks/cn-north-4/2026/11/22/app/web/p_web_20261122T100030.000_20261122T100200.000_" + sid + ".log.gz"},
		{Settings{Dir: "/lts/%Y/%m/%d/%H%M/"}, "LogTanks/cn-north-4/lts/2026/11/22/1000/web_20261122T100030.000_20261122T100200.000_" + sid + ".log"},
	} {
		loc, err := tc.s.Location()
		if err != nil {
			t.Fatal(err)
		}
		if got := Key(&tc.s, loc, n, w); got != tc.want {
			t.Errorf("Key(%+v) = %s, want %s", tc.s, got, tc.want)
		}
	}
}

func TestLocationAndDirRules(t *testing.T) {
	for zone, ok := range map[string]bool{"UTC+08:00": true, "UTC-03:30": true, "UTC+15:00": false, "GMT+1": false} {
		s := Settings{TimeZone: zone}
		if _, err := s.Location(); (err == nil) != ok {
			t.Errorf("time zone %q: %v", zone, err)
		}
	}
	for dir, ok := range map[string]bool{"lts/%Y/%m": true, "/a/b/": true, "a//b": false, "a/../b": false, "a b": false, "": false} {
		if ValidDir(dir) != ok {
			t.Errorf("ValidDir(%q) = %v", dir, !ok)
		}
	}
}
