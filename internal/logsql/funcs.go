package logsql

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"
	"unicode/utf8"
)

// funcDef describes a function. Scalar functions are evaluated per row on
// Values (they are not on the hot path of the benchmarks); aggregates are
// implemented in agg.go and only use name, arity and ret here.
type funcDef struct {
	name             string
	agg              bool
	minArgs, maxArgs int // maxArgs -1: variadic
	ret              func(args []Type) Type
	// nullSafe functions see null arguments; others return null when any
	// argument is null.
	nullSafe bool
	eval     func(c *fctx, a []Value) (Value, error)
}

// fctx is the per-worker context scalar functions run in.
type fctx struct {
	// ctx is the query's: row loops that may be slow ask stopped.
	ctx     context.Context
	loc     *time.Location
	now     int64
	regexps map[string]*boundedRegexp
}

// stopped reports whether the query was cancelled or ran out of time.
func (c *fctx) stopped() bool { return c.ctx.Err() != nil }

// Bounds on the regular expressions of regexp_like and regexp_extract.
// Matching takes time proportional to the text's length times the
// compiled program's size, and one match cannot be interrupted, so both
// are bounded: the program, and their product on each value (which keeps
// one match within a few hundred milliseconds at worst).
const (
	MaxRegexpLength = 1024    // bytes of the pattern
	maxRegexpInsts  = 200     // instructions of the compiled program
	maxRegexpWork   = 1 << 24 // instructions times bytes of one value
)

// boundedRegexp is a compiled pattern and its size.
type boundedRegexp struct {
	re    *regexp.Regexp
	insts int
}

// on returns the pattern to match against s, or an error when the match
// could take too long.
func (b *boundedRegexp) on(s string) (*regexp.Regexp, error) {
	if b.insts*len(s) > maxRegexpWork {
		return nil, &Error{Pos: -1, Msg: fmt.Sprintf("a regular expression of %d steps over a value of %d bytes is too much work (at most %d steps times bytes); use a simpler pattern or narrow the rows first", b.insts, len(s), maxRegexpWork)}
	}
	return b.re, nil
}

func (c *fctx) regexp(pattern string) (*boundedRegexp, error) {
	if re, ok := c.regexps[pattern]; ok {
		return re, nil
	}
	re, err := compileRegexp(pattern)
	if err != nil {
		return nil, err
	}
	if len(c.regexps) > 256 {
		clear(c.regexps)
	}
	c.regexps[pattern] = re
	return re, nil
}

// compileRegexp compiles a query's regular expression within the bounds.
func compileRegexp(pattern string) (*boundedRegexp, error) {
	bad := func(why string) error {
		return &Error{Pos: -1, Msg: "invalid regular expression " + quote(pattern) + ": " + why}
	}
	if len(pattern) > MaxRegexpLength {
		return nil, bad(fmt.Sprintf("it is %d bytes long, at most %d are allowed", len(pattern), MaxRegexpLength))
	}
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, bad(err.Error())
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, bad(err.Error())
	}
	if len(prog.Inst) > maxRegexpInsts {
		return nil, bad(fmt.Sprintf("it compiles to %d steps, at most %d are allowed; use fewer or smaller repetitions", len(prog.Inst), maxRegexpInsts))
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, bad(err.Error())
	}
	return &boundedRegexp{re: re, insts: len(prog.Inst)}, nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func fixed(t Type) func([]Type) Type { return func([]Type) Type { return t } }

// numericOf is Long for integer-like arguments, Float otherwise.
func numericOf(args []Type) Type {
	if len(args) > 0 && (args[0] == Long || args[0] == Bool) {
		return Long
	}
	return Float
}

func sameAsFirst(args []Type) Type {
	if len(args) == 0 {
		return Null
	}
	return args[0]
}

func unifyAll(args []Type) Type {
	t := Null
	for _, a := range args {
		t = unify(t, a)
	}
	return t
}

var funcs = map[string]*funcDef{}

// aliases maps alternative names to the canonical function name.
var aliases = map[string]string{
	"substring": "substr", "position": "strpos", "pow": "power", "ceiling": "ceil",
	"date_format": "time_format", "millis_to_timestamp": "from_unixtime", "char_length": "length",
	"approx_count_distinct": "approx_distinct", "ifnull": "coalesce", "nvl": "coalesce",
}

