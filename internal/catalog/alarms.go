package catalog

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// AlarmRule is a keywords or SQL alarm rule and its evaluation state.
type AlarmRule struct {
	ID, ProjectID string
	// Kind is "keywords" or "sql"; Name is unique in the project across
	// both kinds.
	Kind, Name string
	// Spec is the rule's definition as the alarms package encodes it.
	Spec      string
	Enabled   bool
	CreatedMS int64
	UpdatedMS int64
	// NextDueMS is the end of the next period to evaluate.
	NextDueMS int64
	// Recent holds the outcomes of the last periods, oldest first, as
	// '0' and '1'; FalseStreak counts the last periods in a row whose
	// condition was false.
	Recent      string
	FalseStreak int
}

const alarmRuleColumns = `id, project_id, kind, name, spec, enabled, created_ms, updated_ms, next_due_ms, recent, false_streak`

func scanAlarmRule(row interface{ Scan(...any) error }) (AlarmRule, error) {
	var r AlarmRule
	err := row.Scan(&r.ID, &r.ProjectID, &r.Kind, &r.Name, &r.Spec, &r.Enabled, &r.CreatedMS, &r.UpdatedMS, &r.NextDueMS, &r.Recent, &r.FalseStreak)
	return r, err
}

func (c *DB) alarmRules(ctx context.Context, where string, args ...any) ([]AlarmRule, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT `+alarmRuleColumns+` FROM alarm_rules WHERE `+where+` ORDER BY created_ms, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlarmRule
	for rows.Next() {
		r, err := scanAlarmRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateAlarmRule stores r: ErrExists when the project has a rule of that
// name, ErrQuota when it already has max rules.
func (c *DB) CreateAlarmRule(ctx context.Context, r AlarmRule, max int) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM alarm_rules WHERE project_id = $1`, r.ProjectID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return ErrQuota
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO alarm_rules (`+alarmRuleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.ID, r.ProjectID, r.Kind, r.Name, r.Spec, r.Enabled, r.CreatedMS, r.UpdatedMS, r.NextDueMS, r.Recent, r.FalseStreak)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

// UpdateAlarmRule replaces the name and definition of a rule of r's
// project and kind and restarts its evaluation at r.NextDueMS with no
// past outcomes: ErrNotFound, or ErrExists for a name another rule has.
func (c *DB) UpdateAlarmRule(ctx context.Context, r AlarmRule) error {
	res, err := c.sql.ExecContext(ctx, `UPDATE alarm_rules SET name = $1, spec = $2, updated_ms = $3, next_due_ms = $4, recent = '', false_streak = 0
		WHERE id = $5 AND project_id = $6 AND kind = $7`, r.Name, r.Spec, r.UpdatedMS, r.NextDueMS, r.ID, r.ProjectID, r.Kind)
	if uniqueViolation(err) {
		return ErrExists
	}
	return affected(res, err)
}

// SetAlarmRuleEnabled starts or stops a rule; a started rule is next due
// at nextDueMS, with no past outcomes.
func (c *DB) SetAlarmRuleEnabled(ctx context.Context, projectID, id string, enabled bool, nextDueMS, nowMS int64) error {
	res, err := c.sql.ExecContext(ctx, `UPDATE alarm_rules SET enabled = $1, next_due_ms = $2, updated_ms = $3, recent = '', false_streak = 0
		WHERE id = $4 AND project_id = $5`, enabled, nextDueMS, nowMS, id, projectID)
	return affected(res, err)
}

// DeleteAlarmRule deletes a rule of the project and kind and moves its
// active alarms to history, ended at nowMS; its pending notifications are
// dropped.
func (c *DB) DeleteAlarmRule(ctx context.Context, projectID, kind, id string, nowMS int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM alarm_rules WHERE id = $1 AND project_id = $2 AND kind = $3`, id, projectID, kind)
		if err := affected(res, err); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alarm_events SET active = FALSE, ends_ms = $1 WHERE rule_id = $2 AND active`, nowMS, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE alarm_deliveries SET state = 'dropped', done_ms = $1
			WHERE state = 'pending' AND event_id IN (SELECT id FROM alarm_events WHERE rule_id = $2)`, nowMS, id)
		return err
	})
}

func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// AlarmRule returns a rule of the project.
func (c *DB) AlarmRule(ctx context.Context, projectID, id string) (AlarmRule, error) {
	r, err := scanAlarmRule(c.sql.QueryRowContext(ctx, `SELECT `+alarmRuleColumns+` FROM alarm_rules WHERE id = $1 AND project_id = $2`, id, projectID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// AlarmRules lists the project's rules of a kind (every kind when kind is
// empty), oldest first.
func (c *DB) AlarmRules(ctx context.Context, projectID, kind string) ([]AlarmRule, error) {
	if kind == "" {
		return c.alarmRules(ctx, `project_id = $1`, projectID)
	}
	return c.alarmRules(ctx, `project_id = $1 AND kind = $2`, projectID, kind)
}

// DueAlarmRules lists the enabled rules of every project whose next
// period ended at or before nowMS.
func (c *DB) DueAlarmRules(ctx context.Context, nowMS int64) ([]AlarmRule, error) {
	return c.alarmRules(ctx, `enabled AND next_due_ms <= $1`, nowMS)
}

// AlarmEvent is an alarm a rule raised: active until it recovers or is
// cleared, then history.
type AlarmEvent struct {
	ID, ProjectID, RuleID string
	Active                bool
	Level                 string
	// FirstMS and LastMS are the ends of the first and the last period
	// the condition held; EndsMS when it recovered or was cleared.
	FirstMS, LastMS, EndsMS int64
	// Count is how many periods the condition held.
	Count int64
	// NotifiedMS is when the last firing notification was decided.
	NotifiedMS int64
	// Detail is what the alarms package keeps of the alarm (rule name,
	// query, value, sample lines), as it encodes it.
	Detail string
}

const alarmEventColumns = `id, project_id, rule_id, active, level, first_ms, last_ms, ends_ms, count, notified_ms, detail`

func scanAlarmEvent(row interface{ Scan(...any) error }) (AlarmEvent, error) {
	var e AlarmEvent
	err := row.Scan(&e.ID, &e.ProjectID, &e.RuleID, &e.Active, &e.Level, &e.FirstMS, &e.LastMS, &e.EndsMS, &e.Count, &e.NotifiedMS, &e.Detail)
	return e, err
}

// ActiveAlarmEvent returns the rule's active alarm, or ErrNotFound.
func (c *DB) ActiveAlarmEvent(ctx context.Context, ruleID string) (AlarmEvent, error) {
	e, err := scanAlarmEvent(c.sql.QueryRowContext(ctx, `SELECT `+alarmEventColumns+` FROM alarm_events WHERE rule_id = $1 AND active`, ruleID))
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

// AlarmEvents lists the project's active alarms, or its history, newest
// first.
func (c *DB) AlarmEvents(ctx context.Context, projectID string, active bool) ([]AlarmEvent, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT `+alarmEventColumns+` FROM alarm_events WHERE project_id = $1 AND active = $2
		ORDER BY first_ms DESC, id`, projectID, active)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlarmEvent
	for rows.Next() {
		e, err := scanAlarmEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ClearAlarmEvents moves the project's active alarms with these ids to
// history, ended at nowMS, and says how many it moved.
func (c *DB) ClearAlarmEvents(ctx context.Context, projectID string, ids []string, nowMS int64) (int, error) {
	n := 0
	err := c.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE alarm_events SET active = FALSE, ends_ms = $1 WHERE id = $2 AND project_id = $3 AND active`, nowMS, id, projectID)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}

// AlarmDelivery is one notification of an alarm to one topic and the log
// of its attempts.
type AlarmDelivery struct {
	ID, EventID, ProjectID string
	Topic                  string
	// Kind is "firing" or "recovery".
	Kind string
	// Request is what to send, as the alarms package encodes it.
	Request string
	// State is "pending", "sent", "failed" (given up) or "dropped" (its
	// rule was deleted).
	State     string
	Attempts  int
	NextMS    int64
	LastError string
	CreatedMS int64
	DoneMS    int64
}

const alarmDeliveryColumns = `id, event_id, project_id, topic, kind, request, state, attempts, next_ms, last_error, created_ms, done_ms`

func (c *DB) alarmDeliveries(ctx context.Context, where string, args ...any) ([]AlarmDelivery, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT `+alarmDeliveryColumns+` FROM alarm_deliveries WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlarmDelivery
	for rows.Next() {
		var d AlarmDelivery
		if err := rows.Scan(&d.ID, &d.EventID, &d.ProjectID, &d.Topic, &d.Kind, &d.Request, &d.State, &d.Attempts, &d.NextMS,
			&d.LastError, &d.CreatedMS, &d.DoneMS); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueAlarmDeliveries lists pending notifications whose next attempt is
// due at nowMS, oldest first, at most limit.
func (c *DB) DueAlarmDeliveries(ctx context.Context, nowMS int64, limit int) ([]AlarmDelivery, error) {
	return c.alarmDeliveries(ctx, `state = 'pending' AND next_ms <= $1 ORDER BY next_ms, created_ms, id LIMIT $2`, nowMS, limit)
}

// AlarmDeliveriesOf lists an alarm's notifications in the order they
// were decided.
func (c *DB) AlarmDeliveriesOf(ctx context.Context, eventID string) ([]AlarmDelivery, error) {
	return c.alarmDeliveries(ctx, `event_id = $1 ORDER BY created_ms, id`, eventID)
}

// RecordAlarmAttempt stores the outcome of an attempt of a pending
// notification (its state, attempts, next time and error); a notification
// dropped meanwhile stays dropped.
func (c *DB) RecordAlarmAttempt(ctx context.Context, d AlarmDelivery) error {
	_, err := c.sql.ExecContext(ctx, `UPDATE alarm_deliveries SET state = $1, attempts = $2, next_ms = $3, last_error = $4, done_ms = $5
		WHERE id = $6 AND state = 'pending'`, d.State, d.Attempts, d.NextMS, d.LastError, d.DoneMS, d.ID)
	return err
}

// ClaimAlarmDelivery puts off the next attempt of a pending notification
// from seenNextMS (its next_ms when it was listed) to untilMS, and reports
// whether it did: false when it is no longer pending at seenNextMS (sent,
// dropped, or claimed by another node meanwhile). It runs in a
// transaction so that a lease fence on ctx applies.
func (c *DB) ClaimAlarmDelivery(ctx context.Context, id string, seenNextMS, untilMS int64) (bool, error) {
	claimed := false
	err := c.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alarm_deliveries SET next_ms = $1 WHERE id = $2 AND state = 'pending' AND next_ms = $3`, untilMS, id, seenNextMS)
		if err := affected(res, err); err != nil {
			if errors.Is(err, ErrNotFound) {
				claimed = false
				return nil
			}
			return err
		}
		claimed = true
		return nil
	})
	return claimed && err == nil, err
}

