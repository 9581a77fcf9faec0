package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/segcache"
	"logtank/internal/server"
)

// downStore is a store whose ranged reads fail while down is set, as a
// bucket that cannot be reached.
type downStore struct {
	objstore.Store
	down atomic.Bool
}

func (d *downStore) GetRange(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error) {
	if d.down.Load() {
		return nil, errors.New("dial tcp: connection refused")
	}
	return d.Store.GetRange(ctx, bucket, key, off, n)
}

// TestClusterBucketDownIs503: a node that cannot read the bucket answers
// searches with 503 LTS.0012 (retry later), both when it cannot attach
// the stream's segments and when a block its smallest cache (1 MiB) let
// go is needed again; once the bucket is back it answers as the writer.
func TestClusterBucketDownIs503(t *testing.T) {
	pg := pgtest.URL(t)
	objects := clusterBucket(t)
	writer := startClusterNode(t, pg, objects)
	group, stream := writer.createStream(t, "web", "app")
	from := time.Now().Add(-time.Minute)
	for i := range 60 {
		body, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": benchLines(uint64(i)), "labels": map[string]string{}})
		if status, resp := writer.post(t, "/v2/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/contents", body, nil); status != http.StatusOK {
			t.Fatalf("ingest: %d %s", status, resp)
		}
	}
	db := openCatalog(t, pg)
	within(t, 30*time.Second, "the owner indexes every batch", func() bool {
		h, err := db.StreamIngestHead(context.Background(), stream)
		return err == nil && h.Indexed == h.Head && h.Head == 60
	})
	segs, _ := db.SegmentsAfter(context.Background(), stream, 0)
	var total int64
	for _, s := range segs {
		total += s.Bytes
	}
	if total <= 1<<20 {
		t.Fatalf("%d bytes of segments: the test needs more than the reader's 1 MiB cache", total)
	}
	q, _ := json.Marshal(map[string]any{"start_time": from.UnixMilli(), "end_time": time.Now().Add(time.Minute).UnixMilli(),
		"keywords": "placed", "limit": 10, "is_count": true})
	path := "/v2/" + testProject + "/groups/" + group + "/streams/" + stream + "/content/query"
	count := func(e *env) (int, string) {
		status, resp := e.post(t, path, q, nil)
		var body struct {
			Count     *int64 `json:"count"`
			ErrorCode string `json:"error_code"`
			ErrorMsg  string `json:"error_msg"`
		}
		if err := json.Unmarshal(resp, &body); err != nil {
			t.Fatalf("answer %d %s: %v", status, resp, err)
		}
		if status == http.StatusOK {
			if body.Count == nil {
				t.Fatalf("no count in %s", resp)
			}
			return int(*body.Count), ""
		}
		if status != http.StatusServiceUnavailable || body.ErrorCode != "LTS.0012" || body.ErrorMsg == "" {
			t.Fatalf("answer %d %s; want 200, or 503 LTS.0012 with a message", status, resp)
		}
		return -1, body.ErrorCode
	}
	want, _ := count(writer)
	if want != 60_000 {
		t.Fatalf("the writer counts %d lines, want 60000", want)
	}

	flaky := &downStore{Store: objects}
	flaky.down.Store(true)
	reader := startWith(t, "", func(c *server.Config) {
		c.Catalog = pg
		c.Cluster = &ltscore.Cluster{Objects: flaky, Bucket: "segments", Poll: time.Hour, CacheBytes: segcache.HeaderSize + 1<<20}
	})
	if n, code := count(reader); code == "" {
		t.Fatalf("with the bucket down, a node that never read it counted %d", n)
	}
	flaky.down.Store(false)
	if n, _ := count(reader); n != want {
		t.Fatalf("once the bucket is back: %d, the writer counts %d", n, want)
	}
	flaky.down.Store(true)
	if n, code := count(reader); code == "" {
		t.Fatalf("with the bucket down and more segment bytes than the cache holds, the node counted %d", n)
	}
	flaky.down.Store(false)
	if n, _ := count(reader); n != want {
		t.Fatalf("once the bucket is back again: %d, the writer counts %d", n, want)
	}
}
