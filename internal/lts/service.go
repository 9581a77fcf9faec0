package lts

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/logquery"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
	"logtank/internal/transfer"
	"logtank/internal/wire"
)

// Config says where the service keeps its logs and how.
type Config struct {
	// DataDir is the server's data folder; logs go to DataDir/logs.
	DataDir string
	Logger  *slog.Logger
	// MemtableBytes is the log engine's memory budget for fresh rows.
	MemtableBytes int64
	// Now is the clock that ingestion checks log times against and
	// transfer windows close by (time.Now when nil); tests replay old
	// documented examples with it.
	Now func() time.Time
	// Region names the LogTanks/<region>/ folder of transferred objects.
	Region string
	// Objects is where transfers write; buckets are never created.
	Objects objstore.Store
	// TransferGrace and TransferInterval tune the transfer worker (see
	// transfer.Config; zero: its defaults, a negative grace: none).
	TransferGrace, TransferInterval time.Duration
	// QueryTimeout bounds one query (zero: DefaultQueryTimeout);
	// ProjectQueries is how many queries a project may run at once (zero:
	// DefaultProjectQueries).
	QueryTimeout   time.Duration
	ProjectQueries int
}

// Service is the LTS API. It is safe for concurrent use.
type Service struct {
	db        *catalog.DB
	logs      *logstore.Store
	streams   *streamCache
	tokenizer *logquery.Tokenizer
	now       func() time.Time
	region    string
	objects   objstore.Store
	transfers *transfer.Worker
	gate      *queryGate
}

// Open opens the log engine and returns the service over db.
func Open(ctx context.Context, db *catalog.DB, cfg Config) (*Service, error) {
	s := &Service{db: db, streams: &streamCache{db: db, log: cfg.Logger}, tokenizer: logquery.DefaultTokenizer(), now: cfg.Now, region: cfg.Region, objects: cfg.Objects, gate: newQueryGate(cfg.QueryTimeout, cfg.ProjectQueries)}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.streams.reload(ctx); err != nil {
		return nil, err
	}
	store, err := logstore.Open(filepath.Join(cfg.DataDir, "logs"), logstore.Options{
		Tokenizer: s.tokenizer, Retention: s.streams.ttl, Logger: cfg.Logger, MemtableBytes: cfg.MemtableBytes,
	}, s.streams.exists)
	if err != nil {
		return nil, err
	}
	s.logs = store
	s.transfers, err = transfer.Start(transfer.Config{
		DB: db, Logs: store, Objects: cfg.Objects, Region: cfg.Region, SpoolDir: filepath.Join(cfg.DataDir, "spool"),
		Logger: cfg.Logger, Now: s.now, Grace: cfg.TransferGrace, Interval: cfg.TransferInterval,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the transfers, then flushes and closes the log engine.
func (s *Service) Close() error {
	s.transfers.Close()
	return s.logs.Close()
}

// API returns the LTS management and query routes for the server to mount.
// The handlers are method values, so API works on a nil *Service to list
// the routes.
func (s *Service) API() wire.Service {
	return wire.Service{
		Name:   "lts",
		Errors: Errors,
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v2/{project_id}/groups", Handle: s.createGroup},
			{Method: "GET", Pattern: "/v2/{project_id}/groups", Handle: s.listGroups},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}", Handle: s.updateGroup},
			{Method: "DELETE", Pattern: "/v2/{project_id}/groups/{log_group_id}", Handle: s.deleteGroup},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams", Handle: s.createStream},
			{Method: "GET", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams", Handle: s.listGroupStreams},
			{Method: "DELETE", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}", Handle: s.deleteStream},
			{Method: "PUT", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams-ttl/{log_stream_id}", Handle: s.updateStream},
			{Method: "GET", Pattern: "/v2/{project_id}/log-streams", Handle: s.listAllStreams},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/content/query", Handle: s.query(s.queryLogs)},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/context", Handle: s.query(s.logContext)},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/keyword-count", Handle: s.query(s.histogram)},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/struct-content/query", Handle: s.query(s.structQuery)},
			{Method: "POST", Pattern: "/v2/{project_id}/streams/{log_stream_id}/struct-content/query", Handle: s.query(s.structQueryNew)},
			{Method: "POST", Pattern: "/v2/{project_id}/log-dump/obs", Handle: s.createDumpObs},
			{Method: "POST", Pattern: "/v2/{project_id}/transfers", Handle: s.createTransfer},
			{Method: "GET", Pattern: "/v2/{project_id}/transfers", Handle: s.listTransfers},
			{Method: "PUT", Pattern: "/v2/{project_id}/transfers", Handle: s.updateTransfer},
			{Method: "DELETE", Pattern: "/v2/{project_id}/transfers", Handle: s.deleteTransfer},
			{Method: "POST", Pattern: "/v2/{project_id}/transfers/{log_transfer_id}/run", Handle: s.runTransfer},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/struct/template", Handle: s.createStructTemplate},
			{Method: "PUT", Pattern: "/v2/{project_id}/lts/struct/template", Handle: s.updateStructTemplate},
			{Method: "GET", Pattern: "/v2/{project_id}/lts/struct/template", Handle: s.showStructTemplate},
			{Method: "DELETE", Pattern: "/v2/{project_id}/lts/struct/template", Handle: s.deleteStructTemplate},
			{Method: "POST", Pattern: "/v3/{project_id}/lts/struct/template", Handle: s.createStructConfig},
			{Method: "PUT", Pattern: "/v3/{project_id}/lts/struct/template", Handle: s.updateStructConfig},
			{Method: "POST", Pattern: "/v3/{project_id}/lts/struct/customtemplate", Handle: s.createCustomTemplate},
			{Method: "GET", Pattern: "/v3/{project_id}/lts/struct/customtemplate", Handle: s.listCustomTemplates},
			{Method: "DELETE", Pattern: "/v3/{project_id}/lts/struct/customtemplate", Handle: s.deleteCustomTemplate},
			{Method: "GET", Pattern: "/v3/{project_id}/lts/struct/customtemplate/list", Handle: s.listBriefCustomTemplates},
			{Method: "POST", Pattern: "/v1.0/{project_id}/groups/{group_id}/stream/{stream_id}/index/config", Handle: s.createIndexConfig},
			{Method: "GET", Pattern: "/v1.0/{project_id}/groups/{group_id}/stream/{stream_id}/index/config", Handle: s.showIndexConfig},
		},
	}
}

// changed refreshes what the service caches of groups and streams after a
// change; a failure is reported, since ingestion would act on stale data.
func (s *Service) changed(ctx context.Context) error {
	if err := s.streams.reload(ctx); err != nil {
		return &wire.Internal{Err: ErrInternal, Cause: err}
	}
	return nil
}
