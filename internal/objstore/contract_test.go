package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
)

// fixture is one Store under test plus a way to create a bucket behind its
// back (a Store never creates buckets itself).
type fixture struct {
	store    Store
	mkBucket func(t *testing.T, name string)
}

// testContract runs the Store contract against one implementation. Every case
// gets a bucket of its own so the cases cannot see each other's objects.
func testContract(t *testing.T, f fixture) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s Store, b string)
	}{
		{"PutGetListDelete", func(t *testing.T, s Store, b string) {
			put(t, s, b, "one", "first")
			put(t, s, b, "two", "")
			wantGet(t, s, b, "one", "first")
			wantGet(t, s, b, "two", "")
			wantList(t, s, b, "", "one", "two")
			if err := s.Delete(ctx, b, "one"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			wantMissing(t, s, b, "one")
			wantList(t, s, b, "", "two")
		}},
		{"Overwrite", func(t *testing.T, s Store, b string) {
			put(t, s, b, "k", "a longer first version")
			put(t, s, b, "k", "v2")
			wantGet(t, s, b, "k", "v2")
			wantList(t, s, b, "", "k")
		}},
		{"NestedKeysAndPrefixes", func(t *testing.T, s Store, b string) {
			for _, k := range []string{"x/2026/01/a.log", "x/2026/01/b.log", "x/2026/02/a.log", "x/20261", "y/z", "top"} {
				put(t, s, b, k, "data of "+k)
			}
			wantGet(t, s, b, "x/2026/02/a.log", "data of x/2026/02/a.log")
			wantList(t, s, b, "", "top", "x/2026/01/a.log", "x/2026/01/b.log", "x/2026/02/a.log", "x/20261", "y/z")
			wantList(t, s, b, "x/2026/01/", "x/2026/01/a.log", "x/2026/01/b.log")
			wantList(t, s, b, "x/2026", "x/2026/01/a.log", "x/2026/01/b.log", "x/2026/02/a.log", "x/20261")
			wantList(t, s, b, "x/2026/0", "x/2026/01/a.log", "x/2026/01/b.log", "x/2026/02/a.log")
			wantList(t, s, b, "x/2026/01/b", "x/2026/01/b.log")
			wantList(t, s, b, "nothing/here/")
			wantList(t, s, b, "../")
		}},
		{"BigObject", func(t *testing.T, s Store, b string) {
			data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
			if err := s.Put(ctx, b, "big", bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if got := get(t, s, b, "big"); !bytes.Equal([]byte(got), data) {
				t.Fatalf("Get big: %d bytes back, want %d identical", len(got), len(data))
			}
		}},
		{"Ranges", func(t *testing.T, s Store, b string) {
			data := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
			data[40000] = 'X'
			if err := s.Put(ctx, b, "r", bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatalf("Put: %v", err)
			}
			for _, c := range []struct{ off, n int64 }{{0, 1}, {0, 65536}, {39990, 20}, {65535, 1}, {65000, 4096}, {65536, 10}, {70000, 5}} {
				want := data[min(c.off, int64(len(data))):min(c.off+c.n, int64(len(data)))]
				if got := getRange(t, s, b, "r", c.off, c.n); !bytes.Equal(got, want) {
					t.Fatalf("GetRange(%d, %d) = %d bytes %q..., want %d bytes", c.off, c.n, len(got), got[:min(len(got), 16)], len(want))
				}
			}
			_, err := s.GetRange(ctx, b, "absent", 0, 10)
			wantIs(t, "GetRange of an absent key", err, ErrNotFound)
			_, err = s.GetRange(ctx, "no-such-bucket", "r", 0, 10)
			wantIs(t, "GetRange in a missing bucket", err, ErrNoBucket)
			_, err = s.GetRange(ctx, b, "../r", 0, 10)
			wantIs(t, "GetRange of a bad key", err, ErrInvalidName)
			for _, bad := range []struct{ off, n int64 }{{-1, 10}, {0, 0}, {5, -2}} {
				if rc, err := s.GetRange(ctx, b, "r", bad.off, bad.n); err == nil {
					rc.Close()
					t.Fatalf("GetRange(%d, %d): nil error", bad.off, bad.n)
				}
			}
		}},
		{"UnknownSize", func(t *testing.T, s Store, b string) {
			if err := s.Put(ctx, b, "u", onlyReader{bytes.NewReader([]byte("no length"))}, -1); err != nil {
				t.Fatalf("Put size -1: %v", err)
			}
			wantGet(t, s, b, "u", "no length")
		}},
		{"MissingKey", func(t *testing.T, s Store, b string) {
			wantMissing(t, s, b, "absent")
			wantMissing(t, s, b, "absent/deeper")
			if err := s.Delete(ctx, b, "absent"); err != nil {
				t.Fatalf("Delete of an absent key: %v, want nil", err)
			}
			wantList(t, s, b, "")
		}},
		{"MissingBucket", func(t *testing.T, s Store, _ string) {
			const b = "no-such-bucket"
			ok, err := s.BucketExists(ctx, b)
			if err != nil || ok {
				t.Fatalf("BucketExists(%q) = %v, %v; want false, nil", b, ok, err)
			}
			err = s.Put(ctx, b, "k", bytes.NewReader([]byte("x")), 1)
			wantIs(t, "Put", err, ErrNoBucket)
			_, err = s.Get(ctx, b, "k")
			wantIs(t, "Get", err, ErrNoBucket)
			_, err = s.List(ctx, b, "")
			wantIs(t, "List", err, ErrNoBucket)
			err = s.Delete(ctx, b, "k")
			wantIs(t, "Delete", err, ErrNoBucket)
			// The bucket must still not exist: nothing created it.
			if ok, err := s.BucketExists(ctx, b); err != nil || ok {
				t.Fatalf("after the calls, BucketExists(%q) = %v, %v; want false, nil", b, ok, err)
			}
		}},
		{"BucketExists", func(t *testing.T, s Store, b string) {
			ok, err := s.BucketExists(ctx, b)
			if err != nil || !ok {
				t.Fatalf("BucketExists(%q) = %v, %v; want true, nil", b, ok, err)
			}
		}},
		{"FailingReaderLeavesNothing", func(t *testing.T, s Store, b string) {
			put(t, s, b, "kept", "old")
			const size = 256 << 10
			r := &failingReader{left: size / 2}
			err := s.Put(ctx, b, "broken", r, size)
			wantIs(t, "Put with a reader failing halfway", err, errSourceBroke)
			err = s.Put(ctx, b, "kept", &failingReader{left: size / 2}, size)
			wantIs(t, "overwriting Put with a reader failing halfway", err, errSourceBroke)
			wantMissing(t, s, b, "broken")
			wantGet(t, s, b, "kept", "old")
			wantList(t, s, b, "", "kept")
		}},
		{"ShortReaderLeavesNothing", func(t *testing.T, s Store, b string) {
			err := s.Put(ctx, b, "short", onlyReader{bytes.NewReader([]byte("only 16 bytes..."))}, 100)
			if err == nil {
				t.Fatal("Put of 16 bytes announced as 100: nil error")
			}
			wantMissing(t, s, b, "short")
			wantList(t, s, b, "")
		}},
		{"ConcurrentPuts", func(t *testing.T, s Store, b string) {
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					body := fmt.Sprintf("body %d", i)
					key := fmt.Sprintf("c/%d/obj", i)
					errs[i] = s.Put(ctx, b, key, bytes.NewReader([]byte(body)), int64(len(body)))
				})
			}
			wg.Wait()
			var want []string
			for i, err := range errs {
				if err != nil {
					t.Fatalf("Put %d: %v", i, err)
				}
				want = append(want, fmt.Sprintf("c/%d/obj", i))
				wantGet(t, s, b, want[i], fmt.Sprintf("body %d", i))
			}
			wantList(t, s, b, "c/", want...)
		}},
		{"InvalidNames", func(t *testing.T, s Store, b string) {
			for _, bad := range badBuckets {
				_, err := s.BucketExists(ctx, bad)
				wantIs(t, fmt.Sprintf("BucketExists(%q)", bad), err, ErrInvalidName)
				err = s.Put(ctx, bad, "k", bytes.NewReader(nil), 0)
				wantIs(t, fmt.Sprintf("Put(%q)", bad), err, ErrInvalidName)
				_, err = s.List(ctx, bad, "")
				wantIs(t, fmt.Sprintf("List(%q)", bad), err, ErrInvalidName)
			}
			for _, bad := range badKeys {
				err := s.Put(ctx, b, bad, bytes.NewReader([]byte("x")), 1)
				wantIs(t, fmt.Sprintf("Put(key %q)", bad), err, ErrInvalidName)
				_, err = s.Get(ctx, b, bad)
				wantIs(t, fmt.Sprintf("Get(key %q)", bad), err, ErrInvalidName)
				err = s.Delete(ctx, b, bad)
				wantIs(t, fmt.Sprintf("Delete(key %q)", bad), err, ErrInvalidName)
			}
			wantList(t, s, b, "")
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := fmt.Sprintf("case-%02d", i)
			f.mkBucket(t, b)
			c.run(t, f.store, b)
		})
	}
}

