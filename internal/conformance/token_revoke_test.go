package conformance

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	iamv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
)

// TestTokenValidateAndRevoke: KeystoneValidateToken tells what a token
// is; DELETE /v3/auth/tokens revokes it at once, for good (across a
// restart), and only its user or an admin of its domain may.
func TestTokenValidateAndRevoke(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	hc, err := iamv3.IamClientBuilder().WithEndpoints([]string{e.URL}).
		WithCredential(global.NewCredentialsBuilder().WithAk(testAK).WithSk(testSK).Build()).
		WithHttpConfig(config.DefaultHttpConfig().WithRetries(0)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	iam := iamv3.NewIamClient(hc)
	tok, other := e.adminToken(), e.adminToken()
	nocatalog := "true"
	got, err := iam.KeystoneValidateToken(&iammodel.KeystoneValidateTokenRequest{XSubjectToken: tok, Nocatalog: &nocatalog})
	if err != nil {
		t.Fatal(err)
	}
	if got.Token == nil || got.Token.User == nil || got.Token.User.Name != "admin" || got.Token.Project == nil || got.Token.Project.Id != testProject || got.XSubjectToken == nil || *got.XSubjectToken != tok {
		t.Fatalf("validate: %+v", got)
	}
	revoke := func(subject string, with http.Header) (int, []byte) {
		t.Helper()
		h := http.Header{"X-Subject-Token": {subject}}
		for k, v := range with {
			h[k] = v
		}
		sign := signer(testAK, testSK, "", time.Now())
		if with.Get("X-Auth-Token") != "" {
			sign = nil
		}
		status, _, body := e.raw("DELETE", "/v3/auth/tokens", nil, h, sign)
		return status, body
	}
	// A token revokes itself.
	if status, body := revoke(tok, http.Header{"X-Auth-Token": {tok}}); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if err := listGroups(e.ltsToken(tok, testProject)); err == nil {
		t.Fatal("a revoked token still works")
	}
	_, err = iam.KeystoneValidateToken(&iammodel.KeystoneValidateTokenRequest{XSubjectToken: tok})
	wantErr(t, err, 404, "IAM.0005")
	// The other token of the same user is untouched, until the admin's
	// access key revokes it.
	if err := listGroups(e.ltsToken(other, testProject)); err != nil {
		t.Fatal(err)
	}
	if status, body := revoke(other, nil); status != http.StatusNoContent {
		t.Fatalf("revoke with an access key: %d %s", status, body)
	}
	e.stop()
	e = start(t, dir)
	if err := listGroups(e.ltsToken(other, testProject)); err == nil {
		t.Fatal("a revoked token works again after a restart")
	}
	if status, body := revoke("", http.Header{"X-Auth-Token": {e.adminToken()}}); status != 400 || errorCode(t, body) != "IAM.0009" {
		t.Fatalf("no subject token: %d %s", status, body)
	}
	// A user who is not an admin may not revoke another user's token.
	var domains struct {
		Domains []struct{ ID, Name string } `json:"domains"`
	}
	e.iamCall(t, testAK, testSK, "GET", "/v3/domains", nil, 200, &domains)
	e.iamCall(t, testAK, testSK, "POST", "/v3.0/OS-USER/users", map[string]any{"user": map[string]any{"name": "carol", "password": "carol-password", "domain_id": domains.Domains[0].ID}}, 201, nil)
	carol, status, body := e.token(passwordAuth("carol", "admin", "carol-password", map[string]any{"project": map[string]string{"name": testRegion}}))
	if status != http.StatusCreated {
		t.Fatalf("carol's token: %d %s", status, body)
	}
	admins := e.adminToken()
	if status, body := revoke(admins, http.Header{"X-Auth-Token": {carol}}); status != 403 || errorCode(t, body) != "IAM.0004" {
		t.Fatalf("carol revoking the admin's token: %d %s", status, body)
	}
	if err := listGroups(e.ltsToken(admins, testProject)); err != nil {
		t.Fatal(err)
	}
}

// TestSignInThrottle: after ten failed passwords an address waits before
// it may try again (429 APIGW.0308 with Retry-After); others may go on.
func TestSignInThrottle(t *testing.T) {
	e := start(t, "")
	bad := passwordAuth("admin", "admin", "not-the-password", map[string]any{"project": map[string]string{"name": testRegion}})
	for i := range 10 {
		if _, status, body := e.token(bad); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i, status, body)
		}
	}
	b, _ := json.Marshal(bad)
	status, header, body := e.raw("POST", "/v3/auth/tokens", b, http.Header{"Content-Type": {"application/json"}}, nil)
	if status != http.StatusTooManyRequests || errorCode(t, body) != "APIGW.0308" || header.Get("Retry-After") == "" {
		t.Fatalf("the eleventh attempt: %d %s %v", status, body, header)
	}
	// The right password waits too: the address is throttled, not the try.
	good := passwordAuth("admin", "admin", testPassword, map[string]any{"project": map[string]string{"name": testRegion}})
	if _, status, _ := e.token(good); status != http.StatusTooManyRequests {
		t.Fatalf("a good password from a throttled address: %d", status)
	}
	// Signed requests are not sign-ins: they go on.
	if err := listGroups(e.lts()); err != nil {
		t.Fatal(err)
	}
}
