package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"logtank/internal/apisign"
	"logtank/internal/client"
)

// functionRow is what the function commands print of a function.
type functionRow struct {
	Name       string `json:"func_name"`
	Package    string `json:"package"`
	Runtime    string `json:"runtime"`
	Handler    string `json:"handler"`
	Memory     int    `json:"memory_size"`
	Timeout    int    `json:"timeout"`
	Version    string `json:"version"`
	CodeSize   int64  `json:"code_size"`
	Digest     string `json:"digest"`
	Modified   string `json:"last_modified"`
	VersionDoc string `json:"version_description"`
}

func (f functionRow) row() []any {
	digest := f.Digest
	if len(digest) > 12 {
		digest = digest[:12]
	}
	return []any{f.Name, f.Version, f.Runtime, f.Handler, f.Memory, f.Timeout, f.CodeSize, digest, f.Modified}
}

const functionHeader = "NAME\tVERSION\tRUNTIME\tHANDLER\tMEMORY_MB\tTIMEOUT_S\tCODE_BYTES\tDIGEST\tMODIFIED"

// functionFlags name a function: NAME, NAME:VERSION or NAME:!ALIAS, in --package.
type functionFlags struct {
	pkg string
}

func addFunctionFlags(fs *flag.FlagSet) *functionFlags {
	f := &functionFlags{}
	fs.StringVar(&f.pkg, "package", "default", "package (app) of the function")
	return f
}

// path is the API path of a function named NAME[:VERSION|:!ALIAS], in the
// URN form project:package:name[:qualifier], which the server accepts.
func (f *functionFlags) path(ctx context.Context, conn *connFlags, ref, suffix string) (string, error) {
	name, qualifier, _ := strings.Cut(ref, ":")
	if name == "" {
		return "", usagef("a function name is required")
	}
	c, err := conn.client()
	if err != nil {
		return "", err
	}
	urn := c.ProjectID + ":" + f.pkg + ":" + name
	if qualifier != "" {
		urn += ":" + qualifier
	}
	return "/v2/{project_id}/fgs/functions/" + url.PathEscape(urn) + suffix, nil
}

// codeFlags say where a function's code is: a zip file or a folder to zip.
type codeFlags struct {
	code string
}

func addCodeFlags(fs *flag.FlagSet) *codeFlags {
	c := &codeFlags{}
	fs.StringVar(&c.code, "code", "", "code: a .zip file, or a folder to zip (a Custom function needs an executable named bootstrap at its root)")
	return c
}

// body returns the code fields of a request, or nil when --code is unset.
func (c *codeFlags) body() (map[string]any, error) {
	if c.code == "" {
		return nil, nil
	}
	pkg, err := packageOf(c.code)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"code_type": "zip", "code_filename": filepath.Base(c.code),
		"func_code": map[string]string{"file": base64.StdEncoding.EncodeToString(pkg)},
	}, nil
}

// packageOf reads a zip file, or zips a folder keeping file modes, so that
// an executable bootstrap stays executable.
func packageOf(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return os.ReadFile(path)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == path {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
			_, err = zw.CreateHeader(h)
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: only regular files and folders can go into a code package", p)
		}
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// userData turns --env flags into FunctionGraph's user_data.
func userData(env tagFlag) (string, error) {
	b, err := json.Marshal(map[string]string(env))
	return string(b), err
}

func runFunctions(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "functions", args, w, map[string]func(context.Context, []string, io.Writer) error{
		"list":    functionsList,
		"create":  functionsCreate,
		"update":  functionsUpdate,
		"publish": functionsPublish,
		"alias":   functionsAlias,
		"invoke":  functionsInvoke,
		"delete":  functionsDelete,
	})
}

