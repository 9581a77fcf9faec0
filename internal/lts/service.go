package lts

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"logtank/internal/alarms"
	"logtank/internal/catalog"
	"logtank/internal/lease"
	"logtank/internal/ltscore"
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
	// QueryTimeout and ProjectQueries bound queries (see ltscore.Config).
	QueryTimeout   time.Duration
	ProjectQueries int
	// StrictStorage refuses to start on damaged log files instead of
	// quarantining them (logstore.Options.Strict).
	StrictStorage bool
	// SegmentDictionary writes segments with a template dictionary: about
	// a tenth smaller, with searches that decode many blocks a half to
	// two thirds slower (docs/benchmarks.md, "Segment format 4").
	SegmentDictionary bool
	// Cluster, when set, makes the log core a node of a cluster.
	Cluster *ltscore.Cluster
	// AlarmPoster sends alarm notifications; AlarmInterval is how often
	// the alarm scheduler looks for work (see alarms.Config).
	AlarmPoster   alarms.Poster
	AlarmInterval time.Duration
	// TransfersLease and AlarmsLease are the cluster-wide leases the
	// transfer worker and the alarm loops run under (nil: this is the
	// only node; see transfer.Config.Lease, alarms.Config.Lease).
	TransfersLease, AlarmsLease *lease.Keeper
}

// Service is the LTS API: the HTTP face of the LTS core, and the
// management of groups, streams and transfers in the catalog. It is safe for concurrent use.
type Service struct {
	db        *catalog.DB
	core      *ltscore.Core
	region    string
	objects   objstore.Store
	transfers *transfer.Worker
	alarms    *alarms.Service
}

// Open opens the LTS core (and its log engine) and returns the service
// over db.
func Open(ctx context.Context, db *catalog.DB, cfg Config) (*Service, error) {
	core, err := ltscore.Open(ctx, db, ltscore.Config{
		DataDir: cfg.DataDir, Logger: cfg.Logger, MemtableBytes: cfg.MemtableBytes, Now: cfg.Now,
		QueryTimeout: cfg.QueryTimeout, ProjectQueries: cfg.ProjectQueries, StrictStorage: cfg.StrictStorage, SegmentDictionary: cfg.SegmentDictionary,
		Cluster: cfg.Cluster,
	})
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, core: core, region: cfg.Region, objects: cfg.Objects}
	s.transfers, err = transfer.Start(transfer.Config{
		DB: db, Logs: core.Logs(), Seq: core.StreamSeq, Objects: cfg.Objects, Region: cfg.Region, SpoolDir: filepath.Join(cfg.DataDir, "spool"),
		Logger: cfg.Logger, Now: core.Now, Grace: cfg.TransferGrace, Interval: cfg.TransferInterval, Lease: cfg.TransfersLease,
	})
	if err != nil {
		core.Close()
		return nil, err
	}
	s.alarms = alarms.Start(alarms.Config{DB: db, Core: core, Poster: cfg.AlarmPoster, Logger: cfg.Logger, Interval: cfg.AlarmInterval,
		Region: cfg.Region, Lease: cfg.AlarmsLease})
	return s, nil
}

// Core is the LTS core the service's handlers call, for other doors to
// call as well.
func (s *Service) Core() *ltscore.Core { return s.core }

// Alarms is the alarms service, for tools and tests that drive it.
func (s *Service) Alarms() *alarms.Service { return s.alarms }

