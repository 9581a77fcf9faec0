// Package logsql parses and executes the LTS SQL dialect (the "SQL analysis" of
// structured logs) over rows handed in as typed column batches.
//
// It owns the grammar, the expression semantics (lenient conversions, SQL
// three-valued logic), the scalar function library, the aggregates and the
// query plans (grouped aggregation with parallel partial state, early-stopping
// scans, bounded top-k). It must never read storage, know about HTTP, or format
// responses for a particular API: callers give it a Source and get typed
// Values back.
//
// # API
//
//	q, err := logsql.Parse("select y, count(*), avg(x) group by y")
//	cols := q.Columns()      // source columns the query reads
//	res, err := q.Run(ctx, src, logsql.Options{Location: time.UTC, Parallel: 2})
//
// Parse and Run return *Error for every bad query or exceeded limit; Error.Pos
// is a 0-based byte offset into the SQL text (-1 for runtime limits).
// Result.Columns gives each output column's name (alias, or the normalised
// expression text) and its outermost aggregate; Query.GroupBy names the
// group-by expressions so an API layer can add missing keys itself.
//
// # Semantics
//
// Types are Null, Bool, Long (int64), Float (float64) and String. Bool values
// are stored in Column.Long as 0/1. A string used as a number is parsed; when it
// does not parse it becomes 0 (the LTS "type default"). Null propagates through
// arithmetic, comparisons and functions; WHERE/HAVING/FILTER keep only rows whose
// condition is true. Integer division truncates; division or modulo by zero
// yields null. SUM of longs is a long (it turns into a float on overflow), AVG is
// a float, COUNT is a long. COUNT(DISTINCT x) is exact (its memory is charged
// against Options.MaxMemoryBytes); APPROX_DISTINCT is a HyperLogLog (precision
// 12, standard error about 1.6%); APPROX_QUANTILE_DS is a DDSketch with 1%
// relative value error (at most 2048 buckets per group, lowest buckets collapse
// first). EARLIEST/LATEST take the value at the smallest/largest __time.
// NULL sorts as the smallest value (first with ASC, last with DESC); ties in
// ORDER BY keep source order when Parallel is 1.
//
// Sources must hand out strings whose bytes never change (the engine reads
// them without copying and clones only the ones it keeps); they may reuse a
// batch's slices once the callback has returned.
//
// Time values are epoch milliseconds (long). time_floor/time_ceil accept ISO-8601
// periods (PTnS, PTnM, PTnH, PnD, PnW, PnM, PnY and combinations of one unit);
// calendar units (day and longer) are aligned in Options.Location or in the time
// zone given as the fourth argument.
//
// # Supported functions
//
// String: lower, upper, length, substr/substring, concat, trim, ltrim, rtrim,
// replace, strpos/position, split_part, starts_with, ends_with, reverse,
// regexp_like, regexp_extract, lpad, rpad.
// Math: abs, round, ceil/ceiling, floor, sqrt, power/pow, ln, log10, log2, exp,
// mod, sign, greatest, least.
// Conditional: coalesce, if, nullif.
// Time: time_floor, time_ceil, time_shift, date_trunc, time_format/date_format,
// from_unixtime/millis_to_timestamp (epoch ms → 'yyyy-MM-dd HH:mm:ss.SSS'),
// time_parse, current_timestamp (epoch ms).
//
// Unsupported: subqueries, joins, window functions, UNION, a FROM other than
// "log".
package logsql
