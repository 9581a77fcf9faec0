package fgs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"logtank/internal/catalog"
	"logtank/internal/runtime"
	"logtank/internal/wire"
)

// codeRequest is how create and update-code requests carry code.
type codeRequest struct {
	CodeType     string    `json:"code_type"`
	CodeURL      *string   `json:"code_url"`
	CodeFilename *string   `json:"code_filename"`
	FuncCode     *funcCode `json:"func_code"`
}

type funcCode struct {
	File string `json:"file,omitempty"`
	Link string `json:"link,omitempty"`
}

// codeInfo is a stored code package: empty digest when the function has
// no package here (code on OBS, a container image, or none).
type codeInfo struct {
	digest string
	size   int64
}

// Code types: a zip archive sent base64 in func_code.file (inline, zip,
// jar), a URL of OBS, or a container image.
const (
	codeInline = "inline"
	codeZip    = "zip"
	codeJar    = "jar"
	codeOBS    = "obs"
	codeImage  = "Custom-Image-Swr"
)

// acceptCode validates the code of a request, stores its package and sets
// the code fields of c. For a new function without code, Python and
// Node.js functions get FunctionGraph's default handler. The caller holds
// codeMu.
func (s *Service) acceptCode(ctx context.Context, functionID string, c *config, req codeRequest, creating bool) (codeInfo, error) {
	file := ""
	if req.FuncCode != nil {
		file = req.FuncCode.File
	}
	typ := req.CodeType
	if typ == "" {
		// The SDK lets code_type out; the code itself tells.
		switch {
		case file != "":
			typ = codeZip
		case req.CodeURL != nil && *req.CodeURL != "":
			typ = codeOBS
		default:
			typ = codeInline
		}
	}
	c.CodeType, c.CodeURL, c.CodeFilename = typ, "", ""
	if req.CodeFilename != nil {
		c.CodeFilename = *req.CodeFilename
	}
	switch typ {
	case codeInline, codeZip, codeJar:
	case codeOBS:
		if req.CodeURL == nil || !validURL(*req.CodeURL) {
			return codeInfo{}, fail(ErrURL, "code_url must be the http(s) URL of the code package on OBS when code_type is obs")
		}
		c.CodeURL = *req.CodeURL
		return codeInfo{}, nil
	case codeImage:
		return codeInfo{}, nil
	default:
		return codeInfo{}, fail(ErrCodeType, "code_type %q is not inline, zip, obs, jar or Custom-Image-Swr", typ)
	}
	var pkg []byte
	switch {
	case file != "":
		var err error
		if pkg, err = decodeBase64(file); err != nil {
			return codeInfo{}, fail(ErrCode, "func_code.file must be the code package (a zip archive) in base64: %v", err)
		}
	case typ == codeInline && creating:
		if pkg = defaultCode(c.Runtime, c.Handler); pkg == nil {
			return codeInfo{}, nil
		}
	default:
		return codeInfo{}, fail(ErrCodeRequired, "func_code.file must hold the code package (a zip archive, base64) when code_type is %s", typ)
	}
	switch {
	case typ == codeInline && len(pkg) > MaxInlineBytes:
		return codeInfo{}, fail(ErrInlineTooLarge, "the inline code package has %d bytes", len(pkg))
	case len(pkg) > MaxPackageBytes:
		return codeInfo{}, fail(ErrPackageTooLarge, "the code package has %d bytes", len(pkg))
	}
	if err := runtime.CheckPackage(pkg); err != nil {
		return codeInfo{}, fail(ErrCode, "%v", err)
	}
	digest, err := s.rt.Store().Put(functionID, pkg)
	if err != nil {
		return codeInfo{}, internal(err)
	}
	// In the bucket before the catalog names it: any node may then run it.
	if err := s.sharePackage(ctx, functionID, digest, pkg); err != nil {
		return codeInfo{}, internal(err)
	}
	return codeInfo{digest: digest, size: int64(len(pkg))}, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Some clients drop the padding.
		if b2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
			return b2, nil
		}
	}
	return b, err
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// defaultCode is the code FunctionGraph gives a Python or Node.js function
// created without code: a handler that answers with the event.
func defaultCode(rt, handler string) []byte {
	module, fn, ok := strings.Cut(handler, ".")
	if !ok || strings.Contains(fn, ".") {
		return nil
	}
	var name, text string
	switch {
	case strings.HasPrefix(rt, "Python3"):
		name = module + ".py"
		text = "# -*- coding:utf-8 -*-\nimport json\n\n\ndef " + fn + "(event, context):\n" +
			"    return {\n        \"statusCode\": 200,\n        \"isBase64Encoded\": False,\n" +
			"        \"body\": json.dumps(event),\n        \"headers\": {\n            \"Content-Type\": \"application/json\"\n        }\n    }\n"
	case strings.HasPrefix(rt, "Node.js"):
		name = module + ".js"
		text = "exports." + fn + " = async (event, context) => {\n    return {\n        'statusCode': 200,\n" +
			"        'headers': { 'Content-Type': 'application/json' },\n        'isBase64Encoded': false,\n" +
			"        'body': JSON.stringify(event),\n    };\n};\n"
	default:
		return nil
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(0o644)
	fw, err := zw.CreateHeader(h)
	if err == nil {
		_, err = fw.Write([]byte(text))
	}
	if err != nil || zw.Close() != nil {
		return nil
	}
	return buf.Bytes()
}

// dropCode removes every package of a function that is not (or no longer)
// in the catalog, here and in the packages bucket. The caller holds codeMu.
func (s *Service) dropCode(ctx context.Context, functionID string) {
	if err := s.rt.Store().RemoveFunction(functionID); err != nil {
		s.log.Warn("removing code packages", "function_id", functionID, "error", err)
	}
	s.dropSharedPackages(ctx, functionID)
}

// pruneCode removes the packages no version of a function uses any more.
// The caller holds codeMu.
func (s *Service) pruneCode(r *http.Request, functionID string) {
	keep, err := s.db.FunctionCodeDigests(r.Context(), functionID)
	if err == nil {
		err = s.rt.Store().Prune(functionID, keep)
	}
	if err != nil {
		s.log.Warn("pruning code packages", "function_id", functionID, "error", err)
	}
}

// codeJSON is FunctionGraph's answer about a version's code.
type codeJSON struct {
	FuncURN           string         `json:"func_urn"`
	FuncName          string         `json:"func_name"`
	DomainID          string         `json:"domain_id"`
	Runtime           string         `json:"runtime"`
	CodeType          string         `json:"code_type"`
	CodeURL           string         `json:"code_url"`
	CodeFilename      string         `json:"code_filename"`
	CodeSize          int64          `json:"code_size"`
	Digest            string         `json:"digest"`
	LastModified      string         `json:"last_modified"`
	FuncCode          funcCode       `json:"func_code"`
	DependList        []string       `json:"depend_list"`
	DependVersionList []string       `json:"depend_version_list"`
	StrategyConfig    strategyConfig `json:"strategy_config"`
	Dependencies      []struct{}     `json:"dependencies"`
}

func (s *Service) codeModel(f catalog.Function, v catalog.FunctionVersion, c config, file string) codeJSON {
	deps := c.DependVersionList
	if deps == nil {
		deps = []string{}
	}
	return codeJSON{
		FuncURN: s.functionURN(f.ProjectID, f.Package, f.Name), FuncName: f.Name, DomainID: f.DomainID,
		Runtime: c.Runtime, CodeType: c.CodeType, CodeURL: c.CodeURL, CodeFilename: c.CodeFilename,
		CodeSize: v.CodeSize, Digest: v.CodeDigest, LastModified: lastModified(v.ModifiedMS),
		FuncCode: funcCode{File: file}, DependList: []string{}, DependVersionList: deps,
		StrategyConfig: c.StrategyConfig, Dependencies: []struct{}{},
	}
}

func (s *Service) showCode(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	f, v, c, err := s.resolve(r.Context(), ref)
	if err != nil {
		return err
	}
	file := ""
	if v.CodeDigest != "" {
		if err := s.fetchPackage(r.Context(), f.ID, v.CodeDigest); err != nil {
			return internal(err)
		}
		pkg, err := s.rt.Store().Get(f.ID, v.CodeDigest)
		if err != nil {
			return internal(err)
		}
		file = base64.StdEncoding.EncodeToString(pkg)
	}
	wire.WriteJSON(w, http.StatusOK, s.codeModel(f, v, c, file))
	return nil
}

type updateCodeRequest struct {
	codeRequest
	DependVersionList   []string `json:"depend_version_list"`
	CodeEncryptKMSKeyID *string  `json:"code_encrypt_kms_key_id"`
}

func (s *Service) updateCode(w http.ResponseWriter, r *http.Request) error {
	var req updateCodeRequest
	f, err := s.latestFunction(r, &req)
	if err != nil {
		return err
	}
	s.codeMu.Lock()
	defer s.codeMu.Unlock()
	latest, c, err := s.version(r.Context(), f, catalog.LatestVersion)
	if err != nil {
		return err
	}
	code, err := s.acceptCode(r.Context(), f.ID, &c, req.codeRequest, false)
	if err != nil {
		return err
	}
	var updated config
	v, err := s.db.UpdateLatest(r.Context(), f.ID, func(v *catalog.FunctionVersion) error {
		cur, err := decodeConfig(*v)
		if err != nil {
			return err
		}
		// Only the code fields change; the settings stay as they are now.
		cur.CodeType, cur.CodeURL, cur.CodeFilename = c.CodeType, c.CodeURL, c.CodeFilename
		if req.DependVersionList != nil {
			cur.DependVersionList = req.DependVersionList
		}
		if req.CodeEncryptKMSKeyID != nil {
			cur.CodeEncryptKMSKeyID = *req.CodeEncryptKMSKeyID
		}
		updated = cur
		v.Config = mustJSON(cur)
		v.CodeDigest, v.CodeSize = code.digest, code.size
		v.Fingerprint = fingerprint(v.Config, v.CodeDigest)
		v.ModifiedMS = s.now().UnixMilli()
		return nil
	})
	if err != nil {
		if code.digest != "" && code.digest != latest.CodeDigest {
			s.pruneCode(r, f.ID)
		}
		return s.latestError(f, err)
	}
	s.rt.Retire(f.ID, catalog.LatestVersion)
	s.pruneCode(r, f.ID)
	wire.WriteJSON(w, http.StatusOK, s.codeModel(f, v, updated, ""))
	return nil
}
