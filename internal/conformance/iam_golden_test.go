package conformance

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata from the server's answers")

// goldenEpoch is the server's clock when the golden exchanges begin; each
// exchange moves it one second on, so records sort by their creation times
// and every time in an answer is known. It lies far ahead because the
// revocation list forgets tokens by the wall clock once they have expired.
var goldenEpoch = time.Date(2100, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

var (
	goldenID   = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	goldenTime = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\b`)
)

// goldenIAM drives the IAM API through a fixed sequence of exchanges and
// writes down each request and the exact answer: status, the headers that
// clients read, and the body byte for byte. Only what differs from run to
// run is replaced: the server's address, generated ids, access keys,
// secrets and tokens (each named by its first appearance, so the record
// still shows which answer repeats which value) and the first-start
// accounts' creation times.
type goldenIAM struct {
	t     *testing.T
	e     *env
	clock *testClock
	step  int
	names map[string]string
	order []string
	count map[string]int
	out   strings.Builder
}

// as is who sends a request: nobody, an access key, or a token.
type as struct {
	label  string
	ak, sk string
	token  string
}

var anonymous = as{label: "anonymous"}

func (g *goldenIAM) name(value, kind string) string {
	if n, ok := g.names[value]; ok {
		return n
	}
	g.count[kind]++
	n := fmt.Sprintf("{{%s-%d}}", kind, g.count[kind])
	g.names[value] = n
	g.order = append(g.order, value)
	return n
}

func (g *goldenIAM) normalise(s string) string {
	s = strings.ReplaceAll(s, g.e.URL, "{{server}}")
	for _, v := range g.order {
		s = strings.ReplaceAll(s, v, g.names[v])
	}
	s = goldenID.ReplaceAllStringFunc(s, func(id string) string {
		if id == testProject {
			return id
		}
		return g.name(id, "id")
	})
	return goldenTime.ReplaceAllStringFunc(s, func(ts string) string {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.Before(goldenEpoch) {
			return "{{first-start time}}"
		}
		return ts
	})
}

// call sends one request at the next second of the server's clock and
// records the exchange.
func (g *goldenIAM) call(title, method, path string, who as, header http.Header, body string) (int, http.Header, []byte) {
	g.t.Helper()
	now := goldenEpoch.Add(time.Duration(g.step) * time.Second)
	g.step++
	g.clock.set(now)
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	for k, v := range header {
		h[k] = v
	}
	var sign func(*http.Request, []byte)
	switch {
	case who.token != "":
		h.Set("X-Auth-Token", who.token)
	case who.ak != "":
		sign = signer(who.ak, who.sk, "", now)
	}
	status, rh, resp := g.e.raw(method, path, []byte(body), h, sign)
	// A new access key is named before its answer is written down.
	var key struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	if json.Unmarshal(resp, &key) == nil && key.Credential.Secret != "" {
		g.name(key.Credential.Access, "access-key")
		g.name(key.Credential.Secret, "secret-key")
	}

	fmt.Fprintf(&g.out, "=== %s\n%s %s (%s)\n", title, method, g.normalise(path), who.label)
	if s := header.Get("X-Subject-Token"); s != "" {
		fmt.Fprintf(&g.out, "X-Subject-Token: %s\n", g.normalise(s))
	}
	if body != "" {
		fmt.Fprintf(&g.out, "%s\n", g.normalise(body))
	}
	fmt.Fprintf(&g.out, "--- %d\n", status)
	for _, k := range []string{"Content-Type", "X-Subject-Token", "Retry-After"} {
		if v := rh.Get(k); v != "" {
			if k == "X-Subject-Token" {
				v = g.name(v, "token")
			}
			fmt.Fprintf(&g.out, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(&g.out, "%s\n\n", g.normalise(string(resp)))
	return status, rh, resp
}

// field reads a string at a path of object keys in a JSON answer.
func field(t *testing.T, body []byte, keys ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("no string at %v in %s", keys, body)
	}
	return s
}

// TestIAMGolden pins the bytes of every IAM answer, successes and errors,
// to testdata/iam_golden.txt: key order, omitted and empty fields, time
// formats and messages. Run with -update to rewrite the file after a
// deliberate change of the wire.
func TestIAMGolden(t *testing.T) {
	e := start(t, "")
	g := &goldenIAM{t: t, e: e, clock: newClock(goldenEpoch), names: map[string]string{}, count: map[string]int{}}
	e.app.IAM().SetClock(g.clock.now)
	admin := as{label: "admin's access key", ak: testAK, sk: testSK}
	g.name(testAK, "admin-access-key")
	password := func(user, domain, pw, scope string) string {
		return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user +
			`","password":"` + pw + `","domain":{"name":"` + domain + `"}}}},"scope":` + scope + `}}`
	}
	byName := `{"project":{"name":"` + testRegion + `"}}`
	subject := func(tok string) http.Header { return http.Header{"X-Subject-Token": {tok}} }
	token := func(label string, rh http.Header) as { return as{label: label, token: rh.Get("X-Subject-Token")} }
	must := func(status, want int) {
		t.Helper()
		if status != want {
			t.Fatalf("status %d, want %d; so far:\n%s", status, want, g.out.String())
		}
	}

	// Tokens.
	status, rh, _ := g.call("token for a project by name, with the catalog", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", testPassword, byName))
	must(status, 201)
	adminTok := token("admin's project token", rh)
	status, rh, _ = g.call("token for a project by id, without the catalog", "POST", "/v3/auth/tokens?nocatalog=true", anonymous, nil,
		password("admin", "admin", testPassword, `{"project":{"id":"`+testProject+`"}}`))
	must(status, 201)
	spareTok := token("admin's second token", rh)
	status, rh, _ = g.call("token for the user's domain", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", testPassword, `{"domain":{"name":"admin"}}`))
	must(status, 201)
	domainTok := rh.Get("X-Subject-Token")
	g.call("validate a token, with the catalog", "GET", "/v3/auth/tokens", admin, subject(adminTok.token), "")
	g.call("a token validates itself, without the catalog", "GET", "/v3/auth/tokens?nocatalog=true", adminTok, subject(adminTok.token), "")
	g.call("validate a domain token", "GET", "/v3/auth/tokens?nocatalog=true", admin, subject(domainTok), "")

	// Projects and domains.
	g.call("list projects", "GET", "/v3/projects", admin, nil, "")
	g.call("list projects by name", "GET", "/v3/projects?name="+testRegion, adminTok, nil, "")
	g.call("list projects: none has the name", "GET", "/v3/projects?name=nowhere", admin, nil, "")
	g.call("create a project", "POST", "/v3/projects", admin, nil, `{"project":{"name":"eu-west-0"}}`)
	g.call("create a project: the name is taken", "POST", "/v3/projects", admin, nil, `{"project":{"name":"eu-west-0"}}`)
	g.call("create a project: a bad name", "POST", "/v3/projects", admin, nil, `{"project":{"name":"no spaces"}}`)
	status, _, resp := g.call("create a domain", "POST", "/v3/domains", admin, nil, `{"domain":{"name":"acme"}}`)
	must(status, 201)
	acme := field(t, resp, "domain", "id")
	g.call("create a domain: the name is taken", "POST", "/v3/domains", admin, nil, `{"domain":{"name":"acme"}}`)
	g.call("list domains", "GET", "/v3/domains", admin, nil, "")
	status, _, resp = g.call("create a project in another domain", "POST", "/v3/projects", admin, nil, `{"project":{"name":"acme-prod","domain_id":"`+acme+`"}}`)
	must(status, 201)
	acmeProject := field(t, resp, "project", "id")
	g.call("list another domain's projects", "GET", "/v3/projects?domain_id="+acme, admin, nil, "")

	// Users.
	status, _, resp = g.call("create a user in another domain", "POST", "/v3.0/OS-USER/users", admin, nil, `{"user":{"name":"alice","password":"alice-password","domain_id":"`+acme+`"}}`)
	must(status, 201)
	alice := field(t, resp, "user", "id")
	status, _, resp = g.call("create an admin user", "POST", "/v3.0/OS-USER/users", admin, nil, `{"user":{"name":"ops","password":"ops-password","admin":"true"}}`)
	must(status, 201)
	ops := field(t, resp, "user", "id")
	g.call("create a user: the password is short", "POST", "/v3.0/OS-USER/users", admin, nil, `{"user":{"name":"bob","password":"short"}}`)
	g.call("create a user: the name is taken", "POST", "/v3.0/OS-USER/users", admin, nil, `{"user":{"name":"ops","password":"ops-password"}}`)
	g.call("create a user: a mistyped field", "POST", "/v3.0/OS-USER/users", admin, nil, `{"user":{"name":7}}`)
	g.call("list users", "GET", "/v3/users", admin, nil, "")
	g.call("list another domain's users", "GET", "/v3/users?domain_id="+acme, admin, nil, "")
	g.call("list users: no such domain", "GET", "/v3/users?domain_id="+strings.Repeat("0", 32), admin, nil, "")

	// Access keys.
	g.call("list the caller's access keys", "GET", "/v3.0/OS-CREDENTIAL/credentials", admin, nil, "")
	status, _, resp = g.call("create an access key for a user", "POST", "/v3.0/OS-CREDENTIAL/credentials", admin, nil, `{"credential":{"user_id":"`+alice+`","description":"alice's <key> & more"}}`)
	must(status, 201)
	ak := field(t, resp, "credential", "access")
	g.call("list a user's access keys", "GET", "/v3.0/OS-CREDENTIAL/credentials?user_id="+alice, admin, nil, "")
	g.call("list access keys: the user has none", "GET", "/v3.0/OS-CREDENTIAL/credentials?user_id="+ops, admin, nil, "")
	g.call("create an access key: the description is long", "POST", "/v3.0/OS-CREDENTIAL/credentials", admin, nil, `{"credential":{"description":"`+strings.Repeat("d", 256)+`"}}`)

	// A user who is not an admin.
	status, rh, _ = g.call("token of a user of another domain", "POST", "/v3/auth/tokens?nocatalog=1", anonymous, nil, password("alice", "acme", "alice-password", `{"project":{"id":"`+acmeProject+`"}}`))
	must(status, 201)
	aliceTok := token("alice's token", rh)
	g.call("a user lists the domains", "GET", "/v3/domains", aliceTok, nil, "")
	g.call("a user lists the projects", "GET", "/v3/projects", aliceTok, nil, "")
	g.call("a user lists another domain's projects", "GET", "/v3/projects?domain_id="+strings.Repeat("0", 32), aliceTok, nil, "")
	g.call("a user lists the users", "GET", "/v3/users", aliceTok, nil, "")
	g.call("a user creates a domain", "POST", "/v3/domains", aliceTok, nil, `{"domain":{"name":"mine"}}`)
	g.call("a user creates a project", "POST", "/v3/projects", aliceTok, nil, `{"project":{"name":"mine"}}`)
	g.call("a user lists the own access keys", "GET", "/v3.0/OS-CREDENTIAL/credentials", aliceTok, nil, "")
	g.call("a user lists another user's access keys", "GET", "/v3.0/OS-CREDENTIAL/credentials?user_id="+ops, aliceTok, nil, "")
	g.call("a user revokes an admin's token", "DELETE", "/v3/auth/tokens", aliceTok, subject(adminTok.token), "")
	g.call("a user validates an admin's token", "GET", "/v3/auth/tokens", aliceTok, subject(adminTok.token), "")
	g.call("delete an access key", "DELETE", "/v3.0/OS-CREDENTIAL/credentials/"+ak, admin, nil, "")
	g.call("delete an access key: it is gone", "DELETE", "/v3.0/OS-CREDENTIAL/credentials/"+ak, admin, nil, "")

	// Sign-ins and tokens refused.
	g.call("sign in: not JSON", "POST", "/v3/auth/tokens", anonymous, nil, `{`)
	g.call("sign in: an empty body", "POST", "/v3/auth/tokens", anonymous, nil, "")
	g.call("sign in: a mistyped field", "POST", "/v3/auth/tokens", anonymous, nil, `{"auth":{"identity":{"methods":"password"}}}`)
	g.call("sign in: no password method", "POST", "/v3/auth/tokens", anonymous, nil, `{"auth":{"identity":{"methods":["token"]}}}`)
	g.call("sign in: no password", "POST", "/v3/auth/tokens", anonymous, nil, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin"}}}}}`)
	g.call("sign in: no scope", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", testPassword, `null`))
	g.call("sign in: no such project", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", testPassword, `{"project":{"name":"nowhere"}}`))
	g.call("sign in: another domain", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", testPassword, `{"domain":{"name":"acme"}}`))
	g.call("sign in: a wrong password", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", "wrong-password", byName))
	g.call("sign in: no such user", "POST", "/v3/auth/tokens", anonymous, nil, password("nobody", "admin", testPassword, byName))
	g.call("no credentials", "GET", "/v3/projects", anonymous, nil, "")
	g.call("a token that does not verify", "GET", "/v3/projects", as{label: "a forged token", token: "lt1.e30.AAAA"}, nil, "")
	g.call("validate: no subject token", "GET", "/v3/auth/tokens", admin, nil, "")
	g.call("validate: a subject token that does not verify", "GET", "/v3/auth/tokens", admin, subject("lt1.e30.AAAA"), "")

	// Revocation.
	g.call("a token revokes itself", "DELETE", "/v3/auth/tokens", spareTok, subject(spareTok.token), "")
	g.call("validate a revoked token", "GET", "/v3/auth/tokens", admin, subject(spareTok.token), "")
	g.call("a revoked token calls", "GET", "/v3/projects", spareTok, nil, "")

	// Failed sign-ins from one address end in a wait; the attempts up to it
	// are alike and not written down.
	bad := password("admin", "admin", "wrong-password", byName)
	throttled := false
	for range 20 {
		if status, _, _ := g.e.raw("POST", "/v3/auth/tokens", []byte(bad), http.Header{"Content-Type": {"application/json"}}, nil); status == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("twenty failed sign-ins were not throttled")
	}
	g.call("sign in: throttled", "POST", "/v3/auth/tokens", anonymous, nil, password("admin", "admin", testPassword, byName))

	golden := filepath.Join("testdata", "iam_golden.txt")
	got := g.out.String()
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var a, b string
			if i < len(gl) {
				a = gl[i]
			}
			if i < len(wl) {
				b = wl[i]
			}
			if a != b {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s", golden, i+1, a, b)
			}
		}
	}
}
