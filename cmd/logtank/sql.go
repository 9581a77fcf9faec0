package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"strings"
	"time"
)

func runSQL(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	conn := addConnFlags(fs)
	sf := addStreamFlags(fs)
	tf := addTimeFlags(fs, time.Hour)
	zone := fs.String("time-zone", "", "time zone of time functions such as time_floor (default UTC)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef(`usage: logtank sql --group G --stream S [--since 1h] "[search |] select ..."`)
	}
	c, _, stream, err := sf.connect(ctx, conn)
	if err != nil {
		return err
	}
	start, end, err := tf.window()
	if err != nil {
		return err
	}
	timeRange := map[string]any{"start_time": start, "end_time": end}
	if *zone != "" {
		timeRange["sql_time_zone"] = *zone
	}
	body := map[string]any{"query": strings.Join(pos, " "), "format": "k-v", "time_range": timeRange, "whether_to_rows": true}
	var raw json.RawMessage
	if err := c.Do(ctx, "POST", "/v2/{project_id}/streams/"+stream+"/struct-content/query", nil, body, &raw); err != nil {
		return err
	}
	if conn.json {
		return printJSON(w, raw)
	}
	var out struct {
		Columns []string            `json:"columns"`
		Result  []map[string]string `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	rows := make([][]any, 0, len(out.Result))
	for _, r := range out.Result {
		row := make([]any, len(out.Columns))
		for i, c := range out.Columns {
			row[i] = r[c]
		}
		rows = append(rows, row)
	}
	return table(w, strings.Join(out.Columns, "\t"), rows)
}
