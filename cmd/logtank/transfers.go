package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
)

type transferRow struct {
	ID        string `json:"log_transfer_id"`
	GroupName string `json:"log_group_name"`
	Streams   []struct {
		Name string `json:"log_stream_name"`
	} `json:"log_streams"`
	Info struct {
		Format  string `json:"log_storage_format"`
		Status  string `json:"log_transfer_status"`
		Failure string `json:"log_transfer_failure"`
		Detail  struct {
			Period int    `json:"obs_period"`
			Unit   string `json:"obs_period_unit"`
			Bucket string `json:"obs_bucket_name"`
		} `json:"log_transfer_detail"`
	} `json:"log_transfer_info"`
}

func runTransfers(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "transfers", args, w, map[string]func(context.Context, []string, io.Writer) error{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("transfers list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			if _, err := parse(fs, args); err != nil {
				return err
			}
			return call(ctx, conn, w, "GET", "/v2/{project_id}/transfers", nil, nil, func(v struct {
				Transfers []transferRow `json:"log_transfers"`
			}) error {
				rows := make([][]any, 0, len(v.Transfers))
				for _, t := range v.Transfers {
					var streams []string
					for _, s := range t.Streams {
						streams = append(streams, s.Name)
					}
					d := t.Info.Detail
					rows = append(rows, []any{t.ID, t.GroupName, strings.Join(streams, ","), d.Bucket, fmt.Sprintf("%d%s", d.Period, d.Unit), t.Info.Format, t.Info.Status, t.Info.Failure})
				}
				return table(w, "ID\tGROUP\tSTREAMS\tBUCKET\tPERIOD\tFORMAT\tSTATUS\tFAILURE", rows)
			})
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("transfers create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			target := addStreamFlags(fs)
			bucket := fs.String("bucket", "", "bucket to write to (must exist)")
			period := fs.String("period", "5min", "window length: 2min, 5min, 30min, 1hour, 3hour, 6hour or 12hour")
			format := fs.String("format", "RAW", "RAW (one line per log) or JSON (one object per log)")
			prefix := fs.String("prefix", "", "file name prefix")
			dir := fs.String("dir", "", "directory under LogTanks/<region>/ instead of <YYYY>/<MM>/<DD>/<group>/<stream> (may hold %Y %m %d %H %M)")
			zone := fs.String("time-zone", "", "UTC offset such as UTC+08:00 for windows and dates (with --time-zone-id)")
			zoneID := fs.String("time-zone-id", "", "time zone id such as Asia/Shanghai (with --time-zone)")
			gzip := fs.Bool("gzip", false, "compress objects with gzip")
			tags := fs.String("tags", "", "comma-separated tag fields for JSON (hostIP,hostName,pathFile,logStreamName,...)")
			pos, err := parse(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 0 || *bucket == "" {
				return usagef("usage: logtank transfers create --group G --stream S --bucket B [--period 5min] [--format RAW|JSON] [--gzip]")
			}
			n, unit, ok := splitPeriod(*period)
			if !ok {
				return usagef("--period %q: want a number followed by min or hour", *period)
			}
			c, group, stream, err := target.connect(ctx, conn)
			if err != nil {
				return err
			}
			detail := map[string]any{
				"obs_period": n, "obs_period_unit": unit, "obs_bucket_name": *bucket,
				"obs_prefix_name": *prefix, "obs_dir_pre_fix_name": *dir, "obs_time_zone": *zone, "obs_time_zone_id": *zoneID,
			}
			if *gzip {
				detail["obs_compress_type"] = "gzip"
			}
			if *tags != "" {
				detail["tags"] = strings.Split(*tags, ",")
			}
			body := map[string]any{
				"log_group_id": group,
				"log_streams":  []map[string]string{{"log_stream_id": stream}},
				"log_transfer_info": map[string]any{
					"log_transfer_type": "OBS", "log_transfer_mode": "cycle", "log_storage_format": strings.ToUpper(*format),
					"log_transfer_status": "ENABLE", "log_transfer_detail": detail,
				},
			}
			var out transferRow
			if err := c.Do(ctx, "POST", "/v2/{project_id}/transfers", nil, body, &out); err != nil {
				return err
			}
			_, err = fmt.Fprintln(w, out.ID)
			return err
		},
		"delete": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("transfers delete", flag.ContinueOnError)
			conn := addConnFlags(fs)
			id := fs.String("id", "", "transfer id")
			if _, err := parse(fs, args); err != nil {
				return err
			}
			if *id == "" {
				return usagef("usage: logtank transfers delete --id ID")
			}
			return call(ctx, conn, w, "DELETE", "/v2/{project_id}/transfers", url.Values{"log_transfer_id": {*id}}, nil, func(transferRow) error {
				_, err := fmt.Fprintln(w, "deleted", *id)
				return err
			})
		},
		"run": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("transfers run", flag.ContinueOnError)
			conn := addConnFlags(fs)
			id := fs.String("id", "", "transfer id")
			if _, err := parse(fs, args); err != nil {
				return err
			}
			if *id == "" {
				return usagef("usage: logtank transfers run --id ID")
			}
			return call(ctx, conn, w, "POST", "/v2/{project_id}/transfers/"+url.PathEscape(*id)+"/run", nil, nil, func(v struct {
				Objects []string `json:"objects"`
			}) error {
				if len(v.Objects) == 0 {
					_, err := fmt.Fprintln(w, "no new logs to write")
					return err
				}
				for _, k := range v.Objects {
					if _, err := fmt.Fprintln(w, k); err != nil {
						return err
					}
				}
				return nil
			})
		},
	})
}

// splitPeriod reads "5min" or "1hour".
func splitPeriod(p string) (int, string, bool) {
	for _, unit := range []string{"min", "hour"} {
		if num, ok := strings.CutSuffix(p, unit); ok {
			var n int
			if _, err := fmt.Sscanf(num, "%d", &n); err == nil && fmt.Sprint(n) == num {
				return n, unit, true
			}
		}
	}
	return 0, "", false
}
