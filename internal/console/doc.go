// Package console serves the web console at /console/: plain ES modules,
// a style sheet and the vendored uPlot, embedded in the binary, so the
// console works offline and needs no build step.
//
// The console is a client like any other: it signs in with an IAM token
// and calls the public LTS, AOM and FunctionGraph APIs. This package only
// serves its files; it must never grow an API of its own (what the console
// needs beyond the existing APIs is an API of the service it belongs to).
package console
