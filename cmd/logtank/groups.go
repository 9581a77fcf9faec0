package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

type groupRow struct {
	ID      string            `json:"log_group_id"`
	Name    string            `json:"log_group_name"`
	TTL     int               `json:"ttl_in_days"`
	Created int64             `json:"creation_time"`
	Tags    map[string]string `json:"tag"`
}

type streamRow struct {
	ID      string `json:"log_stream_id"`
	Name    string `json:"log_stream_name"`
	GroupID string `json:"log_group_id"`
	TTL     int    `json:"ttl_in_days"`
	Created int64  `json:"creation_time"`
}

func msTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

// call runs one request and prints its answer: the JSON itself with --json,
// else what show makes of it (decoded into T).
func call[T any](ctx context.Context, conn *connFlags, w io.Writer, method, path string, query url.Values, body any, show func(T) error) error {
	c, err := conn.client()
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, method, path, query, body, &raw); err != nil {
		return err
	}
	if conn.json {
		if len(raw) == 0 {
			return nil
		}
		return printJSON(w, raw)
	}
	var v T
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
	}
	return show(v)
}

func tagsArg(kv map[string]string) []map[string]string {
	var out []map[string]string
	for k, v := range kv {
		out = append(out, map[string]string{"key": k, "value": v})
	}
	return out
}

// tagFlag collects repeated --tag key=value flags.
type tagFlag map[string]string

func (t tagFlag) String() string { return fmt.Sprint(map[string]string(t)) }
func (t tagFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	t[k] = v
	return nil
}

func runGroups(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "groups", args, w, map[string]func(context.Context, []string, io.Writer) error{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("groups list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			if _, err := parse(fs, args); err != nil {
				return err
			}
			return call(ctx, conn, w, "GET", "/v2/{project_id}/groups", nil, nil, func(v struct {
				Groups []groupRow `json:"log_groups"`
			}) error {
				rows := make([][]any, 0, len(v.Groups))
				for _, g := range v.Groups {
					rows = append(rows, []any{g.ID, g.Name, g.TTL, msTime(g.Created)})
				}
				return table(w, "ID\tNAME\tTTL_DAYS\tCREATED", rows)
			})
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("groups create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			ttl := fs.Int("ttl", 7, "days to keep logs (1-365)")
			tags := tagFlag{}
			fs.Var(tags, "tag", "tag key=value (repeatable)")
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				return usagef("usage: logtank groups create NAME [--ttl DAYS] [--tag k=v]")
			}
			body := map[string]any{"log_group_name": pos[0], "ttl_in_days": *ttl}
			if len(tags) > 0 {
				body["tags"] = tagsArg(tags)
			}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/groups", nil, body, func(v struct {
				ID string `json:"log_group_id"`
			}) error {
				_, err := fmt.Fprintln(w, v.ID)
				return err
			})
		},
		"update": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("groups update", flag.ContinueOnError)
			conn := addConnFlags(fs)
			ttl := fs.Int("ttl", 0, "days to keep logs (1-365)")
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 || *ttl == 0 {
				return usagef("usage: logtank groups update GROUP --ttl DAYS (GROUP: id or name)")
			}
			group, err := conn.group(ctx, pos[0])
			if err != nil {
				return err
			}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/groups/"+url.PathEscape(group.ID), nil, map[string]any{"ttl_in_days": *ttl}, func(g groupRow) error {
				return table(w, "ID\tNAME\tTTL_DAYS\tCREATED", [][]any{{g.ID, g.Name, g.TTL, msTime(g.Created)}})
			})
		},
		"delete": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("groups delete", flag.ContinueOnError)
			conn := addConnFlags(fs)
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				return usagef("usage: logtank groups delete GROUP (id or name)")
			}
			g, err := conn.group(ctx, pos[0])
			if err != nil {
				return err
			}
			return call(ctx, conn, w, "DELETE", "/v2/{project_id}/groups/"+url.PathEscape(g.ID), nil, nil, func(struct{}) error { return nil })
		},
	})
}

