package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
)

// Template is a notification template: per channel (sub_type), a content
// with ${variables} (see render.go) and a subject (topic).
type Template struct {
	Name       string        `json:"name"`
	Type       []string      `json:"type,omitempty"`
	Desc       string        `json:"desc,omitempty"`
	Source     string        `json:"source"`
	Locale     string        `json:"locale"`
	Templates  []SubTemplate `json:"templates"`
	CreatedMS  int64         `json:"-"`
	ModifiedMS int64         `json:"-"`
}

// SubTemplate is a template's content for one channel.
type SubTemplate struct {
	SubType string `json:"sub_type"`
	Content string `json:"content"`
	Topic   string `json:"topic,omitempty"`
}

// SubTypes are the channels a template may have content for.
var SubTypes = []string{"sms", "dingding", "wechat", "webhook", "email"}

// Topic is a webhook endpoint notifications are posted to: logtank's
// stand-in for an SMN topic.
type Topic struct {
	Name    string            `json:"name"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	// TimeoutMS bounds one attempt (DefaultTopicTimeout when zero).
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// DefaultTopicTimeout bounds one delivery attempt of a topic that sets
// no timeout.
const DefaultTopicTimeout = 10 * time.Second

// ActionRule is a named set of topics and the template their
// notifications are rendered with (the default one when empty).
type ActionRule struct {
	Name     string   `json:"name"`
	Topics   []string `json:"topics"`
	Template string   `json:"template,omitempty"`
}

const maxObjectName = 100

func checkObjectName(what, name string) error {
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > maxObjectName ||
		strings.ContainsFunc(name, func(c rune) bool { return c < ' ' || c == '/' }) {
		return ltscore.AlarmInvalid("the %s name must have 1 to %d characters, without '/' or control characters", what, maxObjectName)
	}
	return nil
}

func (s *Service) putObject(ctx context.Context, project, kind, name string, v any, create bool) error {
	spec, _ := json.Marshal(v)
	now := s.nowMS()
	o := catalog.AlarmObject{ProjectID: project, Kind: kind, Name: name, Spec: string(spec), CreatedMS: now, ModifiedMS: now}
	var err error
	if create {
		err = s.cfg.DB.CreateAlarmObject(ctx, o)
	} else {
		err = s.cfg.DB.UpdateAlarmObject(ctx, o)
	}
	switch {
	case errors.Is(err, catalog.ErrExists):
		return ltscore.ErrAlarmExists.WithMsg("The %s name already exists: %s", objectNoun(kind), name)
	case errors.Is(err, catalog.ErrNotFound):
		return notFound(kind, name)
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	return nil
}

func objectNoun(kind string) string {
	return map[string]string{catalog.AlarmTemplate: "notification template", catalog.AlarmTopic: "topic",
		catalog.AlarmActionRule: "alarm action rule"}[kind]
}

func notFound(kind, name string) error {
	return ltscore.ErrAlarmInvalid.WithMsg("The %s does not exist: %s", objectNoun(kind), name)
}

func (s *Service) object(ctx context.Context, project, kind, name string, v any) (catalog.AlarmObject, error) {
	o, err := s.cfg.DB.AlarmObject(ctx, project, kind, name)
	if errors.Is(err, catalog.ErrNotFound) {
		return o, notFound(kind, name)
	}
	if err == nil {
		err = json.Unmarshal([]byte(o.Spec), v)
	}
	if err != nil {
		return o, internal(ltscore.ErrInternal, err)
	}
	return o, nil
}

func objects[T any](ctx context.Context, s *Service, project, kind string) ([]T, []catalog.AlarmObject, error) {
	rows, err := s.cfg.DB.AlarmObjects(ctx, project, kind)
	if err != nil {
		return nil, nil, internal(ltscore.ErrInternal, err)
	}
	out := make([]T, len(rows))
	for i, o := range rows {
		if err := json.Unmarshal([]byte(o.Spec), &out[i]); err != nil {
			return nil, nil, internal(ltscore.ErrInternal, err)
		}
	}
	return out, rows, nil
}

func (s *Service) deleteObjects(ctx context.Context, project, kind string, names []string) error {
	if len(names) == 0 {
		return ltscore.AlarmInvalid("no %s named", objectNoun(kind))
	}
	err := s.cfg.DB.DeleteAlarmObjects(ctx, project, kind, names)
	var me *catalog.MissingObjectError
	if errors.As(err, &me) {
		return notFound(kind, me.Name)
	}
	if err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	return nil
}

func (t *Template) validate() error {
	if err := checkObjectName("notification template", t.Name); err != nil {
		return err
	}
	if t.Source == "" {
		return ltscore.AlarmInvalid("source is required")
	}
	if t.Locale != "zh-cn" && t.Locale != "en-us" {
		return ltscore.NotInList("locale", "zh-cn", "en-us")
	}
	if len(t.Templates) == 0 {
		return ltscore.AlarmInvalid("templates must have at least one element")
	}
	for i, st := range t.Templates {
		if !slices.Contains(SubTypes, st.SubType) {
			return ltscore.NotInList(fmt.Sprintf("templates[%d].sub_type", i), SubTypes...)
		}
		if strings.TrimSpace(st.Content) == "" {
			return ltscore.AlarmInvalid("templates[%d].content is required", i)
		}
	}
	return nil
}

// CreateTemplate stores a notification template.
func (s *Service) CreateTemplate(ctx context.Context, project string, t Template) error {
	if err := t.validate(); err != nil {
		return err
	}
	return s.putObject(ctx, project, catalog.AlarmTemplate, t.Name, t, true)
}

// UpdateTemplate replaces a notification template.
func (s *Service) UpdateTemplate(ctx context.Context, project string, t Template) error {
	if err := t.validate(); err != nil {
		return err
	}
	return s.putObject(ctx, project, catalog.AlarmTemplate, t.Name, t, false)
}

// Template returns a notification template.
func (s *Service) Template(ctx context.Context, project, name string) (Template, error) {
	var t Template
	o, err := s.object(ctx, project, catalog.AlarmTemplate, name, &t)
	t.CreatedMS, t.ModifiedMS = o.CreatedMS, o.ModifiedMS
	return t, err
}

// Templates lists the project's notification templates by name.
func (s *Service) Templates(ctx context.Context, project string) ([]Template, error) {
	ts, rows, err := objects[Template](ctx, s, project, catalog.AlarmTemplate)
	for i := range ts {
		ts[i].CreatedMS, ts[i].ModifiedMS = rows[i].CreatedMS, rows[i].ModifiedMS
	}
	return ts, err
}

// DeleteTemplates deletes notification templates, all or none.
func (s *Service) DeleteTemplates(ctx context.Context, project string, names []string) error {
	return s.deleteObjects(ctx, project, catalog.AlarmTemplate, names)
}

// CreateTopic stores a topic: an http or https URL and the headers sent
// with each notification.
func (s *Service) CreateTopic(ctx context.Context, project string, t Topic) error {
	if err := checkObjectName("topic", t.Name); err != nil {
		return err
	}
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ltscore.AlarmInvalid("the topic's url must be an http or https URL, got %q", t.URL)
	}
	for k := range t.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return ltscore.AlarmInvalid("bad header name %q", k)
		}
	}
	if t.TimeoutMS < 0 || t.TimeoutMS > int64(5*time.Minute/time.Millisecond) {
		return ltscore.AlarmInvalid("the topic's timeout must be between 0 and 300000 ms")
	}
	return s.putObject(ctx, project, catalog.AlarmTopic, t.Name, t, true)
}

// Topics lists the project's topics by name.
func (s *Service) Topics(ctx context.Context, project string) ([]Topic, error) {
	ts, _, err := objects[Topic](ctx, s, project, catalog.AlarmTopic)
	return ts, err
}

// DeleteTopic deletes a topic; action rules naming it send to the others.
func (s *Service) DeleteTopic(ctx context.Context, project, name string) error {
	return s.deleteObjects(ctx, project, catalog.AlarmTopic, []string{name})
}

// CreateActionRule stores an action rule: topics that must exist and a
// template that must exist when named.
func (s *Service) CreateActionRule(ctx context.Context, project string, a ActionRule) error {
	if err := checkObjectName("alarm action rule", a.Name); err != nil {
		return err
	}
	if len(a.Topics) == 0 {
		return ltscore.ErrAlarmNoTopics
	}
	for _, t := range a.Topics {
		var topic Topic
		if _, err := s.object(ctx, project, catalog.AlarmTopic, t, &topic); err != nil {
			return err
		}
	}
	if a.Template != "" {
		if _, err := s.Template(ctx, project, a.Template); err != nil {
			return err
		}
	}
	return s.putObject(ctx, project, catalog.AlarmActionRule, a.Name, a, true)
}

// ActionRules lists the project's action rules by name.
func (s *Service) ActionRules(ctx context.Context, project string) ([]ActionRule, error) {
	as, _, err := objects[ActionRule](ctx, s, project, catalog.AlarmActionRule)
	return as, err
}

// DeleteActionRule deletes an action rule.
func (s *Service) DeleteActionRule(ctx context.Context, project, name string) error {
	return s.deleteObjects(ctx, project, catalog.AlarmActionRule, []string{name})
}

// action is an action rule resolved: its topics and template.
type action struct {
	topics   []Topic
	template *Template
}

// resolveAction finds the action rule name names, or else the topic,
// which acts as an action rule of its own with the default template.
func (s *Service) resolveAction(ctx context.Context, project, name string) (action, error) {
	var a ActionRule
	if _, err := s.object(ctx, project, catalog.AlarmActionRule, name, &a); err != nil {
		var t Topic
		if _, terr := s.object(ctx, project, catalog.AlarmTopic, name, &t); terr != nil {
			return action{}, ltscore.AlarmInvalid("alarm_action_rule_name: no alarm action rule or topic is named %q", name)
		}
		return action{topics: []Topic{t}}, nil
	}
	var out action
	for _, tn := range a.Topics {
		var t Topic
		if _, err := s.object(ctx, project, catalog.AlarmTopic, tn, &t); err == nil {
			out.topics = append(out.topics, t)
		}
	}
	if len(out.topics) == 0 {
		return action{}, ltscore.ErrAlarmNoTopics.WithMsg("Topics cannot be empty: the topics of alarm action rule %q no longer exist", name)
	}
	if a.Template != "" {
		t, err := s.Template(ctx, project, a.Template)
		if err != nil {
			return action{}, err
		}
		out.template = &t
	}
	return out, nil
}
