// Package server assembles logtank's HTTP server: it opens the catalog and
// the services, mounts every service's routes on one mux, and wraps them in
// the middleware all requests share: request ids, body limits,
// authentication and the project check, panic recovery, error rendering,
// the access log and the server's own metrics. /healthz (liveness),
// /readyz (whether the log engine takes writes) and /metrics live here too.
//
// It is the only package that knows about HTTP middleware; services hand it
// routes and errors (wire.Service) and never see the others.
package server
