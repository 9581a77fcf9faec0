package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

type shipperSettings struct {
	CreateStreams bool `json:"create_streams"`
	TTLDays       int  `json:"ttl_in_days"`
}

func printShipperSettings(w io.Writer) func(shipperSettings) error {
	return func(s shipperSettings) error {
		_, err := fmt.Fprintf(w, "create_streams\t%t\nttl_in_days\t%d\n", s.CreateStreams, s.TTLDays)
		return err
	}
}

func runShippers(ctx context.Context, args []string, w io.Writer) error {
	const path = "/v2/{project_id}/lts/shipper-settings"
	return subcommand(ctx, "shippers", args, w, verbs{
		"show": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("shippers show", flag.ContinueOnError)
			conn := addConnFlags(fs)
			if err := flagsOnly(fs, args, "logtank shippers show"); err != nil {
				return err
			}
			return call(ctx, conn, w, "GET", path, nil, nil, printShipperSettings(w))
		},
		"set": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("shippers set", flag.ContinueOnError)
			conn := addConnFlags(fs)
			create := fs.Bool("create-streams", false, "create the groups and streams shippers name on first use")
			ttl := fs.Int("ttl", 0, "retention in days of the groups created so")
			if err := flagsOnly(fs, args, "logtank shippers set [--create-streams=true|false] [--ttl DAYS]"); err != nil {
				return err
			}
			// Only the flags given change a setting.
			change := map[string]any{}
			fs.Visit(func(f *flag.Flag) {
				switch f.Name {
				case "create-streams":
					change["create_streams"] = *create
				case "ttl":
					change["ttl_in_days"] = *ttl
				}
			})
			return call(ctx, conn, w, "PUT", path, nil, change, printShipperSettings(w))
		},
	})
}
