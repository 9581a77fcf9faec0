package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/lease"
	"logtank/internal/logsql"
	"logtank/internal/ltscore"
)

// maxCatchUp is how many missed periods of a rule are evaluated after
// the server was down; older ones are skipped (a stop of more than this
// many periods leaves a gap rather than a storm of evaluations).
const maxCatchUp = 60

// sampleLines is how many matching lines an alarm keeps and notifies.
const sampleLines = 5

// outcome is what one evaluation of a rule found.
type outcome struct {
	met bool
	// value says what was measured ("count=12", "n=12"); samples are
	// matching lines; the request is the one that met the condition (or
	// the first).
	value   string
	samples []string
	request Request
}

// Detail is what an alarm keeps of the evaluation that raised or last
// updated it.
type Detail struct {
	RuleName   string   `json:"rule_name"`
	Kind       string   `json:"kind"`
	Condition  string   `json:"condition"`
	Query      string   `json:"query"`
	Value      string   `json:"value"`
	GroupName  string   `json:"group_name"`
	StreamName string   `json:"stream_name"`
	Samples    []string `json:"samples,omitempty"`
	ActionRule string   `json:"action_rule,omitempty"`
	Frequency  string   `json:"frequency"`
}

// RunDue evaluates every enabled rule whose period has ended, oldest
// period first, each period once.
func (s *Service) RunDue(ctx context.Context) {
	now := s.cfg.Now()
	rows, err := s.cfg.DB.DueAlarmRules(ctx, now.UnixMilli())
	if err != nil {
		s.log.Error("alarms: listing due rules", "error", err)
		return
	}
	for _, row := range rows {
		r, err := decodeRule(row)
		if err != nil {
			s.log.Error("alarms: damaged rule", "rule", row.ID, "error", err)
			continue
		}
		due := row.NextDueMS
		// After a long stop, skip to the last maxCatchUp periods (the
		// shortest period is a minute, so only then can there be more).
		if lag := now.UnixMilli() - due; lag > maxCatchUp*time.Minute.Milliseconds() {
			from := now.Add(-maxCatchUp * r.Frequency.minGap())
			if skipTo := r.Frequency.next(from).UnixMilli(); skipTo > due {
				s.log.Warn("alarms: periods skipped after a stop", "rule", row.ID, "from", time.UnixMilli(due).UTC(), "to", time.UnixMilli(skipTo).UTC())
				due = skipTo
			}
		}
		for due <= now.UnixMilli() && ctx.Err() == nil {
			next, ok := s.evaluate(ctx, row, r, due)
			if !ok {
				break
			}
			// The stored state is the base of the next period.
			if row, err = s.cfg.DB.AlarmRule(ctx, row.ProjectID, row.ID); err != nil {
				break
			}
			due = next
		}
	}
}

// evaluate runs one period of a rule and records it; ok is false when
// the rule changed meanwhile or the recording failed.
func (s *Service) evaluate(ctx context.Context, row catalog.AlarmRule, r Rule, dueMS int64) (int64, bool) {
	end := time.UnixMilli(dueMS)
	out, err := s.measure(ctx, row.ProjectID, r, end)
	if err != nil {
		if ctx.Err() != nil {
			return 0, false
		}
		// A rule whose stream was deleted, or whose query fails, is not
		// met: its alarm recovers rather than sticking.
		s.log.Warn("alarms: evaluation failed", "rule", r.ID, "name", r.Name, "period", end.UTC(), "error", err)
	}
	next := r.Frequency.next(end).UnixMilli()
	// The base state is the one recorded for this rule: a due time other
	// than the stored one means periods were skipped.
	recent, streak := row.Recent, row.FalseStreak
	if row.NextDueMS != dueMS {
		recent, streak = "", 0
	}
	bit := "0"
	if out.met {
		bit, streak = "1", 0
	} else {
		streak++
	}
	recent += bit
	if len(recent) > r.TriggerPeriods {
		recent = recent[len(recent)-r.TriggerPeriods:]
	}
	fires := strings.Count(recent, "1") >= r.TriggerCount
	// The rule moves from its stored due time, which is dueMS unless
	// periods were skipped.
	o := catalog.AlarmOutcome{RuleID: r.ID, DueMS: row.NextDueMS, NextDueMS: next, Recent: recent, FalseStreak: streak}
	active, err := s.cfg.DB.ActiveAlarmEvent(ctx, r.ID)
	hasActive := err == nil
	if err != nil && err != catalog.ErrNotFound {
		s.log.Error("alarms: reading active alarm", "rule", r.ID, "error", err)
		return 0, false
	}
	detail := Detail{RuleName: r.Name, Kind: r.Kind, Condition: r.ConditionText(), Value: out.value, Samples: out.samples,
		GroupName: out.request.GroupName, StreamName: out.request.StreamName, ActionRule: r.ActionRule, Frequency: r.Frequency.String()}
	if r.Kind == KindSQL {
		detail.Query = out.request.SQL
	} else {
		detail.Query = out.request.Keywords
	}
	switch {
	case fires && !hasActive:
		ev := catalog.AlarmEvent{ID: uuid.NewString(), ProjectID: row.ProjectID, RuleID: r.ID, Active: true, Level: r.Level,
			FirstMS: dueMS, LastMS: dueMS, Count: 1, NotifiedMS: dueMS, Detail: encodeDetail(detail)}
		o.Event = &ev
		o.Deliveries = s.notifications(ctx, row.ProjectID, r, ev, detail, "firing")
	case fires:
		ev := active
		ev.LastMS, ev.Count, ev.Level, ev.Detail = dueMS, ev.Count+1, r.Level, encodeDetail(detail)
		if r.NotifyEvery > 0 && dueMS-ev.NotifiedMS >= int64(r.NotifyEvery)*60_000 {
			ev.NotifiedMS = dueMS
			o.Deliveries = s.notifications(ctx, row.ProjectID, r, ev, detail, "firing")
		}
		o.Event = &ev
	case hasActive && streak >= r.RecoveryPeriods:
		ev := active
		ev.Active, ev.EndsMS = false, dueMS
		// The recovery shows what the alarm was about, with the value now.
		var was Detail
		if json.Unmarshal([]byte(ev.Detail), &was) == nil {
			was.Value = out.value
			detail = was
		}
		o.Event = &ev
		if r.Recovery {
			o.Deliveries = s.notifications(ctx, row.ProjectID, r, ev, detail, "recovery")
		}
	}
	stored, err := s.cfg.DB.RecordAlarmEvaluation(ctx, o)
	switch {
	case errors.Is(err, lease.ErrLost):
		// Another node holds the alarms' lease now and evaluates this
		// period itself.
	case err != nil:
		s.log.Error("alarms: recording an evaluation", "rule", r.ID, "error", err)
	}
	return next, stored && err == nil
}