func functionsList(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions list", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("usage: logtank functions list [NAME]   (NAME lists its versions and aliases)")
	}
	if len(pos) == 0 {
		return call(ctx, conn, w, "GET", "/v2/{project_id}/fgs/functions", nil, nil, func(v struct {
			Functions []functionRow `json:"functions"`
		}) error {
			rows := make([][]any, 0, len(v.Functions))
			for _, f := range v.Functions {
				rows = append(rows, f.row())
			}
			return table(w, functionHeader, rows)
		})
	}
	path, err := fn.path(ctx, conn, pos[0], "/versions")
	if err != nil {
		return err
	}
	if err := call(ctx, conn, w, "GET", path, nil, nil, func(v struct {
		Versions []functionRow `json:"versions"`
	}) error {
		rows := make([][]any, 0, len(v.Versions))
		for _, f := range v.Versions {
			rows = append(rows, f.row())
		}
		return table(w, functionHeader, rows)
	}); err != nil {
		return err
	}
	if path, err = fn.path(ctx, conn, pos[0], "/aliases"); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return call(ctx, conn, w, "GET", path, nil, nil, func(v []aliasRow) error {
		rows := make([][]any, 0, len(v))
		for _, a := range v {
			rows = append(rows, a.row())
		}
		return table(w, aliasHeader, rows)
	})
}

func functionsCreate(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions create", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	code := addCodeFlags(fs)
	rt := fs.String("runtime", "Custom", "runtime: Custom, Python3.9, Node.js18.15, ...")
	handler := fs.String("handler", "", "handler (default: bootstrap for Custom, else index.handler)")
	memory := fs.Int("memory", 128, "memory size in MB")
	timeout := fs.Int("timeout", 30, "timeout in seconds")
	desc := fs.String("description", "", "description")
	env := tagFlag{}
	fs.Var(env, "env", "environment variable KEY=value (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || code.code == "" {
		return usagef("usage: logtank functions create NAME --code DIR|ZIP [--runtime Custom] [--handler H] [--memory MB] [--timeout S] [--env K=V]")
	}
	if *handler == "" {
		*handler = "index.handler"
		if *rt == "Custom" {
			*handler = "bootstrap"
		}
	}
	body, err := code.body()
	if err != nil {
		return err
	}
	body["func_name"], body["package"], body["runtime"], body["handler"] = pos[0], fn.pkg, *rt, *handler
	body["memory_size"], body["timeout"], body["description"] = *memory, *timeout, *desc
	if len(env) > 0 {
		if body["user_data"], err = userData(env); err != nil {
			return err
		}
	}
	return call(ctx, conn, w, "POST", "/v2/{project_id}/fgs/functions", nil, body, func(f functionRow) error {
		return table(w, functionHeader, [][]any{f.row()})
	})
}

// functionsUpdate changes latest: its code with --code, its settings with
// the other flags (the settings not given stay as they are).
func functionsUpdate(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions update", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	code := addCodeFlags(fs)
	rt := fs.String("runtime", "", "runtime")
	handler := fs.String("handler", "", "handler")
	memory := fs.Int("memory", 0, "memory size in MB")
	timeout := fs.Int("timeout", 0, "timeout in seconds")
	env := tagFlag{}
	fs.Var(env, "env", "environment variable KEY=value (repeatable; replaces all of them)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	settings := *rt != "" || *handler != "" || *memory != 0 || *timeout != 0 || len(env) > 0
	if len(pos) != 1 || (code.code == "" && !settings) {
		return usagef("usage: logtank functions update NAME [--code DIR|ZIP] [--runtime R] [--handler H] [--memory MB] [--timeout S] [--env K=V]")
	}
	if settings {
		path, err := fn.path(ctx, conn, pos[0], "/config")
		if err != nil {
			return err
		}
		c, err := conn.client()
		if err != nil {
			return err
		}
		var cur map[string]any
		if err := c.Do(ctx, "GET", path, nil, nil, &cur); err != nil {
			return err
		}
		body := map[string]any{"func_name": cur["func_name"], "runtime": cur["runtime"], "handler": cur["handler"],
			"memory_size": cur["memory_size"], "timeout": cur["timeout"]}
		for k, v := range map[string]any{"runtime": *rt, "handler": *handler, "memory_size": *memory, "timeout": *timeout} {
			if v != "" && v != 0 {
				body[k] = v
			}
		}
		if len(env) > 0 {
			if body["user_data"], err = userData(env); err != nil {
				return err
			}
		}
		if err := c.Do(ctx, "PUT", path, nil, body, nil); err != nil {
			return err
		}
	}
	if code.code != "" {
		path, err := fn.path(ctx, conn, pos[0], "/code")
		if err != nil {
			return err
		}
		body, err := code.body()
		if err != nil {
			return err
		}
		c, err := conn.client()
		if err != nil {
			return err
		}
		if err := c.Do(ctx, "PUT", path, nil, body, nil); err != nil {
			return err
		}
	}
	path, err := fn.path(ctx, conn, pos[0], "/config")
	if err != nil {
		return err
	}
	return call(ctx, conn, w, "GET", path, nil, nil, func(f functionRow) error {
		return table(w, functionHeader, [][]any{f.row()})
	})
}

func functionsPublish(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions publish", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	version := fs.String("version", "", "version name (default: v<date>-<time>)")
	desc := fs.String("description", "", "what changed in this version")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: logtank functions publish NAME [--version V] [--description D]")
	}
	path, err := fn.path(ctx, conn, pos[0], "/versions")
	if err != nil {
		return err
	}
	body := map[string]any{"description": *desc}
	if *version != "" {
		body["version"] = *version
	}
	return call(ctx, conn, w, "POST", path, nil, body, func(f functionRow) error {
		return table(w, functionHeader, [][]any{f.row()})
	})
}