// AlarmOutcome is what one evaluation of a rule decided.
type AlarmOutcome struct {
	RuleID string
	// DueMS is the period evaluated (the rule's next_due_ms when it
	// started); NextDueMS the period after it.
	DueMS, NextDueMS int64
	Recent           string
	FalseStreak      int
	// Event, when not nil, is the alarm the evaluation raised, updated or
	// ended, stored whole.
	Event      *AlarmEvent
	Deliveries []AlarmDelivery
}

// RecordAlarmEvaluation stores an evaluation's outcome if the rule is
// still enabled and still due at o.DueMS, and reports whether it did: a
// rule deleted, stopped, updated or evaluated by someone else meanwhile
// keeps what it has, so each period is evaluated once.
func (c *DB) RecordAlarmEvaluation(ctx context.Context, o AlarmOutcome) (bool, error) {
	stored := false
	err := c.tx(ctx, func(tx *sql.Tx) error {
		stored = false
		res, err := tx.ExecContext(ctx, `UPDATE alarm_rules SET next_due_ms = $1, recent = $2, false_streak = $3
			WHERE id = $4 AND enabled AND next_due_ms = $5`, o.NextDueMS, o.Recent, o.FalseStreak, o.RuleID, o.DueMS)
		if err := affected(res, err); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}
		stored = true
		if e := o.Event; e != nil {
			// An alarm cleared while its rule was being evaluated stays
			// cleared: the evaluation saw it active, and only updates an
			// active one.
			if _, err := tx.ExecContext(ctx, `INSERT INTO alarm_events (`+alarmEventColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (id) DO UPDATE SET active = excluded.active, level = excluded.level, last_ms = excluded.last_ms,
				ends_ms = excluded.ends_ms, count = excluded.count, notified_ms = excluded.notified_ms, detail = excluded.detail
				WHERE alarm_events.active`,
				e.ID, e.ProjectID, e.RuleID, e.Active, e.Level, e.FirstMS, e.LastMS, e.EndsMS, e.Count, e.NotifiedMS, e.Detail); err != nil {
				return err
			}
		}
		for _, d := range o.Deliveries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alarm_deliveries (`+alarmDeliveryColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				d.ID, d.EventID, d.ProjectID, d.Topic, d.Kind, d.Request, d.State, d.Attempts, d.NextMS, d.LastError, d.CreatedMS, d.DoneMS); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		stored = false
	}
	return stored, err
}

// The kinds of named alarm objects.
const (
	AlarmTemplate   = "template"
	AlarmTopic      = "topic"
	AlarmActionRule = "action_rule"
)

// AlarmObject is a named notification template, topic or action rule of
// a project.
type AlarmObject struct {
	ProjectID, Kind, Name string
	// Spec is the object as the alarms package encodes it.
	Spec                  string
	CreatedMS, ModifiedMS int64
}

// CreateAlarmObject stores o, ErrExists when its project has one of that
// kind and name.
func (c *DB) CreateAlarmObject(ctx context.Context, o AlarmObject) error {
	_, err := c.sql.ExecContext(ctx, `INSERT INTO alarm_objects (project_id, kind, name, spec, created_ms, modified_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ProjectID, o.Kind, o.Name, o.Spec, o.CreatedMS, o.ModifiedMS)
	if uniqueViolation(err) {
		return ErrExists
	}
	return err
}

// UpdateAlarmObject replaces the spec of an object, ErrNotFound when
// there is none.
func (c *DB) UpdateAlarmObject(ctx context.Context, o AlarmObject) error {
	res, err := c.sql.ExecContext(ctx, `UPDATE alarm_objects SET spec = $1, modified_ms = $2 WHERE project_id = $3 AND kind = $4 AND name = $5`,
		o.Spec, o.ModifiedMS, o.ProjectID, o.Kind, o.Name)
	return affected(res, err)
}

// AlarmObject returns an object of the project, or ErrNotFound.
func (c *DB) AlarmObject(ctx context.Context, projectID, kind, name string) (AlarmObject, error) {
	o := AlarmObject{ProjectID: projectID, Kind: kind, Name: name}
	err := c.sql.QueryRowContext(ctx, `SELECT spec, created_ms, modified_ms FROM alarm_objects WHERE project_id = $1 AND kind = $2 AND name = $3`,
		projectID, kind, name).Scan(&o.Spec, &o.CreatedMS, &o.ModifiedMS)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

// AlarmObjects lists the project's objects of a kind by name.
func (c *DB) AlarmObjects(ctx context.Context, projectID, kind string) ([]AlarmObject, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT name, spec, created_ms, modified_ms FROM alarm_objects WHERE project_id = $1 AND kind = $2 ORDER BY name`,
		projectID, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlarmObject
	for rows.Next() {
		o := AlarmObject{ProjectID: projectID, Kind: kind}
		if err := rows.Scan(&o.Name, &o.Spec, &o.CreatedMS, &o.ModifiedMS); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// DeleteAlarmObjects deletes the project's objects of a kind with these
// names, all or none: ErrNotFound names the first missing one.
func (c *DB) DeleteAlarmObjects(ctx context.Context, projectID, kind string, names []string) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, n := range names {
			res, err := tx.ExecContext(ctx, `DELETE FROM alarm_objects WHERE project_id = $1 AND kind = $2 AND name = $3`, projectID, kind, n)
			if err := affected(res, err); err != nil {
				if errors.Is(err, ErrNotFound) {
					return &MissingObjectError{Name: n}
				}
				return err
			}
		}
		return nil
	})
}

// MissingObjectError is ErrNotFound for a named object that does not exist.
type MissingObjectError struct{ Name string }

func (e *MissingObjectError) Error() string { return strings.TrimSpace(e.Name + " does not exist") }
func (e *MissingObjectError) Unwrap() error { return ErrNotFound }