var badBuckets = []string{"", "ab", string(make([]byte, 64)), "Upper", "under_score", "-lead", "trail-", ".dot", "a..b", "sla/sh", "../up"}

var badKeys = []string{"", "/abs", "../escape", "a/../../escape", "a/./b", "a//b", "trailing/", ".", "..", "nul\x00byte", "bad\xffutf8", tempPrefix + "x", "a/" + tempPrefix + "y", string(bytes.Repeat([]byte("k"), maxKeyLen+1))}

func put(t *testing.T, s Store, b, key, body string) {
	t.Helper()
	if err := s.Put(context.Background(), b, key, bytes.NewReader([]byte(body)), int64(len(body))); err != nil {
		t.Fatalf("Put(%s/%s): %v", b, key, err)
	}
}

func get(t *testing.T, s Store, b, key string) string {
	t.Helper()
	rc, err := s.Get(context.Background(), b, key)
	if err != nil {
		t.Fatalf("Get(%s/%s): %v", b, key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", b, key, err)
	}
	return string(data)
}

func getRange(t *testing.T, s Store, b, key string, off, n int64) []byte {
	t.Helper()
	rc, err := s.GetRange(context.Background(), b, key, off, n)
	if err != nil {
		t.Fatalf("GetRange(%s/%s, %d, %d): %v", b, key, off, n, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s/%s from %d: %v", b, key, off, err)
	}
	return data
}

func wantGet(t *testing.T, s Store, b, key, want string) {
	t.Helper()
	if got := get(t, s, b, key); got != want {
		t.Fatalf("Get(%s/%s) = %q, want %q", b, key, got, want)
	}
}

func wantMissing(t *testing.T, s Store, b, key string) {
	t.Helper()
	rc, err := s.Get(context.Background(), b, key)
	if err == nil {
		rc.Close()
	}
	wantIs(t, fmt.Sprintf("Get(%s/%s)", b, key), err, ErrNotFound)
}

func wantList(t *testing.T, s Store, b, prefix string, want ...string) {
	t.Helper()
	got, err := s.List(context.Background(), b, prefix)
	if err != nil {
		t.Fatalf("List(%s, %q): %v", b, prefix, err)
	}
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List(%s, %q) = %q, want %q", b, prefix, got, want)
	}
}

func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %v", what, err, target)
	}
}

// failingReader gives left bytes, then fails: an upload source dying halfway.
type failingReader struct{ left int }

var errSourceBroke = errors.New("source broke")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, errSourceBroke
	}
	n := min(len(p), f.left)
	for i := range p[:n] {
		p[i] = 'z'
	}
	f.left -= n
	return n, nil
}

// onlyReader hides every method but Read, so an implementation cannot seek or
// learn the length by other means.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
