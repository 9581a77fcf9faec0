package lts

import (
	"net/http"
	"strings"

	"logtank/internal/alarms"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// The wire shapes of alarm rules (services/lts/v2/model: the
// Create/Update*AlarmRuleRequestBody and *AlarmRuleRespList models).

type frequencyJSON struct {
	Type          string   `json:"type"`
	CronExpr      string   `json:"cron_expr"`
	HourOfDay     wire.Int `json:"hour_of_day"`
	DayOfWeek     wire.Int `json:"day_of_week"`
	FixedRate     wire.Int `json:"fixed_rate"`
	FixedRateUnit string   `json:"fixed_rate_unit"`
}

type frequencyOut struct {
	Type          string `json:"type"`
	CronExpr      string `json:"cron_expr,omitempty"`
	HourOfDay     *int   `json:"hour_of_day,omitempty"`
	DayOfWeek     *int   `json:"day_of_week,omitempty"`
	FixedRate     int    `json:"fixed_rate,omitempty"`
	FixedRateUnit string `json:"fixed_rate_unit,omitempty"`
}

type customDateJSON struct {
	Start     wire.Int `json:"start"`
	StartUnit string   `json:"start_unit"`
	End       wire.Int `json:"end"`
	EndUnit   string   `json:"end_unit"`
}

// alarmRequestJSON is an element of keywords_requests or sql_requests.
type alarmRequestJSON struct {
	StreamID   string          `json:"log_stream_id"`
	StreamName string          `json:"log_stream_name"`
	GroupID    string          `json:"log_group_id"`
	GroupName  string          `json:"log_group_name"`
	Keywords   string          `json:"keywords"`
	Condition  string          `json:"condition"`
	Number     wire.Int        `json:"number"`
	SQL        string          `json:"sql"`
	Range      wire.Int        `json:"search_time_range"`
	RangeUnit  string          `json:"search_time_range_unit"`
	CustomDate *customDateJSON `json:"custom_date"`
	Relative   *wire.Bool      `json:"is_time_range_relative"`
}

// alarmRuleJSON is a create or update body of either kind: the fields
// named after the kind are read by kind.
type alarmRuleJSON struct {
	KeywordsID     string             `json:"keywords_alarm_rule_id"`
	KeywordsName   string             `json:"keywords_alarm_rule_name"`
	KeywordsDesc   string             `json:"keywords_alarm_rule_description"`
	KeywordsReqs   []alarmRequestJSON `json:"keywords_requests"`
	KeywordsLevel  string             `json:"keywords_alarm_level"`
	SQLID          string             `json:"sql_alarm_rule_id"`
	SQLName        string             `json:"sql_alarm_rule_name"`
	SQLDesc        string             `json:"sql_alarm_rule_description"`
	SQLReqs        []alarmRequestJSON `json:"sql_requests"`
	SQLLevel       string             `json:"sql_alarm_level"`
	IsCSSSQL       wire.Bool          `json:"is_css_sql"`
	Condition      string             `json:"condition_expression"`
	Alias          string             `json:"alarm_rule_alias"`
	Frequency      *frequencyJSON     `json:"frequency"`
	DomainID       string             `json:"domain_id"`
	TriggerCount   wire.Int           `json:"trigger_condition_count"`
	TriggerPeriods wire.Int           `json:"trigger_condition_frequency"`
	Recovery       wire.Bool          `json:"whether_recovery_policy"`
	RecoveryPolicy wire.Int           `json:"recovery_policy"`
	NotifyEvery    wire.Int           `json:"notification_frequency"`
	ActionRule     string             `json:"alarm_action_rule_name"`
	Tags           *[]tag             `json:"tags"`
	EnterpriseID   string             `json:"enterprise_project_id"`
}

func intPtr(v wire.Int) *int {
	if !v.Set {
		return nil
	}
	n := int(v.Value)
	return &n
}

// toRule reads a body of the kind as the alarms service takes it.
func (b *alarmRuleJSON) toRule(kind string) (alarms.Rule, error) {
	r := alarms.Rule{Kind: kind, ID: b.KeywordsID, Name: b.KeywordsName, Description: b.KeywordsDesc, Level: b.KeywordsLevel,
		Alias: b.Alias, Condition: b.Condition, DomainID: b.DomainID, TriggerCount: int(b.TriggerCount.Value),
		TriggerPeriods: int(b.TriggerPeriods.Value), Recovery: b.Recovery.Value, RecoveryPeriods: int(b.RecoveryPolicy.Value),
		NotifyEvery: int(b.NotifyEvery.Value), ActionRule: b.ActionRule, EnterpriseProjectID: b.EnterpriseID, IsCSSSQL: b.IsCSSSQL.Value}
	reqs := b.KeywordsReqs
	if kind == alarms.KindSQL {
		r.ID, r.Name, r.Description, r.Level, reqs = b.SQLID, b.SQLName, b.SQLDesc, b.SQLLevel, b.SQLReqs
	}
	if b.Frequency == nil {
		return r, ltscore.AlarmInvalid("frequency is required")
	}
	if !b.NotifyEvery.Set {
		return r, ltscore.AlarmInvalid("notification_frequency is required")
	}
	// Values out of int range must not wrap into valid ones.
	for _, v := range []wire.Int{b.TriggerCount, b.TriggerPeriods, b.RecoveryPolicy, b.NotifyEvery, b.Frequency.FixedRate,
		b.Frequency.HourOfDay, b.Frequency.DayOfWeek} {
		if v.Value < -1<<20 || v.Value > 1<<20 {
			return r, ltscore.AlarmInvalid("a number is out of range: %d", v.Value)
		}
	}
	f := b.Frequency
	r.Frequency = alarms.Frequency{Type: f.Type, CronExpr: f.CronExpr, HourOfDay: intPtr(f.HourOfDay), DayOfWeek: intPtr(f.DayOfWeek),
		FixedRate: int(f.FixedRate.Value), RateUnit: f.FixedRateUnit}
	for _, q := range reqs {
		if q.Range.Value < -1<<20 || q.Range.Value > 1<<20 {
			return r, ltscore.AlarmInvalid("search_time_range is out of range: %d", q.Range.Value)
		}
		req := alarms.Request{GroupID: q.GroupID, GroupName: q.GroupName, StreamID: q.StreamID, StreamName: q.StreamName,
			Keywords: q.Keywords, Op: q.Condition, Number: q.Number.Value, SQL: q.SQL, Range: int(q.Range.Value), RangeUnit: q.RangeUnit}
		if c := q.CustomDate; c != nil {
			req.Custom = &alarms.CustomDate{Start: c.Start.Value, StartUnit: c.StartUnit, End: c.End.Value, EndUnit: c.EndUnit}
		}
		if q.Relative != nil && q.Relative.Set {
			v := q.Relative.Value
			req.Relative = &v
		}
		r.Requests = append(r.Requests, req)
	}
	if b.Tags != nil {
		for _, t := range *b.Tags {
			r.Tags = append(r.Tags, alarms.Tag{Key: t.Key, Value: t.Value})
		}
	}
	return r, nil
}

// alarmRequestOut is KeywordsRequestResponse and SqlRequestResponse.
type alarmRequestOut struct {
	StreamID   string             `json:"log_stream_id"`
	StreamName string             `json:"log_stream_name"`
	GroupID    string             `json:"log_group_id"`
	GroupName  string             `json:"log_group_name"`
	Keywords   *string            `json:"keywords,omitempty"`
	Condition  *string            `json:"condition,omitempty"`
	Number     *int64             `json:"number,omitempty"`
	SQL        *string            `json:"sql,omitempty"`
	Title      *string            `json:"sql_request_title,omitempty"`
	Range      int                `json:"search_time_range"`
	RangeUnit  string             `json:"search_time_range_unit"`
	CustomDate *alarms.CustomDate `json:"custom_date,omitempty"`
	Relative   *bool              `json:"is_time_range_relative,omitempty"`
}

// alarmRuleOut is KeywordsAlarmRuleRespList or SqlAlarmRuleRespList, and
// the body of an update's answer.
type alarmRuleOut struct {
	ProjectID      string            `json:"projectId"`
	KeywordsID     string            `json:"keywords_alarm_rule_id,omitempty"`
	KeywordsName   string            `json:"keywords_alarm_rule_name,omitempty"`
	KeywordsDesc   *string           `json:"keywords_alarm_rule_description,omitempty"`
	KeywordsReqs   []alarmRequestOut `json:"keywords_requests,omitempty"`
	KeywordsLevel  string            `json:"keywords_alarm_level,omitempty"`
	SQLID          string            `json:"sql_alarm_rule_id,omitempty"`
	SQLName        string            `json:"sql_alarm_rule_name,omitempty"`
	SQLDesc        *string           `json:"sql_alarm_rule_description,omitempty"`
	SQLReqs        []alarmRequestOut `json:"sql_requests,omitempty"`
	SQLLevel       string            `json:"sql_alarm_level,omitempty"`
	IsCSSSQL       *bool             `json:"is_css_sql,omitempty"`
	Topics         *[]topicOut       `json:"topics,omitempty"`
	Alias          string            `json:"alarm_rule_alias,omitempty"`
	Condition      string            `json:"condition_expression"`
	Frequency      frequencyOut      `json:"frequency"`
	DomainID       string            `json:"domain_id"`
	CreateTime     int64             `json:"create_time"`
	UpdateTime     int64             `json:"update_time"`
	Status         string            `json:"status"`
	TriggerCount   int               `json:"trigger_condition_count"`
	TriggerPeriods int               `json:"trigger_condition_frequency"`
	Recovery       bool              `json:"whether_recovery_policy"`
	RecoveryPolicy int               `json:"recovery_policy"`
	NotifyEvery    int               `json:"notification_frequency"`
	ActionRule     string            `json:"alarm_action_rule_name,omitempty"`
	Tags           []alarms.Tag      `json:"tags,omitempty"`
}

func ruleOut(project string, r alarms.Rule) alarmRuleOut {
	status := "STOPPING"
	if r.Enabled {
		status = "RUNNING"
	}
	f := r.Frequency
	out := alarmRuleOut{ProjectID: project, Alias: r.Alias, Condition: r.ConditionText(),
		Frequency: frequencyOut{Type: f.Type, CronExpr: f.CronExpr, HourOfDay: f.HourOfDay, DayOfWeek: f.DayOfWeek, FixedRate: f.FixedRate, FixedRateUnit: f.RateUnit},
		DomainID:  r.DomainID, CreateTime: r.CreatedMS, UpdateTime: r.UpdatedMS, Status: status, TriggerCount: r.TriggerCount,
		TriggerPeriods: r.TriggerPeriods, Recovery: r.Recovery, RecoveryPolicy: r.RecoveryPeriods, NotifyEvery: r.NotifyEvery,
		ActionRule: r.ActionRule, Tags: r.Tags}
	if out.Frequency.Type != alarms.FixedRate {
		out.Frequency.FixedRateUnit = ""
	}
	reqs := make([]alarmRequestOut, len(r.Requests))
	for i, q := range r.Requests {
		o := alarmRequestOut{StreamID: q.StreamID, StreamName: q.StreamName, GroupID: q.GroupID, GroupName: q.GroupName,
			Range: q.Range, RangeUnit: q.RangeUnit, CustomDate: q.Custom, Relative: q.Relative}
		if r.Kind == alarms.KindSQL {
			o.SQL, o.Title = &q.SQL, &q.Title
		} else {
			o.Keywords, o.Condition, o.Number = &q.Keywords, &q.Op, &q.Number
		}
		reqs[i] = o
	}
	if r.Kind == alarms.KindSQL {
		topics := []topicOut{}
		out.SQLID, out.SQLName, out.SQLDesc, out.SQLReqs, out.SQLLevel = r.ID, r.Name, &r.Description, reqs, r.Level
		out.IsCSSSQL, out.Topics = &r.IsCSSSQL, &topics
	} else {
		out.KeywordsID, out.KeywordsName, out.KeywordsDesc, out.KeywordsReqs, out.KeywordsLevel = r.ID, r.Name, &r.Description, reqs, r.Level
	}
	return out
}

func (s *Service) createKeywordsAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.createAlarm(w, r, alarms.KindKeywords)
}
func (s *Service) createSQLAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.createAlarm(w, r, alarms.KindSQL)
}

