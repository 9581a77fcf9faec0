package transfer

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/logquery"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
)

const (
	testGroup  = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
	testStream = "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b"
)

// lostAnswer is an object store whose next Put stores the object and then
// fails, as a write whose answer is lost (a timeout, a crash right after).
type lostAnswer struct {
	objstore.Store
	fail bool
}

func (s *lostAnswer) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if err := s.Store.Put(ctx, bucket, key, r, size); err != nil {
		return err
	}
	if s.fail {
		s.fail = false
		return errors.New("connection reset after the upload")
	}
	return nil
}

type testWorld struct {
	db      *catalog.DB
	logs    *logstore.Store
	objects *lostAnswer
	obsDir  string
	now     time.Time
	w       *Worker
}

func newWorld(t *testing.T) *testWorld {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := catalog.OpenSQLite(ctx, filepath.Join(dir, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateLogGroup(ctx, catalog.LogGroup{ID: testGroup, ProjectID: "p", Name: "app", TTLDays: 30}, 10); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLogStream(ctx, catalog.LogStream{ID: testStream, ProjectID: "p", GroupID: testGroup, Name: "web", TTLDays: 30}, 10); err != nil {
		t.Fatal(err)
	}
	logs, err := logstore.Open(filepath.Join(dir, "logs"), logstore.Options{Tokenizer: logquery.DefaultTokenizer()}, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	obsDir := filepath.Join(dir, "obs")
	if err := os.MkdirAll(filepath.Join(obsDir, "bkt"), 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := objstore.NewDir(obsDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tw := &testWorld{db: db, logs: logs, objects: &lostAnswer{Store: d}, obsDir: obsDir, now: time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)}
	tw.w, err = Start(Config{DB: db, Logs: logs, Objects: tw.objects, Region: "r", SpoolDir: filepath.Join(dir, "spool"),
		Now: func() time.Time { return tw.now }, Grace: -1, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tw.w.Close)
	s := Settings{Format: "RAW", Period: 2, PeriodUnit: "min", Bucket: "bkt"}
	if err := db.CreateTransfer(ctx, catalog.Transfer{ID: "t1", ProjectID: "p", GroupID: testGroup, Type: "OBS", Settings: s.Encode(), Enabled: true,
		Streams: []catalog.TransferStream{{StreamID: testStream, Progress: tw.start(t)}}}); err != nil {
		t.Fatal(err)
	}
	return tw
}

func (tw *testWorld) ingest(t *testing.T, at time.Time, lines ...string) {
	t.Helper()
	var entries []logstore.Entry
	for i, l := range lines {
		entries = append(entries, logstore.Entry{TimeNs: at.UnixNano() + int64(i), Content: l})
	}
	if _, err := tw.logs.Append(testStream, nil, entries); err != nil {
		t.Fatal(err)
	}
}

// written lists every line of every object, sorted.
func (tw *testWorld) written(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(tw.obsDir, "bkt"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			b, _ := os.ReadFile(p)
			out = append(out, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// A write whose answer is lost is written again under the same key when
// the transfer runs next, whatever time it is then: no line twice.
func TestLostAnswerRewritesTheSameObject(t *testing.T) {
	tw := newWorld(t)
	ctx := context.Background()
	tw.ingest(t, tw.now.Add(10*time.Second), "a", "b")
	tw.now = tw.now.Add(20 * time.Second)
	tw.objects.fail = true
	if _, err := tw.w.Run(ctx, "p", "t1", true); err == nil {
		t.Fatal("the run did not see the failure")
	}
	tr, err := tw.db.Transfer(ctx, "p", "t1")
	if err != nil || !strings.Contains(tr.Failure, "connection reset") {
		t.Fatalf("failure recorded: %q %v", tr.Failure, err)
	}
	// More lines and a later clock: the pending window is written again as
	// it was; the new lines go into the next one.
	tw.ingest(t, tw.now.Add(time.Second), "c")
	tw.now = tw.now.Add(5 * time.Second)
	keys, err := tw.w.Run(ctx, "p", "t1", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys %q, want the pending window again and the next one", keys)
	}
	if got := tw.written(t); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("objects hold %q", got)
	}
	if tr, _ := tw.db.Transfer(ctx, "p", "t1"); tr.Failure != "" {
		t.Fatalf("failure not cleared: %q", tr.Failure)
	}
}

// A periodic run after a run on demand goes on from the progress that run
// left: no window is written twice.
func TestPeriodicRunAfterRunOnDemand(t *testing.T) {
	tw := newWorld(t)
	ctx := context.Background()
	tw.ingest(t, tw.now.Add(10*time.Second), "a")  // 10:00:40, first window
	tw.ingest(t, tw.now.Add(100*time.Second), "b") // 10:02:10, second window
	tw.now = tw.now.Add(130 * time.Second)         // 10:02:40
	if _, err := tw.w.Run(ctx, "p", "t1", true); err != nil {
		t.Fatal(err)
	}
	tw.w.runDue()
	tw.now = tw.now.Add(2 * time.Minute)
	tw.w.runDue()
	if got := tw.written(t); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("objects hold %q", got)
	}
}

func (tw *testWorld) start(t *testing.T) catalog.Progress {
	t.Helper()
	p, err := tw.w.StartProgress(context.Background(), testStream)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