// Close stops the alarms and the transfers, then flushes and closes the
// log engine.
func (s *Service) Close() error {
	s.alarms.Close()
	s.transfers.Close()
	return s.core.Close()
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
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/content/query", Handle: s.queryLogs},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/context", Handle: s.logContext},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/keyword-count", Handle: s.histogram},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/struct-content/query", Handle: s.structQuery},
			{Method: "POST", Pattern: "/v2/{project_id}/streams/{log_stream_id}/struct-content/query", Handle: s.structQueryNew},
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
			{Method: "GET", Pattern: "/v2/{project_id}/lts/shipper-settings", Handle: s.showShipperSettings},
			{Method: "PUT", Pattern: "/v2/{project_id}/lts/shipper-settings", Handle: s.updateShipperSettings},
			{Method: "POST", Pattern: "/v1.0/{project_id}/groups/{group_id}/stream/{stream_id}/index/config", Handle: s.createIndexConfig},
			{Method: "GET", Pattern: "/v1.0/{project_id}/groups/{group_id}/stream/{stream_id}/index/config", Handle: s.showIndexConfig},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/alarms/keywords-alarm-rule", Handle: s.createKeywordsAlarm},
			{Method: "GET", Pattern: "/v2/{project_id}/lts/alarms/keywords-alarm-rule", Handle: s.listKeywordsAlarms},
			{Method: "PUT", Pattern: "/v2/{project_id}/lts/alarms/keywords-alarm-rule", Handle: s.updateKeywordsAlarm},
			{Method: "DELETE", Pattern: "/v2/{project_id}/lts/alarms/keywords-alarm-rule/{keywords_alarm_rule_id}", Handle: s.deleteKeywordsAlarm},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/alarms/sql-alarm-rule", Handle: s.createSQLAlarm},
			{Method: "GET", Pattern: "/v2/{project_id}/lts/alarms/sql-alarm-rule", Handle: s.listSQLAlarms},
			{Method: "PUT", Pattern: "/v2/{project_id}/lts/alarms/sql-alarm-rule", Handle: s.updateSQLAlarm},
			{Method: "DELETE", Pattern: "/v2/{project_id}/lts/alarms/sql-alarm-rule/{sql_alarm_rule_id}", Handle: s.deleteSQLAlarm},
			{Method: "PUT", Pattern: "/v2/{project_id}/lts/alarms/status", Handle: s.updateAlarmStatus},
			{Method: "POST", Pattern: "/v2/{project_id}/{domain_id}/lts/events/notification/templates", Handle: s.createNotificationTemplate},
			{Method: "GET", Pattern: "/v2/{project_id}/{domain_id}/lts/events/notification/templates", Handle: s.listNotificationTemplates},
			{Method: "PUT", Pattern: "/v2/{project_id}/{domain_id}/lts/events/notification/templates", Handle: s.updateNotificationTemplate},
			{Method: "DELETE", Pattern: "/v2/{project_id}/{domain_id}/lts/events/notification/templates", Handle: s.deleteNotificationTemplates},
			{Method: "POST", Pattern: "/v2/{project_id}/{domain_id}/lts/events/notification/templates/view", Handle: s.previewNotificationTemplate},
			{Method: "GET", Pattern: "/v2/{project_id}/{domain_id}/lts/events/notification/template/{template_name}", Handle: s.showNotificationTemplate},
			{Method: "GET", Pattern: "/v2/{project_id}/lts/notifications/topics", Handle: s.listNotificationTopics},
			{Method: "POST", Pattern: "/v2/{project_id}/{domain_id}/lts/alarms/sql-alarm/query", Handle: s.listAlarms},
			{Method: "POST", Pattern: "/v2/{project_id}/{domain_id}/lts/alarms/sql-alarm/clear", Handle: s.clearAlarms},
			// logtank's own: topics (webhook endpoints) and alarm action rules.
			{Method: "POST", Pattern: "/v2/{project_id}/logtank/alarm-topics", Handle: s.createAlarmTopic},
			{Method: "GET", Pattern: "/v2/{project_id}/logtank/alarm-topics", Handle: s.listAlarmTopics},
			{Method: "DELETE", Pattern: "/v2/{project_id}/logtank/alarm-topics/{name}", Handle: s.deleteAlarmTopic},
			{Method: "POST", Pattern: "/v2/{project_id}/logtank/alarm-action-rules", Handle: s.createAlarmActionRule},
			{Method: "GET", Pattern: "/v2/{project_id}/logtank/alarm-action-rules", Handle: s.listAlarmActionRules},
			{Method: "DELETE", Pattern: "/v2/{project_id}/logtank/alarm-action-rules/{name}", Handle: s.deleteAlarmActionRule},
			{Method: "POST", Pattern: "/v1.0/{project_id}/groups/{group_id}/topics/{topic_id}/search-criterias", Handle: s.createSearchCriterias},
			{Method: "GET", Pattern: "/v1.0/{project_id}/groups/{group_id}/topics/{topic_id}/search-criterias", Handle: s.listCriterias},
			{Method: "DELETE", Pattern: "/v1.0/{project_id}/groups/{group_id}/topics/{topic_id}/search-criterias", Handle: s.deleteSearchCriterias},
			{Method: "GET", Pattern: "/v1.0/{project_id}/lts/groups/{group_id}/search-criterias", Handle: s.listGroupCriterias},
			{Method: "POST", Pattern: "/v1.0/{project_id}/lts/favorite", Handle: s.createFavorite},
			{Method: "DELETE", Pattern: "/v1.0/{project_id}/lts/favorite/{fav_res_id}", Handle: s.deleteFavorite},
			{Method: "GET", Pattern: "/v2/{project_id}/lts/history-sql", Handle: s.listHistorySQL},
			{Method: "POST", Pattern: "/v2/{project_id}/dashboard", Handle: s.createDashboard},
			{Method: "GET", Pattern: "/v2/{project_id}/dashboard", Handle: s.listDashboards},
			{Method: "DELETE", Pattern: "/v2/{project_id}/dashboard", Handle: s.deleteDashboard},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/dashboard-group", Handle: s.createDashboardGroup},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/charts", Handle: s.createChart},
			{Method: "GET", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}/charts", Handle: s.listCharts},
			{Method: "GET", Pattern: "/v2/{project_id}/charts", Handle: s.listAllCharts},
		},
	}
}

// reloadStreams refreshes what the core caches of groups and streams
// after a change; a failure is reported, since ingestion would act on
// stale data.
func (s *Service) reloadStreams(ctx context.Context) error {
	if err := s.core.Reload(ctx); err != nil {
		return internalFailure(ltscore.ErrInternal, err)
	}
	return nil
}
