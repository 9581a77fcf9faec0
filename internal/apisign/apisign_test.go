package apisign

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

const (
	testAK = "HPUAEXAMPLEACCESSKEY"
	testSK = "secretEXAMPLEsecretEXAMPLEsecretEXAMPLE1"
)

type sdkCase struct {
	name   string
	method string
	path   string
	query  map[string]string
	body   any
}

var sdkCases = []sdkCase{
	{name: "post json", method: "POST", path: "/v2/0123456789abcdef0123456789abcdef/groups", body: map[string]any{"log_group_name": "g", "ttl_in_days": 7}},
	{name: "get no query", method: "GET", path: "/v2/0123456789abcdef0123456789abcdef/groups"},
	{name: "get odd query", method: "GET", path: "/v2/0123456789abcdef0123456789abcdef/log-streams",
		query: map[string]string{"log_group_name": "grp a+b", "log_stream_name": "s/1~é"}},
	{name: "delete", method: "DELETE", path: "/v2/0123456789abcdef0123456789abcdef/groups/b6b9332b-091f-4b22-b810-264318d2d664"},
}

// sdkRequest signs a request with the official SDK's signer (sha or derived)
// and turns it into the *http.Request a server would receive.
func sdkRequest(t *testing.T, c sdkCase, derived bool) (*http.Request, []byte) {
	t.Helper()
	b := request.NewHttpRequestBuilder().WithEndpoint("http://127.0.0.1:8080").WithPath(c.path).WithMethod(c.method).
		AddHeaderParam("User-Agent", "huaweicloud-usdk-go/3.0").
		AddHeaderParam("X-Project-Id", "0123456789abcdef0123456789abcdef").
		AddHeaderParam("Content-Type", "application/json")
	for k, v := range c.query {
		b.AddQueryParam(k, v)
	}
	if c.body != nil {
		b.WithBody("application/json", c.body)
	}
	req := b.Build()
	var headers map[string]string
	var err error
	if derived {
		headers, err = signer.GetDerivedSigner().Sign(req, testAK, testSK, "lts", "cn-north-4")
	} else {
		headers, err = signer.Sign(req, testAK, testSK)
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.AddHeaderParam(k, v)
	}
	hr, err := req.ConvertRequest()
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	if hr.Body != nil {
		buf := new(bytes.Buffer)
		_, _ = buf.ReadFrom(hr.Body)
		body = buf.Bytes()
	}
	// What the server sees: the request line as sent, parsed back.
	in := httptest.NewRequest(hr.Method, hr.URL.RequestURI(), bytes.NewReader(body))
	in.Header = hr.Header.Clone()
	return in, body
}

func verifyHeader(t *testing.T, r *http.Request, body []byte, secret string) bool {
	t.Helper()
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("parse %q: %v", r.Header.Get("Authorization"), err)
	}
	if a.AccessKey != testAK {
		t.Fatalf("access key %q", a.AccessKey)
	}
	return Verify(r, body, a, secret)
}

func TestVerifiesOfficialSDKSignatures(t *testing.T) {
	for _, derived := range []bool{false, true} {
		for _, c := range sdkCases {
			t.Run(c.name, func(t *testing.T) {
				r, body := sdkRequest(t, c, derived)
				if !verifyHeader(t, r, body, testSK) {
					t.Fatalf("valid SDK signature (derived=%v) rejected", derived)
				}
				if verifyHeader(t, r, body, testSK+"x") {
					t.Fatal("signature accepted with the wrong secret")
				}
				if len(body) > 0 && verifyHeader(t, r, append(bytes.Clone(body), ' '), testSK) {
					t.Fatal("signature accepted for a changed body")
				}
				r.Header.Set("X-Project-Id", "ffffffffffffffffffffffffffffffff")
				if verifyHeader(t, r, body, testSK) {
					t.Fatal("signature accepted with a changed signed header")
				}
			})
		}
	}
}

func TestSignRoundTrip(t *testing.T) {
	body := []byte(`{"ttl_in_days":7}` + "\n")
	r := httptest.NewRequest("POST", "/v2/p/groups?b=2&a=1&a=0", bytes.NewReader(body))
	r.Header.Set("User-Agent", "logtank")
	r.Header.Set("Content-Type", "application/json")
	Sign(r, body, testAK, testSK, time.Now())
	if !strings.Contains(r.Header.Get("Authorization"), "SignedHeaders=user-agent;x-sdk-date,") {
		t.Fatalf("unexpected header %q", r.Header.Get("Authorization"))
	}
	if !verifyHeader(t, r, body, testSK) {
		t.Fatal("own signature rejected")
	}
	r.URL.RawQuery = "a=1&b=2"
	if verifyHeader(t, r, body, testSK) {
		t.Fatal("signature accepted for a changed query")
	}
}

