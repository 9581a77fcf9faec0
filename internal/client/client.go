// Package client is logtank's own HTTP client for its command line: it finds
// the server and credentials (flags, then environment, then the profile that
// `logtank serve` writes in its data folder), signs each request with
// SDK-HMAC-SHA256, and turns error bodies into Go errors.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"logtank/internal/apisign"
	"logtank/internal/vfs"
)

// Profile is how a client reaches a server. `logtank serve` writes one into
// its data folder so that commands work with no set-up on the same machine.
type Profile struct {
	Endpoint  string `json:"endpoint"`
	Region    string `json:"region"`
	ProjectID string `json:"project_id"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// ProfileFile is the profile's name inside a data folder.
const ProfileFile = "profile.json"

// WriteProfile writes p into dir, readable by its owner only (it holds a secret).
func WriteProfile(dir string, p Profile) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return vfs.WriteFile(vfs.OS, filepath.Join(dir, ProfileFile), append(b, '\n'))
}

// ReadProfile reads the profile in dir.
func ReadProfile(dir string) (Profile, error) {
	var p Profile
	b, err := os.ReadFile(filepath.Join(dir, ProfileFile))
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}

// Resolve fills the empty fields of p from the environment
// (LOGTANK_ENDPOINT, LOGTANK_ACCESS_KEY, LOGTANK_SECRET_KEY,
// LOGTANK_PROJECT_ID), then from the profile in dataDir.
func Resolve(p Profile, dataDir string) (Profile, error) {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&p.Endpoint, os.Getenv("LOGTANK_ENDPOINT"))
	fill(&p.AccessKey, os.Getenv("LOGTANK_ACCESS_KEY"))
	fill(&p.SecretKey, os.Getenv("LOGTANK_SECRET_KEY"))
	fill(&p.ProjectID, os.Getenv("LOGTANK_PROJECT_ID"))
	if p.Endpoint == "" || p.AccessKey == "" || p.SecretKey == "" || p.ProjectID == "" {
		if saved, err := ReadProfile(dataDir); err == nil {
			fill(&p.Endpoint, saved.Endpoint)
			fill(&p.AccessKey, saved.AccessKey)
			fill(&p.SecretKey, saved.SecretKey)
			fill(&p.ProjectID, saved.ProjectID)
			fill(&p.Region, saved.Region)
		}
	}
	var missing []string
	for name, v := range map[string]string{"endpoint": p.Endpoint, "access key": p.AccessKey, "secret key": p.SecretKey} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("no %s: pass flags, set LOGTANK_ENDPOINT, LOGTANK_ACCESS_KEY, LOGTANK_SECRET_KEY and LOGTANK_PROJECT_ID, or run where `logtank serve` keeps its data (--data %s)",
			strings.Join(missing, ", "), dataDir)
	}
	p.Endpoint = strings.TrimRight(p.Endpoint, "/")
	return p, nil
}

// Client calls a logtank server.
type Client struct {
	Profile
	HTTP *http.Client
}

// New returns a client for p.
func New(p Profile) *Client {
	return &Client{Profile: p, HTTP: &http.Client{Timeout: 5 * time.Minute}}
}

// SignRequest sets the headers of a JSON request to the server of p and
// signs it with p's key pair.
func SignRequest(req *http.Request, body []byte, p Profile) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "logtank-cli")
	if p.ProjectID != "" {
		req.Header.Set("X-Project-Id", p.ProjectID)
	}
	apisign.Sign(req, body, p.AccessKey, p.SecretKey, time.Now())
}

// APIError is an error answer of the server.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s (request %s)", e.Status, e.Code, e.Message, e.RequestID)
}

// Do sends a signed request. path may contain {project_id}. body, when not
// nil, is sent as JSON; a 2xx JSON answer is decoded into out when not nil.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	u := c.Endpoint + strings.ReplaceAll(path, "{project_id}", c.ProjectID)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	SignRequest(req, payload, c.Profile)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"), Message: strings.TrimSpace(string(data))}
		var eb struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Code != "" {
			e.Code, e.Message = eb.Code, eb.Msg
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return errors.New("unexpected answer from the server: " + err.Error())
	}
	return nil
}
