package conformance

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/iam"
	"logtank/internal/server"
)

// fuzzServer is one server shared by every input of the fuzz targets in a
// process; TestMain removes its data folder.
var (
	fuzzOnce sync.Once
	fuzzURL  string
	fuzzDir  string
)

func fuzzServer(t *testing.T) string {
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "logtank-fuzz-")
		if err != nil {
			panic(err)
		}
		app, err := server.Open(context.Background(), server.Config{
			DataDir: dir, Region: testRegion, Logger: slog.New(slog.DiscardHandler),
			Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
		})
		if err != nil {
			panic(err)
		}
		fuzzDir, fuzzURL = dir, httptest.NewServer(app.Handler()).URL
	})
	return fuzzURL
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		runCrashChild(dir)
		return
	}
	if cfg := os.Getenv(clusterChildEnv); cfg != "" {
		runClusterChild(cfg)
		return
	}
	// pgtest stops the PostgreSQL that tests of a shared catalog started.
	code := pgtest.Run(m)
	if fuzzDir != "" {
		os.RemoveAll(fuzzDir)
	}
	os.Exit(code)
}

// FuzzRequestBody sends arbitrary bodies to the group and stream APIs: each
// gets a 2xx or a 4xx service error, never a 5xx or a broken connection.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"log_group_name":"g","ttl_in_days":7}`, `{"log_group_name":"g","ttl_in_days":"7"}`,
		`{"log_group_name":5}`, `{"ttl_in_days":1e400}`, `{"tags":[{"key":"k","value":"v"}]}`,
		`[`, `null`, "\x00", `{"log_stream_name":"s","ttl_in_days":-1}`, `{"tags":{"k":"v"}}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, op uint8) {
		base := fuzzServer(t)
		paths := []struct{ method, path string }{
			{"POST", "/v2/" + testProject + "/groups"},
			{"POST", "/v2/" + testProject + "/groups/00000000-0000-0000-0000-000000000000"},
			{"POST", "/v2/" + testProject + "/groups/00000000-0000-0000-0000-000000000000/streams"},
			{"PUT", "/v2/" + testProject + "/groups/00000000-0000-0000-0000-000000000000/streams-ttl/x"},
			{"POST", "/v3/auth/tokens"},
		}
		p := paths[int(op)%len(paths)]
		status, h, resp := send(t, base, p.method, p.path, body, http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
		if status >= 500 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%s %s %q: %d %s", p.method, p.path, body, status, resp)
		}
		if status >= 400 {
			errorCode(t, resp)
		}
	})
}

// FuzzCredentials sends arbitrary credentials: each is refused with 401 (or
// 403), never accepted and never a 5xx.
func FuzzCredentials(f *testing.F) {
	f.Add("SDK-HMAC-SHA256 Access="+testAK+", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=0000000000000000000000000000000000000000000000000000000000000000", "20240101T000000Z", "")
	f.Add("V11-HMAC-SHA256 Credential="+testAK+"/20240101/cn-north-4/lts, SignedHeaders=host, Signature=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", time.Now().UTC().Format("20060102T150405Z"), "")
	f.Add("", "", "lt1.eyJ1IjoieCJ9.AAAA")
	f.Add("SDK-HMAC-SHA256 ,,,=", "garbage", "")
	f.Fuzz(func(t *testing.T, authorization, date, token string) {
		base := fuzzServer(t)
		h := http.Header{"Content-Type": {"application/json"}}
		for k, v := range map[string]string{"Authorization": authorization, "X-Sdk-Date": date, "X-Auth-Token": token} {
			if v != "" {
				h.Set(k, v)
			}
		}
		status, _, resp := send(t, base, "GET", "/v2/"+testProject+"/groups", nil, h, nil)
		if status != 401 && status != 403 {
			t.Fatalf("credentials %q %q %q: %d %s", authorization, date, token, status, resp)
		}
		errorCode(t, resp)
	})
}