func encodeDetail(d Detail) string {
	b, _ := json.Marshal(d)
	return string(b)
}

// measure runs a rule's queries over the window that ends at end.
func (s *Service) measure(ctx context.Context, project string, r Rule, end time.Time) (outcome, error) {
	if r.Kind == KindSQL {
		return s.measureSQL(ctx, project, r, end)
	}
	out := outcome{request: r.Requests[0]}
	var firstErr error
	for i, q := range r.Requests {
		res, err := s.cfg.Core.Search(ctx, ltscore.SearchRequest{
			Project: project, Group: q.GroupID, Stream: q.StreamID, TimeSet: true,
			StartMS: end.Add(-q.window()).UnixMilli(), EndMS: end.UnixMilli() - 1,
			Keywords: q.Keywords, Limit: sampleLines, Desc: true, Count: true,
		})
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		n := *res.Count
		met := compare(n, q.Op, q.Number)
		if met || i == 0 {
			out.value, out.request = fmt.Sprintf("count=%d", n), q
			out.samples = out.samples[:0]
			for _, l := range res.Logs {
				out.samples = append(out.samples, l.Content)
			}
		}
		if met {
			out.met = true
			return out, nil
		}
	}
	return out, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func compare(n int64, op string, number int64) bool {
	switch op {
	case ">":
		return n > number
	case ">=":
		return n >= number
	case "<":
		return n < number
	case "<=":
		return n <= number
	}
	return false
}

// measureSQL runs each query and evaluates the condition on the rows of
// the first one (the others' first rows as $N.name).
func (s *Service) measureSQL(ctx context.Context, project string, r Rule, end time.Time) (outcome, error) {
	cond, err := parseCondition(r.Condition)
	if err != nil {
		return outcome{}, err
	}
	results := make([]*logsql.Result, len(r.Requests))
	for i, q := range r.Requests {
		w, err := ltscore.TimeWindow(end.Add(-q.window()).UnixMilli(), end.UnixMilli()-1, true)
		if err != nil {
			return outcome{}, err
		}
		search, sql := ltscore.SplitQuery(q.SQL)
		if results[i], err = s.cfg.Core.SQL(ctx, ltscore.SQLRequest{
			Project: project, Group: q.GroupID, Stream: q.StreamID, Window: w, Search: search, SQL: sql, Field: "sql",
		}); err != nil {
			return outcome{request: q}, err
		}
	}
	column := func(res *logsql.Result, row int, name string) (value, bool) {
		if row >= len(res.Rows) {
			return value{}, false
		}
		for c, col := range res.Columns {
			if strings.EqualFold(col.Name, name) {
				return fromSQL(res.Rows[row][c]), true
			}
		}
		return value{}, false
	}
	first := results[0]
	out := outcome{request: r.Requests[0]}
	rows := max(len(first.Rows), 1)
	for i := range rows {
		env := func(q int, name string) (value, bool) {
			if q >= len(results) {
				return value{}, false
			}
			if q == 0 {
				return column(first, i, name)
			}
			return column(results[q], 0, name)
		}
		if i == 0 || cond.eval(env).truthy() {
			out.value = describeRow(first, i)
		}
		if cond.eval(env).truthy() {
			out.met = true
			out.samples = []string{describeRow(first, i)}
			break
		}
	}
	return out, nil
}

func fromSQL(v logsql.Value) value {
	switch v.Type {
	case logsql.Null:
		return value{}
	case logsql.Long:
		return value{kind: 1, num: float64(v.Long)}
	case logsql.Float:
		return value{kind: 1, num: v.Float}
	case logsql.Bool:
		return value{kind: 3, b: v.Bool}
	}
	return value{kind: 2, str: v.String()}
}

// describeRow renders a result row as "a=1, b=x".
func describeRow(res *logsql.Result, row int) string {
	if row >= len(res.Rows) {
		return "no rows"
	}
	parts := make([]string, len(res.Columns))
	for c, col := range res.Columns {
		parts[c] = col.Name + "=" + res.Rows[row][c].String()
	}
	return strings.Join(parts, ", ")
}

// String describes a frequency for people ("every 5 minutes").
func (f Frequency) String() string {
	switch f.Type {
	case FixedRate:
		return fmt.Sprintf("every %d %s(s)", f.FixedRate, f.RateUnit)
	case Hourly:
		return "every hour"
	case Daily:
		return fmt.Sprintf("daily at %02d:00 UTC", deref(f.HourOfDay))
	case Weekly:
		return fmt.Sprintf("weekly on day %d at %02d:00 UTC", deref(f.DayOfWeek), deref(f.HourOfDay))
	}
	return "cron " + f.CronExpr
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
