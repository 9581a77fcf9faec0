package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"logtank/internal/client"
	"logtank/internal/iam"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/segcache"
	"logtank/internal/server"
)

// defaultListen is loopback only: exposing the server is a deliberate choice.
const defaultListen = "127.0.0.1:8102"

func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", "./data", "data folder (created if missing)")
	catalogURL := fs.String("catalog", "", "metadata catalog: a postgres://user@host:port/database URL that several nodes may share (password from PGPASSWORD or ~/.pgpass); empty for the embedded SQLite in the data folder")
	listen := fs.String("listen", defaultListen, "address to listen on")
	region := fs.String("region", "cn-north-4", "region: the name of the default project")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM); serves HTTPS with --tls-key")
	tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	memLimit := fs.Int64("memory-limit-mb", 384, "soft memory limit for the Go runtime in MiB (0: none; GOMEMLIMIT overrides)")
	segmentDict := fs.Bool("segment-dictionary", false, "write log segments with a template dictionary: about a tenth smaller on disk, searches that read many blocks slower")
	gcPercent := fs.Int("gc-percent", 70, "how much the heap may grow past what is live before a collection, in percent (GOGC overrides)")
	metricDays := fs.Int("metric-retention-days", 30, "days to keep AOM metric points")
	metricsNode := fs.String("metrics-node", "", "with a shared --catalog: the cluster's metrics node, http://host:port, to which this node forwards every AOM request, or \"self\" on that node (empty: this node keeps the metrics reported through it)")
	queryTimeout := fs.Duration("query-timeout", ltscore.DefaultQueryTimeout, "longest time one log search or SQL query may run")
	projectQueries := fs.Int("project-queries", ltscore.DefaultProjectQueries, "log searches and SQL queries one project may run at once (more are answered 429)")
	leaseTTL := fs.Duration("lease-ttl", server.DefaultLeaseTTL, "with a shared --catalog: how long a node holds a cluster job (transfers, alarms), or in cluster mode a stream it indexes, without renewing it, so the longest wait before another node takes a dead node's jobs and streams over")
	functionsBucket := fs.String("functions-bucket", "", "a bucket of the object store (--obs-*) where function code packages are kept as well, so that every node sharing --catalog can run every function; it must exist")
	strict := fs.Bool("strict", false, "refuse to start on a damaged log file instead of quarantining it (see `logtank check`)")
	var syslogListeners []string
	fs.Func("syslog", "a syslog listener, repeatable: tcp://HOST:PORT?group=G&stream=S, udp://..., or tls://...&cert=FILE&key=FILE (group and stream by id or name; &project=ID for another project than the first)", func(v string) error {
		syslogListeners = append(syslogListeners, v)
		return nil
	})
	obs := objectFlags(fs, "obs", "transfers write to (default: <data>/obs)", "transfers")
	segments := objectFlags(fs, "segments", "of cluster mode's segments", "cluster mode's segments")
	segmentsBucket := fs.String("segments-bucket", "", "cluster mode: the bucket (of --segments-endpoint or --segments-dir) where the nodes sharing --catalog share their log segments; needs a postgres:// --catalog")
	segmentsCache := byteSize(ltscore.DefaultSegmentsCache)
	fs.Var(&segmentsCache, "segments-cache", "cluster mode: the most disk the node's cache of segment blocks read from the bucket may take, in <data>/segment-cache (e.g. 512MiB, 20GiB)")
	indexAfter := fs.Duration("cluster-index-after", 30*time.Second, "cluster mode: how long acknowledged rows wait in the catalog's ingest log before their owner writes them into a segment")
	followFor := fs.Duration("cluster-follow-for", 5*time.Minute, "cluster mode: how long a node keeps applying the log of a stream it does not own after a query through it; then it drops what it holds of the stream until the next query (longer than --query-timeout)")
	segmentGrace := fs.Duration("cluster-segment-grace", 10*time.Minute, "cluster mode: how long a segment that left the manifest (merged or expired) stays in the bucket for the nodes still reading it")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos)
	}
	if *metricDays < 1 {
		return usagef("--metric-retention-days must be at least 1")
	}
	if *queryTimeout <= 0 || *projectQueries < 1 {
		return usagef("--query-timeout must be positive and --project-queries at least 1")
	}
	if *leaseTTL < time.Second {
		return usagef("--lease-ttl must be at least 1s")
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	log, err := newLogger(*logLevel, *logFormat)
	if err != nil {
		return err
	}
	// A soft limit makes the collector work harder near it instead of
	// letting the heap double, which keeps the resident size predictable.
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	// Most of what is live while ingesting is the memtables, up to twice
	// their budget: Go's default of 100% let the heap reach twice that
	// again, a resident size near 250-290 MB at 2 senders. Ingestion now
	// makes little garbage, so collecting at 70% costs little CPU.
	if *gcPercent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gcPercent)
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	objects, err := obs.open()
	if err != nil {
		return err
	}
	sharedCatalog := strings.HasPrefix(*catalogURL, "postgres://") || strings.HasPrefix(*catalogURL, "postgresql://")
	var clusterCfg *ltscore.Cluster
	if *segmentsBucket != "" {
		if !sharedCatalog {
			return usagef("--segments-bucket (cluster mode) needs a postgres:// --catalog")
		}
		if *followFor <= *queryTimeout {
			return usagef("--cluster-follow-for must be longer than --query-timeout: a query reads the stream after catching it up")
		}
		store, err := segments.open()
		if err != nil {
			return err
		}
		if store == nil {
			return usagef("--segments-bucket needs --segments-endpoint or --segments-dir")
		}
		if segmentsCache < segcache.HeaderSize+segcache.DefaultBlockSize {
			return usagef("--segments-cache must hold at least one block of 1MiB and its 64-byte header")
		}
		clusterCfg = &ltscore.Cluster{Objects: store, Bucket: *segmentsBucket, LeaseTTL: *leaseTTL, IndexAfter: *indexAfter, FollowFor: *followFor, SegmentGrace: *segmentGrace, CacheBytes: int64(segmentsCache)}
	} else if *segments.endpoint != "" || *segments.dir != "" {
		return usagef("--segments-endpoint and --segments-dir need --segments-bucket")
	}
	forwardTo := *metricsNode
	switch {
	case forwardTo == "self":
		forwardTo = ""
	case forwardTo != "" && !sharedCatalog:
		return usagef("--metrics-node needs a postgres:// --catalog shared with the metrics node")
	case *metricsNode == "" && clusterCfg != nil:
		log.Warn("cluster mode without --metrics-node: this node keeps the AOM metrics reported through it, which the other nodes do not see; give the nodes --metrics-node (see docs/cluster.md)")
	}
	app, err := server.Open(ctx, server.Config{
		DataDir: *data, Catalog: *catalogURL, Region: *region, Logger: log, MetricRetention: time.Duration(*metricDays) * 24 * time.Hour,
		Objects: objects, QueryTimeout: *queryTimeout, ProjectQueries: *projectQueries, StrictStorage: *strict, SegmentDictionary: *segmentDict, Syslog: syslogListeners,
		LeaseTTL: *leaseTTL, FunctionsBucket: *functionsBucket, Cluster: clusterCfg, MetricsNode: forwardTo,
		Defaults: iam.Defaults{
			ProjectID:     os.Getenv("LOGTANK_PROJECT_ID"),
			AccessKey:     os.Getenv("LOGTANK_ACCESS_KEY"),
			SecretKey:     os.Getenv("LOGTANK_SECRET_KEY"),
			AdminPassword: os.Getenv("LOGTANK_ADMIN_PASSWORD"),
		},
	})
	if err != nil {
		return err
	}
	defer app.Close()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	endpoint := scheme + "://" + clientAddress(ln.Addr().String())
	fs0 := app.FirstStart
	if err := client.WriteProfile(*data, client.Profile{
		Endpoint: endpoint, Region: *region, ProjectID: fs0.ProjectID, AccessKey: fs0.AccessKey, SecretKey: fs0.SecretKey,
	}); err != nil {
		ln.Close()
		return fmt.Errorf("writing the client profile: %w", err)
	}
	if fs0.Created {
		printFirstStart(stdout, fs0, endpoint, *data)
	}

	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Bounds how long a slow client holds a request body in memory.
		ReadTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("logtank serving", "endpoint", endpoint, "data", *data, "region", *region, "project_id", fs0.ProjectID)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// clientAddress turns a listening address into one a local client can dial:
