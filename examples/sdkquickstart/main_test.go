package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"logtank/internal/iam"
	"logtank/internal/server"
)

// TestQuickstartRunsAgainstServer runs the README's example against a real server.
func TestQuickstartRunsAgainstServer(t *testing.T) {
	app, err := server.Open(context.Background(), server.Config{DataDir: t.TempDir(), Region: "cn-north-4", Logger: slog.New(slog.DiscardHandler), Defaults: iam.Defaults{}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	fs := app.FirstStart
	if err := run(srv.URL, fs.AccessKey, fs.SecretKey, fs.ProjectID); err != nil {
		t.Fatal(err)
	}
}

// TestReadmeShowsThisExample keeps the README's copy of the example true.
func TestReadmeShowsThisExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(src)) {
		t.Fatal("README.md does not contain examples/sdkquickstart/main.go verbatim: paste the file into the README's SDK section")
	}
}
