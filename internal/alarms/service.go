package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
	"logtank/internal/lease"
	"logtank/internal/ltscore"
)

// Poster sends one notification: an HTTP POST of body to url with the
// headers, within ctx's deadline. An error means "try again later".
type Poster interface {
	Post(ctx context.Context, url string, header map[string]string, body []byte) error
}

// Config is what the alarms service works with.
type Config struct {
	DB     *catalog.DB
	Core   *ltscore.Core
	Poster Poster
	Logger *slog.Logger
	// Now is the clock periods are due by (the core's when nil).
	Now func() time.Time
	// Interval is how often the scheduler looks for due rules and
	// notifications (zero: DefaultInterval).
	Interval time.Duration
	// Region and the project name topic URNs.
	Region string
	// Lease, when not nil, is the cluster-wide lease the scheduler and
	// the delivery loop run under: only its holder evaluates rules and
	// sends notifications, and its evaluations and claims of
	// notifications are fenced by the holding (nil: this is the only
	// node).
	Lease *lease.Keeper
}

// DefaultInterval is how often the scheduler looks for work: rules are
// due on whole minutes at the finest, so a second is timely enough.
const DefaultInterval = time.Second

// Service is the alarms of every project: rules, templates, topics,
// action rules, alarms, and the loops that evaluate rules and deliver
// notifications. It is safe for concurrent use.
type Service struct {
	cfg  Config
	log  *slog.Logger
	stop chan struct{}
	// abort cancels notifications still being sent when Close's grace
	// has passed.
	abort chan struct{}
	done  sync.WaitGroup

	// mu guards inFlight, the notifications being sent, so that a slow
	// endpoint's notification is not started twice.
	mu       sync.Mutex
	inFlight map[string]bool

	rounds atomic.Uint64
}

// Rounds is how many times the scheduler has looked for due rules and
// notifications and handled them all, on this node as the holder of the
// alarms' lease (a metric; tests wait on it).
func (s *Service) Rounds() uint64 { return s.rounds.Load() }

// Start opens the service and starts its loops; Close stops them.
func Start(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = cfg.Core.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, log: cfg.Logger, stop: make(chan struct{}), abort: make(chan struct{}), inFlight: map[string]bool{}}
	s.done.Add(1)
	go s.loop()
	return s
}

// closeGrace is how long Close lets notifications being sent finish
// before it cancels them. A notification cancelled after its endpoint took
// it is sent again at the next start, so a graceful stop waits a little
// rather than repeat what an endpoint already has.
const closeGrace = 5 * time.Second

// Close stops the loops, lets notifications being sent finish for up to
// closeGrace, cancels those still going, and waits for them.
func (s *Service) Close() {
	close(s.stop)
	finished := make(chan struct{})
	go func() {
		s.done.Wait()
		close(finished)
	}()
	grace := time.NewTimer(closeGrace)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		close(s.abort)
		<-finished
	}
}

