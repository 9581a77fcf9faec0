package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// iamCall sends a signed IAM request (no project in the path) and decodes
// a 2xx answer into out.
func (e *env) iamCall(t *testing.T, ak, sk, method, path string, body any, wantStatus int, out any) []byte {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	status, _, resp := e.raw(method, path, b, http.Header{"Content-Type": {"application/json"}}, signer(ak, sk, "", time.Now()))
	if status != wantStatus {
		t.Fatalf("%s %s: got %d %s, want %d", method, path, status, resp, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}

// newProject creates a project of the first-start domain and returns its id.
func (e *env) newProject(t *testing.T, name string) string {
	t.Helper()
	var proj struct {
		Project struct{ ID string } `json:"project"`
	}
	e.iamCall(t, testAK, testSK, "POST", "/v3/projects", map[string]any{"project": map[string]string{"name": name}}, 201, &proj)
	return proj.Project.ID
}

func TestTenants(t *testing.T) {
	e := start(t, "")
	var dom struct {
		Domain struct{ ID string } `json:"domain"`
	}
	e.iamCall(t, testAK, testSK, "POST", "/v3/domains", map[string]any{"domain": map[string]string{"name": "acme"}}, 201, &dom)
	e.iamCall(t, testAK, testSK, "POST", "/v3/domains", map[string]any{"domain": map[string]string{"name": "acme"}}, 409, nil)

	var proj struct {
		Project struct{ ID string } `json:"project"`
	}
	e.iamCall(t, testAK, testSK, "POST", "/v3/projects", map[string]any{"project": map[string]string{"name": "cn-north-4", "domain_id": dom.Domain.ID}}, 201, &proj)
	var user struct {
		User struct{ ID string } `json:"user"`
	}
	e.iamCall(t, testAK, testSK, "POST", "/v3.0/OS-USER/users", map[string]any{"user": map[string]any{"name": "alice", "password": "alice-password", "domain_id": dom.Domain.ID}}, 201, &user)
	e.iamCall(t, testAK, testSK, "POST", "/v3.0/OS-USER/users", map[string]any{"user": map[string]any{"name": "bob", "password": "short", "domain_id": dom.Domain.ID}}, 400, nil)
	var key struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	e.iamCall(t, testAK, testSK, "POST", "/v3.0/OS-CREDENTIAL/credentials", map[string]any{"credential": map[string]string{"user_id": user.User.ID}}, 201, &key)
	if len(key.Credential.Access) != 20 || len(key.Credential.Secret) != 40 {
		t.Fatalf("key %+v", key)
	}

	alice := e.ltsClient(key.Credential.Access, key.Credential.Secret, proj.Project.ID, nil)
	if _, err := alice.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "acme-logs", TtlInDays: 7}}); err != nil {
		t.Fatal(err)
	}
	// Each tenant sees only its own project.
	wantErr(t, listGroups(e.ltsClient(key.Credential.Access, key.Credential.Secret, testProject, nil)), 403, "LTS.0001")
	wantErr(t, listGroups(e.ltsClient(testAK, testSK, proj.Project.ID, nil)), 403, "LTS.0001")
	mine, err := e.lts().ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil || len(*mine.LogGroups) != 0 {
		t.Fatalf("admin project sees %v, %v", mine, err)
	}
	// Alice may sign in with her password in her own domain.
	tok, status, body := e.token(passwordAuth("alice", "acme", "alice-password", map[string]any{"project": map[string]string{"id": proj.Project.ID}}))
	if status != 201 {
		t.Fatalf("alice's token: %d %s", status, body)
	}
	if err := listGroups(e.ltsToken(tok, proj.Project.ID)); err != nil {
		t.Fatal(err)
	}
	// The server's metrics cover every tenant: only the operator may scrape.
	req, _ := http.NewRequest("GET", e.URL+"/metrics", nil)
	req.SetBasicAuth(key.Credential.Access, key.Credential.Secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("a tenant scraped /metrics: %v %v", resp, err)
	}
	// A non-admin user manages no accounts, but her own keys.
	e.iamCall(t, key.Credential.Access, key.Credential.Secret, "POST", "/v3/projects", map[string]any{"project": map[string]string{"name": "x"}}, 403, nil)
	e.iamCall(t, key.Credential.Access, key.Credential.Secret, "POST", "/v3/domains", map[string]any{"domain": map[string]string{"name": "evil"}}, 403, nil)
	var second struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	e.iamCall(t, key.Credential.Access, key.Credential.Secret, "POST", "/v3.0/OS-CREDENTIAL/credentials", map[string]any{"credential": map[string]string{"description": "ci"}}, 201, &second)
	var keys struct {
		Credentials []struct{ Access string } `json:"credentials"`
	}
	e.iamCall(t, second.Credential.Access, second.Credential.Secret, "GET", "/v3.0/OS-CREDENTIAL/credentials", nil, 200, &keys)
	if len(keys.Credentials) != 2 {
		t.Fatalf("alice's keys: %+v", keys)
	}
	// ...and cannot touch, nor learn of, the keys and users of another
	// domain: they answer as absent ones do.
	for _, access := range []string{testAK, "NOSUCHKEY0000000000"} {
		body := e.iamCall(t, second.Credential.Access, second.Credential.Secret, "DELETE", "/v3.0/OS-CREDENTIAL/credentials/"+access, nil, 404, nil)
		if !strings.Contains(string(body), "Could not find access key "+access) {
			t.Fatalf("deleting %s: %s", access, body)
		}
	}
	var admins struct {
		Users []struct{ ID string } `json:"users"`
	}
	e.iamCall(t, testAK, testSK, "GET", "/v3/users", nil, 200, &admins)
	e.iamCall(t, second.Credential.Access, second.Credential.Secret, "GET", "/v3.0/OS-CREDENTIAL/credentials?user_id="+admins.Users[0].ID, nil, 404, nil)
	e.iamCall(t, second.Credential.Access, second.Credential.Secret, "GET", "/v3.0/OS-CREDENTIAL/credentials?user_id=nosuchuser", nil, 404, nil)
	// A deleted key stops working at once.
	e.iamCall(t, second.Credential.Access, second.Credential.Secret, "DELETE", "/v3.0/OS-CREDENTIAL/credentials/"+key.Credential.Access, nil, 204, nil)
	wantErr(t, listGroups(alice), 401, "LTS.0003")
	e.iamCall(t, testAK, testSK, "DELETE", "/v3.0/OS-CREDENTIAL/credentials/NOSUCHKEY", nil, 404, nil)
}