func (s *Service) createAlarm(w http.ResponseWriter, r *http.Request, kind string) error {
	var body alarmRuleJSON
	if err := decode(r, &body); err != nil {
		return err
	}
	rule, err := body.toRule(kind)
	if err != nil {
		return err
	}
	id, err := s.alarms.CreateRule(r.Context(), r.PathValue("project_id"), rule)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, map[string]string{kind + "_alarm_rule_id": id})
	return nil
}

func (s *Service) listKeywordsAlarms(w http.ResponseWriter, r *http.Request) error {
	return s.listAlarmRules(w, r, alarms.KindKeywords)
}
func (s *Service) listSQLAlarms(w http.ResponseWriter, r *http.Request) error {
	return s.listAlarmRules(w, r, alarms.KindSQL)
}

func (s *Service) listAlarmRules(w http.ResponseWriter, r *http.Request, kind string) error {
	project := r.PathValue("project_id")
	rules, err := s.alarms.Rules(r.Context(), project, kind)
	if err != nil {
		return err
	}
	out := make([]alarmRuleOut, len(rules))
	for i, rule := range rules {
		out[i] = ruleOut(project, rule)
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{kind + "_alarm_rules": out})
	return nil
}

func (s *Service) updateKeywordsAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.updateAlarm(w, r, alarms.KindKeywords)
}
func (s *Service) updateSQLAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.updateAlarm(w, r, alarms.KindSQL)
}