// a wildcard host becomes loopback.
func clientAddress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func printFirstStart(w io.Writer, fs iam.FirstStart, endpoint, data string) {
	fmt.Fprintf(w, `logtank: first start, created these accounts (shown once; the access key is also in %s/%s):
  endpoint        %s
  region/project  %s  (project id %s)
  domain/user     %s / %s
`, data, client.ProfileFile, endpoint, fs.ProjectName, fs.ProjectID, fs.DomainName, fs.UserName)
	if fs.AdminPassword != "" {
		fmt.Fprintf(w, "  password        %s\n", fs.AdminPassword)
	}
	fmt.Fprintf(w, "  access key      %s\n  secret key      %s\n", fs.AccessKey, fs.SecretKey)
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, usagef("--log-format must be text or json, got %q", format)
}

// objectOptions say where objects go: a folder (each folder in it a
// bucket) or an S3-compatible endpoint. Transfers use the --obs-* flags,
// cluster segments the --segments-* ones.
type objectOptions struct {
	prefix                           string
	dir, endpoint, accessKey, region *string
	pathStyle, insecure              *bool
}

func objectFlags(fs *flag.FlagSet, prefix, dirPurpose, purpose string) objectOptions {
	env := "LOGTANK_" + strings.ToUpper(prefix) + "_SECRET_KEY"
	return objectOptions{
		prefix:    prefix,
		dir:       fs.String(prefix+"-dir", "", "folder whose sub-folders are the buckets "+dirPurpose),
		endpoint:  fs.String(prefix+"-endpoint", "", "S3-compatible endpoint for "+purpose+" (host:port or URL) instead of a folder; the secret key comes from "+env),
		accessKey: fs.String(prefix+"-access-key", "", "access key for --"+prefix+"-endpoint"),
		region:    fs.String(prefix+"-region", "", "region of --"+prefix+"-endpoint (empty: asked of the endpoint)"),
		pathStyle: fs.Bool(prefix+"-path-style", false, "address buckets as endpoint/bucket (MinIO and most self-hosted servers)"),
		insecure:  fs.Bool(prefix+"-insecure", false, "speak plain HTTP to --"+prefix+"-endpoint"),
	}
}

