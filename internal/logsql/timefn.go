package logsql

import (
	"strconv"
	"strings"
	"time"
)

// period is a parsed ISO-8601 duration. Calendar parts (months, days) are
// applied in a time zone; fixed is milliseconds.
type period struct {
	months, days int64
	weeks        bool // PnW: days is a multiple of 7 aligned to Monday
	fixed        int64
}

func parsePeriod(s string) (period, error) {
	bad := func() (period, error) {
		return period{}, &Error{Pos: -1, Msg: "invalid ISO-8601 period " + quote(s) + " (use e.g. PT1M, PT1H, P1D, P1W, P1M, P1Y)"}
	}
	u := strings.ToUpper(s)
	if len(u) < 3 || u[0] != 'P' {
		return bad()
	}
	var p period
	inTime := false
	num := ""
	units := 0
	for _, c := range u[1:] {
		switch {
		case c >= '0' && c <= '9':
			num += string(c)
			continue
		case c == 'T' && !inTime && num == "":
			inTime = true
			continue
		}
		if num == "" || len(num) > 9 {
			return bad()
		}
		n, _ := strconv.ParseInt(num, 10, 64)
		num = ""
		units++
		switch {
		case !inTime && c == 'Y':
			p.months += 12 * n
		case !inTime && c == 'M':
			p.months += n
		case !inTime && c == 'W':
			p.days += 7 * n
			p.weeks = true
		case !inTime && c == 'D':
			p.days += n
		case inTime && c == 'H':
			p.fixed += n * 3_600_000
		case inTime && c == 'M':
			p.fixed += n * 60_000
		case inTime && c == 'S':
			p.fixed += n * 1000
		default:
			return bad()
		}
	}
	if num != "" || units == 0 || p.months == 0 && p.days == 0 && p.fixed == 0 {
		return bad()
	}
	if p.months != 0 && (p.days != 0 || p.fixed != 0) || p.weeks && units > 1 {
		return period{}, &Error{Pos: -1, Msg: "unsupported ISO-8601 period " + quote(s) + ": combine only days with hours/minutes/seconds"}
	}
	if p.days != 0 && p.fixed != 0 { // PnDTnH...: a fixed length
		p.fixed += p.days * 86_400_000
		p.days = 0
	}
	return p, nil
}

func offsetMs(ms int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return 0
	}
	_, off := time.UnixMilli(ms).In(loc).Zone()
	return int64(off) * 1000
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// floor rounds ms down to the period boundary in loc (origin only for fixed periods).
func (p period) floor(ms int64, loc *time.Location, origin int64) int64 {
	switch {
	case p.fixed != 0:
		if origin != 0 {
			return origin + floorDiv(ms-origin, p.fixed)*p.fixed
		}
		off := offsetMs(ms, loc)
		return floorDiv(ms+off, p.fixed)*p.fixed - off
	case p.days != 0:
		off := offsetMs(ms, loc)
		day := floorDiv(ms+off, 86_400_000)
		if p.weeks {
			day = floorDiv(day+3, p.days)*p.days - 3 // 1970-01-01 was a Thursday
		} else {
			day = floorDiv(day, p.days) * p.days
		}
		y, m, d := time.UnixMilli(day * 86_400_000).UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc).UnixMilli()
	default:
		t := time.UnixMilli(ms).In(loc)
		idx := int64(t.Year()-1970)*12 + int64(t.Month()-1)
		idx = floorDiv(idx, p.months) * p.months
		return time.Date(1970+int(floorDiv(idx, 12)), time.Month(idx-floorDiv(idx, 12)*12+1), 1, 0, 0, 0, 0, loc).UnixMilli()
	}
}

// shift moves ms by n periods.
func (p period) shift(ms int64, n int64, loc *time.Location) int64 {
	if p.fixed != 0 {
		return ms + n*p.fixed
	}
	return time.UnixMilli(ms).In(loc).AddDate(0, int(n*p.months), int(n*p.days)).UnixMilli()
}