func (s *Service) updateAlarm(w http.ResponseWriter, r *http.Request, kind string) error {
	var body alarmRuleJSON
	if err := decode(r, &body); err != nil {
		return err
	}
	rule, err := body.toRule(kind)
	if err != nil {
		return err
	}
	if rule.ID == "" {
		return ltscore.AlarmInvalid("%s_alarm_rule_id is required", kind)
	}
	project := r.PathValue("project_id")
	stored, err := s.alarms.UpdateRule(r.Context(), project, rule)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, ruleOut(project, stored))
	return nil
}

func (s *Service) deleteKeywordsAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.deleteAlarm(w, r, alarms.KindKeywords, r.PathValue("keywords_alarm_rule_id"))
}
func (s *Service) deleteSQLAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.deleteAlarm(w, r, alarms.KindSQL, r.PathValue("sql_alarm_rule_id"))
}

func (s *Service) deleteAlarm(w http.ResponseWriter, r *http.Request, kind, id string) error {
	if err := s.alarms.DeleteRule(r.Context(), r.PathValue("project_id"), kind, id); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

// alarmKind reads UpdateAlarmRuleStatus's type, which names the kind as
// "keywords"/"sql" or as the rule's JSON prefix ("keywords_alarm_rule",
// "sql_alarm_rule"), in any case.
func alarmKind(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	switch {
	case strings.HasPrefix(t, "keyword"):
		return alarms.KindKeywords
	case strings.HasPrefix(t, "sql"):
		return alarms.KindSQL
	}
	return t
}

func (s *Service) updateAlarmStatus(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ID     string `json:"alarm_rule_id"`
		Status string `json:"status"`
		Type   string `json:"type"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.ID == "" {
		return ltscore.AlarmInvalid("alarm_rule_id is required")
	}
	if err := s.alarms.SetStatus(r.Context(), r.PathValue("project_id"), alarmKind(body.Type), body.ID, body.Status); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, "success")
	return nil
}
