package logsql

import (
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// aggState is the per-worker state of one aggregate over all groups, held
// in flat slices indexed by group id.
type aggState interface {
	// grow makes room for n groups.
	grow(n int)
	// update folds the selected rows of x into their groups; ts is the
	// __time column (EARLIEST/LATEST only).
	update(gids, sel []int32, x, ts *Column)
	// merge folds another worker's state in; mapping[g] is the group in
	// this state of the other's group g.
	merge(o aggState, mapping []int32)
	result(g int) Value
	// mem estimates the bytes held.
	mem() int64
}

func growTo[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

func newAggState(e *expr, seed maphash.Seed) aggState {
	var xt Type = Null
	if len(e.args) > 0 && e.args[0].kind != eStar {
		xt = e.args[0].typ
	}
	switch e.name {
	case "count":
		if e.distinct {
			return &distinctAgg{}
		}
		return &countAgg{star: len(e.args) == 1 && e.args[0].kind == eStar}
	case "sum":
		if xt == Long || xt == Bool {
			return &sumLongAgg{}
		}
		return &sumFloatAgg{}
	case "avg":
		return &avgAgg{}
	case "min", "max":
		return &minMaxAgg{max: e.name == "max", typ: xt}
	case "earliest", "latest":
		return &pickAgg{latest: e.name == "latest"}
	case "approx_distinct":
		return &hllAgg{seed: seed}
	case "approx_quantile_ds":
		return &quantileAgg{q: e.args[1].val.asFloat()}
	}
	panic("logsql: unknown aggregate " + e.name)
}

type countAgg struct {
	star bool
	n    []int64
}

func (a *countAgg) grow(n int)                             { a.n = growTo(a.n, n) }
func (a *countAgg) update(gids, sel []int32, x, _ *Column) { a.updateWeighted(gids, sel, x, nil) }

// updateWeighted is update where row r stands for weights[r] rows (one
// each when weights is nil).
func (a *countAgg) updateWeighted(gids, sel []int32, x *Column, weights []int64) {
	n := a.n
	weight := func(r int32) int64 {
		if weights == nil {
			return 1
		}
		return weights[r]
	}
	switch {
	case a.star || x.Type != Null && x.Null == nil:
		for _, r := range sel {
			n[gids[r]] += weight(r)
		}
	case x.Type == Null:
	default:
		for _, r := range sel {
			if !x.Null[r] {
				n[gids[r]] += weight(r)
			}
		}
	}
}

func (a *countAgg) merge(o aggState, m []int32) {
	for g, v := range o.(*countAgg).n {
		a.n[m[g]] += v
	}
}
func (a *countAgg) result(g int) Value { return long(a.n[g]) }
func (a *countAgg) mem() int64         { return int64(len(a.n)) * 8 }

// sumLongAgg sums integers exactly; a group whose sum overflows int64
// continues in float64 and reports a float.
type sumLongAgg struct {
	s   []int64
	f   []float64
	ovf []bool
	cnt []int64
}

func (a *sumLongAgg) grow(n int) {
	a.s, a.f, a.ovf, a.cnt = growTo(a.s, n), growTo(a.f, n), growTo(a.ovf, n), growTo(a.cnt, n)
}
func (a *sumLongAgg) add(g int32, v int64) {
	s := a.s[g]
	ns := s + v
	if (s^ns)&(v^ns) < 0 {
		a.f[g] += float64(s) + float64(v)
		a.s[g] = 0
		a.ovf[g] = true
	} else {
		a.s[g] = ns
	}
	a.cnt[g]++
}
func (a *sumLongAgg) update(gids, sel []int32, x, _ *Column) {
	if x.Type == Null {
		return
	}
	for _, r := range sel {
		if x.Null == nil || !x.Null[r] {
			a.add(gids[r], x.Long[r])
		}
	}
}
func (a *sumLongAgg) merge(o aggState, m []int32) {
	b := o.(*sumLongAgg)
	for g := range b.s {
		t := m[g]
		if b.cnt[g] == 0 {
			continue
		}
		c := a.cnt[t]
		a.add(t, b.s[g])
		a.cnt[t] = c + b.cnt[g]
		if b.ovf[g] {
			a.f[t] += b.f[g]
			a.ovf[t] = true
		}
	}
}
func (a *sumLongAgg) result(g int) Value {
	switch {
	case a.cnt[g] == 0:
		return Value{}
	case a.ovf[g]:
		return float(a.f[g] + float64(a.s[g]))
	}
	return long(a.s[g])
}
func (a *sumLongAgg) mem() int64 { return int64(len(a.s)) * 25 }

type sumFloatAgg struct {
	s   []float64
	cnt []int64
}

func (a *sumFloatAgg) grow(n int) { a.s, a.cnt = growTo(a.s, n), growTo(a.cnt, n) }
func (a *sumFloatAgg) update(gids, sel []int32, x, _ *Column) {
	if x.Type == Null {
		return
	}
	for _, r := range sel {
		if x.Null == nil || !x.Null[r] {
			g := gids[r]
			a.s[g] += floatAt(x, r)
			a.cnt[g]++
		}
	}
}
func (a *sumFloatAgg) merge(o aggState, m []int32) {
	b := o.(*sumFloatAgg)
	for g := range b.s {
		a.s[m[g]] += b.s[g]
		a.cnt[m[g]] += b.cnt[g]
	}
}
func (a *sumFloatAgg) result(g int) Value {
	if a.cnt[g] == 0 {
		return Value{}
	}
	return float(a.s[g])
}
func (a *sumFloatAgg) mem() int64 { return int64(len(a.s)) * 16 }

// floatAt reads row r of a non-null numeric or string column as a float.
func floatAt(x *Column, r int32) float64 {
	switch x.Type {
	case Float:
		return x.Float[r]
	case Long, Bool:
		return float64(x.Long[r])
	case String:
		return parseFloat(x.Str[r])
	}
	return 0
}

type avgAgg struct {
	s   []float64
	cnt []int64
}

func (a *avgAgg) grow(n int) { a.s, a.cnt = growTo(a.s, n), growTo(a.cnt, n) }
func (a *avgAgg) update(gids, sel []int32, x, _ *Column) {
	s, cnt := a.s, a.cnt
	switch {
	case x.Type == Null:
	case x.Type == Long && x.Null == nil:
		xs := x.Long
		for _, r := range sel {
			g := gids[r]
			s[g] += float64(xs[r])
			cnt[g]++
		}
	case x.Type == Float && x.Null == nil:
		xs := x.Float
		for _, r := range sel {
			g := gids[r]
			s[g] += xs[r]
			cnt[g]++
		}
	default:
		for _, r := range sel {
			if x.Null == nil || !x.Null[r] {
				g := gids[r]
				s[g] += floatAt(x, r)
				cnt[g]++
			}
		}
	}
}
func (a *avgAgg) merge(o aggState, m []int32) {
	b := o.(*avgAgg)
	for g := range b.s {
		a.s[m[g]] += b.s[g]
		a.cnt[m[g]] += b.cnt[g]
	}
}
func (a *avgAgg) result(g int) Value {
	if a.cnt[g] == 0 {
		return Value{}
	}
	return float(a.s[g] / float64(a.cnt[g]))
}
func (a *avgAgg) mem() int64 { return int64(len(a.s)) * 16 }

type minMaxAgg struct {
	max  bool
	typ  Type
	has  []bool
	l    []int64
	f    []float64
	s    []string
	strB int64
}

func (a *minMaxAgg) grow(n int) {
	a.has = growTo(a.has, n)
	switch a.typ {
	case Long, Bool:
		a.l = growTo(a.l, n)
	case Float:
		a.f = growTo(a.f, n)
	case String:
		a.s = growTo(a.s, n)
	}
}
func (a *minMaxAgg) update(gids, sel []int32, x, _ *Column) {
	if x.Type == Null || x.Type != a.typ && !(a.typ == Bool && x.Type == Long) {
		return
	}
	for _, r := range sel {
		if x.Null != nil && x.Null[r] {
			continue
		}
		g := gids[r]
		switch a.typ {
		case Long, Bool:
			v := x.Long[r]
			if !a.has[g] || (v > a.l[g]) == a.max && v != a.l[g] {
				a.l[g] = v
			}
		case Float:
			v := x.Float[r]
			if !a.has[g] || (v > a.f[g]) == a.max && v != a.f[g] {
				a.f[g] = v
			}
		case String:
			v := x.Str[r]
			if !a.has[g] || (v > a.s[g]) == a.max && v != a.s[g] {
				a.strB += int64(len(v) - len(a.s[g]))
				a.s[g] = strings.Clone(v)
			}
		}
		a.has[g] = true
	}
}
func (a *minMaxAgg) merge(o aggState, m []int32) {
	b := o.(*minMaxAgg)
	sel := []int32{0}
	gid := []int32{0}
	for g := range b.has {
		if !b.has[g] {
			continue
		}
		gid[0] = m[g]
		a.update(gid, sel, single(b.result(g), a.typ), nil)
	}
}
func (a *minMaxAgg) result(g int) Value {
	if !a.has[g] {
		return Value{}
	}
	switch a.typ {
	case Long:
		return long(a.l[g])
	case Bool:
		return boolean(a.l[g] != 0)
	case Float:
		return float(a.f[g])
	}
	return str(a.s[g])
}
func (a *minMaxAgg) mem() int64 { return int64(len(a.has))*9 + int64(len(a.s))*16 + a.strB }

// single is a one-row column holding v as type t.
func single(v Value, t Type) *Column {
	c := &Column{Type: t, Long: make([]int64, 1), Float: make([]float64, 1), Str: make([]string, 1)}
	setValue(c, 0, v.convert(t))
	return c
}

// pickAgg implements EARLIEST/LATEST: the non-null value at the smallest
// (largest) __time; ties keep the first value seen.
type pickAgg struct {
	latest bool
	has    []bool
	t      []int64
	v      []Value
	strB   int64
}

func (a *pickAgg) grow(n int) { a.has, a.t, a.v = growTo(a.has, n), growTo(a.t, n), growTo(a.v, n) }
func (a *pickAgg) offer(g int32, t int64, v Value) {
	if a.has[g] && (a.latest && t <= a.t[g] || !a.latest && t >= a.t[g]) {
		return
	}
	if v.Type == String {
		v.Str = strings.Clone(v.Str)
		a.strB += int64(len(v.Str))
	}
	a.has[g], a.t[g], a.v[g] = true, t, v
}
func (a *pickAgg) update(gids, sel []int32, x, ts *Column) {
	if x.Type == Null || ts == nil || ts.Type != Long {
		return
	}
	for _, r := range sel {
		if x.IsNull(int(r)) || ts.IsNull(int(r)) {
			continue
		}
		a.offer(gids[r], ts.Long[r], x.Value(int(r)))
	}
}
func (a *pickAgg) merge(o aggState, m []int32) {
	b := o.(*pickAgg)
	for g := range b.has {
		if b.has[g] {
			a.offer(m[g], b.t[g], b.v[g])
		}
	}
}
func (a *pickAgg) result(g int) Value { return a.v[g] }
func (a *pickAgg) mem() int64         { return int64(len(a.has))*65 + a.strB }

// distinctAgg is the exact COUNT(DISTINCT x): a set per group.
type distinctAgg struct {
	longs []map[int64]struct{}
	strs  []map[string]struct{}
	bytes int64
}

func (a *distinctAgg) grow(n int) { a.longs, a.strs = growTo(a.longs, n), growTo(a.strs, n) }
func (a *distinctAgg) addLong(g int32, v int64) {
	m := a.longs[g]
	if m == nil {
		m = map[int64]struct{}{}
		a.longs[g] = m
	}
	if _, ok := m[v]; !ok {
		m[v] = struct{}{}
		a.bytes += 24
	}
}
func (a *distinctAgg) addStr(g int32, s string) {
	m := a.strs[g]
	if m == nil {
		m = map[string]struct{}{}
		a.strs[g] = m
	}
	if _, ok := m[s]; !ok {
		m[strings.Clone(s)] = struct{}{}
		a.bytes += int64(len(s)) + 40
	}
}
func (a *distinctAgg) update(gids, sel []int32, x, _ *Column) {
	switch x.Type {
	case Null:
	case Long, Bool:
		for _, r := range sel {
			if x.Null == nil || !x.Null[r] {
				a.addLong(gids[r], x.Long[r])
			}
		}
	case String:
		for _, r := range sel {
			if x.Null == nil || !x.Null[r] {
				a.addStr(gids[r], x.Str[r])
			}
		}
	case Float:
		for _, r := range sel {
			if x.Null == nil || !x.Null[r] {
				f := x.Float[r]
				if f == 0 {
					f = 0
				}
				a.addLong(gids[r], int64(math.Float64bits(f)))
			}
		}
	}
}
func (a *distinctAgg) merge(o aggState, m []int32) {
	b := o.(*distinctAgg)
	for g, set := range b.longs {
		for v := range set {
			a.addLong(m[g], v)
		}
	}
	for g, set := range b.strs {
		for s := range set {
			a.addStr(m[g], s)
		}
	}
}
func (a *distinctAgg) result(g int) Value { return long(int64(len(a.longs[g]) + len(a.strs[g]))) }
func (a *distinctAgg) mem() int64         { return int64(len(a.longs))*16 + a.bytes }

// hllAgg is APPROX_DISTINCT: HyperLogLog with 2^12 one-byte registers per
// group (standard error 1.04/sqrt(4096) ≈ 1.6%).
type hllAgg struct {
	seed  maphash.Seed
	regs  [][]uint8
	bytes int64
}

const hllP = 12

func (a *hllAgg) grow(n int) { a.regs = growTo(a.regs, n) }
func (a *hllAgg) add(g int32, h uint64) {
	r := a.regs[g]
	if r == nil {
		r = make([]uint8, 1<<hllP)
		a.regs[g] = r
		a.bytes += 1 << hllP
	}
	idx := h >> (64 - hllP)
	rank := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1))) + 1
	if rank > r[idx] {
		r[idx] = rank
	}
}

