package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"logtank/internal/wire"
)

//go:embed static
var files embed.FS

// static is the console's folder, its index.html at the root.
var static, _ = fs.Sub(files, "static")

// Prefix is where the console is served.
const Prefix = "/console/"

// errNotFound is the gateway's answer for a console file that does not exist.
var errNotFound = &wire.Error{Status: http.StatusNotFound, Code: "APIGW.0101", Msg: "The API does not exist or has not been published in the environment"}

// Errors are the gateway's answers, which the console's routes share with
// the paths no service serves.
var Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error {
		return &wire.Error{Status: http.StatusUnauthorized, Code: "APIGW.0301", Msg: "Incorrect IAM authentication information: " + reason}
	},
	WrongProject: func() *wire.Error {
		return &wire.Error{Status: http.StatusForbidden, Code: "APIGW.0302", Msg: "The project is not the caller's"}
	},
	Invalid: func(reason string) *wire.Error {
		return &wire.Error{Status: http.StatusBadRequest, Code: "APIGW.0201", Msg: "Bad request: " + reason}
	},
	TooLarge: func(limit int64) *wire.Error {
		return &wire.Error{Status: http.StatusRequestEntityTooLarge, Code: "APIGW.0201", Msg: "The request body is too large"}
	},
	Internal: func() *wire.Error {
		return &wire.Error{Status: http.StatusInternalServerError, Code: "APIGW.0101", Msg: "The system encountered an internal error"}
	},
}

// API returns the console's routes: its files, public, since the page that
// signs in must load before anyone has signed in. The files hold no data.
func API() wire.Service {
	return wire.Service{
		Name:      "console",
		Errors:    Errors,
		BodyLimit: 1 << 10,
		Routes: []wire.Route{
			{Method: "GET", Pattern: "/console", Public: true, Handle: redirect},
			{Method: "GET", Pattern: "/{$}", Public: true, Handle: redirect},
			{Method: "GET", Pattern: Prefix, Public: true, Handle: serveFile},
		},
	}
}

func redirect(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, Prefix, http.StatusFound)
	return nil
}

// contentTypes are the types of the console's files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".md":   "text/plain; charset=utf-8",
}

// serveFile answers one embedded file. The console's state lives in the
// address's fragment, so every page is index.html.
func serveFile(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if name == "" {
		name = "index.html"
	}
	if strings.Contains(name, "..") || strings.HasSuffix(name, "/") {
		return errNotFound
	}
	data, err := fs.ReadFile(static, name)
	if err != nil {
		return errNotFound
	}
	ctype, ok := contentTypes[path.Ext(name)]
	if !ok {
		return errNotFound
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	return nil
}
