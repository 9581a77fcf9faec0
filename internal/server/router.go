package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"logtank/internal/iam"
	"logtank/internal/wire"
	"logtank/internal/workpool"
)

// errNoRoute is the API-gateway answer for a path no service serves.
var errNoRoute = &wire.Error{Status: http.StatusNotFound, Code: "APIGW.0101", Msg: "The API does not exist or has not been published in the environment"}

type router struct {
	log     *slog.Logger
	auth    *iam.Service
	mux     *http.ServeMux
	metrics *metrics
}

func newRouter(log *slog.Logger, auth *iam.Service, reg *prometheus.Registry, svcs []wire.Service) http.Handler {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rt := &router{log: log, auth: auth, mux: http.NewServeMux(), metrics: newMetrics(reg)}
	for _, svc := range svcs {
		for _, r := range svc.Routes {
			rt.mux.Handle(r.Method+" "+r.Pattern, rt.wrap(svc, r))
		}
	}
	rt.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	scrape := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	rt.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if err := rt.authenticateScrape(r); err != nil {
			wire.WriteError(w, errUnauthorizedScrape.WithMsg("%s", err.Error()))
			return
		}
		scrape.ServeHTTP(w, r)
	})
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { wire.WriteError(w, errNoRoute) })
	return rt
}

var errUnauthorizedScrape = &wire.Error{Status: http.StatusUnauthorized, Code: "APIGW.0301", Msg: "Incorrect IAM authentication information"}

// authenticateScrape accepts the operator domain's admins, by token, AK/SK
// signature, or HTTP basic auth with AK as user and SK as password, which
// Prometheus scrapers support natively: the metrics cover every tenant.
func (rt *router) authenticateScrape(r *http.Request) error {
	p, err := rt.authenticate(r, nil, true)
	if err == nil && !p.Operator {
		err = errors.New("the server's metrics are for the operator domain's admins")
	}
	return err
}

// ServeHTTP stamps every response with a request id before routing, so that
// every answer, the 404 included, carries one.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", strings.ReplaceAll(uuid.NewString(), "-", ""))
	rt.mux.ServeHTTP(w, r)
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (rt *router) wrap(svc wire.Service, route wire.Route) http.Handler {
	limit := svc.BodyLimit
	if limit == 0 {
		limit = DefaultBodyLimit
	}
	label := route.Method + " " + route.Pattern
	needsProject := strings.Contains(route.Pattern, "{project_id}")
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		rt.metrics.inFlight.Inc()
		defer func() {
			rt.metrics.inFlight.Dec()
			p := recover()
			// ErrAbortHandler (a forwarded answer cut off midway) is
			// raised again below, so that net/http breaks the connection
			// and the client cannot take a truncated answer for a whole one.
			if p != nil && p != http.ErrAbortHandler {
				rt.log.Error("handler panic", "route", label, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if w.status == 0 {
					wire.WriteError(w, svc.Errors.Internal())
				}
			}
			if p == http.ErrAbortHandler {
				defer panic(p)
			}
			code := strconv.Itoa(w.status)
			d := time.Since(start)
			rt.metrics.requests.WithLabelValues(svc.Name, label, code).Inc()
			rt.metrics.duration.WithLabelValues(svc.Name, label).Observe(d.Seconds())
			attrs := []any{"method", r.Method, "path", r.URL.Path, "route", label, "status", w.status,
				"bytes", w.bytes, "duration_ms", float64(d.Microseconds()) / 1000, "request_id", w.Header().Get("X-Request-Id")}
			if w.status == StatusClientClosed {
				attrs = append(attrs, "outcome", "the client closed the request before the answer")
			}
			rt.log.Info("request", attrs...)
		}()
		if err := rt.serve(w, r, svc, route, limit, needsProject); err != nil {
			rt.renderError(w, r, svc, label, err)
		}
	})
}