// mix64 is the splitmix64 finaliser, a good hash for integers.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (a *hllAgg) update(gids, sel []int32, x, _ *Column) {
	for _, r := range sel {
		if x.IsNull(int(r)) {
			continue
		}
		var h uint64
		switch x.Type {
		case String:
			h = maphash.String(a.seed, x.Str[r])
		case Float:
			h = mix64(math.Float64bits(x.Float[r]))
		default:
			h = mix64(uint64(x.Long[r]))
		}
		a.add(gids[r], h)
	}
}
func (a *hllAgg) merge(o aggState, m []int32) {
	for g, r := range o.(*hllAgg).regs {
		if r == nil {
			continue
		}
		t := m[g]
		if a.regs[t] == nil {
			a.regs[t] = make([]uint8, 1<<hllP)
			a.bytes += 1 << hllP
		}
		for i, v := range r {
			if v > a.regs[t][i] {
				a.regs[t][i] = v
			}
		}
	}
}
func (a *hllAgg) result(g int) Value {
	r := a.regs[g]
	if r == nil {
		return long(0)
	}
	const m = float64(1 << hllP)
	sum, zeros := 0.0, 0
	for _, v := range r {
		sum += math.Ldexp(1, -int(v))
		if v == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	return long(int64(math.Round(est)))
}
func (a *hllAgg) mem() int64 { return int64(len(a.regs))*24 + a.bytes }

// quantileAgg is APPROX_QUANTILE_DS: a DDSketch per group with 1% relative
// accuracy. Each sign keeps at most ddMaxBuckets buckets; beyond that the
// buckets of the smallest magnitudes collapse into one, which only loses
// accuracy for the lowest quantiles of extremely wide ranges.
type quantileAgg struct {
	q        float64
	sk       []*ddSketch
	sketches int64
	buckets  int64
}

const (
	ddAlpha      = 0.01
	ddMaxBuckets = 2048
)

var ddGamma = (1 + ddAlpha) / (1 - ddAlpha)
var ddLogGamma = math.Log(ddGamma)

type ddSketch struct {
	pos, neg map[int32]int64
	zero     int64
	n        int64
	buckets  *int64 // the owning aggregate's bucket count, for memory accounting
}

func (s *ddSketch) add(v float64, c int64) {
	s.n += c
	switch {
	case v > 1e-300:
		n := len(s.pos)
		s.pos = ddAdd(s.pos, v, c)
		*s.buckets += int64(len(s.pos) - n)
	case v < -1e-300:
		n := len(s.neg)
		s.neg = ddAdd(s.neg, -v, c)
		*s.buckets += int64(len(s.neg) - n)
	default:
		s.zero += c
	}
}

func ddAdd(m map[int32]int64, v float64, c int64) map[int32]int64 {
	if m == nil {
		m = map[int32]int64{}
	}
	m[int32(math.Ceil(math.Log(v)/ddLogGamma))] += c
	if len(m) > ddMaxBuckets {
		keys := ddKeys(m)
		lo, next := keys[0], keys[1]
		m[next] += m[lo]
		delete(m, lo)
	}
	return m
}

func ddKeys(m map[int32]int64) []int32 {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func ddValue(k int32) float64 { return 2 * math.Pow(ddGamma, float64(k)) / (ddGamma + 1) }

func (s *ddSketch) quantile(q float64) float64 {
	rank := int64(q * float64(s.n-1))
	seen := int64(0)
	nk := ddKeys(s.neg)
	for i := len(nk) - 1; i >= 0; i-- {
		seen += s.neg[nk[i]]
		if seen > rank {
			return -ddValue(nk[i])
		}
	}
	seen += s.zero
	if seen > rank {
		return 0
	}
	pk := ddKeys(s.pos)
	for _, k := range pk {
		seen += s.pos[k]
		if seen > rank {
			return ddValue(k)
		}
	}
	if len(pk) > 0 {
		return ddValue(pk[len(pk)-1])
	}
	return 0
}

func (a *quantileAgg) grow(n int) { a.sk = growTo(a.sk, n) }
func (a *quantileAgg) sketch(g int32) *ddSketch {
	s := a.sk[g]
	if s == nil {
		s = &ddSketch{buckets: &a.buckets}
		a.sk[g] = s
		a.sketches++
	}
	return s
}
func (a *quantileAgg) update(gids, sel []int32, x, _ *Column) {
	if x.Type == Null {
		return
	}
	for _, r := range sel {
		if x.Null == nil || !x.Null[r] {
			a.sketch(gids[r]).add(floatAt(x, r), 1)
		}
	}
}
func (a *quantileAgg) merge(o aggState, m []int32) {
	for g, s := range o.(*quantileAgg).sk {
		if s == nil {
			continue
		}
		t := a.sketch(m[g])
		for k, c := range s.pos {
			t.add(ddValue(k), c)
		}
		for k, c := range s.neg {
			t.add(-ddValue(k), c)
		}
		if s.zero > 0 {
			t.add(0, s.zero)
		}
	}
}
func (a *quantileAgg) result(g int) Value {
	s := a.sk[g]
	if s == nil || s.n == 0 {
		return Value{}
	}
	return float(s.quantile(a.q))
}
func (a *quantileAgg) mem() int64 { return int64(len(a.sk))*8 + a.sketches*96 + a.buckets*24 }
