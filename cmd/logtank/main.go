// Command logtank is a self-hosted log service that speaks the Huawei Cloud
// LTS, AOM and FunctionGraph APIs. `logtank serve` runs the server; the other
// subcommands are clients of a running server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout io.Writer) error
}

var commands = map[string]command{
	"serve":   {"run the server", runServe},
	"groups":  {"list, create, update and delete log groups", runGroups},
	"streams": {"list, create, update and delete log streams", runStreams},
	"admin":   {"manage domains, projects, users and access keys", runAdmin},
	"token":   {"get an IAM token for curl (X-Auth-Token)", runToken},
	"ingest":  {"send log lines from files or stdin to a stream", runIngest},
	"query":   {"search a stream with the LTS search syntax", runQuery},
	"tail":    {"print a stream's newest lines; -f follows new ones", runTail},
	"sql":     {"analyse a stream's structured fields with SQL (optionally after a search)", runSQL},
	"bench":   {"load a server with generated logs and time the key queries", runBench},
	"check":   {"check a stopped server's log files for damage; --repair quarantines it", runCheck},

	"shippers":  {"show or set what the shippers' doors may do (create streams on first use)", runShippers},
	"alarms":    {"alarm rules that notify webhooks (list, create, delete, history)", runAlarms},
	"transfers": {"dump log streams to object storage every period (list, create, delete, run)", runTransfers},

	"functions": {"create, update, publish, alias and invoke functions (FunctionGraph)", runFunctions},
	"metrics":   {"report metric points and query them with PromQL (AOM)", runMetrics},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: logtank <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun `logtank <command> -h` for a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage(os.Stdout)
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "logtank: unknown command %q\n\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "logtank:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake on the command line.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, args ...any) error { return usageError(fmt.Sprintf(format, args...)) }

// parse parses flags that may come before, between or after positional
// arguments, and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// subcommand dispatches "logtank <noun> <verb> ..." to a verb's function.
func subcommand(ctx context.Context, noun string, args []string, stdout io.Writer,
	verbs map[string]func(context.Context, []string, io.Writer) error) error {
	names := make([]string, 0, len(verbs))
	for v := range verbs {
		names = append(names, v)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stdout, "usage: logtank %s <%s> [flags] [args]\n", noun, strings.Join(names, "|"))
		if len(args) == 0 {
			return usagef("%s: a subcommand is required", noun)
		}
		return nil
	}
	fn, ok := verbs[args[0]]
	if !ok {
		return usagef("%s: unknown subcommand %q (want one of %s)", noun, args[0], strings.Join(names, ", "))
	}
	return fn(ctx, args[1:], stdout)
}
