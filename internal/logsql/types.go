package logsql

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Type is the type of a value or a column.
type Type uint8

// The value types. Bool values are stored in Column.Long as 0 or 1.
const (
	Null Type = iota
	Bool
	Long
	Float
	String
)

func (t Type) String() string {
	switch t {
	case Bool:
		return "bool"
	case Long:
		return "long"
	case Float:
		return "float"
	case String:
		return "string"
	}
	return "null"
}

// Column is one typed column of a Batch. Only the slice matching Type is used
// (Long for Long and Bool). Null, when not nil, marks null rows.
type Column struct {
	Type  Type
	Long  []int64
	Float []float64
	Str   []string
	Null  []bool
}

// IsNull reports whether row i is null.
func (c *Column) IsNull(i int) bool {
	return c.Type == Null || (c.Null != nil && c.Null[i])
}

// Value returns row i as a Value.
func (c *Column) Value(i int) Value {
	if c.IsNull(i) {
		return Value{}
	}
	switch c.Type {
	case Bool:
		return Value{Type: Bool, Bool: c.Long[i] != 0}
	case Long:
		return Value{Type: Long, Long: c.Long[i]}
	case Float:
		return Value{Type: Float, Float: c.Float[i]}
	case String:
		return Value{Type: String, Str: c.Str[i]}
	}
	return Value{}
}

// Batch is a set of rows in columnar form. It holds at least the columns a
// Scan asked for; a missing column reads as all-null.
type Batch struct {
	Len  int
	Cols map[string]*Column
}

// ColumnInfo names a source column and its type.
type ColumnInfo struct {
	Name string
	Type Type
}

// Source provides the rows a query runs over.
type Source interface {
	// Schema lists the columns in the order SELECT * shows them.
	Schema() []ColumnInfo
	// Scan calls fn with batches holding at least the named columns. With
	// parallel > 1 it may call fn from up to parallel goroutines at once,
	// passing the worker index 0..parallel-1. When fn returns ErrStop the scan
	// ends early and Scan returns nil (or ErrStop, which Run also accepts).
	// With parallel == 1 rows arrive in the source's order.
	Scan(ctx context.Context, columns []string, parallel int, fn func(worker int, b *Batch) error) error
}

// GroupCounter is a Source that can count its rows per combination of
// some columns' values without handing each row over (from what storage
// knows of its blocks, say). Run asks it first for a query whose
// aggregates are all COUNT without DISTINCT, whose answer depends only on
// how many rows hold each combination of the columns it reads.
type GroupCounter interface {
	// CountBy returns a batch of the named columns in which row i stands
	// for counts[i] of the source's rows, together holding exactly the
	// source's rows. ok is false when it cannot count by these columns;
	// Run then scans.
	CountBy(ctx context.Context, columns []string) (b *Batch, counts []int64, ok bool, err error)
}

// HiddenColumns is a Source with columns that queries may name but that
// SELECT * does not show (system columns such as __time).
type HiddenColumns interface {
	HiddenColumns() []ColumnInfo
}

// ErrStop is returned by the scan callback when the query needs no more rows.
var ErrStop = fmt.Errorf("logsql: stop scanning")

// Options tune one Run.
type Options struct {
	// Location aligns calendar periods and formats times; nil means UTC.
	Location *time.Location
	// MaxGroups bounds the number of groups (default 1,000,000).
	MaxGroups int
	// MaxMemoryBytes bounds the engine's state (default 256 MiB).
	MaxMemoryBytes int64
	// Parallel is the number of scan workers (default 1).
	Parallel int
	// Now is the query time used by current_timestamp (default time.Now()).
	Now time.Time
}

// Defaults used when an Options field is zero.
const (
	DefaultMaxGroups      = 1_000_000
	DefaultMaxMemoryBytes = 256 << 20
)

// ResultColumn describes one output column.
type ResultColumn struct {
	Name string
	// Aggregate is the outermost aggregate function in lower case ("count",
	// "sum", ...) or "" when the column is not an aggregate.
	Aggregate string
}

// Result is the output of a query.
type Result struct {
	Columns []ResultColumn
	Rows    [][]Value
}

// Value is one typed result value; the zero Value is null.
type Value struct {
	Type  Type
	Long  int64
	Float float64
	Str   string
	Bool  bool
}

// String renders the value as responses show it: longs as integers, floats in
// the shortest form that round-trips, bools as true/false, null as "".
func (v Value) String() string {
	switch v.Type {
	case Bool:
		return strconv.FormatBool(v.Bool)
	case Long:
		return strconv.FormatInt(v.Long, 10)
	case Float:
		return strconv.FormatFloat(v.Float, 'f', -1, 64)
	case String:
		return v.Str
	}
	return ""
}

// Error is a query error: a malformed or unsupported construct (Pos is the
// 0-based byte offset in the SQL text) or an exceeded limit (Pos is -1).
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func errAt(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" at position %d", pos)}
}
