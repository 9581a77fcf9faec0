package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"logtank/internal/client"
)

// runToken signs in with a password and prints the token, for curl users.
func runToken(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "server URL (env LOGTANK_ENDPOINT, else the local profile)")
	data := fs.String("data", "./data", "data folder of a local server")
	user := fs.String("user", "admin", "user name")
	domain := fs.String("domain", "admin", "domain (account) name")
	project := fs.String("project", "", "project name to scope the token to (default: the profile's region)")
	password := fs.String("password", "", "password (env LOGTANK_ADMIN_PASSWORD)")
	if err := flagsOnly(fs, args, "logtank token [--user U] [--domain D] [--project NAME] --password P"); err != nil {
		return err
	}
	if *password == "" {
		*password = os.Getenv("LOGTANK_ADMIN_PASSWORD")
	}
	if *password == "" {
		return usagef("a password is required (--password or LOGTANK_ADMIN_PASSWORD)")
	}
	p := client.Profile{Endpoint: *endpoint}
	if p.Endpoint == "" {
		p.Endpoint = os.Getenv("LOGTANK_ENDPOINT")
	}
	saved, _ := client.ReadProfile(*data)
	if p.Endpoint == "" {
		p.Endpoint = saved.Endpoint
	}
	if *project == "" {
		*project = saved.Region
	}
	if p.Endpoint == "" || *project == "" {
		return usagef("no endpoint or project: pass --endpoint and --project, or run where `logtank serve` keeps its data")
	}
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": *user, "password": *password, "domain": map[string]string{"name": *domain}}}},
		"scope": map[string]any{"project": map[string]string{"name": *project}},
	}})
	req, err := http.NewRequestWithContext(ctx, "POST", p.Endpoint+"/v3/auth/tokens?nocatalog=true", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: %s", resp.Status, answer)
	}
	_, err = fmt.Fprintln(w, resp.Header.Get("X-Subject-Token"))
	return err
}