func lookupFunc(name string) *funcDef {
	if a, ok := aliases[name]; ok {
		name = a
	}
	return funcs[name]
}

func def(name string, min, max int, ret func([]Type) Type, eval func(c *fctx, a []Value) (Value, error)) {
	funcs[name] = &funcDef{name: name, minArgs: min, maxArgs: max, ret: ret, eval: eval}
}

func str(s string) Value    { return Value{Type: String, Str: s} }
func long(n int64) Value    { return Value{Type: Long, Long: n} }
func float(f float64) Value { return Value{Type: Float, Float: f} }
func boolean(b bool) Value  { return Value{Type: Bool, Bool: b} }

// floatOrNull turns NaN and infinities (sqrt(-1), ln(0)) into null.
func floatOrNull(f float64) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}
	}
	return float(f)
}

func init() {
	for _, a := range []struct {
		name     string
		min, max int
		ret      func([]Type) Type
	}{
		{"count", 0, 1, fixed(Long)},
		{"sum", 1, 1, numericOf},
		{"avg", 1, 1, fixed(Float)},
		{"min", 1, 1, sameAsFirst},
		{"max", 1, 1, sameAsFirst},
		{"earliest", 1, 1, sameAsFirst},
		{"latest", 1, 1, sameAsFirst},
		{"approx_distinct", 1, 1, fixed(Long)},
		{"approx_quantile_ds", 2, 2, fixed(Float)},
	} {
		funcs[a.name] = &funcDef{name: a.name, agg: true, minArgs: a.min, maxArgs: a.max, ret: a.ret}
	}

	// String functions. Positions are 1-based and count characters.
	def("lower", 1, 1, fixed(String), func(_ *fctx, a []Value) (Value, error) { return str(strings.ToLower(a[0].String())), nil })
	def("upper", 1, 1, fixed(String), func(_ *fctx, a []Value) (Value, error) { return str(strings.ToUpper(a[0].String())), nil })
	def("length", 1, 1, fixed(Long), func(_ *fctx, a []Value) (Value, error) {
		return long(int64(utf8.RuneCountInString(a[0].String()))), nil
	})
	def("reverse", 1, 1, fixed(String), func(_ *fctx, a []Value) (Value, error) {
		r := []rune(a[0].String())
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return str(string(r)), nil
	})
	def("substr", 2, 3, fixed(String), func(_ *fctx, a []Value) (Value, error) {
		r := []rune(a[0].String())
		start := a[1].asLong()
		if start < 0 {
			start = int64(len(r)) + start + 1
		}
		if start < 1 {
			start = 1
		}
		if start > int64(len(r)) {
			return str(""), nil
		}
		end := int64(len(r))
		if len(a) == 3 {
			n := a[2].asLong()
			if n < 0 {
				return str(""), nil
			}
			if start-1+n < end {
				end = start - 1 + n
			}
		}
		return str(string(r[start-1 : end])), nil
	})
	funcs["concat"] = &funcDef{name: "concat", minArgs: 1, maxArgs: -1, ret: fixed(String),
		eval: func(_ *fctx, a []Value) (Value, error) {
			var b strings.Builder
			for _, v := range a {
				b.WriteString(v.String())
			}
			return str(b.String()), nil
		}}
	def("trim", 1, 1, fixed(String), func(_ *fctx, a []Value) (Value, error) { return str(strings.TrimSpace(a[0].String())), nil })
	def("ltrim", 1, 1, fixed(String), func(_ *fctx, a []Value) (Value, error) {
		return str(strings.TrimLeft(a[0].String(), " \t\r\n")), nil
	})
	def("rtrim", 1, 1, fixed(String), func(_ *fctx, a []Value) (Value, error) {
		return str(strings.TrimRight(a[0].String(), " \t\r\n")), nil
	})
	def("replace", 2, 3, fixed(String), func(_ *fctx, a []Value) (Value, error) {
		to := ""
		if len(a) == 3 {
			to = a[2].String()
		}
		if a[1].String() == "" {
			return str(a[0].String()), nil
		}
		return str(strings.ReplaceAll(a[0].String(), a[1].String(), to)), nil
	})
	def("strpos", 2, 2, fixed(Long), func(_ *fctx, a []Value) (Value, error) {
		s, sub := a[0].String(), a[1].String()
		i := strings.Index(s, sub)
		if i < 0 {
			return long(0), nil
		}
		return long(int64(utf8.RuneCountInString(s[:i])) + 1), nil
	})
	def("split_part", 3, 3, fixed(String), func(_ *fctx, a []Value) (Value, error) {
		idx := a[2].asLong()
		if idx < 1 {
			return Value{}, &Error{Pos: -1, Msg: "split_part index must be at least 1"}
		}
		parts := strings.Split(a[0].String(), a[1].String())
		if idx > int64(len(parts)) {
			return Value{}, nil
		}
		return str(parts[idx-1]), nil
	})
	def("starts_with", 2, 2, fixed(Bool), func(_ *fctx, a []Value) (Value, error) {
		return boolean(strings.HasPrefix(a[0].String(), a[1].String())), nil
	})
	def("ends_with", 2, 2, fixed(Bool), func(_ *fctx, a []Value) (Value, error) {
		return boolean(strings.HasSuffix(a[0].String(), a[1].String())), nil
	})
	def("regexp_like", 2, 2, fixed(Bool), func(c *fctx, a []Value) (Value, error) {
		b, err := c.regexp(a[1].String())
		if err != nil {
			return Value{}, err
		}
		text := a[0].String()
		re, err := b.on(text)
		if err != nil {
			return Value{}, err
		}
		return boolean(re.MatchString(text)), nil
	})
	def("regexp_extract", 2, 3, fixed(String), func(c *fctx, a []Value) (Value, error) {
		b, err := c.regexp(a[1].String())
		if err != nil {
			return Value{}, err
		}
		text := a[0].String()
		re, err := b.on(text)
		if err != nil {
			return Value{}, err
		}
		m := re.FindStringSubmatch(text)
		if m == nil {
			return Value{}, nil
		}
		g := int64(0)
		if len(a) == 3 {
			g = a[2].asLong()
		}
		if g < 0 || g >= int64(len(m)) {
			return Value{}, &Error{Pos: -1, Msg: "regexp_extract group index out of range"}
		}
		return str(m[g]), nil
	})
	pad := func(left bool) func(*fctx, []Value) (Value, error) {
		return func(_ *fctx, a []Value) (Value, error) {
			s, n, fill := []rune(a[0].String()), a[1].asLong(), []rune(a[2].String())
			if n < 0 || n > 1<<20 {
				return Value{}, &Error{Pos: -1, Msg: "pad length must be between 0 and 1048576"}
			}
			if int64(len(s)) >= n {
				return str(string(s[:n])), nil
			}
			if len(fill) == 0 {
				return str(string(s)), nil
			}
			p := make([]rune, 0, n)
			for int64(len(p)) < n-int64(len(s)) {
				p = append(p, fill[len(p)%len(fill)])
			}
			if left {
				return str(string(p) + string(s)), nil
			}
			return str(string(s) + string(p)), nil
		}
	}
	def("lpad", 3, 3, fixed(String), pad(true))
	def("rpad", 3, 3, fixed(String), pad(false))

	// Math functions.
	def("abs", 1, 1, numericOf, func(_ *fctx, a []Value) (Value, error) {
		if a[0].Type == Long || a[0].Type == Bool {
			n := a[0].asLong()
			if n < 0 {
				n = -n
			}
			return long(n), nil
		}
		return float(math.Abs(a[0].asFloat())), nil
	})
	def("sign", 1, 1, numericOf, func(_ *fctx, a []Value) (Value, error) {
		f := a[0].asFloat()
		s := 0.0
		if f > 0 {
			s = 1
		} else if f < 0 {
			s = -1
		}
		if a[0].Type == Long || a[0].Type == Bool {
			return long(int64(s)), nil
		}
		return float(s), nil
	})
	def("round", 1, 2, numericOf, func(_ *fctx, a []Value) (Value, error) {
		d := int64(0)
		if len(a) == 2 {
			d = a[1].asLong()
		}
		if a[0].Type == Long || a[0].Type == Bool {
			n := a[0].asLong()
			if d >= 0 {
				return long(n), nil
			}
			if d < -18 {
				return long(0), nil
			}
			p := int64(math.Pow10(int(-d)))
			return long(int64(math.Round(float64(n)/float64(p))) * p), nil
		}
		f := a[0].asFloat()
		if d > 15 || d < -15 {
			return float(f), nil
		}
		p := math.Pow10(int(d))
		return float(math.Round(f*p) / p), nil
	})
	def("ceil", 1, 1, numericOf, func(_ *fctx, a []Value) (Value, error) {
		if a[0].Type == Long || a[0].Type == Bool {
			return long(a[0].asLong()), nil
		}
		return float(math.Ceil(a[0].asFloat())), nil
	})
	def("floor", 1, 1, numericOf, func(_ *fctx, a []Value) (Value, error) {
		if a[0].Type == Long || a[0].Type == Bool {
			return long(a[0].asLong()), nil
		}
		return float(math.Floor(a[0].asFloat())), nil
	})
	unary := func(name string, f func(float64) float64) {
		def(name, 1, 1, fixed(Float), func(_ *fctx, a []Value) (Value, error) { return floatOrNull(f(a[0].asFloat())), nil })
	}
	unary("sqrt", math.Sqrt)
	unary("ln", math.Log)
	unary("log10", math.Log10)
	unary("log2", math.Log2)
	unary("exp", math.Exp)
	def("power", 2, 2, fixed(Float), func(_ *fctx, a []Value) (Value, error) {
		return floatOrNull(math.Pow(a[0].asFloat(), a[1].asFloat())), nil
	})
	def("mod", 2, 2, func(t []Type) Type {
		if (t[0] == Long || t[0] == Bool) && (t[1] == Long || t[1] == Bool) {
			return Long
		}
		return Float
	}, func(_ *fctx, a []Value) (Value, error) {
		if (a[0].Type == Long || a[0].Type == Bool) && (a[1].Type == Long || a[1].Type == Bool) {
			d := a[1].asLong()
			if d == 0 {
				return Value{}, nil
			}
			if d == -1 {
				return long(0), nil
			}
			return long(a[0].asLong() % d), nil
		}
		d := a[1].asFloat()
		if d == 0 {
			return Value{}, nil
		}
		return float(math.Mod(a[0].asFloat(), d)), nil
	})
	extreme := func(name string, want int) {
		funcs[name] = &funcDef{name: name, minArgs: 1, maxArgs: -1, ret: unifyAll, eval: func(_ *fctx, a []Value) (Value, error) {
			best := a[0]
			for _, v := range a[1:] {
				if compareValues(v, best)*want > 0 {
					best = v
				}
			}
			return best, nil
		}}
	}
	extreme("greatest", 1)
	extreme("least", -1)

	// Conditional functions see nulls.
	funcs["coalesce"] = &funcDef{name: "coalesce", minArgs: 1, maxArgs: -1, ret: unifyAll, nullSafe: true,
		eval: func(_ *fctx, a []Value) (Value, error) {
			for _, v := range a {
				if !v.isNull() {
					return v, nil
				}
			}
			return Value{}, nil
		}}
	funcs["if"] = &funcDef{name: "if", minArgs: 2, maxArgs: 3, nullSafe: true,
		ret: func(t []Type) Type { return unifyAll(t[1:]) },
		eval: func(_ *fctx, a []Value) (Value, error) {
			if !a[0].isNull() && a[0].asBool() {
				return a[1], nil
			}
			if len(a) == 3 {
				return a[2], nil
			}
			return Value{}, nil
		}}
	funcs["nullif"] = &funcDef{name: "nullif", minArgs: 2, maxArgs: 2, nullSafe: true, ret: sameAsFirst,
		eval: func(_ *fctx, a []Value) (Value, error) {
			if !a[0].isNull() && !a[1].isNull() && compareValues(a[0], a[1]) == 0 {
				return Value{}, nil
			}
			return a[0], nil
		}}

	initTimeFuncs()
}