func (s *Service) loop() {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if held, done, ok := s.cfg.Lease.Hold(context.Background()); ok {
			ctx, cancel := context.WithCancel(held)
			go func() {
				select {
				case <-s.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			// A node whose holding ended without its noticing yet (it
			// learns at its next renewal) skips the round: its writes
			// would be refused by their fence anyway. A round counts as
			// the holder's when the holding lasted through it.
			if s.holding(ctx) {
				s.RunDue(ctx)
				s.deliverDue(ctx)
				if s.holding(ctx) {
					s.rounds.Add(1)
				}
			}
			cancel()
			done()
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// holding reports whether this node still holds the alarms' lease by the
// catalog (always, with no lease: the only node).
func (s *Service) holding(ctx context.Context) bool {
	return s.cfg.Lease == nil || s.cfg.DB.CheckFence(ctx) == nil
}

func (s *Service) nowMS() int64 { return s.cfg.Now().UnixMilli() }

func internal(e *apierr.Error, cause error) error { return &apierr.Internal{Err: e, Cause: cause} }

// CreateRule validates r (its streams and queries through the core, its
// action rule in the catalog) and stores it, running, first due at the end
// of the current period.
func (s *Service) CreateRule(ctx context.Context, project string, r Rule) (string, error) {
	if err := s.check(ctx, project, &r); err != nil {
		return "", err
	}
	spec, _ := json.Marshal(r)
	now := s.cfg.Now()
	id := uuid.NewString()
	err := s.cfg.DB.CreateAlarmRule(ctx, catalog.AlarmRule{
		ID: id, ProjectID: project, Kind: r.Kind, Name: r.Name, Spec: string(spec), Enabled: true,
		CreatedMS: now.UnixMilli(), UpdatedMS: now.UnixMilli(), NextDueMS: r.Frequency.next(now).UnixMilli(),
	}, MaxRules)
	switch {
	case errors.Is(err, catalog.ErrQuota):
		return "", ltscore.ErrAlarmQuota.WithMsg("The size of alarm rule has exceed the limit: %d", MaxRules)
	case errors.Is(err, catalog.ErrExists):
		return "", ltscore.ErrAlarmExists.WithMsg("Alarm rule name already exists: %s", r.Name)
	case err != nil:
		return "", internal(ltscore.ErrAlarmCreate, err)
	}
	return id, nil
}

// UpdateRule replaces a rule of r.Kind with r; its evaluation starts over
// (no past outcomes) at the end of the current period. It returns the
// stored rule.
func (s *Service) UpdateRule(ctx context.Context, project string, r Rule) (Rule, error) {
	old, err := s.rule(ctx, project, r.ID)
	if err != nil {
		return Rule{}, err
	}
	if old.Kind != r.Kind {
		return Rule{}, ltscore.ErrAlarmNotFound
	}
	if err := s.check(ctx, project, &r); err != nil {
		return Rule{}, err
	}
	spec, _ := json.Marshal(r)
	now := s.cfg.Now()
	err = s.cfg.DB.UpdateAlarmRule(ctx, catalog.AlarmRule{
		ID: r.ID, ProjectID: project, Kind: r.Kind, Name: r.Name, Spec: string(spec), UpdatedMS: now.UnixMilli(),
		NextDueMS: r.Frequency.next(now).UnixMilli(),
	})
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return Rule{}, ltscore.ErrAlarmNotFound
	case errors.Is(err, catalog.ErrExists):
		return Rule{}, ltscore.ErrAlarmExists.WithMsg("Alarm rule name already exists: %s", r.Name)
	case err != nil:
		return Rule{}, internal(ltscore.ErrAlarmUpdate, err)
	}
	return s.rule(ctx, project, r.ID)
}

// DeleteRule deletes a rule of the kind; it is not evaluated again and
// its active alarm moves to history.
func (s *Service) DeleteRule(ctx context.Context, project, kind, id string) error {
	err := s.cfg.DB.DeleteAlarmRule(ctx, project, kind, id, s.nowMS())
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrAlarmNotFound
	case err != nil:
		return internal(ltscore.ErrAlarmDelete, err)
	}
	return nil
}

// SetStatus starts ("RUNNING") or stops ("STOPPING") a rule of the kind.
// A stopped rule is not evaluated again; a started one is next due at the
// end of the current period, with no past outcomes.
func (s *Service) SetStatus(ctx context.Context, project, kind, id, status string) error {
	if status != "RUNNING" && status != "STOPPING" {
		return ltscore.NotInList("status", "RUNNING", "STOPPING")
	}
	if kind != KindKeywords && kind != KindSQL {
		return ltscore.NotInList("type", KindKeywords, KindSQL)
	}
	r, err := s.rule(ctx, project, id)
	if err != nil {
		return err
	}
	if r.Kind != kind {
		return ltscore.ErrAlarmNotFound
	}
	now := s.cfg.Now()
	err = s.cfg.DB.SetAlarmRuleEnabled(ctx, project, id, status == "RUNNING", r.Frequency.next(now).UnixMilli(), now.UnixMilli())
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrAlarmNotFound
	case err != nil:
		return internal(ltscore.ErrAlarmUpdate, err)
	}
	return nil
}

// Rules lists the project's rules of a kind, oldest first.
func (s *Service) Rules(ctx context.Context, project, kind string) ([]Rule, error) {
	rows, err := s.cfg.DB.AlarmRules(ctx, project, kind)
	if err != nil {
		return nil, internal(ltscore.ErrAlarmFind, err)
	}
	out := make([]Rule, 0, len(rows))
	for _, row := range rows {
		r, err := decodeRule(row)
		if err != nil {
			return nil, internal(ltscore.ErrAlarmFind, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) rule(ctx context.Context, project, id string) (Rule, error) {
	row, err := s.cfg.DB.AlarmRule(ctx, project, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return Rule{}, ltscore.ErrAlarmNotFound
	}
	if err != nil {
		return Rule{}, internal(ltscore.ErrAlarmFind, err)
	}
	r, err := decodeRule(row)
	if err != nil {
		return Rule{}, internal(ltscore.ErrAlarmFind, err)
	}
	return r, nil
}

func decodeRule(row catalog.AlarmRule) (Rule, error) {
	var r Rule
	if err := json.Unmarshal([]byte(row.Spec), &r); err != nil {
		return r, err
	}
	r.ID, r.Kind, r.Enabled, r.CreatedMS, r.UpdatedMS = row.ID, row.Kind, row.Enabled, row.CreatedMS, row.UpdatedMS
	if err := r.Frequency.check(); err != nil {
		return r, err
	}
	return r, nil
}

// check validates r and what it names: its streams and queries, its
// action rule. It fills the stream and group names.
func (s *Service) check(ctx context.Context, project string, r *Rule) error {
	if err := r.validate(); err != nil {
		return err
	}
	for i := range r.Requests {
		q := &r.Requests[i]
		var err error
		if r.Kind == KindSQL {
			err = s.cfg.Core.CheckSQL(ctx, project, q.GroupID, q.StreamID, q.SQL, "sql")
		} else {
			err = s.cfg.Core.CheckSearch(ctx, project, q.GroupID, q.StreamID, q.Keywords)
		}
		if err != nil {
			return err
		}
		if st, err := s.cfg.DB.LogStream(ctx, project, q.GroupID, q.StreamID); err == nil {
			q.StreamName = st.Name
		}
		if g, err := s.cfg.DB.LogGroup(ctx, project, q.GroupID); err == nil {
			q.GroupName = g.Name
		}
	}
	if r.ActionRule != "" {
		if _, err := s.resolveAction(ctx, project, r.ActionRule); err != nil {
			return err
		}
	}
	return nil
}
