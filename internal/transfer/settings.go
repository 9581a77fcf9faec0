package transfer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zone ids must resolve on hosts without a zone database
)

// Settings are what a transfer writes, where and how often.
type Settings struct {
	// Format is RAW (one line per log) or JSON (one object per log).
	Format string `json:"format"`
	// Period and PeriodUnit (min or hour) give the window length.
	Period     int    `json:"period"`
	PeriodUnit string `json:"period_unit"`
	Bucket     string `json:"bucket"`
	// Prefix is put before each file name, joined by "_".
	Prefix string `json:"prefix,omitempty"`
	// Dir replaces the default directory under LogTanks/<region>/; it may
	// hold %Y %m %d %H %M.
	Dir string `json:"dir,omitempty"`
	// TimeZone ("UTC+01:00") and TimeZoneID ("Africa/Lagos") place the
	// windows and the dates of keys; both empty means UTC.
	TimeZone   string `json:"time_zone,omitempty"`
	TimeZoneID string `json:"time_zone_id,omitempty"`
	// Tags lists the tag fields JSON objects carry.
	Tags []string `json:"tags,omitempty"`
	// StructFields lists the structured fields JSON objects carry.
	StructFields []string `json:"struct_fields,omitempty"`
	// Compress is "" or "gzip".
	Compress string `json:"compress,omitempty"`
	// Extra holds settings the server keeps and shows but does not act on
	// (encryption, enterprise project, agency).
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// Periods are the window lengths a transfer may have.
var Periods = []string{"2min", "5min", "30min", "1hour", "3hour", "6hour", "12hour"}

// Tags are the tag fields a JSON transfer may add to each object.
var Tags = []string{"hostIP", "hostId", "hostName", "pathFile", "collectTime", "logStreamName", "regionName", "logGroupName", "projectId", "streamTag"}

// PeriodOK reports whether period and unit make one of Periods.
func PeriodOK(period int, unit string) bool {
	want := strconv.Itoa(period) + unit
	for _, p := range Periods {
		if p == want {
			return true
		}
	}
	return false
}

// Length is the window length.
func (s *Settings) Length() time.Duration {
	if s.PeriodUnit == "hour" {
		return time.Duration(s.Period) * time.Hour
	}
	return time.Duration(s.Period) * time.Minute
}

var utcOffset = regexp.MustCompile(`^UTC([+-])(\d{2}):(\d{2})$`)

// Location resolves the settings' time zone: the id when it names a zone,
// else the fixed offset.
func (s *Settings) Location() (*time.Location, error) {
	if s.TimeZoneID != "" {
		if loc, err := time.LoadLocation(s.TimeZoneID); err == nil {
			return loc, nil
		}
	}
	if s.TimeZone == "" {
		if s.TimeZoneID != "" {
			return nil, fmt.Errorf("unknown time zone id %q", s.TimeZoneID)
		}
		return time.UTC, nil
	}
	m := utcOffset.FindStringSubmatch(s.TimeZone)
	if m == nil {
		return nil, fmt.Errorf("time zone %q is not of the form UTC+hh:mm", s.TimeZone)
	}
	h, _ := strconv.Atoi(m[2])
	mins, _ := strconv.Atoi(m[3])
	if h > 14 || mins > 59 {
		return nil, fmt.Errorf("time zone %q is out of range", s.TimeZone)
	}
	off := h*3600 + mins*60
	if m[1] == "-" {
		off = -off
	}
	return time.FixedZone(s.TimeZone, off), nil
}

// Encode stores the settings as JSON.
func (s *Settings) Encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// DecodeSettings reads settings stored by Encode.
func DecodeSettings(text string) (Settings, error) {
	var s Settings
	err := json.Unmarshal([]byte(text), &s)
	return s, err
}

// NextBoundary returns the first window boundary after t: windows start at
// the zone's midnight and follow each other by the period's length on the
// wall clock (12-hour windows start at 00:00 and 12:00 even on a day with
// 23 or 25 hours; the day's last window ends at the next midnight).
func NextBoundary(t time.Time, length time.Duration, loc *time.Location) time.Time {
	local := t.In(loc)
	y, m, d := local.Date()
	next := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	mins := int(length / time.Minute)
	// Count on the wall clock: on a day of 25 hours the elapsed time runs
	// an hour ahead of it.
	for k := max((local.Hour()*60+local.Minute())/mins, 1); ; k++ {
		b := time.Date(y, m, d, 0, k*mins, 0, 0, loc)
		if !b.Before(next) {
			return next
		}
		if b.After(t) {
			return b
		}
	}
}

var dirPattern = regexp.MustCompile(`^[A-Za-z0-9&$@;:,=+?\-._/%]{1,128}$`)

// ValidDir reports whether a custom directory may be used in keys.
func ValidDir(dir string) bool {
	if !dirPattern.MatchString(dir) || strings.Contains(dir, "//") {
		return false
	}
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		if part == "." || part == ".." {
			return false
		}
	}
	return true
}