// open returns the object store the flags name; nil leaves the default
// to the caller.
func (o objectOptions) open() (objstore.Store, error) {
	if *o.endpoint != "" {
		if *o.dir != "" {
			return nil, usagef("--%s-dir and --%s-endpoint exclude each other", o.prefix, o.prefix)
		}
		env := "LOGTANK_" + strings.ToUpper(o.prefix) + "_SECRET_KEY"
		secret := os.Getenv(env)
		if *o.accessKey == "" || secret == "" {
			return nil, usagef("--%s-endpoint needs --%s-access-key and %s", o.prefix, o.prefix, env)
		}
		return objstore.NewS3(objstore.S3Config{
			Endpoint: *o.endpoint, AccessKey: *o.accessKey, SecretKey: secret, Region: *o.region,
			PathStyle: *o.pathStyle, Insecure: *o.insecure,
		})
	}
	if *o.dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(*o.dir, 0o700); err != nil {
		return nil, err
	}
	return objstore.NewDir(*o.dir)
}

// byteSize is a flag of a number of bytes, with a binary unit or none:
// 1073741824, 1024MiB, 1GiB, 1G.
type byteSize int64

func (b byteSize) String() string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if int64(b) >= u.size && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

func (b *byteSize) Set(v string) error {
	units := []struct {
		suffix string
		size   int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	num, mult := strings.ToUpper(strings.TrimSpace(v)), int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("%q is not a positive size such as 512MiB or 20GiB", v)
	}
	*b = byteSize(n * mult)
	return nil
}
