package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	iamv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/apisign"
)

func listGroups(c *lts.LtsClient) error {
	_, err := c.ListLogGroups(&model.ListLogGroupsRequest{})
	return err
}

// signer signs raw requests as the SDK would, at a chosen time.
func signer(ak, sk, project string, at time.Time) func(*http.Request, []byte) {
	return func(r *http.Request, body []byte) {
		r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
		if project != "" {
			r.Header.Set("X-Project-Id", project)
		}
		apisign.Sign(r, body, ak, sk, at)
	}
}

func TestAKSKAuthentication(t *testing.T) {
	e := start(t, "")
	if err := listGroups(e.lts()); err != nil {
		t.Fatalf("valid AK/SK refused: %v", err)
	}
	t.Run("wrong secret", func(t *testing.T) {
		wantErr(t, listGroups(e.ltsClient(testAK, testSK+"x", testProject, nil)), 401, "LTS.0003")
	})
	t.Run("unknown access key", func(t *testing.T) {
		wantErr(t, listGroups(e.ltsClient("NOSUCHACCESSKEY00000", testSK, testProject, nil)), 401, "LTS.0003")
	})
	t.Run("wrong project", func(t *testing.T) {
		wantErr(t, listGroups(e.ltsClient(testAK, testSK, strings.Repeat("f", 32), nil)), 403, "LTS.0001")
	})
	path := "/v2/" + testProject + "/groups"
	for _, c := range []struct {
		name   string
		sign   func(*http.Request, []byte)
		status int
		code   string
	}{
		{"stale date", signer(testAK, testSK, testProject, time.Now().Add(-20*time.Minute)), 401, "LTS.0003"},
		{"future date", signer(testAK, testSK, testProject, time.Now().Add(20*time.Minute)), 401, "LTS.0003"},
		{"date within skew", signer(testAK, testSK, testProject, time.Now().Add(-10*time.Minute)), 200, ""},
		{"no credentials", nil, 401, "LTS.0003"},
		{"malformed authorization", func(r *http.Request, _ []byte) {
			r.Header.Set("Authorization", "SDK-HMAC-SHA256 garbage")
			r.Header.Set("X-Sdk-Date", time.Now().UTC().Format(apisign.DateLayout))
		}, 401, "LTS.0003"},
		{"missing date", func(r *http.Request, b []byte) {
			signer(testAK, testSK, testProject, time.Now())(r, b)
			r.Header.Del("X-Sdk-Date")
		}, 401, "LTS.0003"},
		{"header project differs from path", signer(testAK, testSK, strings.Repeat("e", 32), time.Now()), 403, "LTS.0001"},
		{"invalid token", func(r *http.Request, _ []byte) { r.Header.Set("X-Auth-Token", "MIIB-not-a-token") }, 401, "LTS.0003"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := e.raw("GET", path, nil, http.Header{"Content-Type": {"application/json"}}, c.sign)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if h.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
			if c.code != "" && errorCode(t, body) != c.code {
				t.Fatalf("code %s, want %s", errorCode(t, body), c.code)
			}
		})
	}
	t.Run("body changed after signing", func(t *testing.T) {
		body := []byte(`{"log_group_name":"g","ttl_in_days":7}`)
		status, _, resp := e.raw("POST", path, body, http.Header{"Content-Type": {"application/json"}}, func(r *http.Request, b []byte) {
			signer(testAK, testSK, testProject, time.Now())(r, []byte(`{"log_group_name":"h","ttl_in_days":7}`))
		})
		if status != 401 || errorCode(t, resp) != "LTS.0003" {
			t.Fatalf("got %d %s", status, resp)
		}
	})
}

// captureAuth records the Authorization scheme of each request it sends.
type captureAuth struct{ schemes []string }

func (c *captureAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	c.schemes = append(c.schemes, scheme)
	return http.DefaultTransport.RoundTrip(r)
}

