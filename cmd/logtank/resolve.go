package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"logtank/internal/client"
)

// streamFlags name the log stream a command reads or writes, by id or name.
type streamFlags struct {
	group, stream string
}

func addStreamFlags(fs *flag.FlagSet) *streamFlags {
	s := &streamFlags{}
	fs.StringVar(&s.group, "group", "", "log group id or name")
	fs.StringVar(&s.stream, "stream", "", "log stream id or name")
	return s
}

// connect makes the client of conn and resolves the stream.
func (s *streamFlags) connect(ctx context.Context, conn *connFlags) (*client.Client, string, string, error) {
	if s.group == "" || s.stream == "" {
		return nil, "", "", usagef("--group and --stream are required")
	}
	c, err := conn.client()
	if err != nil {
		return nil, "", "", err
	}
	group, stream, err := resolveStream(ctx, c, s.group, s.stream)
	return c, group, stream, err
}

// group returns the log group whose id or name is ref.
func (c *connFlags) group(ctx context.Context, ref string) (groupRow, error) {
	cl, err := c.client()
	if err != nil {
		return groupRow{}, err
	}
	return resolveGroup(ctx, cl, ref)
}

// stream returns the ids of a log group and of one of its streams, each
// given by id or name.
func (c *connFlags) stream(ctx context.Context, groupRef, streamRef string) (string, string, error) {
	cl, err := c.client()
	if err != nil {
		return "", "", err
	}
	return resolveStream(ctx, cl, groupRef, streamRef)
}

// resolveGroup returns the log group whose id or name is ref. Groups are
// always looked up, even when ref has the shape of an id: a name may have
// that shape too.
func resolveGroup(ctx context.Context, c *client.Client, ref string) (groupRow, error) {
	var list struct {
		Groups []groupRow `json:"log_groups"`
	}
	if err := c.Do(ctx, "GET", "/v2/{project_id}/groups", nil, nil, &list); err != nil {
		return groupRow{}, err
	}
	return pick("log group", ref, list.Groups)
}

// resolveStream returns the ids of a log group and of one of its streams,
// each given by id or name.
func resolveStream(ctx context.Context, c *client.Client, groupRef, streamRef string) (string, string, error) {
	g, err := resolveGroup(ctx, c, groupRef)
	if err != nil {
		return "", "", err
	}
	var list struct {
		Streams []streamRow `json:"log_streams"`
	}
	if err := c.Do(ctx, "GET", "/v2/{project_id}/groups/"+url.PathEscape(g.ID)+"/streams", nil, nil, &list); err != nil {
		return "", "", err
	}
	s, err := pick(fmt.Sprintf("log stream in log group %q", groupRef), streamRef, list.Streams)
	return g.ID, s.ID, err
}

// named is what pick can look an id or a name up in.
type named interface {
	idName() (id, name string)
}

func (g groupRow) idName() (string, string)  { return g.ID, g.Name }
func (s streamRow) idName() (string, string) { return s.ID, s.Name }

// pick returns the one of all whose id or name is ref. what names the kind
// of thing looked for, for the errors.
func pick[T named](what, ref string, all []T) (T, error) {
	var found []T
	var ids []string
	for _, x := range all {
		if id, name := x.idName(); id == ref || name == ref {
			found = append(found, x)
			ids = append(ids, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var zero T
		return zero, fmt.Errorf("no %s has the id or name %q", what, ref)
	default:
		var zero T
		return zero, fmt.Errorf("%q names more than one %s (ids %s): give one of these ids", ref, what, strings.Join(ids, ", "))
	}
}
