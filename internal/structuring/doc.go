// Package structuring owns turning one raw log line into typed fields: the
// structuring rules of LTS (json, custom_regex, split, nginx and the built-in
// access-log templates), their validation and compilation into a Parser,
// and the index configuration of a stream (IndexConfig, as stored, and
// its compiled tokenizer settings).
//
// It never does I/O, never stores anything and knows nothing of HTTP
// routing or error codes. It never imports a wire package nor knows an
// API's JSON shapes: the service decodes requests into its own wire
// structs, converts them into a Rule (or an IndexConfig), stores its JSON
// (the storage form, see Rule and IndexConfig), and Compile turns it into
// a Parser for ingestion. Validation failures are *Error values naming the
// request field at fault (the names are those of the LTS v2 body, which
// the other shapes convert into); the service maps their Kind onto its own
// error catalogue.
//
// # Parsing contract
//
// Parser.Parse never drops a line and never fails: a line that does not
// match at all (a regex miss, invalid JSON, a log_format that does not fit)
// yields no fields and Result.Matched false. A matched line yields one field
// per configured field, in rule order; a value that is missing or does not
// convert to its type gets the type's default (0, 0.0 or "") and is counted
// in Result.Failed. Without a configured field list, json keeps every key
// (flattened), split names tokens field1..fieldN, and regex keeps its named
// groups.
//
// A compiled Parser is immutable and safe for concurrent use. String values
// are substrings of the line whenever the text needs no unescaping, so a
// caller that keeps fields beyond the line's lifetime must keep the line.
package structuring