type aliasRow struct {
	Name     string                     `json:"name"`
	Version  string                     `json:"version"`
	Weights  map[string]int             `json:"additional_version_weights"`
	Strategy map[string]json.RawMessage `json:"additional_version_strategy"`
	Modified string                     `json:"last_modified"`
	URN      string                     `json:"alias_urn"`
}

const aliasHeader = "ALIAS\tVERSION\tCANARY\tMODIFIED"

func (a aliasRow) row() []any {
	canary := "-"
	for v, wgt := range a.Weights {
		canary = fmt.Sprintf("%d%% to %s", wgt, v)
	}
	for v, st := range a.Strategy {
		canary = fmt.Sprintf("%s when %s", v, st)
	}
	return []any{a.Name, a.Version, canary, a.Modified}
}

// ruleFlag collects --rule flags: "header:NAME=VALUE" or
// "cookie:NAME in V1,V2".
type ruleFlag []map[string]string

func (r *ruleFlag) String() string { return fmt.Sprint(*r) }
func (r *ruleFlag) Set(s string) error {
	typ, cond, ok := strings.Cut(s, ":")
	if !ok || (typ != "header" && typ != "cookie") {
		return fmt.Errorf("want header:NAME=VALUE or cookie:NAME in V1,V2, got %q", s)
	}
	if name, values, ok := strings.Cut(cond, " in "); ok {
		*r = append(*r, map[string]string{"rule_type": typ, "param": strings.TrimSpace(name), "op": "in", "value": strings.TrimSpace(values)})
		return nil
	}
	name, value, ok := strings.Cut(cond, "=")
	if !ok {
		return fmt.Errorf("want header:NAME=VALUE or cookie:NAME in V1,V2, got %q", s)
	}
	*r = append(*r, map[string]string{"rule_type": typ, "param": name, "op": "=", "value": value})
	return nil
}

