package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"logtank/internal/client"
)

// connFlags are the flags of every client command: where the server is and
// which credentials to use. Empty flags fall back to the environment, then
// to the profile in --data.
type connFlags struct {
	profile client.Profile
	data    string
	json    bool
	made    *client.Client
}

func addConnFlags(fs *flag.FlagSet) *connFlags {
	c := &connFlags{}
	fs.StringVar(&c.profile.Endpoint, "endpoint", "", "server URL (env LOGTANK_ENDPOINT)")
	fs.StringVar(&c.profile.AccessKey, "ak", "", "access key (env LOGTANK_ACCESS_KEY)")
	fs.StringVar(&c.profile.SecretKey, "sk", "", "secret key (env LOGTANK_SECRET_KEY)")
	fs.StringVar(&c.profile.ProjectID, "project-id", "", "project id (env LOGTANK_PROJECT_ID)")
	fs.StringVar(&c.data, "data", "./data", "data folder of a local server, whose profile supplies what is not set")
	fs.BoolVar(&c.json, "json", false, "print the server's JSON answer")
	return c
}

// client returns the command's client. It is made once, so that looking
// names up and the request they lead to share a connection.
func (c *connFlags) client() (*client.Client, error) {
	if c.made != nil {
		return c.made, nil
	}
	p, err := client.Resolve(c.profile, c.data)
	if err != nil {
		return nil, err
	}
	c.made = client.New(p)
	return c.made, nil
}

// printJSON prints a raw JSON answer indented.
func printJSON(w io.Writer, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		_, err = w.Write(raw)
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// table prints rows under a header, aligned.
func table(w io.Writer, header string, rows [][]any) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		for i, cell := range r {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