func (p period) ceil(ms int64, loc *time.Location, origin int64) int64 {
	f := p.floor(ms, loc, origin)
	if f == ms {
		return f
	}
	return p.shift(f, 1, loc)
}

func (c *fctx) location(v Value) (*time.Location, error) {
	if v.isNull() {
		return c.loc, nil
	}
	return loadLocation(v.String())
}

// loadLocation accepts IANA names, "UTC" and offsets such as "+08:00".
func loadLocation(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 3 && (s[0] == '+' || s[0] == '-') {
		hm := strings.SplitN(s[1:], ":", 2)
		h, err1 := strconv.Atoi(hm[0])
		m := 0
		var err2 error
		if len(hm) == 2 {
			m, err2 = strconv.Atoi(hm[1])
		}
		if err1 == nil && err2 == nil && h <= 18 && m < 60 {
			off := h*3600 + m*60
			if s[0] == '-' {
				off = -off
			}
			return time.FixedZone(s, off), nil
		}
	}
	loc, err := time.LoadLocation(s)
	if err != nil || s == "" || strings.EqualFold(s, "local") {
		return nil, &Error{Pos: -1, Msg: "unknown time zone " + quote(s)}
	}
	return loc, nil
}

// timeArg reads a time argument: a number is epoch milliseconds, a string is
// parsed as "yyyy-MM-dd HH:mm:ss[.SSS]" or RFC 3339 in loc.
func timeArg(v Value, loc *time.Location) (int64, bool) {
	if v.Type != String {
		return v.asLong(), true
	}
	s := strings.TrimSpace(v.Str)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UnixMilli(), true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli(), true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	return 0, false
}

func (c *fctx) roundTime(a []Value, ceil bool) (Value, error) {
	if a[0].isNull() || a[1].isNull() {
		return Value{}, nil
	}
	p, loc, ms, ok, err := c.periodArgs(a)
	if err != nil || !ok {
		return Value{}, err
	}
	origin := int64(0)
	if len(a) >= 3 && !a[2].isNull() {
		if origin, ok = timeArg(a[2], loc); !ok {
			return Value{}, &Error{Pos: -1, Msg: "invalid origin " + quote(a[2].String())}
		}
	}
	if ceil {
		return long(p.ceil(ms, loc, origin)), nil
	}
	return long(p.floor(ms, loc, origin)), nil
}

// periodArgs reads the arguments the period functions share: the time
// (a[0]), the ISO-8601 period (a[1]) and the optional time zone (a[3]).
// ok is false when the time is not one (the answer is then null).
func (c *fctx) periodArgs(a []Value) (p period, loc *time.Location, ms int64, ok bool, err error) {
	if p, err = parsePeriod(a[1].String()); err != nil {
		return p, nil, 0, false, err
	}
	loc = c.loc
	if len(a) == 4 {
		if loc, err = c.location(a[3]); err != nil {
			return p, nil, 0, false, err
		}
	}
	ms, ok = timeArg(a[0], loc)
	return p, loc, ms, ok, nil
}

// jodaLayout converts a Joda/Java time pattern (as the LTS docs use, e.g.
// yyyy-MM-dd HH:mm:ss) into a Go layout.
func jodaLayout(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				b.WriteString(p[i+1:])
				break
			}
			b.WriteString(p[i+1 : i+1+j])
			i += j + 2
			continue
		}
		j := i
		for j < len(p) && p[j] == c {
			j++
		}
		n := j - i
		switch c {
		case 'y', 'Y', 'u':
			b.WriteString(byLength(n, "2006", "06", "2006"))
		case 'M':
			b.WriteString(byLength(n, "1", "01", "Jan", "January"))
		case 'd':
			b.WriteString(byLength(n, "2", "02"))
		case 'H':
			b.WriteString("15")
		case 'h':
			b.WriteString(byLength(n, "3", "03"))
		case 'm':
			b.WriteString(byLength(n, "4", "04"))
		case 's':
			b.WriteString(byLength(n, "5", "05"))
		case 'S':
			b.WriteString(strings.Repeat("0", n))
		case 'a':
			b.WriteString("PM")
		case 'E':
			b.WriteString(byLength(n, "Mon", "Mon", "Mon", "Monday"))
		case 'Z', 'X', 'x':
			b.WriteString(byLength(n, "-0700", "-07:00"))
		case 'z':
			b.WriteString("MST")
		default:
			b.WriteString(p[i:j])
		}
		i = j
	}
	return b.String()
}

