// Package webhook posts alarm notifications over HTTP: the alarms
// package's Poster. It owns nothing else and never retries by itself (the
// alarms package decides retries and records them).
package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Poster posts with its Client (http.DefaultClient when nil).
type Poster struct {
	Client *http.Client
}

// maxErrorBody is how much of a refusal's body an error quotes.
const maxErrorBody = 200

// Post sends body to url; any answer other than 2xx is an error quoting
// the status and the start of the body.
func (p Poster) Post(ctx context.Context, url string, header map[string]string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "logtank-alarms")
	c := p.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, bytes.TrimSpace(snippet))
	}
	return nil
}
