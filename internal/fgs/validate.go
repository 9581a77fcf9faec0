package fgs

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"logtank/internal/wire"
)

// Quotas and limits of the service, as documented.
const (
	MaxFunctionsPerProject = 400
	MaxVersionsPerFunction = 10
	MaxAliasesPerFunction  = 10
	MaxPackageBytes        = 50 << 20
	MaxInlineBytes         = 10 << 10
	MaxDescription         = 512
	MaxUserDataItems       = 20
	MaxUserDataBytes       = 4 << 10
	MinTimeout             = 3
	MaxTimeout             = 259200
	MaxEventBytes          = 6 << 20
	maxListItems           = 400
	defaultPackage         = "default"
)

// memorySizes are the memory sizes a function may have, in MB.
var memorySizes = []int64{128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096}

// instanceMemories are the sizes X-Cff-Instance-Memory may ask for.
var instanceMemories = append(slices.Clone(memorySizes), 8192, 10240)

// runtimes are the runtimes a function may declare; package runtime says
// which of them this server can run.
var runtimes = []string{
	"Java8", "Java11", "Java17", "Python2.7", "Python3.6", "Python3.9", "Python3.10", "Go1.8", "Go1.x",
	"Node.js6.10", "Node.js8.10", "Node.js10.16", "Node.js12.13", "Node.js14.18", "Node.js16.17", "Node.js18.15",
	"C#(.NET Core 2.0)", "C#(.NET Core 2.1)", "C#(.NET Core 3.1)", "C#(.NET Core 6.0)",
	"Custom", "PHP7.3", "PHP8.3", "Cangjie1.0", "http", "Custom Image",
}

var (
	funcNamePattern = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_-]{0,58}[A-Za-z0-9])?$`)
	packagePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	aliasPattern    = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$`)
	versionPattern  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,40}[A-Za-z0-9])?$`)
	paramPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	envNamePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
)

// decode reads the request body into v: FSS.0400 naming the field for a
// mistyped one, or saying the body is not JSON.
func decode(r *http.Request, v any) error {
	err := wire.Decode(wire.Body(r), v)
	var fe *wire.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fail(ErrInvalid, "%s %s", fe.Field, fe.Reason)
	default:
		return fail(ErrInvalid, "the request body is not a JSON object")
	}
}

func checkFuncName(name string) error {
	if !funcNamePattern.MatchString(name) {
		return fail(ErrFuncName, "func_name %q must be 1-60 letters, digits, '_' and '-', start with a letter and end with a letter or digit", name)
	}
	return nil
}

func checkPackage(pkg string) error {
	if !packagePattern.MatchString(pkg) {
		return fail(ErrPackage, "package %q must be 1-64 letters, digits, '_' and '-'", pkg)
	}
	return nil
}

func checkRuntime(rt string) error {
	if !slices.Contains(runtimes, rt) {
		return fail(ErrRuntime, "runtime %q is not one of %s", rt, strings.Join(runtimes, ", "))
	}
	return nil
}

// checkHandler applies FunctionGraph's "file.function" rule to the
// runtimes whose handler names a module and a function; the others name a
// program or image.
func checkHandler(rt, handler string) error {
	switch {
	case handler == "" || utf8.RuneCountInString(handler) > 128:
		return fail(ErrHandler, "handler must be 1-128 characters")
	case strings.ContainsAny(handler, "/\\ \t\n") || strings.Contains(handler, ".."):
		return fail(ErrHandler, "handler %q must not hold a path, '..' or blanks", handler)
	}
	needsDot := strings.HasPrefix(rt, "Python") || strings.HasPrefix(rt, "Node.js") || strings.HasPrefix(rt, "Java") ||
		strings.HasPrefix(rt, "C#") || strings.HasPrefix(rt, "PHP")
	if needsDot && (!strings.Contains(handler, ".") || strings.HasPrefix(handler, ".") || strings.HasSuffix(handler, ".")) {
		return fail(ErrHandler, "handler %q of a %s function must be file.function, such as index.handler", handler, rt)
	}
	return nil
}

func checkMemory(mb wire.Int) error {
	if !slices.Contains(memorySizes, mb.Value) {
		return fail(ErrMemory, "memory_size %d MB is not one of %v", mb.Value, memorySizes)
	}
	return nil
}

func checkTimeout(t wire.Int) error {
	if t.Value < MinTimeout || t.Value > MaxTimeout {
		return fail(ErrTimeout, "timeout %d must be %d to %d seconds", t.Value, MinTimeout, MaxTimeout)
	}
	return nil
}

func checkDescription(field, d string) error {
	if n := utf8.RuneCountInString(d); n > MaxDescription {
		return fail(ErrDescription, "%s has %d characters, more than %d", field, n, MaxDescription)
	}
	return nil
}

// checkVersionName applies the rule of published version names; latest is
// the name of the version that changes and cannot be published.
func checkVersionName(field, v string) error {
	switch {
	case v == "latest":
		return fail(ErrVersion, "%s must not be latest: latest is the version that updates change", field)
	case !versionPattern.MatchString(v):
		return fail(ErrVersion, "%s %q must be 1-42 letters, digits, '_', '-' and '.', starting and ending with a letter or digit", field, v)
	}
	return nil
}

// parseUserData reads user_data, the function's environment variables as
// a JSON object of strings.
func parseUserData(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxUserDataBytes {
		return nil, fail(ErrUserDataSize, "user_data has %d bytes", len(s))
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fail(ErrUserData, "user_data must be a JSON object of strings, such as {\"KEY\":\"value\"}")
	}
	if len(raw) > MaxUserDataItems {
		return nil, fail(ErrUserDataItems, "user_data has %d items", len(raw))
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		if !envNamePattern.MatchString(k) || strings.HasPrefix(k, "RUNTIME_") {
			return nil, fail(ErrUserData, "user_data key %q must be a name of letters, digits, '_', '.' and '-' starting with a letter or '_', and not start with the reserved RUNTIME_", k)
		}
		switch v := v.(type) {
		case string:
			env[k] = v
		case float64, bool:
			env[k] = strings.Trim(string(mustJSON(v)), `"`)
		default:
			return nil, fail(ErrUserData, "user_data value of %q must be a string", k)
		}
	}
	return env, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// paging reads the marker (an offset) and maxitems query parameters of the
// list APIs.
func paging(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	if m := q.Get("marker"); m != "" {
		offset, err = strconv.Atoi(m)
		if err != nil || offset < 0 {
			return 0, 0, fail(ErrQuery, "marker %q must be a non-negative integer", m)
		}
	}
	limit = maxListItems
	if m := q.Get("maxitems"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return 0, 0, fail(ErrQuery, "maxitems %q must be an integer from 0 to %d", m, maxListItems)
		}
		if n > 0 && n < maxListItems {
			limit = n
		}
	}
	return offset, limit, nil
}

// page cuts items[offset:offset+limit] and returns the next marker.
func page[T any](items []T, offset, limit int) ([]T, int) {
	from := min(offset, len(items))
	to := min(from+limit, len(items))
	return items[from:to], to
}