// byLength picks the Go layout element for a pattern letter repeated n
// times: forms[n-1], or the last form for longer runs.
func byLength(n int, forms ...string) string {
	return forms[min(n, len(forms))-1]
}

const defaultTimeLayout = "2006-01-02 15:04:05.000"

var truncUnits = map[string]string{
	"second": "PT1S", "minute": "PT1M", "hour": "PT1H", "day": "P1D", "week": "P1W",
	"month": "P1M", "quarter": "P3M", "year": "P1Y",
}

func initTimeFuncs() {
	def("time_floor", 2, 4, fixed(Long), func(c *fctx, a []Value) (Value, error) { return c.roundTime(a, false) })
	def("time_ceil", 2, 4, fixed(Long), func(c *fctx, a []Value) (Value, error) { return c.roundTime(a, true) })
	def("time_shift", 3, 4, fixed(Long), func(c *fctx, a []Value) (Value, error) {
		p, loc, ms, ok, err := c.periodArgs(a)
		if err != nil || !ok {
			return Value{}, err
		}
		return long(p.shift(ms, a[2].asLong(), loc)), nil
	})
	def("date_trunc", 2, 2, fixed(Long), func(c *fctx, a []Value) (Value, error) {
		spec, ok := truncUnits[strings.ToLower(a[0].String())]
		if !ok {
			return Value{}, &Error{Pos: -1, Msg: "unsupported date_trunc unit " + quote(a[0].String())}
		}
		return c.roundTime([]Value{a[1], str(spec)}, false)
	})
	def("time_format", 1, 3, fixed(String), func(c *fctx, a []Value) (Value, error) {
		if a[0].isNull() {
			return Value{}, nil
		}
		loc := c.loc
		var err error
		if len(a) == 3 {
			if loc, err = c.location(a[2]); err != nil {
				return Value{}, err
			}
		}
		ms, ok := timeArg(a[0], loc)
		if !ok {
			return Value{}, nil
		}
		layout := defaultTimeLayout
		if len(a) >= 2 && !a[1].isNull() {
			layout = jodaLayout(a[1].String())
		}
		return str(time.UnixMilli(ms).In(loc).Format(layout)), nil
	})
	def("from_unixtime", 1, 2, fixed(String), func(c *fctx, a []Value) (Value, error) {
		loc := c.loc
		var err error
		if len(a) == 2 {
			if loc, err = c.location(a[1]); err != nil {
				return Value{}, err
			}
		}
		return str(time.UnixMilli(a[0].asLong()).In(loc).Format(defaultTimeLayout)), nil
	})
	def("time_parse", 1, 3, fixed(Long), func(c *fctx, a []Value) (Value, error) {
		if a[0].isNull() {
			return Value{}, nil
		}
		loc := c.loc
		var err error
		if len(a) == 3 {
			if loc, err = c.location(a[2]); err != nil {
				return Value{}, err
			}
		}
		if len(a) == 1 || a[1].isNull() {
			ms, ok := timeArg(str(a[0].String()), loc)
			if !ok {
				return Value{}, nil
			}
			return long(ms), nil
		}
		t, err := time.ParseInLocation(jodaLayout(a[1].String()), a[0].String(), loc)
		if err != nil {
			return Value{}, nil
		}
		return long(t.UnixMilli()), nil
	})
	// Optional arguments (origin, pattern, time zone) may be null.
	for _, name := range []string{"time_floor", "time_ceil", "time_format", "time_parse"} {
		funcs[name].nullSafe = true
	}
	now := func(c *fctx, _ []Value) (Value, error) { return long(c.now), nil }
	def("current_timestamp", 0, 0, fixed(Long), now)
	def("now", 0, 0, fixed(Long), now)
}