func TestProducerDayOnlyV11(t *testing.T) {
	body := []byte(`{"log_items":[]}`)
	r := httptest.NewRequest("POST", "/v2/internal/p/lts/groups/g/streams/s/tenant/batch-contents", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	date := time.Now().UTC().Format(DateLayout)
	r.Header.Set(HeaderDate, date)
	a := Authorization{Algorithm: AlgV11, AccessKey: testAK, SignedHeaders: []string{"content-type", "x-sdk-date"}, Scope: date[:8] + "/cn-north-4/lts"}
	sig := hmacHex(SigningKey(a, testSK), StringToSign(a, date[:8], CanonicalRequest(r, body, a.SignedHeaders)))
	r.Header.Set("Authorization", "V11-HMAC-SHA256 Credential="+testAK+"/"+a.Scope+", SignedHeaders=content-type;x-sdk-date, Signature="+sig)
	if !verifyHeader(t, r, body, testSK) {
		t.Fatal("producer-style V11 signature rejected")
	}
}

func TestParseAuthorizationRejects(t *testing.T) {
	for _, h := range []string{
		"", "Bearer x", "SDK-HMAC-SHA256", "SDK-HMAC-SHA256 Access=a",
		"SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=abc",
		"SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("a", 64),
		"V11-HMAC-SHA256 Credential=a, SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("a", 64),
		"SDK-HMAC-SHA256 Access=a SignedHeaders=x",
	} {
		if _, err := ParseAuthorization(h); err == nil {
			t.Errorf("%q accepted", h)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("SDK-HMAC-SHA256 Access=AK, SignedHeaders=user-agent;x-sdk-date, Signature="+strings.Repeat("0", 64), "/v2/p/groups", "a=1", []byte("{}"))
	f.Add("V11-HMAC-SHA256 Credential=AK/20240101/r/lts, SignedHeaders=host, Signature="+strings.Repeat("f", 64), "/%zz", "%", []byte{})
	f.Fuzz(func(t *testing.T, auth, path, query string, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.URL.Path, r.URL.RawQuery = path, query
		r.Header.Set("Authorization", auth)
		r.Header.Set(HeaderDate, "20240101T000000Z")
		a, err := ParseAuthorization(auth)
		if err != nil {
			return
		}
		if Verify(r, body, a, "secret") {
			t.Fatalf("random signature verified: %q", auth)
		}
	})
}

func TestBodyHashHeaderCannotReplaceTheBody(t *testing.T) {
	body := []byte(`{"user":{"name":"alice"}}`)
	r := httptest.NewRequest("POST", "/v3.0/OS-USER/users", bytes.NewReader(body))
	r.Header.Set("User-Agent", "x")
	Sign(r, body, testAK, testSK, time.Now())
	// A captured request replayed with another body and the original
	// body's hash in X-Sdk-Content-Sha256.
	r.Header.Set(HeaderContentSHA256, hexSHA256(body))
	other := []byte(`{"user":{"name":"mallory","admin":true}}`)
	if verifyHeader(t, r, other, testSK) {
		t.Fatal("a signature verified for a substituted body")
	}
	if !verifyHeader(t, r, body, testSK) {
		t.Fatal("the original body no longer verifies")
	}
}

func TestDayOnlyV11NeedsSignedDate(t *testing.T) {
	body := []byte(`{}`)
	r := httptest.NewRequest("POST", "/v2/internal/p/lts/groups/g/streams/s/tenant/batch-contents", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	date := time.Now().UTC().Format(DateLayout)
	r.Header.Set(HeaderDate, date)
	a := Authorization{Algorithm: AlgV11, AccessKey: testAK, SignedHeaders: []string{"content-type"}, Scope: date[:8] + "/cn-north-4/lts"}
	sig := hmacHex(SigningKey(a, testSK), StringToSign(a, date[:8], CanonicalRequest(r, body, a.SignedHeaders)))
	r.Header.Set("Authorization", "V11-HMAC-SHA256 Credential="+testAK+"/"+a.Scope+", SignedHeaders=content-type, Signature="+sig)
	if verifyHeader(t, r, body, testSK) {
		t.Fatal("a day-only signature without a signed X-Sdk-Date verified")
	}
}

func TestEncodedSlashNeverVerifies(t *testing.T) {
	r := httptest.NewRequest("GET", "/v2/p/groups/a%2Fb", nil)
	r.Header.Set("User-Agent", "x")
	Sign(r, nil, testAK, testSK, time.Now())
	if verifyHeader(t, r, nil, testSK) {
		t.Fatal("a path with an encoded slash verified")
	}
}