func TestDerivedV11Signature(t *testing.T) {
	e := start(t, "")
	cred := basic.NewCredentialsBuilder().WithAk(testAK).WithSk(testSK).WithProjectId(testProject).
		WithDerivedPredicate(auth.GetDefaultDerivedPredicate()).Build()
	capture := &captureAuth{}
	hc, err := lts.LtsClientBuilder().WithRegion(region.NewRegion(testRegion, e.URL)).
		WithDerivedAuthServiceName("lts").WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithRetries(0).WithHttpRoundTripper(capture)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	if err := listGroups(lts.NewLtsClient(hc)); err != nil {
		t.Fatalf("V11-signed request refused: %v", err)
	}
	if len(capture.schemes) != 1 || capture.schemes[0] != apisign.AlgV11 {
		t.Fatalf("the SDK signed with %v, not %s", capture.schemes, apisign.AlgV11)
	}
}

func TestProjectLookupWithoutProjectID(t *testing.T) {
	e := start(t, "")
	// The SDK asks IAM for the region's project when no project id is set.
	cred := basic.NewCredentialsBuilder().WithAk(testAK).WithSk(testSK).WithIamEndpointOverride(e.URL).Build()
	hc, err := lts.LtsClientBuilder().WithRegion(region.NewRegion(testRegion, e.URL)).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithRetries(0)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	if err := listGroups(lts.NewLtsClient(hc)); err != nil {
		t.Fatalf("SDK without project id: %v", err)
	}
}

func TestTokens(t *testing.T) {
	e := start(t, "")
	tok := e.adminToken()
	if err := listGroups(e.ltsToken(tok, testProject)); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	t.Run("token of another project", func(t *testing.T) {
		wantErr(t, listGroups(e.ltsToken(tok, strings.Repeat("a", 32))), 403, "LTS.0001")
	})
	t.Run("tampered token", func(t *testing.T) {
		b := []byte(tok)
		b[10] ^= 1
		wantErr(t, listGroups(e.ltsToken(string(b), testProject)), 401, "LTS.0003")
	})
	t.Run("expired token", func(t *testing.T) {
		e.app.IAM().SetClock(func() time.Time { return time.Now().Add(24*time.Hour + time.Minute) })
		defer e.app.IAM().SetClock(time.Now)
		wantErr(t, listGroups(e.ltsToken(tok, testProject)), 401, "LTS.0003")
	})
	t.Run("scope by project id, no catalog", func(t *testing.T) {
		body := passwordAuth("admin", "admin", testPassword, map[string]any{"project": map[string]string{"id": testProject}})
		b, _ := json.Marshal(body)
		status, h, resp := e.raw("POST", "/v3/auth/tokens?nocatalog=true", b, http.Header{"Content-Type": {"application/json"}}, nil)
		if status != 201 || h.Get("X-Subject-Token") == "" {
			t.Fatalf("got %d %s", status, resp)
		}
		var tr struct {
			Token map[string]any `json:"token"`
		}
		if err := json.Unmarshal(resp, &tr); err != nil {
			t.Fatal(err)
		}
		if _, ok := tr.Token["catalog"]; ok {
			t.Fatal("catalog sent despite nocatalog")
		}
		if p, _ := tr.Token["project"].(map[string]any); p["id"] != testProject {
			t.Fatalf("project %v", tr.Token["project"])
		}
	})
	for _, c := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"wrong password", passwordAuth("admin", "admin", "wrong", map[string]any{"project": map[string]string{"name": testRegion}}), 401, "IAM.0002"},
		{"unknown user", passwordAuth("nobody", "admin", testPassword, map[string]any{"project": map[string]string{"name": testRegion}}), 401, "IAM.0002"},
		{"unknown project", passwordAuth("admin", "admin", testPassword, map[string]any{"project": map[string]string{"name": "nowhere"}}), 404, "IAM.0005"},
		{"no scope", passwordAuth("admin", "admin", testPassword, nil), 400, "IAM.0009"},
		{"not json", "{", 400, "IAM.0007"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b []byte
			if s, ok := c.body.(string); ok {
				b = []byte(s)
			} else {
				b, _ = json.Marshal(c.body)
			}
			status, _, resp := e.raw("POST", "/v3/auth/tokens", b, http.Header{"Content-Type": {"application/json"}}, nil)
			if status != c.status || errorCode(t, resp) != c.code {
				t.Fatalf("got %d %s, want %d %s", status, resp, c.status, c.code)
			}
		})
	}
}

