package alarms

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"logtank/internal/ltscore"
)

// The kinds of rules.
const (
	KindKeywords = "keywords"
	KindSQL      = "sql"
)

// Rule limits, as documented.
const (
	// MaxRules is the number of keywords and SQL rules a project may have.
	MaxRules = 200
	// maxRequests is how many streams (keywords) or charts (SQL) a rule
	// queries.
	maxRequests = 3
	maxNameLen  = 128
	maxDescLen  = 1024
	// maxPeriods bounds trigger_condition_frequency and recovery_policy.
	maxPeriods = 10
	maxTags    = 20
)

// Levels are the alarm levels, lowest first.
var Levels = []string{"Info", "Minor", "Major", "Critical"}

// notifyEvery are the allowed notification_frequency values, in minutes.
var notifyEvery = []int{0, 5, 10, 15, 30, 60, 180, 360}

// Rule is a keywords or SQL alarm rule.
type Rule struct {
	ID          string `json:"-"`
	Kind        string `json:"-"`
	Name        string `json:"name"`
	Alias       string `json:"alias,omitempty"`
	Description string `json:"description,omitempty"`
	Level       string `json:"level"`
	// Requests are the streams a keywords rule counts lines of, or the
	// queries of an SQL rule.
	Requests  []Request `json:"requests"`
	Frequency Frequency `json:"frequency"`
	// Condition is an SQL rule's condition over its results.
	Condition string `json:"condition,omitempty"`
	// The condition must hold in TriggerCount of the last TriggerPeriods
	// evaluations to raise an alarm.
	TriggerCount   int `json:"trigger_count"`
	TriggerPeriods int `json:"trigger_periods"`
	// An active alarm recovers once the condition is false RecoveryPeriods
	// evaluations in a row; Recovery says whether that is notified.
	Recovery        bool `json:"recovery"`
	RecoveryPeriods int  `json:"recovery_periods"`
	// NotifyEvery is how many minutes apart an alarm that stays active is
	// notified again; 0: once.
	NotifyEvery int `json:"notify_every"`
	// ActionRule names an action rule or a topic of the project.
	ActionRule          string `json:"action_rule,omitempty"`
	Tags                []Tag  `json:"tags,omitempty"`
	DomainID            string `json:"domain_id"`
	EnterpriseProjectID string `json:"enterprise_project_id,omitempty"`
	IsCSSSQL            bool   `json:"is_css_sql,omitempty"`

	// Set by the service.
	Enabled   bool  `json:"-"`
	CreatedMS int64 `json:"-"`
	UpdatedMS int64 `json:"-"`
}

// Tag is a key and value of a rule.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Request is one stream a rule queries.
type Request struct {
	GroupID    string `json:"group_id"`
	GroupName  string `json:"group_name,omitempty"`
	StreamID   string `json:"stream_id"`
	StreamName string `json:"stream_name,omitempty"`
	// Keywords, Op and Number: a keywords rule's condition on this
	// stream, "the lines Keywords selects are Op Number".
	Keywords string `json:"keywords,omitempty"`
	Op       string `json:"op,omitempty"`
	Number   int64  `json:"number,omitempty"`
	// SQL is an SQL rule's query: "search | SQL" or SQL alone.
	SQL   string `json:"sql,omitempty"`
	Title string `json:"title,omitempty"`
	// Range and RangeUnit ("minute" or "hour") are the search window,
	// ending at the evaluated period's end.
	Range     int    `json:"range"`
	RangeUnit string `json:"range_unit"`
	// Custom and Relative are kept as sent and shown back: logtank
	// evaluates the relative window (Range) only.
	Custom   *CustomDate `json:"custom_date,omitempty"`
	Relative *bool       `json:"relative,omitempty"`
}

// CustomDate is a request's custom window as the API sends it.
type CustomDate struct {
	Start     int64  `json:"start"`
	StartUnit string `json:"start_unit"`
	End       int64  `json:"end"`
	EndUnit   string `json:"end_unit"`
}

// window is the length of a request's search window.
func (r Request) window() time.Duration {
	if r.RangeUnit == "hour" {
		return time.Duration(r.Range) * time.Hour
	}
	return time.Duration(r.Range) * time.Minute
}

// ConditionText is how a keywords rule's condition reads in the API's
// condition_expression, and an SQL rule's own expression.
func (r *Rule) ConditionText() string {
	if r.Kind == KindSQL {
		return r.Condition
	}
	parts := make([]string, len(r.Requests))
	for i, q := range r.Requests {
		parts[i] = fmt.Sprintf("count %s %d", q.Op, q.Number)
	}
	return strings.Join(parts, " || ")
}

