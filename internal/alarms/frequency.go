package alarms

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"logtank/internal/ltscore"
)

// The frequency types.
const (
	FixedRate = "FIXED_RATE"
	Hourly    = "HOURLY"
	Daily     = "DAILY"
	Weekly    = "WEEKLY"
	Cron      = "CRON"
)

// Frequency is when a rule is evaluated. Periods end on whole units of
// UTC: a FIXED_RATE of 5 minutes at :00, :05, :10...; DAILY at HourOfDay
// o'clock; WEEKLY on DayOfWeek (1 is Sunday, 7 Saturday, as the API lists
// them); CRON at the times of a five-field cron expression.
type Frequency struct {
	Type      string `json:"type"`
	CronExpr  string `json:"cron_expr,omitempty"`
	HourOfDay *int   `json:"hour_of_day,omitempty"`
	DayOfWeek *int   `json:"day_of_week,omitempty"`
	FixedRate int    `json:"fixed_rate,omitempty"`
	RateUnit  string `json:"fixed_rate_unit,omitempty"`

	cron *cronSpec
}

func badFrequency(format string, args ...any) error {
	return ltscore.ErrAlarmFrequency.WithMsg("The frequency of the alarm rule is invalid: "+format, args...)
}

// check validates f and prepares its schedule.
func (f *Frequency) check() error {
	switch f.Type {
	case FixedRate:
		if f.RateUnit == "" {
			f.RateUnit = "minute"
		}
		limit := map[string]int{"minute": 60, "hour": 24}[f.RateUnit]
		if limit == 0 {
			return ltscore.NotInList("frequency.fixed_rate_unit", "minute", "hour")
		}
		if f.FixedRate < 1 || f.FixedRate > limit {
			return badFrequency("fixed_rate must be between 1 and %d %ss", limit, f.RateUnit)
		}
	case Hourly:
	case Daily, Weekly:
		if f.HourOfDay == nil || *f.HourOfDay < 0 || *f.HourOfDay > 23 {
			return badFrequency("hour_of_day must be between 0 and 23")
		}
		if f.Type == Weekly && (f.DayOfWeek == nil || *f.DayOfWeek < 1 || *f.DayOfWeek > 7) {
			return badFrequency("day_of_week must be between 1 (Sunday) and 7 (Saturday)")
		}
	case Cron:
		c, err := parseCron(f.CronExpr)
		if err != nil {
			return badFrequency("cron_expr %q: %v", f.CronExpr, err)
		}
		f.cron = c
	default:
		return ltscore.NotInList("frequency.type", FixedRate, Hourly, Daily, Weekly, Cron)
	}
	return nil
}

// next is the end of the first period after t.
func (f *Frequency) next(t time.Time) time.Time {
	t = t.UTC()
	switch f.Type {
	case FixedRate:
		step := time.Duration(f.FixedRate) * time.Minute
		if f.RateUnit == "hour" {
			step = time.Duration(f.FixedRate) * time.Hour
		}
		return t.Truncate(step).Add(step)
	case Hourly:
		return t.Truncate(time.Hour).Add(time.Hour)
	case Daily, Weekly:
		day := time.Date(t.Year(), t.Month(), t.Day(), *f.HourOfDay, 0, 0, 0, time.UTC)
		for !day.After(t) || (f.Type == Weekly && int(day.Weekday())+1 != *f.DayOfWeek) {
			day = day.AddDate(0, 0, 1)
		}
		return day
	default:
		return f.cron.next(t)
	}
}

// minGap is the shortest time between two periods.
func (f *Frequency) minGap() time.Duration {
	if f.Type != Cron {
		// Fixed periods: two consecutive ends are one period apart.
		a := f.next(time.Unix(0, 0))
		return f.next(a).Sub(a)
	}
	// A cron expression repeats within a year at most: the smallest gap
	// over the next few hundred runs is its smallest.
	gap := time.Duration(1<<63 - 1)
	t := f.next(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	for range 500 {
		n := f.next(t)
		gap = min(gap, n.Sub(t))
		t = n
	}
	return gap
}

// cronSpec is a five-field cron expression: minute, hour, day of month,
// month, day of week (0 or 7 is Sunday).
type cronSpec struct {
	minute, hour, dom, month, dow uint64
	// anyDom and anyDow: a "*" day field leaves the other to decide, as
	// in Vixie cron.
	anyDom, anyDow bool
}

func parseCron(expr string) (*cronSpec, error) {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	c := &cronSpec{anyDom: fields[2] == "*" || fields[2] == "?", anyDow: fields[4] == "*" || fields[4] == "?"}
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	names := [5]string{"minute", "hour", "day of month", "month", "day of week"}
	out := [5]*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, f := range fields {
		bits, err := cronField(f, bounds[i][0], bounds[i][1])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", names[i], err)
		}
		*out[i] = bits
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
	}
	return c, nil
}

// cronField reads a list of "*", "N", "N-M", each with an optional "/S".
func cronField(f string, lo, hi int) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(f, ",") {
		rng, step := part, 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			s, err := strconv.Atoi(part[i+1:])
			if err != nil || s < 1 {
				return 0, fmt.Errorf("bad step in %q", part)
			}
			rng, step = part[:i], s
		}
		a, b := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err1, err2 error
			a, err1 = strconv.Atoi(x)
			b, err2 = strconv.Atoi(y)
			if err1 != nil || err2 != nil || a > b {
				return 0, fmt.Errorf("bad range %q", rng)
			}
		default:
			n, err := strconv.Atoi(rng)
			if err != nil {
				return 0, fmt.Errorf("bad value %q", rng)
			}
			a = n
			if step > 1 {
				b = hi
			} else {
				b = n
			}
		}
		if a < lo || b > hi {
			return 0, fmt.Errorf("%q is outside %d-%d", part, lo, hi)
		}
		for v := a; v <= b; v += step {
			bits |= 1 << v
		}
	}
	return bits, nil
}

// next is the first minute after t that the expression names.
func (c *cronSpec) next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	// Every expression that parses names some minute within four years
	// (February 29th); the bound only stops a loop on a date that never
	// comes (February 30th).
	for end := t.AddDate(5, 0, 0); t.Before(end); {
		switch {
		case c.month&(1<<int(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case c.hour&(1<<t.Hour()) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case c.minute&(1<<t.Minute()) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return t
}

func (c *cronSpec) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<t.Day()) != 0
	dow := c.dow&(1<<int(t.Weekday())) != 0
	switch {
	case c.anyDom && c.anyDow:
		return true
	case c.anyDom:
		return dow
	case c.anyDow:
		return dom
	}
	return dom || dow
}