func TestTokenWithIAMSDK(t *testing.T) {
	e := start(t, "")
	hc, err := iamv3.IamClientBuilder().WithEndpoints([]string{e.URL}).
		WithCredential(global.NewCredentialsBuilder().WithAk(testAK).WithSk(testSK).Build()).
		WithHttpConfig(config.DefaultHttpConfig().WithRetries(0)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	name := testRegion
	resp, err := iamv3.NewIamClient(hc).KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{Auth: &iammodel.PwdAuth{
			Identity: &iammodel.PwdIdentity{
				Methods:  []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
				Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{Name: "admin", Password: testPassword, Domain: &iammodel.PwdPasswordUserDomain{Name: "admin"}}},
			},
			Scope: &iammodel.AuthScope{Project: &iammodel.AuthScopeProject{Name: &name}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.XSubjectToken == nil || resp.Token == nil || resp.Token.Project == nil || resp.Token.Project.Id != testProject {
		t.Fatalf("token response %+v", resp)
	}
	exp, err := time.Parse(time.RFC3339Nano, resp.Token.ExpiresAt)
	if err != nil || exp.Sub(time.Now()) < 23*time.Hour || exp.Sub(time.Now()) > 25*time.Hour {
		t.Fatalf("expires_at %q", resp.Token.ExpiresAt)
	}
	if err := listGroups(e.ltsToken(*resp.XSubjectToken, testProject)); err != nil {
		t.Fatal(err)
	}
	projects, err := iamv3.NewIamClient(hc).KeystoneListProjects(&iammodel.KeystoneListProjectsRequest{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if len(*projects.Projects) != 1 || (*projects.Projects)[0].Id != testProject {
		t.Fatalf("projects %+v", projects.Projects)
	}
}

func TestCommonWireBehaviour(t *testing.T) {
	e := start(t, "")
	sign := signer(testAK, testSK, testProject, time.Now())
	t.Run("unknown path is a JSON 404", func(t *testing.T) {
		status, h, body := e.raw("GET", "/v2/"+testProject+"/no-such-thing", nil, nil, sign)
		if status != 404 || errorCode(t, body) != "APIGW.0101" || h.Get("X-Request-Id") == "" {
			t.Fatalf("got %d %s", status, body)
		}
	})
	t.Run("health needs no credentials", func(t *testing.T) {
		if status, _, body := e.raw("GET", "/healthz", nil, nil, nil); status != 200 {
			t.Fatalf("got %d %s", status, body)
		}
	})
	t.Run("metrics need credentials", func(t *testing.T) {
		if err := listGroups(e.lts()); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := e.raw("GET", "/metrics", nil, nil, nil); status != 401 {
			t.Fatalf("metrics without credentials: %d", status)
		}
		req, _ := http.NewRequest("GET", e.URL+"/metrics", nil)
		req.SetBasicAuth(testAK, testSK+"x")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
			t.Fatalf("metrics with a wrong secret: %v %v", resp, err)
		}
		req.SetBasicAuth(testAK, testSK)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(buf.String(), "logtank_http_requests_total") {
			t.Fatalf("metrics: %d %.300s", resp.StatusCode, buf.String())
		}
	})
	t.Run("oversized body is refused by its declared length", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 9<<20)
		status, _, body := e.raw("POST", "/v2/"+testProject+"/groups", big, http.Header{"Content-Type": {"application/json"}}, sign)
		if status != 413 || errorCode(t, body) != "LTS.0009" {
			t.Fatalf("got %d %s", status, body)
		}
	})
	t.Run("oversized chunked body is refused", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for i := 0; i < 64; i++ {
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", e.URL+"/v2/"+testProject+"/groups", pr)
		req.Header.Set("X-Auth-Token", e.adminToken())
		resp, err := http.DefaultClient.Do(req)
		pr.Close()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || errorCode(t, body) != "LTS.0009" {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
	})
}