// validate checks what does not need the catalog or the core, in the
// order of the request's fields, and fills the documented defaults.
func (r *Rule) validate() error {
	if err := checkName(r.Name); err != nil {
		return err
	}
	if utf8.RuneCountInString(r.Description) > maxDescLen {
		return ltscore.AlarmInvalid("the description is longer than %d characters", maxDescLen)
	}
	if len(r.Requests) == 0 || len(r.Requests) > maxRequests {
		return ltscore.AlarmInvalid("%s must have 1 to %d elements", r.requestsField(), maxRequests)
	}
	for i := range r.Requests {
		if err := r.checkRequest(i); err != nil {
			return err
		}
	}
	if err := r.Frequency.check(); err != nil {
		return err
	}
	if r.Kind == KindSQL {
		if strings.TrimSpace(r.Condition) == "" {
			return ltscore.AlarmInvalid("condition_expression is required")
		}
		if _, err := parseCondition(r.Condition); err != nil {
			return ltscore.AlarmInvalid("condition_expression: %v", err)
		}
	}
	if !slices.Contains(Levels, r.Level) {
		return ltscore.NotInList(r.Kind+"_alarm_level", Levels...)
	}
	if strings.TrimSpace(r.DomainID) == "" {
		return ltscore.AlarmInvalid("domain_id is required")
	}
	if r.TriggerCount == 0 {
		r.TriggerCount = 1
	}
	if r.TriggerPeriods == 0 {
		r.TriggerPeriods = 1
	}
	if r.TriggerPeriods < 1 || r.TriggerPeriods > maxPeriods {
		return ltscore.AlarmInvalid("trigger_condition_frequency must be between 1 and %d", maxPeriods)
	}
	if r.TriggerCount < 1 || r.TriggerCount > r.TriggerPeriods {
		return ltscore.AlarmInvalid("trigger_condition_count must be between 1 and trigger_condition_frequency (%d)", r.TriggerPeriods)
	}
	if r.RecoveryPeriods == 0 {
		r.RecoveryPeriods = 3
	}
	if r.RecoveryPeriods < 1 || r.RecoveryPeriods > maxPeriods {
		return ltscore.AlarmInvalid("recovery_policy must be between 1 and %d", maxPeriods)
	}
	if !slices.Contains(notifyEvery, r.NotifyEvery) {
		return ltscore.NotInList("notification_frequency", "0", "5", "10", "15", "30", "60", "180", "360")
	}
	if len(r.Tags) > maxTags {
		return ltscore.AlarmInvalid("tags has more than %d elements", maxTags)
	}
	for _, t := range r.Tags {
		if strings.TrimSpace(t.Key) == "" {
			return ltscore.AlarmInvalid("tags: a tag's key is required")
		}
	}
	// A window longer than an hour read every minute would read each line
	// sixty times over: the service refuses it.
	for _, q := range r.Requests {
		if q.window() > time.Hour && r.Frequency.minGap() < 5*time.Minute {
			return ltscore.ErrAlarmRange
		}
	}
	return nil
}

func (r *Rule) requestsField() string { return r.Kind + "_requests" }

func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return ltscore.AlarmInvalid("the rule name is required")
	case utf8.RuneCountInString(name) > maxNameLen:
		return ltscore.AlarmInvalid("the rule name is longer than %d characters", maxNameLen)
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || strings.HasSuffix(name, "."):
		return ltscore.AlarmInvalid("the rule name must not start with '.' or '_' nor end with '.'")
	case strings.ContainsFunc(name, func(c rune) bool { return c < ' ' }):
		return ltscore.AlarmInvalid("the rule name must not contain control characters")
	}
	return nil
}

func (r *Rule) checkRequest(i int) error {
	q := &r.Requests[i]
	field := fmt.Sprintf("%s[%d]", r.requestsField(), i)
	if q.GroupID == "" || q.StreamID == "" {
		return ltscore.AlarmInvalid("%s: log_group_id and log_stream_id are required", field)
	}
	if q.RangeUnit == "" {
		q.RangeUnit = "minute"
	}
	maxRange := 60
	switch {
	case q.RangeUnit == "hour" && r.Kind == KindSQL:
		maxRange = 24
	case q.RangeUnit == "minute":
	case r.Kind == KindSQL:
		return ltscore.NotInList(field+".search_time_range_unit", "minute", "hour")
	default:
		return ltscore.NotInList(field+".search_time_range_unit", "minute")
	}
	if q.Range < 1 || q.Range > maxRange {
		return ltscore.AlarmInvalid("%s.search_time_range must be between 1 and %d %ss", field, maxRange, q.RangeUnit)
	}
	if r.Kind == KindSQL {
		if strings.TrimSpace(q.SQL) == "" {
			return ltscore.AlarmInvalid("%s.sql is required", field)
		}
		if q.Title == "" {
			q.Title = fmt.Sprintf("query%d", i+1)
		}
		return nil
	}
	if strings.TrimSpace(q.Keywords) == "" {
		return ltscore.AlarmInvalid("%s.keywords is required", field)
	}
	if !slices.Contains([]string{">=", "<=", "<", ">"}, q.Op) {
		return ltscore.NotInList(field+".condition", ">=", "<=", "<", ">")
	}
	if q.Number < 0 {
		return ltscore.AlarmInvalid("%s.number must not be negative", field)
	}
	return nil
}
