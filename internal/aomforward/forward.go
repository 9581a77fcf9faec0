// Package aomforward owns the forwarding of AOM requests from a node of a
// cluster to the cluster's metrics node, the one node that keeps the AOM
// metric store: reports, reads and Prometheus queries alike, so that every
// node answers them as that one store does.
//
// A forwarded request is the client's own, byte for byte: its method, path,
// query, Host header, signed headers and body, so that the metrics node
// verifies the client's signature (or token, or basic auth) itself and
// answers exactly as an embedded server would; its answer, success or error,
// goes back unchanged. The only answer of its own is the service's 503 when
// the metrics node cannot be reached.
//
// It never validates, stores or rewrites AOM content, and holds no
// credentials of its own.
package aomforward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"logtank/internal/wire"
)

// HeaderForwarded marks a request a node forwarded. A forwarding node that
// receives one refuses it instead of forwarding it again: two nodes naming
// each other (or a node naming itself) as the metrics node would otherwise
// pass a request between them until a connection limit ends it.
const HeaderForwarded = "X-Logtank-Forwarded"

// dialTimeout bounds how long a request waits for a connection to the
// metrics node before it is answered 503: a node that is down refuses at
// once, but one whose host is gone leaves the dial hanging.
const dialTimeout = 5 * time.Second

// Forwarder sends requests to one metrics node. It is safe for concurrent
// use and keeps its connections to the metrics node open between requests.
type Forwarder struct {
	target    *url.URL
	transport *http.Transport
	// errorLog takes what the reverse proxy reports itself, such as an
	// answer cut off midway.
	errorLog *log.Logger
}

// New returns a forwarder to the metrics node at base, an http:// or
// https:// URL with a host and no path: the path is the client's, which its
// signature covers. Failures the reverse proxy reports go to logger.
func New(base string, logger *slog.Logger) (*Forwarder, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("metrics node %q: want http://host:port or https://host:port", base)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("metrics node %q: only a scheme, a host and a port: signatures cover the client's path", base)
	}
	u.Path = ""
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Forwarder{
		target:   u,
		errorLog: slog.NewLogLogger(logger.With("component", "aomforward").Handler(), slog.LevelWarn),
		transport: &http.Transport{
			// The metrics node is a peer inside the cluster, never reached
			// through the environment's outbound proxy.
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: dialTimeout,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	}, nil
}

// Close closes the idle connections to the metrics node.
func (f *Forwarder) Close() { f.transport.CloseIdleConnections() }

// Wrap returns svc with every route's handler replaced by forwarding. The
// server still authenticates each request and applies svc's body limit
// before forwarding, as for any route, so a request it would refuse never
// travels; down is the answer, in svc's error format, when the metrics node
// cannot be reached.
func (f *Forwarder) Wrap(svc wire.Service, down *wire.Error) wire.Service {
	out := svc
	out.Routes = make([]wire.Route, len(svc.Routes))
	for i, r := range svc.Routes {
		r.Handle = f.handler(down)
		out.Routes[i] = r
	}
	return out
}

var errLoop = errors.New("a forwarded AOM request reached a node that forwards them too: --metrics-node must name a node that serves metrics itself")

// The metrics node learns of keys and projects from the shared catalog,
// which it polls every 200 ms, so for a moment it may refuse (401, 403) a
// request this node accepted: one whose key or project was just created
// through this node. Such a request is sent again every refusalWait, at
// most refusalRetries times (two seconds, ten polls, room for a loaded
// database), before the refusal goes to the client; a refusal that stands
// costs that wait.
const (
	refusalRetries = 8
	refusalWait    = 250 * time.Millisecond
)

var errRefused = errors.New("the metrics node refused credentials this node accepted")

func (f *Forwarder) handler(down *wire.Error) wire.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get(HeaderForwarded) != "" {
			return &wire.Internal{Err: down, Cause: errLoop}
		}
		// The server has read the body to verify the signature; the
		// metrics node gets the same bytes. GetBody lets the transport
		// send them again on a fresh connection when a kept-alive one
		// turns out closed (the metrics node restarted meanwhile).
		body := wire.Body(r)
		newBody := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		in := r.WithContext(r.Context())
		in.GetBody = newBody
		in.ContentLength = int64(len(body))
		in.TransferEncoding = nil

		// The answer carries the metrics node's request id, the one in
		// its log; this node's is kept for an answer of its own.
		id := w.Header().Get("X-Request-Id")
		w.Header().Del("X-Request-Id")
		for attempt := 0; ; attempt++ {
			in.Body, _ = newBody()
			var failed error
			proxy := &httputil.ReverseProxy{
				Rewrite:   f.rewrite,
				Transport: f.transport,
				ModifyResponse: func(resp *http.Response) error {
					if attempt < refusalRetries && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
						return errRefused // nothing is written: the request goes again
					}
					return nil
				},
				ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
				ErrorLog:     f.errorLog,
			}
			proxy.ServeHTTP(w, in)
			if failed == nil {
				return nil
			}
			if failed == errRefused {
				if err := wait(r.Context(), refusalWait); err == nil {
					continue
				}
			}
			w.Header().Set("X-Request-Id", id)
			if err := r.Context().Err(); err != nil {
				return err // the client left: nobody reads an answer
			}
			return &wire.Internal{Err: down, Cause: fmt.Errorf("metrics node %s: %w", f.target.Host, failed)}
		}
	}
}

// wait returns after d, or sooner with ctx's error when ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clientHeaders are the headers the reverse proxy drops before Rewrite
// (it would rebuild them for the next hop). The client may have signed
// them, so they go to the metrics node as they came.
var clientHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

func (f *Forwarder) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(f.target)
	// The signature covers the Host header: the metrics node must see the
	// one the client signed, not its own address.
	pr.Out.Host = pr.In.Host
	for _, h := range clientHeaders {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
	pr.Out.Header.Set(HeaderForwarded, "1")
}