func runStreams(ctx context.Context, args []string, w io.Writer) error {
	streamsTable := func(v struct {
		Streams []streamRow `json:"log_streams"`
	}) error {
		rows := make([][]any, 0, len(v.Streams))
		for _, s := range v.Streams {
			rows = append(rows, []any{s.ID, s.Name, s.GroupID, s.TTL, msTime(s.Created)})
		}
		return table(w, "ID\tNAME\tGROUP_ID\tTTL_DAYS\tCREATED", rows)
	}
	return subcommand(ctx, "streams", args, w, map[string]func(context.Context, []string, io.Writer) error{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("streams list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			var group string
			fs.StringVar(&group, "group", "", "only streams of this log group (id or name)")
			fs.StringVar(&group, "group-name", "", "same as --group")
			streamName := fs.String("name", "", "only streams with this name")
			if _, err := parse(fs, args); err != nil {
				return err
			}
			q := url.Values{}
			if group != "" {
				g, err := conn.group(ctx, group)
				if err != nil {
					return err
				}
				q.Set("log_group_name", g.Name)
			}
			if *streamName != "" {
				q.Set("log_stream_name", *streamName)
			}
			return call(ctx, conn, w, "GET", "/v2/{project_id}/log-streams", q, nil, streamsTable)
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("streams create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			group := fs.String("group", "", "log group id or name")
			ttl := fs.Int("ttl", 0, "days to keep logs (1-365; default: the group's)")
			tags := tagFlag{}
			fs.Var(tags, "tag", "tag key=value (repeatable)")
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 || *group == "" {
				return usagef("usage: logtank streams create --group GROUP NAME [--ttl DAYS] [--tag k=v]")
			}
			g, err := conn.group(ctx, *group)
			if err != nil {
				return err
			}
			body := map[string]any{"log_stream_name": pos[0]}
			if *ttl != 0 {
				body["ttl_in_days"] = *ttl
			}
			if len(tags) > 0 {
				body["tags"] = tagsArg(tags)
			}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/groups/"+url.PathEscape(g.ID)+"/streams", nil, body, func(v struct {
				ID string `json:"log_stream_id"`
			}) error {
				_, err := fmt.Fprintln(w, v.ID)
				return err
			})
		},
		"update": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("streams update", flag.ContinueOnError)
			conn := addConnFlags(fs)
			group := fs.String("group", "", "log group id or name")
			ttl := fs.Int("ttl", 0, "days to keep logs (1-365)")
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 || *group == "" || *ttl == 0 {
				return usagef("usage: logtank streams update --group GROUP STREAM --ttl DAYS (GROUP, STREAM: id or name)")
			}
			groupID, streamID, err := conn.stream(ctx, *group, pos[0])
			if err != nil {
				return err
			}
			path := "/v2/{project_id}/groups/" + url.PathEscape(groupID) + "/streams-ttl/" + url.PathEscape(streamID)
			return call(ctx, conn, w, "PUT", path, nil, map[string]any{"ttl_in_days": *ttl}, func(v struct {
				ID      string `json:"log_topic_id"`
				Name    string `json:"log_topic_name"`
				TTL     int    `json:"ttl_in_days"`
				Created int64  `json:"creation_time"`
			}) error {
				return table(w, "ID\tNAME\tTTL_DAYS\tCREATED", [][]any{{v.ID, v.Name, v.TTL, msTime(v.Created)}})
			})
		},
		"delete": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("streams delete", flag.ContinueOnError)
			conn := addConnFlags(fs)
			group := fs.String("group", "", "log group id or name")
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 || *group == "" {
				return usagef("usage: logtank streams delete --group GROUP STREAM (GROUP, STREAM: id or name)")
			}
			groupID, streamID, err := conn.stream(ctx, *group, pos[0])
			if err != nil {
				return err
			}
			path := "/v2/{project_id}/groups/" + url.PathEscape(groupID) + "/streams/" + url.PathEscape(streamID)
			return call(ctx, conn, w, "DELETE", path, nil, nil, func(struct{}) error { return nil })
		},
	})
}
