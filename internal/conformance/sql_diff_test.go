package conformance

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/logsql/sqltest"
	"logtank/internal/server"
)

// The differential test of SQL through a real stream: random rows go into a
// stream (as JSON lines structured by a json rule with typed fields) and
// into SQLite, and generated queries run on both, the stream's through the
// structured query API. A small memtable budget puts most rows in segments
// while the last rows stay in a memtable, so both read paths answer.

const (
	diffRows     = 3000
	diffQueries  = 300
	diffFirstMs  = 1_700_000_000_000
	diffTailRows = 150 // well under the memtable budget: never flushed
	// Rows diffBareFrom..diffBareTo-1 are lines that are not JSON.
	diffBareFrom, diffBareTo = 600, 1000
)

// diffLine is how one model row reaches the stream, and the row SQLite
// must hold for it: a key the line lacks (or holds as JSON null) gets its
// field type's default, as the structuring contract says; a line that is
// not JSON gets no fields at all, so every field is null.
func diffLine(rng *rand.Rand, r sqltest.Row, unparsed bool) (string, sqltest.Row) {
	want := slices.Clone(r)
	if unparsed || rng.IntN(25) == 0 {
		for c := range want {
			if c != sqltest.Time {
				want[c] = nil
			}
		}
		return fmt.Sprintf("not json: row at %d", r[sqltest.Time]), want
	}
	defaults := map[int]any{sqltest.S1: "", sqltest.S2: "", sqltest.N1: int64(0), sqltest.N2: int64(0), sqltest.F1: float64(0)}
	obj := map[string]any{"msg": "differential"}
	for c, col := range sqltest.Columns {
		if c == sqltest.Time {
			continue
		}
		if r[c] == nil {
			want[c] = defaults[c]
			if rng.IntN(2) == 0 {
				obj[col.Name] = nil
			}
			continue
		}
		obj[col.Name] = r[c]
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return string(b), want
}

// segmentFiles lists the segment files of the server's log engine.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(dir, "logs", "streams"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".seg") {
			out = append(out, path)
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// walFiles lists the log engine's write-ahead log files: one when no
// flush is under way (a flush starts a new file and removes the old ones
// at its end).
func walFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "logs", "wal"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// waitFlushed polls until the engine has segments and no flush is under
// way (the same single WAL file seen twice in a row).
func waitFlushed(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		wal := walFiles(t, dir)
		if len(segmentFiles(t, dir)) > 0 && len(wal) == 1 {
			if slices.Equal(wal, last) {
				return
			}
			last = wal
		} else {
			last = nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no settled flush after 20 s: segments %v, WAL %v", segmentFiles(t, dir), walFiles(t, dir))
}

func TestSQLDifferentialThroughStream(t *testing.T) {
	e := startWith(t, "", func(c *server.Config) {
		c.MemtableBytes = 64 << 10
		c.Now = func() time.Time { return time.UnixMilli(diffFirstMs + 2*time.Hour.Milliseconds()) }
	})
	group, stream := e.createStream(t, "sqldiff-group", "sqldiff-stream")
	c := e.lts()
	field := func(name, typ, sample string) model.StructFieldInfo {
		return model.StructFieldInfo{FieldName: ptr(name), Type: typ, Content: ptr(sample), IsAnalysis: ptr(true)}
	}
	_, err := c.CreateStructTemplate(&model.CreateStructTemplateRequest{Body: &model.LtsStructTemplateInfo{
		LogGroupId: group, LogStreamId: stream, ProjectId: testProject, ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().JSON,
		Content: `{"s1":"a","s2":"b","n1":1,"n2":2,"f1":2.5}`,
		DemoFields: []model.StructFieldInfo{
			field("s1", "string", "a"), field("s2", "string", "b"), field("n1", "long", "1"), field("n2", "long", "2"), field("f1", "float", "2.5"),
		},
		TagFields: []model.TagField{},
	}})
	if err != nil {
		t.Fatal(err)
	}

	// Rows one second apart with a random millisecond, so that times are
	// distinct and not round.
	rng := rand.New(rand.NewPCG(2024, 7))
	jitter := rand.New(rand.NewPCG(1, 2))
	rows := sqltest.RandomRows(rng, diffRows, func(i int) int64 { return diffFirstMs + int64(i)*1000 + jitter.Int64N(1000) })
	lines := make([]string, len(rows))
	stored := make([]sqltest.Row, len(rows))
	for i, r := range rows {
		lines[i], stored[i] = diffLine(rng, r, i >= diffBareFrom && i < diffBareTo)
	}
	// The older half goes in time order, so that its segments hold
	// disjoint times (a narrowed range skips some, and the stretch of
	// unstructured lines fills whole blocks that have no field columns);
	// the newer half in random order, so that segments overlap.
	order := make([]int, 0, len(rows))
	for i := range diffRows / 2 {
		order = append(order, i)
	}
	for _, i := range rng.Perm(diffRows - diffRows/2) {
		order = append(order, diffRows/2+i)
	}
	le := &logsEnv{env: e, group: group, stream: stream}
	ingest := func(idx []int) {
		var contents []map[string]any
		for _, i := range idx {
			ns := rows[i][sqltest.Time].(int64)*1e6 + jitter.Int64N(1e6)
			contents = append(contents, map[string]any{"log_time_ns": ns, "log": lines[i]})
		}
		le.ingest(t, "/tenant/contents/high-accuracy", map[string]any{"contents": contents, "labels": map[string]string{}}, nil, 200)
	}
	// Batches of 100, the last one of the bulk over the memtable budget by
	// itself so that a flush follows it; then the tail, which stays in the
	// fresh memtable.
	bulk, tail := order[:len(order)-diffTailRows], order[len(order)-diffTailRows:]
	last := bulk[len(bulk)-400:]
	for off := 0; off < len(bulk)-len(last); off += 100 {
		ingest(bulk[off:min(off+100, len(bulk)-len(last))])
	}
	ingest(last)
	waitFlushed(t, e.dir)
	segsBefore := segmentFiles(t, e.dir)
	ingest(tail)

	db, err := sqltest.OpenSQLite("log_all", stored)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	windowFrom, windowTo := int64(diffFirstMs), int64(diffFirstMs+diffRows*1000)
	g := &sqltest.Generator{Rng: rng, From: windowFrom, To: windowTo, Aliases: true}
	nonEmpty, timed, narrowed := 0, 0, 0
	for i := range diffQueries {
		query := g.Next()
		// A third of the queries look at a part of the window only.
		from, to := windowFrom-1000, windowTo+1000
		switch rng.IntN(9) {
		case 0: // only the unstructured stretch, whose fields are all null
			from, to = rows[diffBareFrom][sqltest.Time].(int64), rows[diffBareTo-1][sqltest.Time].(int64)
			narrowed++
		case 1, 2:
			a, b := windowFrom+rng.Int64N(windowTo-windowFrom), windowFrom+rng.Int64N(windowTo-windowFrom)
			from, to = min(a, b), max(a, b)+1
			narrowed++
		}
		if query.LTS != query.SQLite { // a time function, translated
			timed++
		}
		want, err := sqltest.QuerySQLite(db, fmt.Sprintf("WITH log AS (SELECT * FROM log_all WHERE __time BETWEEN %d AND %d) %s", from, to, query.SQLite))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range want {
			for c, v := range r {
				r[c] = sqltest.Text(v)
			}
		}
		got := diffQuery(t, c, stream, query.LTS, from, to, want)
		if err := sqltest.Compare(got, want, true); err != nil {
			t.Fatalf("query %d %q over [%d, %d] (sqlite %q): %v", i, query.LTS, from, to, query.SQLite, err)
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < diffQueries/2 || timed < diffQueries/20 || narrowed < diffQueries/5 {
		t.Errorf("weak coverage: %d of %d queries returned rows, %d used time functions, %d had a narrowed range", nonEmpty, diffQueries, timed, narrowed)
	}
	t.Logf("%d queries: %d returned rows, %d used time functions, %d had a narrowed range; %d segment files", diffQueries, nonEmpty, timed, narrowed, len(segsBefore))
	// The tail was read from a memtable: nothing was flushed meanwhile.
	if segsAfter := segmentFiles(t, e.dir); !slices.Equal(segsBefore, segsAfter) {
		t.Errorf("segments changed while querying (the tail was flushed): %v, then %v", segsBefore, segsAfter)
	}
}

// diffQuery runs sql over [from, to] through the SDK and returns the
// answer's rows as columns c0, c1, ...; want (SQLite's answer) tells how
// many columns there are.
func diffQuery(t *testing.T, c interface {
	ListStructuredLogsWithTimeRange(*model.ListStructuredLogsWithTimeRangeRequest) (*model.ListStructuredLogsWithTimeRangeResponse, error)
}, stream, sql string, from, to int64, want []sqltest.Row) []sqltest.Row {
	t.Helper()
	resp, err := c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: stream, Body: &model.QueryLtsStructLogParamsNew{
		Query: sql, Format: "k-v", TimeRange: &model.TimeRange{StartTime: from, EndTime: to},
	}})
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	var body struct {
		Result []map[string]any `json:"result"`
	}
	b, _ := json.Marshal(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("query %q: answer %s: %v", sql, b, err)
	}
	width := 0
	if len(want) > 0 {
		width = len(want[0])
	}
	out := make([]sqltest.Row, len(body.Result))
	for i, obj := range body.Result {
		if len(obj) != width {
			t.Fatalf("query %q: row %d has %d columns, want %d: %v", sql, i, len(obj), width, obj)
		}
		out[i] = make(sqltest.Row, width)
		for col := range width {
			v, ok := obj[fmt.Sprintf("c%d", col)].(string)
			if !ok {
				t.Fatalf("query %q: row %d column c%d is %#v, want a string", sql, i, col, obj[fmt.Sprintf("c%d", col)])
			}
			out[i][col] = v
		}
	}
	return out
}
