// Package fgs owns the FunctionGraph API: functions, their versions and
// code packages, aliases with canary routing, synchronous and asynchronous
// invocation. It holds the wire types, the validation rules, the quotas and
// the error catalogue (FSS.xxxx), resolves function URNs in all their
// accepted forms, and decides which version an invocation runs, by weight
// or by header and cookie rules for an alias.
//
// It keeps records in the catalog and hands code and execution to package
// runtime: it never touches files or processes itself, and knows nothing of
// HTTP middleware. Nodes sharing a catalog share the code packages through
// an object-storage bucket (packages.go).
package fgs
