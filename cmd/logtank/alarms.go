package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// multiFlag collects a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type alarmRuleRow struct {
	KeywordsID   string `json:"keywords_alarm_rule_id"`
	KeywordsName string `json:"keywords_alarm_rule_name"`
	SQLID        string `json:"sql_alarm_rule_id"`
	SQLName      string `json:"sql_alarm_rule_name"`
	Condition    string `json:"condition_expression"`
	Status       string `json:"status"`
	Action       string `json:"alarm_action_rule_name"`
	KeywordLevel string `json:"keywords_alarm_level"`
	SQLLevel     string `json:"sql_alarm_level"`
}

func runAlarms(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "alarms", args, w, verbs{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("alarms list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			if err := flagsOnly(fs, args, "logtank alarms list"); err != nil {
				return err
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			var kw struct {
				Rules []alarmRuleRow `json:"keywords_alarm_rules"`
			}
			var sq struct {
				Rules []alarmRuleRow `json:"sql_alarm_rules"`
			}
			if err := c.Do(ctx, "GET", "/v2/{project_id}/lts/alarms/keywords-alarm-rule", nil, nil, &kw); err != nil {
				return err
			}
			if err := c.Do(ctx, "GET", "/v2/{project_id}/lts/alarms/sql-alarm-rule", nil, nil, &sq); err != nil {
				return err
			}
			var rows [][]any
			for _, r := range kw.Rules {
				rows = append(rows, []any{r.KeywordsID, "keywords", r.KeywordsName, r.KeywordLevel, r.Condition, r.Status, r.Action})
			}
			for _, r := range sq.Rules {
				rows = append(rows, []any{r.SQLID, "sql", r.SQLName, r.SQLLevel, r.Condition, r.Status, r.Action})
			}
			return table(w, "ID\tTYPE\tNAME\tLEVEL\tCONDITION\tSTATUS\tACTION", rows)
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("alarms create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			target := addStreamFlags(fs)
			keywords := fs.String("keywords", "", "keywords rule: the search whose lines are counted")
			op := fs.String("op", ">=", "keywords rule: >=, >, <= or <")
			number := fs.Int("number", 1, "keywords rule: the count compared with")
			sql := fs.String("sql", "", "SQL rule: the query (\"search | SQL\" or SQL)")
			cond := fs.String("condition", "", "SQL rule: the condition on the result, such as \"n > 10\"")
			every := fs.Int("every", 1, "evaluate every N minutes (1 to 60)")
			window := fs.Int("window", 0, "minutes of logs each evaluation reads (default: --every)")
			level := fs.String("level", "Major", "Info, Minor, Major or Critical")
			action := fs.String("action", "", "alarm action rule or topic to notify")
			recovery := fs.Bool("recovery", true, "notify when the alarm recovers")
			name, err := onePositional(fs, args, "logtank alarms create NAME --group G --stream S (--keywords K [--op >= --number N] | --sql Q --condition C) [--every M] [--action A]")
			if err != nil {
				return err
			}
			if (*keywords == "") == (*sql == "") {
				return usagef("alarms create: give --keywords or --sql")
			}
			if *window == 0 {
				*window = *every
			}
			c, group, stream, err := target.connect(ctx, conn)
			if err != nil {
				return err
			}
			req := map[string]any{"log_group_id": group, "log_stream_id": stream, "search_time_range": *window, "search_time_range_unit": "minute"}
			body := map[string]any{
				"frequency": map[string]any{"type": "FIXED_RATE", "fixed_rate": *every, "fixed_rate_unit": "minute"},
				"domain_id": "default", "notification_frequency": 0, "whether_recovery_policy": *recovery,
				"alarm_action_rule_name": *action,
			}
			kind := "keywords"
			if *sql != "" {
				kind = "sql"
				req["sql"] = *sql
				body["condition_expression"] = *cond
			} else {
				req["keywords"], req["condition"], req["number"] = *keywords, *op, *number
			}
			body[kind+"_alarm_rule_name"], body[kind+"_requests"], body[kind+"_alarm_level"] = name, []any{req}, *level
			var out map[string]string
			if err := c.Do(ctx, "POST", "/v2/{project_id}/lts/alarms/"+kind+"-alarm-rule", nil, body, &out); err != nil {
				return err
			}
			_, err = fmt.Fprintln(w, out[kind+"_alarm_rule_id"])
			return err
		},
		"delete": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("alarms delete", flag.ContinueOnError)
			conn := addConnFlags(fs)
			kind := fs.String("type", "keywords", "keywords or sql")
			id, err := onePositional(fs, args, "logtank alarms delete ID [--type keywords|sql]")
			if err != nil {
				return err
			}
			return call(ctx, conn, w, "DELETE", "/v2/{project_id}/lts/alarms/"+*kind+"-alarm-rule/"+id, nil, nil, func(struct{}) error { return nil })
		},
		"history": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("alarms history", flag.ContinueOnError)
			conn := addConnFlags(fs)
			active := fs.Bool("active", false, "list active alarms instead of past ones")
			if err := flagsOnly(fs, args, "logtank alarms history [--active]"); err != nil {
				return err
			}
			typ := "history_alert"
			if *active {
				typ = "active_alert"
			}
			q := map[string][]string{"type": {typ}}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/default/lts/alarms/sql-alarm/query", q, map[string]any{}, func(v struct {
				Events []struct {
					ID       string `json:"id"`
					Starts   int64  `json:"starts_at"`
					Ends     int64  `json:"ends_at"`
					Count    int64  `json:"count"`
					Metadata struct {
						Name     string `json:"event_name"`
						Severity string `json:"event_severity"`
					} `json:"metadata"`
					Annotations struct {
						Value string `json:"current_value"`
					} `json:"annotations"`
				} `json:"events"`
			}) error {
				var rows [][]any
				for _, e := range v.Events {
					rows = append(rows, []any{e.ID, e.Metadata.Name, e.Metadata.Severity, e.Starts, e.Ends, e.Count, e.Annotations.Value})
				}
				return table(w, "ID\tRULE\tLEVEL\tSTARTS_MS\tENDS_MS\tPERIODS\tVALUE", rows)
			})
		},
	})
}