// functionsAlias creates an alias, or replaces it when it exists: its
// version and its canary, a weighted share (--weight V=PERCENT) or rules
// (--rule). Without either, all traffic goes to --version.
func functionsAlias(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions alias", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	version := fs.String("version", "", "version the alias names")
	weight := fs.String("weight", "", "canary by share: VERSION=PERCENT of the traffic goes to VERSION")
	canary := fs.String("canary", "", "canary by rules: the version the matching requests go to")
	var rules ruleFlag
	fs.Var(&rules, "rule", "canary rule, header:NAME=VALUE or 'cookie:NAME in V1,V2' (repeatable; all must match)")
	anyRule := fs.Bool("any", false, "with several --rule, one matching rule is enough")
	del := fs.Bool("delete", false, "delete the alias")
	desc := fs.String("description", "", "description")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || (!*del && *version == "") || (len(rules) > 0) != (*canary != "") {
		return usagef("usage: logtank functions alias NAME ALIAS --version V [--weight V2=PERCENT | --canary V2 --rule header:NAME=VALUE ...] | --delete")
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	base, err := fn.path(ctx, conn, pos[0], "/aliases")
	if err != nil {
		return err
	}
	one := base + "/" + url.PathEscape(pos[1])
	if *del {
		return c.Do(ctx, "DELETE", one, nil, nil, nil)
	}
	body := map[string]any{"version": *version, "description": *desc}
	if *weight != "" {
		v, pct, ok := strings.Cut(*weight, "=")
		n, err := strconv.Atoi(pct)
		if !ok || err != nil {
			return usagef("--weight wants VERSION=PERCENT, got %q", *weight)
		}
		body["additional_version_weights"] = map[string]int{v: n}
	}
	if *canary != "" {
		combine := "and"
		if *anyRule {
			combine = "or"
		}
		body["additional_version_strategy"] = map[string]any{*canary: map[string]any{"combine_type": combine, "rules": rules}}
	}
	var raw json.RawMessage
	err = c.Do(ctx, "PUT", one, nil, body, &raw)
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Code == "FSS.1053" {
		body["name"] = pos[1]
		err = c.Do(ctx, "POST", base, nil, body, &raw)
	}
	if err != nil {
		return err
	}
	if conn.json {
		return printJSON(w, raw)
	}
	var a aliasRow
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	return table(w, aliasHeader, [][]any{a.row()})
}

// functionsInvoke invokes a function and prints its answer; the version
// that answered (an alias may route to either of two) goes to stderr.
func functionsInvoke(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions invoke", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	data := fs.String("event", "{}", "the event, a JSON document (@FILE reads it from FILE)")
	async := fs.Bool("async", false, "invoke asynchronously: print the request id only")
	showLog := fs.Bool("log", false, "print the invocation's log to stderr")
	quiet := fs.Bool("quiet", false, "print only the answer")
	headers := http.Header{}
	fs.Func("header", "request header NAME:VALUE, for alias rules (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			return fmt.Errorf("want NAME:VALUE, got %q", s)
		}
		headers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		return nil
	})
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: logtank functions invoke NAME[:VERSION|:!ALIAS] [--event JSON|@FILE] [--header NAME:VALUE] [--async] [--log]")
	}
	event := []byte(*data)
	if name, ok := strings.CutPrefix(*data, "@"); ok {
		if event, err = os.ReadFile(name); err != nil {
			return err
		}
	}
	suffix := "/invocations"
	if *async {
		suffix = "/invocations-async"
	}
	path, err := fn.path(ctx, conn, pos[0], suffix)
	if err != nil {
		return err
	}
	if *showLog {
		headers.Set("X-Cff-Log-Type", "tail")
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	resp, body, err := signedRequest(ctx, c, "POST", path, event, headers)
	if err != nil {
		return err
	}
	if *async {
		var v struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		_, err := fmt.Fprintln(w, v.RequestID)
		return err
	}
	if _, err := w.Write(append(bytes.TrimRight(body, "\n"), '\n')); err != nil {
		return err
	}
	if *showLog {
		if log, err := base64.StdEncoding.DecodeString(resp.Header.Get("X-Cff-Function-Log")); err == nil {
			fmt.Fprintf(os.Stderr, "%s\n", log)
		}
	}
	if !*quiet {
		fmt.Fprintf(os.Stderr, "version %s answered request %s (summary %s)\n",
			resp.Header.Get("X-Cff-Function-Version"), resp.Header.Get("X-Cff-Request-Id"), resp.Header.Get("X-Cff-Invoke-Summary"))
	}
	if resp.Header.Get("X-Is-Func-Err") == "true" {
		return fmt.Errorf("the function failed with error %s", resp.Header.Get("X-Func-Err-Code"))
	}
	return nil
}

// signedRequest sends a request signed as the SDK does and returns the
// answer with its headers, which Client.Do does not expose.
func signedRequest(ctx context.Context, c *client.Client, method, path string, body []byte, headers http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+strings.ReplaceAll(path, "{project_id}", c.ProjectID), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "logtank-cli")
	req.Header.Set("X-Project-Id", c.ProjectID)
	apisign.Sign(req, body, c.AccessKey, c.SecretKey, time.Now())
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode >= 400 {
		e := &client.APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"), Message: strings.TrimSpace(string(data))}
		var eb struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Code != "" {
			e.Code, e.Message = eb.Code, eb.Msg
		}
		return nil, nil, e
	}
	return resp, data, nil
}

func functionsDelete(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("functions delete", flag.ContinueOnError)
	conn := addConnFlags(fs)
	fn := addFunctionFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: logtank functions delete NAME[:VERSION]   (NAME alone deletes every version)")
	}
	path, err := fn.path(ctx, conn, pos[0], "")
	if err != nil {
		return err
	}
	return call(ctx, conn, w, "DELETE", path, nil, nil, func(struct{}) error { return nil })
}
