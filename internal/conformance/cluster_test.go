package conformance

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/iam"
	"logtank/internal/server"
)

// startNode starts a server on a data folder of its own and the shared
// PostgreSQL catalog at url: one node of a cluster.
func startNode(t *testing.T, url string) *env {
	t.Helper()
	return startWith(t, "", func(c *server.Config) { c.Catalog = url })
}

// openCatalog opens the cluster's catalog at url beside its nodes, closed
// when the test ends.
func openCatalog(tb testing.TB, url string) *catalog.DB {
	tb.Helper()
	db, err := catalog.Open(context.Background(), url, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// within fails the test unless ok holds within d of now: how quickly one
// node sees what another changed.
func within(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNodesShareTheCatalog: two nodes on one PostgreSQL catalog see each
// other's groups at once, and each other's keys, revocations and streams
// within a second.
func TestNodesShareTheCatalog(t *testing.T) {
	url := pgtest.URL(t)
	a, b := startNode(t, url), startNode(t, url)
	if a.Info.ProjectID != b.Info.ProjectID || !a.Info.Created || b.Info.Created {
		t.Fatalf("first start: %+v then %+v", a.Info, b.Info)
	}

	id := mustCreateGroup(t, a.lts(), "shared", 7)
	if got := mustFindGroup(t, b.lts(), id); got.LogGroupName != "shared" {
		t.Fatalf("node b sees %+v", got)
	}

	// An access key made on a works on b, and once deleted on a, b refuses it.
	var key struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	a.iamCall(t, testAK, testSK, "POST", "/v3.0/OS-CREDENTIAL/credentials", map[string]any{"credential": map[string]string{"description": "cluster"}}, 201, &key)
	onB := b.ltsClient(key.Credential.Access, key.Credential.Secret, testProject, nil)
	within(t, time.Second, "a new key works on the other node", func() bool { return listGroups(onB) == nil })
	a.iamCall(t, testAK, testSK, "DELETE", "/v3.0/OS-CREDENTIAL/credentials/"+key.Credential.Access, nil, 204, nil)
	within(t, time.Second, "a deleted key is refused by the other node", func() bool { return listGroups(onB) != nil })

	// A token issued by a works on b until a revokes it.
	tok := a.adminToken()
	if err := listGroups(b.ltsToken(tok, testProject)); err != nil {
		t.Fatalf("a's token on b: %v", err)
	}
	status, _, body := a.raw("DELETE", "/v3/auth/tokens", nil, http.Header{"X-Subject-Token": {tok}, "X-Auth-Token": {tok}}, nil)
	if status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	within(t, time.Second, "a revoked token is refused by the other node", func() bool {
		return listGroups(b.ltsToken(tok, testProject)) != nil
	})

	// A stream made on a takes logs through b.
	s, err := a.lts().CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: id, Body: &model.CreateLogStreamParams{LogStreamName: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v2/" + testProject + "/lts/groups/" + id + "/streams/" + *s.LogStreamId + "/tenant/contents"
	within(t, time.Second, "a new stream takes logs on the other node", func() bool {
		status, _ := b.post(t, path, map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": []string{"hello"}, "labels": map[string]string{}}, nil)
		return status == http.StatusOK
	})
}

// TestNodesStartTogether: three nodes started at the same instant on an
// empty PostgreSQL catalog all start (one of them makes the first-start
// accounts, the others find them), as a deployment that starts every node
// at once does.
func TestNodesStartTogether(t *testing.T) {
	url := pgtest.URL(t)
	errs := make(chan error, 3)
	apps := make(chan *server.App, 3)
	for range 3 {
		go func() {
			app, err := server.Open(context.Background(), server.Config{
				DataDir: t.TempDir(), Region: testRegion, Logger: slog.New(slog.DiscardHandler), Catalog: url,
				Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
			})
			errs <- err
			apps <- app
		}()
	}
	created := 0
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("a node did not start: %v", err)
		}
		if app := <-apps; app != nil {
			if app.FirstStart.Created {
				created++
			}
			srv := httptest.NewServer(app.Handler())
			e := &env{t: t, app: app, srv: srv, URL: srv.URL, Info: app.FirstStart}
			t.Cleanup(e.stop)
			if err := listGroups(e.lts()); err != nil {
				t.Errorf("a node refuses the first-start key: %v", err)
			}
		}
	}
	if created != 1 {
		t.Fatalf("%d nodes report making the first-start accounts, want 1", created)
	}
}
