package objstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"logtank/internal/objstore/s3test"
)

const (
	testAccessKey = "objstore-test-ak"
	testSecretKey = "objstore-test-sk"
)

// versitygw is a real S3-compatible server serving one local directory.
type versitygw struct {
	addr string // 127.0.0.1:port
	dir  string // each folder in it is a bucket
}

func startVersitygw(t *testing.T) *versitygw {
	s := s3test.Start(t, testAccessKey, testSecretKey)
	return &versitygw{addr: s.Addr, dir: s.Dir}
}

func (g *versitygw) store(t *testing.T, secret string) *S3 {
	t.Helper()
	s, err := NewS3(S3Config{Endpoint: "http://" + g.addr, AccessKey: testAccessKey, SecretKey: secret, PathStyle: true, Insecure: true})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return s
}

func TestS3Contract(t *testing.T) {
	g := startVersitygw(t)
	testContract(t, fixture{store: g.store(t, testSecretKey), mkBucket: func(t *testing.T, name string) {
		if err := os.Mkdir(filepath.Join(g.dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}})
}

func TestS3WrongSecretIsAccessDenied(t *testing.T) {
	ctx := context.Background()
	g := startVersitygw(t)
	if err := os.Mkdir(filepath.Join(g.dir, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	good, bad := g.store(t, testSecretKey), g.store(t, "not-the-secret")
	put(t, good, "bkt", "k", "v")

	_, err := bad.BucketExists(ctx, "bkt")
	wantIs(t, "BucketExists", err, ErrAccessDenied)
	// A wrong secret must not pass for a missing bucket, even for one that
	// does not exist: callers report LTS.0018, not LTS.0416.
	_, err = bad.BucketExists(ctx, "missing")
	wantIs(t, "BucketExists(missing)", err, ErrAccessDenied)
	if errors.Is(err, ErrNoBucket) {
		t.Fatalf("BucketExists(missing) with a wrong secret also wraps ErrNoBucket: %v", err)
	}
	err = bad.Put(ctx, "bkt", "k2", bytes.NewReader([]byte("x")), 1)
	wantIs(t, "Put", err, ErrAccessDenied)
	_, err = bad.Get(ctx, "bkt", "k")
	wantIs(t, "Get", err, ErrAccessDenied)
	_, err = bad.List(ctx, "bkt", "")
	wantIs(t, "List", err, ErrAccessDenied)
	err = bad.Delete(ctx, "bkt", "k")
	wantIs(t, "Delete", err, ErrAccessDenied)
	wantList(t, good, "bkt", "", "k")
}

func TestNewS3Config(t *testing.T) {
	ok := []S3Config{
		{Endpoint: "obs.cn-north-4.myhuaweicloud.com", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "https://obs.cn-north-4.myhuaweicloud.com", AccessKey: "a", SecretKey: "s", Region: "cn-north-4"},
		{Endpoint: "http://127.0.0.1:9000/", AccessKey: "a", SecretKey: "s", PathStyle: true, Insecure: true},
	}
	for _, c := range ok {
		if _, err := NewS3(c); err != nil {
			t.Errorf("NewS3(%+v): %v", c, err)
		}
	}
	bad := []struct {
		cfg  S3Config
		want string
	}{
		{S3Config{AccessKey: "a", SecretKey: "s"}, "endpoint is empty"},
		{S3Config{Endpoint: "h:9000"}, "access key and secret key are required"},
		{S3Config{Endpoint: "ftp://h", AccessKey: "a", SecretKey: "s"}, "scheme must be http or https"},
		{S3Config{Endpoint: "http://h", AccessKey: "a", SecretKey: "s"}, "disagrees with insecure=false"},
		{S3Config{Endpoint: "https://h", AccessKey: "a", SecretKey: "s", Insecure: true}, "disagrees with insecure=true"},
		{S3Config{Endpoint: "https://h/path", AccessKey: "a", SecretKey: "s"}, "no path or query"},
	}
	for _, c := range bad {
		_, err := NewS3(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewS3(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}
