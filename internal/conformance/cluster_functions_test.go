package conformance

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2/model"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/objstore"
	"logtank/internal/objstore/s3test"
	"logtank/internal/runtime"
	"logtank/internal/server"
)

// TestClusterRunsFunctionsFromTheBucket: two nodes share a PostgreSQL
// catalog and an S3 bucket (versitygw) for code packages. A function made
// on a runs on b, which fetches its package by digest; new code made on a
// runs on b too; b shows the code a stored; deleting the function on a
// removes its packages from the bucket.
func TestClusterRunsFunctionsFromTheBucket(t *testing.T) {
	needPrograms(t, "bash")
	url := pgtest.URL(t)
	const ak, sk = "cluster-fgs-ak", "cluster-fgs-sk"
	s3 := s3test.Start(t, ak, sk)
	if err := os.Mkdir(filepath.Join(s3.Dir, "fgs-code"), 0o755); err != nil {
		t.Fatal(err)
	}
	node := func(dir string) *env {
		objects, err := objstore.NewS3(objstore.S3Config{Endpoint: "http://" + s3.Addr, AccessKey: ak, SecretKey: sk, PathStyle: true, Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		return startWith(t, dir, func(c *server.Config) {
			c.Catalog, c.Objects, c.FunctionsBucket = url, objects, "fgs-code"
		})
	}
	a, b := node(""), node("")
	// stored lists the packages a node keeps of its functions.
	stored := func(e *env) []string {
		var out []string
		matches, _ := filepath.Glob(filepath.Join(e.dir, "functions", "*", "*.zip"))
		for _, m := range matches {
			out = append(out, filepath.Base(m))
		}
		return out
	}
	answer := func(version string) []byte {
		return zipOf(t, zipFile{name: "bootstrap", mode: 0o755, text: bashBootstrap(`handle() { body='{"code":"` + version + `"}'; }`)})
	}
	first := answer("first")
	createFunction(t, a.fgs(), "shared", "Custom", "bootstrap", first)
	var got struct{ Code string }
	resultOf(t, invokeV1(t, b.fgs(), urnOf("shared", "latest"), map[string]any{}), &got)
	if got.Code != "first" {
		t.Fatalf("b ran %q", got.Code)
	}
	code, err := b.fgs().ShowFunctionCode(&model.ShowFunctionCodeRequest{FunctionUrn: urnOf("shared", "latest")})
	if err != nil {
		t.Fatal(err)
	}
	if code.FuncCode == nil || code.FuncCode.File == nil || *code.FuncCode.File != base64.StdEncoding.EncodeToString(first) {
		t.Fatal("b shows other code than a stored")
	}

	second := answer("second")
	updateCode(t, a.fgs(), "shared", second)
	resultOf(t, invokeV1(t, b.fgs(), urnOf("shared", "latest"), map[string]any{}), &got)
	if got.Code != "second" {
		t.Fatalf("b ran %q after the update", got.Code)
	}
	if got := stored(b); len(got) != 2 {
		t.Fatalf("b keeps %q, want the two packages it fetched", got)
	}
	// b's sweep at its start removes the package no version names since
	// the update made through a.
	b.stop()
	b = node(b.dir)
	if got := stored(b); !slices.Equal(got, []string{runtime.Digest(second) + ".zip"}) {
		t.Fatalf("b keeps %q after its restart, want only the second package", got)
	}

	objects, err := objstore.NewS3(objstore.S3Config{Endpoint: "http://" + s3.Addr, AccessKey: ak, SecretKey: sk, PathStyle: true, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := objects.List(context.Background(), "fgs-code", "functions/")
	if err != nil || len(keys) != 2 {
		t.Fatalf("bucket holds %q (%v), want the two packages", keys, err)
	}
	if _, err := a.fgs().DeleteFunction(&model.DeleteFunctionRequest{FunctionUrn: urnOf("shared", "")}); err != nil {
		t.Fatal(err)
	}
	if keys, err := objects.List(context.Background(), "fgs-code", "functions/"); err != nil || len(keys) != 0 {
		t.Fatalf("bucket holds %q (%v) after the function was deleted", keys, err)
	}
	// And the copy b fetched of the function deleted through a goes at
	// b's next sweep.
	b.stop()
	b = node(b.dir)
	if got := stored(b); len(got) != 0 {
		t.Fatalf("b keeps %q of a deleted function", got)
	}
}