func adminTopics(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "admin topics", args, w, verbs{
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin topics create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			u := fs.String("url", "", "webhook URL notifications are posted to")
			timeout := fs.Int("timeout-ms", 0, "bound of one attempt in ms (default 10000)")
			var headers multiFlag
			fs.Var(&headers, "header", "K:V header sent with each notification (repeatable)")
			name, err := onePositional(fs, args, "logtank admin topics create NAME --url URL [--header K:V]...")
			if err != nil {
				return err
			}
			h := map[string]string{}
			for _, kv := range headers {
				k, v, ok := strings.Cut(kv, ":")
				if !ok {
					return usagef("--header %q: want K:V", kv)
				}
				h[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			body := map[string]any{"name": name, "url": *u, "headers": h, "timeout_ms": *timeout}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/logtank/alarm-topics", nil, body, func(struct{}) error { return nil })
		},
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin topics list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			if err := flagsOnly(fs, args, "logtank admin topics list"); err != nil {
				return err
			}
			return call(ctx, conn, w, "GET", "/v2/{project_id}/logtank/alarm-topics", nil, nil, func(v struct {
				Topics []struct {
					Name string `json:"name"`
					URL  string `json:"url"`
				} `json:"topics"`
			}) error {
				var rows [][]any
				for _, t := range v.Topics {
					rows = append(rows, []any{t.Name, t.URL})
				}
				return table(w, "NAME\tURL", rows)
			})
		},
	})
}

func adminActionRules(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "admin action-rules", args, w, verbs{
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin action-rules create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			var topics multiFlag
			fs.Var(&topics, "topic", "topic to notify (repeatable)")
			template := fs.String("template", "", "notification template (default: a JSON body with every variable)")
			name, err := onePositional(fs, args, "logtank admin action-rules create NAME --topic T... [--template X]")
			if err != nil {
				return err
			}
			body := map[string]any{"name": name, "topics": []string(topics), "template": *template}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/logtank/alarm-action-rules", nil, body, func(struct{}) error { return nil })
		},
	})
}