func (rt *router) serve(w http.ResponseWriter, r *http.Request, svc wire.Service, route wire.Route, limit int64, needsProject bool) error {
	body, err := readBody(w, r, limit)
	if errors.Is(err, errTooLarge) {
		return svc.Errors.TooLarge(limit)
	}
	if err != nil {
		return svc.Errors.Invalid("the request body could not be read: " + err.Error())
	}
	ctx := wire.WithBody(r.Context(), body)
	if !route.Public {
		p, err := rt.authenticate(r, body, svc.BasicAuth)
		if err != nil {
			var ae *iam.AuthError
			if errors.As(err, &ae) {
				return svc.Errors.Unauthenticated(ae.Reason)
			}
			return err
		}
		if needsProject {
			if err := rt.auth.AuthorizeProject(p, r.PathValue("project_id"), r.Header.Get("X-Project-Id")); err != nil {
				return svc.Errors.WrongProject()
			}
		}
		ctx = iam.WithPrincipal(ctx, p)
	}
	return route.Handle(w, r.WithContext(ctx))
}

// authenticate identifies the caller of r by token or signature and, when
// basic is set, by HTTP basic auth with an access key and its secret.
func (rt *router) authenticate(r *http.Request, body []byte, basic bool) (iam.Principal, error) {
	if ak, sk, ok := r.BasicAuth(); basic && ok {
		return rt.auth.AuthenticateKey(ak, sk)
	}
	return rt.auth.Authenticate(r, body)
}

var errTooLarge = errors.New("request body too large")

// initialBody is the most a request's declared length reserves up front.
const initialBody = 1 << 20

// readBody reads the whole body, which signature verification hashes, but
// refuses one over limit without reading it all: at once when the declared
// length is too large, else as soon as the limit is passed.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	// The buffer grows with the bytes that actually arrive: a declared
	// length reserves at most initialBody before anyone is authenticated,
	// so a client that claims a large body and sends none holds little.
	buf := make([]byte, 0, min(max(r.ContentLength, 512), initialBody))
	var err error
	for err == nil {
		if len(buf) == cap(buf) {
			if r.ContentLength > 0 && int64(len(buf)) == r.ContentLength {
				// The declared length has arrived: confirm the end without
				// growing (and copying) the buffer.
				var extra [1]byte
				var n int
				n, err = body.Read(extra[:])
				if n > 0 {
					err = errors.New("the body is longer than its Content-Length")
				}
				break
			}
			buf = append(buf, 0)[:len(buf)]
		}
		var n int
		n, err = body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
	}
	if err == io.EOF {
		err = nil
	}
	if err == nil && r.ContentLength > 0 && int64(len(buf)) != r.ContentLength {
		err = errors.New("the body is not as long as its Content-Length")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// StatusClientClosed is the status logged and counted for a request whose
// client went away before its answer (nginx's convention): the work was
// abandoned, not failed, so it is neither an error in the server's log nor
// a 5xx in its metrics.
const StatusClientClosed = 499

func (rt *router) renderError(w http.ResponseWriter, r *http.Request, svc wire.Service, label string, err error) {
	var in *wire.Internal
	var we *wire.Error
	gone := r.Context().Err() != nil
	// A failure of the server's own is logged even when its client has
	// gone: only the client's leaving itself is not an error.
	if !(gone && errors.Is(err, context.Canceled)) {
		switch {
		case errors.As(err, &in):
			attrs := []any{"route", label, "error", in.Cause, "request_id", w.Header().Get("X-Request-Id")}
			var pe *workpool.PanicError
			if errors.As(err, &pe) {
				attrs = append(attrs, "stack", string(pe.Stack))
			}
			rt.log.Error("request failed", attrs...)
		case !errors.As(err, &we):
			rt.log.Error("request failed", "route", label, "error", err, "request_id", w.Header().Get("X-Request-Id"))
		}
	}
	switch {
	case gone:
		// Nobody reads this answer; the status is for the log and metrics.
		w.WriteHeader(StatusClientClosed)
	case in != nil:
		wire.WriteError(w, in.Err)
	case we != nil:
		wire.WriteError(w, we)
	default:
		wire.WriteError(w, svc.Errors.Internal())
	}
}
