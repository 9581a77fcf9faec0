package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGroupsAndStreamsByIDOrName runs every command that names a log group
// or stream once with names, once with ids and with the two mixed, then
// with names that match nothing or more than one thing.
func TestGroupsAndStreamsByIDOrName(t *testing.T) {
	conn, data := testServer(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := commands[args[0]].run(context.Background(), append(args[1:], conn...), &out)
		return strings.TrimSpace(out.String()), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("logtank %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	fails := func(want string, args ...string) {
		t.Helper()
		out, err := run(args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("logtank %s: want an error with %q, got %v\n%s", strings.Join(args, " "), want, err, out)
		}
	}
	streamIDs := func(args ...string) []string {
		t.Helper()
		var v struct {
			Streams []streamRow `json:"log_streams"`
		}
		if err := json.Unmarshal([]byte(must(append([]string{"streams", "list", "--json"}, args...)...)), &v); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range v.Streams {
			ids = append(ids, s.ID)
		}
		slices.Sort(ids)
		return ids
	}

	webID := must("groups", "create", "web")
	nginxID := must("streams", "create", "--group", "web", "nginx")
	apiID := must("streams", "create", "--group", webID, "api")
	want := []string{apiID, nginxID}
	slices.Sort(want)
	for _, g := range []string{"web", webID} {
		if got := streamIDs("--group", g); !slices.Equal(got, want) {
			t.Fatalf("streams list --group %s: %v, want %v", g, got, want)
		}
	}
	if got := streamIDs("--group-name", "web", "--name", "api"); !slices.Equal(got, []string{apiID}) {
		t.Fatalf("streams list --group-name web --name api: %v", got)
	}

	type ref struct{ group, stream string }
	nginx := []ref{{"web", "nginx"}, {webID, nginxID}, {"web", nginxID}, {webID, "nginx"}}
	var lines []string
	for i, r := range nginx {
		file := filepath.Join(t.TempDir(), "lines")
		line := fmt.Sprintf("line %d", i)
		if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		must("ingest", "--group", r.group, "--stream", r.stream, "--quiet", file)
		lines = append(lines, line)
	}
	for _, r := range nginx {
		sel := []string{"--group", r.group, "--stream", r.stream}
		if out := must(append([]string{"query"}, append(sel, "line")...)...); out != strings.Join(lines, "\n") {
			t.Fatalf("query %v: %q", r, out)
		}
		if out := must(append([]string{"tail", "-n", "1"}, sel...)...); out != lines[len(lines)-1] {
			t.Fatalf("tail %v: %q", r, out)
		}
		if out := must(append([]string{"sql"}, append(sel, "select count(*) as n")...)...); out != fmt.Sprintf("n\n%d", len(lines)) {
			t.Fatalf("sql %v: %q", r, out)
		}
	}
	for _, r := range []ref{{"web", "api"}, {webID, apiID}} {
		must("bench", "--group", r.group, "--stream", r.stream, "--lines", "5", "--pool", "5", "--senders", "1", "--queries=false")
	}
	if out := must("query", "--group", "web", "--stream", "api", "--count"); out != "10" {
		t.Fatalf("lines of two benches of 5: %q", out)
	}
	samples := t.TempDir()
	sample := "2026-12-06 10:00:01 user 4711 logged in from 10.1.2.3\n2026-12-06 10:00:02 user 4711 logged out\n"
	if err := os.WriteFile(filepath.Join(samples, "app.log"), []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	must("bench", "--group", "web", "--stream", "api", "--lines", "6", "--pool", "6", "--senders", "1", "--queries=false",
		"--vary", "realistic", "--samples", samples)
	if out := must("query", "--group", "web", "--stream", "api", "--count", "logged"); out != "6" {
		t.Fatalf("lines of a realistic bench of 6 from the samples: %q", out)
	}

	if err := os.MkdirAll(filepath.Join(data, "obs", "archive"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, r := range []ref{{"web", "nginx"}, {webID, nginxID}} {
		id := must("transfers", "create", "--group", r.group, "--stream", r.stream, "--bucket", "archive")
		var list struct {
			Transfers []struct {
				ID      string `json:"log_transfer_id"`
				GroupID string `json:"log_group_id"`
				Streams []struct {
					ID string `json:"log_stream_id"`
				} `json:"log_streams"`
			} `json:"log_transfers"`
		}
		if err := json.Unmarshal([]byte(must("transfers", "list", "--json")), &list); err != nil {
			t.Fatal(err)
		}
		if tr := list.Transfers; len(tr) != 1 || tr[0].ID != id || tr[0].GroupID != webID || len(tr[0].Streams) != 1 || tr[0].Streams[0].ID != nginxID {
			t.Fatalf("transfers create %v: %+v", r, tr)
		}
		must("transfers", "delete", "--id", id)
	}

	for i, r := range []ref{{"web", "nginx"}, {webID, nginxID}} {
		ttl := fmt.Sprint(10 + i)
		if out := strings.Fields(must("streams", "update", "--group", r.group, r.stream, "--ttl", ttl)); len(out) < 7 || out[4] != nginxID || out[6] != ttl {
			t.Fatalf("streams update %v: %q", r, out)
		}
	}
	for i, g := range []string{"web", webID} {
		ttl := fmt.Sprint(20 + i)
		if out := strings.Fields(must("groups", "update", g, "--ttl", ttl)); len(out) < 7 || out[4] != webID || out[6] != ttl {
			t.Fatalf("groups update %s: %q", g, out)
		}
	}

	notFound := []struct {
		want string
		args []string
	}{
		{`no log group has the id or name "nope"`, []string{"query", "--group", "nope", "--stream", "nginx"}},
		{`no log stream in log group "web" has the id or name "nope"`, []string{"query", "--group", "web", "--stream", "nope"}},
		{`no log group has the id or name "nope"`, []string{"streams", "create", "--group", "nope", "x"}},
		{`no log group has the id or name "nope"`, []string{"streams", "list", "--group", "nope"}},
		{`no log stream in log group "web" has the id or name "nope"`, []string{"streams", "delete", "--group", "web", "nope"}},
		{`no log group has the id or name "nope"`, []string{"groups", "delete", "nope"}},
	}
	for _, c := range notFound {
		fails(c.want, c.args...)
	}

	// Names may have the shape of an id, so one reference can name two
	// things: a group named after web's id, a stream named after nginx's.
	twinID := must("groups", "create", webID)
	for _, args := range [][]string{
		{"groups", "delete", webID},
		{"streams", "create", "--group", webID, "x"},
		{"ingest", "--group", webID, "--stream", "nginx"},
	} {
		fails(fmt.Sprintf("%q names more than one log group (ids %s, %s)", webID, webID, twinID), args...)
	}
	twinStreamID := must("streams", "create", "--group", "web", nginxID)
	fails(fmt.Sprintf("%q names more than one log stream in log group \"web\" (ids %s, %s)", nginxID, nginxID, twinStreamID),
		"query", "--group", "web", "--stream", nginxID)

	// Deleting by id and by name; the ambiguous tries above deleted nothing.
	must("groups", "delete", twinID)
	must("streams", "delete", "--group", webID, twinStreamID)
	must("streams", "delete", "--group", "web", "api")
	if got := streamIDs("--group", "web"); !slices.Equal(got, []string{nginxID}) {
		t.Fatalf("streams left in web: %v", got)
	}
	must("groups", "delete", "web")
	if out := must("groups", "list"); strings.Contains(out, webID) {
		t.Fatalf("groups left:\n%s", out)
	}
}
