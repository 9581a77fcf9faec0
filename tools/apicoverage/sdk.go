package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// operation is one request definition of the SDK.
type operation struct {
	service string // title of the service, such as "AOM"
	version string // SDK package version, such as "v2"
	name    string
	method  string
	path    string
	query   []string // query parameters in the SDK's order
	// implemented is set by match.
	implemented bool
}

// genPrefix names the functions in a *_meta.go file that each describe one
// operation; the rest of the name is the operation's.
const genPrefix = "GenReqDefFor"

// loadService reads every version of one service from the SDK tree. Versions
// are found rather than listed so that an SDK upgrade that adds one shows up
// in the document instead of being silently skipped.
func loadService(sdkDir, title, dir string) ([]operation, error) {
	files, err := filepath.Glob(filepath.Join(sdkDir, "services", dir, "v*", "*_meta.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no services/%s/v*/*_meta.go under %s", dir, sdkDir)
	}
	var ops []operation
	for _, f := range files {
		got, err := parseMeta(f)
		if err != nil {
			return nil, err
		}
		version := filepath.Base(filepath.Dir(f))
		for i := range got {
			got[i].service, got[i].version = title, version
		}
		ops = append(ops, got...)
	}
	return ops, nil
}

// parseMeta reads the operations of one *_meta.go file. It reads the source
// rather than importing the SDK because Go cannot enumerate a package's
// functions at run time: calling the GenReqDefFor functions would need a list
// of them, and that list is what would go stale.
func parseMeta(file string) ([]operation, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var ops []operation
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, genPrefix) {
			continue
		}
		op, err := parseGen(fn)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, fn.Name.Name, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// parseGen reads one GenReqDefFor function, whose body is a chain of builder
// calls: WithMethod and WithPath on the request builder, and one
// WithRequestField per parameter.
func parseGen(fn *ast.FuncDecl) (operation, error) {
	op := operation{name: strings.TrimPrefix(fn.Name.Name, genPrefix)}
	var err error
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if err != nil {
			return false
		}
		name, args := builderCall(n)
		if len(args) != 1 {
			return true
		}
		switch name {
		case "WithMethod":
			// The SDK writes http.MethodGet and so on; the constant's
			// suffix is the method in title case.
			sel, ok := args[0].(*ast.SelectorExpr)
			if !ok || !strings.HasPrefix(sel.Sel.Name, "Method") {
				err = errors.New("WithMethod argument is not an http.Method constant")
				return false
			}
			op.method = strings.ToUpper(strings.TrimPrefix(sel.Sel.Name, "Method"))
		case "WithPath":
			op.path, err = stringArg(args[0])
		case "WithRequestField":
			var q string
			q, err = queryField(args[0])
			if q != "" {
				op.query = append(op.query, q)
			}
			// The field's own chain has been read; descending into it
			// would find nothing more.
			return false
		}
		return true
	})
	if err != nil {
		return operation{}, err
	}
	if op.method == "" || op.path == "" {
		return operation{}, errors.New("no WithMethod or WithPath")
	}
	return op, nil
}

// queryField returns the JSON tag of a request field located in the query,
// or "" for a field located elsewhere (path, header, body).
func queryField(field ast.Expr) (string, error) {
	var tag string
	query := false
	for n := ast.Node(field); ; {
		name, args := builderCall(n)
		if name == "" {
			break
		}
		switch {
		case name == "WithLocationType" && len(args) == 1:
			sel, ok := args[0].(*ast.SelectorExpr)
			query = ok && sel.Sel.Name == "Query"
		case name == "WithJsonTag" && len(args) == 1:
			var err error
			if tag, err = stringArg(args[0]); err != nil {
				return "", err
			}
		}
		n = n.(*ast.CallExpr).Fun.(*ast.SelectorExpr).X
	}
	if !query {
		return "", nil
	}
	if tag == "" {
		return "", errors.New("query field without WithJsonTag")
	}
	return tag, nil
}

// builderCall returns the method name and arguments of a call x.Name(args),
// or "" when n is not such a call.
func builderCall(n ast.Node) (string, []ast.Expr) {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return "", nil
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", nil
	}
	return sel.Sel.Name, call.Args
}

func stringArg(e ast.Expr) (string, error) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", errors.New("argument is not a string literal")
	}
	return strconv.Unquote(lit.Value)
}
