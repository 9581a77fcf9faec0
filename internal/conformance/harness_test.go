package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	httpclient "github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"

	"logtank/internal/iam"
	"logtank/internal/server"
)

const (
	testRegion   = "cn-north-4"
	testPassword = "conformance-password-1"
	testAK       = "CONFORMANCETESTAK000"
	testSK       = "conformanceTestSecretKey0000000000000000"
	testProject  = "0123456789abcdef0123456789abcdef"
)

// env is a running server on its own data folder.
type env struct {
	t    *testing.T
	dir  string
	app  *server.App
	srv  *httptest.Server
	URL  string
	Info iam.FirstStart
}

// catalogFor, when set, names the catalog of the server on a data folder
// (the same one across restarts); nil keeps the embedded one.
var catalogFor func(t *testing.T, dir string) string

// start opens a server on dir (a new folder when dir is empty) with fixed
// first-start credentials, and stops it when the test ends.
func start(t *testing.T, dir string) *env {
	t.Helper()
	return startWith(t, dir, nil)
}

// startWith is start with a chance to change the server's configuration.
func startWith(t *testing.T, dir string, configure func(*server.Config)) *env {
	t.Helper()
	return startOn(t, "", dir, configure)
}

// startOn is startWith listening on addr, so that a server stopped can be
// started again where its clients expect it; empty for any loopback port.
func startOn(t *testing.T, addr, dir string, configure func(*server.Config)) *env {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cfg := server.Config{
		DataDir: dir, Region: testRegion, Logger: slog.New(slog.DiscardHandler),
		Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
	}
	if catalogFor != nil {
		cfg.Catalog = catalogFor(t, dir)
	}
	if configure != nil {
		configure(&cfg)
	}
	app, err := server.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(app.Handler())
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			app.Close()
			t.Fatal(err)
		}
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	e := &env{t: t, dir: dir, app: app, srv: srv, URL: srv.URL, Info: app.FirstStart}
	t.Cleanup(e.stop)
	return e
}

// stop shuts the server down; stopping twice is harmless.
func (e *env) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.app.Close()
		e.srv = nil
	}
}

// sdkClient builds an SDK client of any service against the server,
// signing with ak/sk for project; rt, when not nil, carries its requests.
func (e *env) sdkClient(b *httpclient.HcHttpClientBuilder, ak, sk, project string, rt http.RoundTripper) *httpclient.HcHttpClient {
	e.t.Helper()
	cfg := config.DefaultHttpConfig().WithRetries(0).WithTimeout(2 * time.Minute)
	if rt != nil {
		cfg = cfg.WithHttpRoundTripper(rt)
	}
	hc, err := b.WithEndpoints([]string{e.URL}).
		WithCredential(basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(project).Build()).
		WithHttpConfig(cfg).
		SafeBuild()
	if err != nil {
		e.t.Fatal(err)
	}
	return hc
}

// ltsClient is an LTS SDK client signing with ak/sk for project.
func (e *env) ltsClient(ak, sk, project string, rt http.RoundTripper) *lts.LtsClient {
	return lts.NewLtsClient(e.sdkClient(lts.LtsClientBuilder(), ak, sk, project, rt))
}

// lts is an LTS client with the first-start access key.
func (e *env) lts() *lts.LtsClient { return e.ltsClient(testAK, testSK, testProject, nil) }

// tokenTransport sends requests with X-Auth-Token instead of the SDK's
// AK/SK signature, as token users do.
type tokenTransport struct{ token string }

func (t tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Del("Authorization")
	r.Header.Del("X-Sdk-Date")
	r.Header.Set("X-Auth-Token", t.token)
	return http.DefaultTransport.RoundTrip(r)
}

// ltsToken is an LTS client that authenticates with an IAM token.
func (e *env) ltsToken(token, project string) *lts.LtsClient {
	// The SDK insists on a key pair to build; the transport drops its signature.
	return e.ltsClient("UNUSED", "unused", project, tokenTransport{token})
}

// token signs in by password and returns X-Subject-Token and the status.
func (e *env) token(body any) (string, int, []byte) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.URL+"/v3/auth/tokens", "application/json;charset=UTF-8", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.Header.Get("X-Subject-Token"), resp.StatusCode, data
}

func passwordAuth(user, domain, password string, scope map[string]any) map[string]any {
	return map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "password": password, "domain": map[string]string{"name": domain}}}},
		"scope": scope,
	}}
}

// adminToken is a token of the first-start admin for the default project.
func (e *env) adminToken() string {
	e.t.Helper()
	tok, status, body := e.token(passwordAuth("admin", "admin", testPassword, map[string]any{"project": map[string]string{"name": testRegion}}))
	if status != http.StatusCreated || tok == "" {
		e.t.Fatalf("token: %d %s", status, body)
	}
	return tok
}

// wantErr checks that err is the service error with this status and code,
// carrying a request id and a message.
func wantErr(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	if se.StatusCode != status || se.ErrorCode != code {
		t.Fatalf("want %d %s, got %d %s: %s", status, code, se.StatusCode, se.ErrorCode, se.ErrorMessage)
	}
	if se.RequestId == "" || se.ErrorMessage == "" {
		t.Fatalf("error without request id or message: %+v", se)
	}
}

// raw sends a request with any body and headers, signed by sign when not nil.
func (e *env) raw(method, path string, body []byte, header http.Header, sign func(*http.Request, []byte)) (int, http.Header, []byte) {
	e.t.Helper()
	return send(e.t, e.URL, method, path, body, header, sign)
}

func send(t *testing.T, base, method, path string, body []byte, header http.Header, sign func(*http.Request, []byte)) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if sign != nil {
		sign(req, body)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// errorCode extracts error_code from an error body.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var eb struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || eb.Code == "" || eb.Msg == "" {
		t.Fatalf("not an error body: %s", body)
	}
	return eb.Code
}
