package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"logtank/internal/logstore"
)

type fakeStorage struct{ reason string }

func (f *fakeStorage) WritesRefused() (string, error) {
	if f.reason == "" {
		return "", nil
	}
	return f.reason, errors.New("no space left on device")
}

func (f *fakeStorage) DamageCounts() (int64, int64, int64) { return 3, 2, 1 }

func TestReadiness(t *testing.T) {
	st := &fakeStorage{}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := withReadiness(st, next)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	if rec := get("/readyz"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Fatalf("ready: %d %s", rec.Code, rec.Body)
	}
	st.reason = logstore.RefusedDiskFull
	rec := get("/readyz")
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"reason":"disk_full"`) {
		t.Fatalf("refusing: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if rec := get("/healthz"); rec.Code != http.StatusTeapot {
		t.Fatalf("other paths go to the router: %d", rec.Code)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(storageCollector{st})
	want := `
# HELP logtank_log_writes_refused 1 while the log engine refuses writes for the reason given (disk_full, write_failed), else 0.
# TYPE logtank_log_writes_refused gauge
logtank_log_writes_refused{reason="disk_full"} 1
logtank_log_writes_refused{reason="write_failed"} 0
# HELP logtank_log_wal_files_quarantined_total Damaged write-ahead log files copied to the quarantine folder and cut at start.
# TYPE logtank_log_wal_files_quarantined_total counter
logtank_log_wal_files_quarantined_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "logtank_log_writes_refused", "logtank_log_wal_files_quarantined_total"); err != nil {
		t.Fatal(err)
	}
}
