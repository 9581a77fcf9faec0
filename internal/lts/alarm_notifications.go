package lts

import (
	"net/http"
	"strconv"
	"strings"

	"logtank/internal/alarms"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// Notification templates, topics, action rules, and active and history
// alarms (services/lts/v2/model: *NotificationTemplate*, Topics, Events).

type subTemplateJSON struct {
	SubType string `json:"sub_type"`
	Content string `json:"content"`
	Topic   string `json:"topic,omitempty"`
}

type templateJSON struct {
	Name       string            `json:"name"`
	Type       []string          `json:"type,omitempty"`
	Desc       string            `json:"desc,omitempty"`
	Source     string            `json:"source"`
	Locale     string            `json:"locale"`
	Templates  []subTemplateJSON `json:"templates"`
	CreateTime *int64            `json:"create_time,omitempty"`
	ModifyTime *int64            `json:"modify_time,omitempty"`
	ProjectID  string            `json:"project_id,omitempty"`
}

func (t templateJSON) toTemplate() alarms.Template {
	out := alarms.Template{Name: t.Name, Type: t.Type, Desc: t.Desc, Source: t.Source, Locale: t.Locale}
	for _, st := range t.Templates {
		out.Templates = append(out.Templates, alarms.SubTemplate(st))
	}
	return out
}

func templateOut(t alarms.Template, project string) templateJSON {
	out := templateJSON{Name: t.Name, Type: t.Type, Desc: t.Desc, Source: t.Source, Locale: t.Locale, Templates: []subTemplateJSON{}}
	for _, st := range t.Templates {
		out.Templates = append(out.Templates, subTemplateJSON(st))
	}
	if project != "" {
		out.CreateTime, out.ModifyTime, out.ProjectID = &t.CreatedMS, &t.ModifiedMS, project
	}
	return out
}

func (s *Service) createNotificationTemplate(w http.ResponseWriter, r *http.Request) error {
	return s.putNotificationTemplate(w, r, true)
}
func (s *Service) updateNotificationTemplate(w http.ResponseWriter, r *http.Request) error {
	return s.putNotificationTemplate(w, r, false)
}

func (s *Service) putNotificationTemplate(w http.ResponseWriter, r *http.Request, create bool) error {
	var body templateJSON
	if err := decode(r, &body); err != nil {
		return err
	}
	t := body.toTemplate()
	put := s.alarms.UpdateTemplate
	if create {
		put = s.alarms.CreateTemplate
	}
	if err := put(r.Context(), r.PathValue("project_id"), t); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, templateOut(t, ""))
	return nil
}

// pageOf reads offset and limit query parameters (limit zero or absent:
// everything).
func pageOf(r *http.Request) (offset, limit int, err error) {
	for _, p := range []struct {
		name string
		dst  *int
	}{{"offset", &offset}, {"limit", &limit}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 {
				return 0, 0, invalid("%s must be a number of at least 0, got %q", p.name, v)
			}
			*p.dst = n
		}
	}
	return offset, limit, nil
}

func page[T any](items []T, offset, limit int) []T {
	items = items[min(offset, len(items)):]
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items
}

func (s *Service) listNotificationTemplates(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := pageOf(r)
	if err != nil {
		return err
	}
	project := r.PathValue("project_id")
	ts, err := s.alarms.Templates(r.Context(), project)
	if err != nil {
		return err
	}
	out := []templateJSON{}
	for _, t := range page(ts, offset, limit) {
		out = append(out, templateOut(t, project))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

func (s *Service) showNotificationTemplate(w http.ResponseWriter, r *http.Request) error {
	project := r.PathValue("project_id")
	t, err := s.alarms.Template(r.Context(), project, r.PathValue("template_name"))
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, templateOut(t, project))
	return nil
}

// previewNotificationTemplate renders a template's text with example
// values (ListNotificationTemplate).
func (s *Service) previewNotificationTemplate(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Templates string `json:"templates"`
		Language  string `json:"language"`
		Source    string `json:"source"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Templates) == "" {
		return ltscore.AlarmInvalid("templates is required")
	}
	if body.Language != "zh-cn" && body.Language != "en-us" {
		return ltscore.NotInList("language", "zh-cn", "en-us")
	}
	wire.WriteJSON(w, http.StatusOK, map[string]string{"template": alarms.Preview(body.Templates)})
	return nil
}

func (s *Service) deleteNotificationTemplates(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Names []string `json:"template_names"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := s.alarms.DeleteTemplates(r.Context(), r.PathValue("project_id"), body.Names); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

// topicOut is a topic in the shape of an SMN topic (Topics).
type topicOut struct {
	Name        string `json:"name"`
	TopicURN    string `json:"topic_urn"`
	DisplayName string `json:"display_name"`
	PushPolicy  int    `json:"push_policy"`
}

func (s *Service) listNotificationTopics(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := pageOf(r)
	if err != nil {
		return err
	}
	project := r.PathValue("project_id")
	ts, err := s.alarms.Topics(r.Context(), project)
	if err != nil {
		return err
	}
	out := []topicOut{}
	for _, t := range page(ts, offset, limit) {
		out = append(out, topicOut{Name: t.Name, TopicURN: "urn:smn:" + s.region + ":" + project + ":" + t.Name, DisplayName: t.URL})
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"request_id": w.Header().Get("X-Request-Id"), "topic_count": len(ts), "topics": out})
	return nil
}

// Topics and action rules (logtank's own admin API).

func (s *Service) createAlarmTopic(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name      string            `json:"name"`
		URL       string            `json:"url"`
		Headers   map[string]string `json:"headers"`
		TimeoutMS wire.Int          `json:"timeout_ms"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	t := alarms.Topic{Name: body.Name, URL: body.URL, Headers: body.Headers, TimeoutMS: body.TimeoutMS.Value}
	if err := s.alarms.CreateTopic(r.Context(), r.PathValue("project_id"), t); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Service) listAlarmTopics(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.alarms.Topics(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []alarms.Topic{}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"topics": ts})
	return nil
}

func (s *Service) deleteAlarmTopic(w http.ResponseWriter, r *http.Request) error {
	if err := s.alarms.DeleteTopic(r.Context(), r.PathValue("project_id"), r.PathValue("name")); err != nil {
		return err
	}
	wire.NoContent(w)
	return nil
}

func (s *Service) createAlarmActionRule(w http.ResponseWriter, r *http.Request) error {
	var body alarms.ActionRule
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := s.alarms.CreateActionRule(r.Context(), r.PathValue("project_id"), body); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, body)
	return nil
}

func (s *Service) listAlarmActionRules(w http.ResponseWriter, r *http.Request) error {
	as, err := s.alarms.ActionRules(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	if as == nil {
		as = []alarms.ActionRule{}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"action_rules": as})
	return nil
}

func (s *Service) deleteAlarmActionRule(w http.ResponseWriter, r *http.Request) error {
	if err := s.alarms.DeleteActionRule(r.Context(), r.PathValue("project_id"), r.PathValue("name")); err != nil {
		return err
	}
	wire.NoContent(w)
	return nil
}

// Active and history alarms.

type eventMetadata struct {
	EventType        string `json:"event_type"`
	EventID          string `json:"event_id"`
	EventSeverity    string `json:"event_severity"`
	EventName        string `json:"event_name"`
	ResourceType     string `json:"resource_type"`
	ResourceID       string `json:"resource_id"`
	ResourceProvider string `json:"resource_provider"`
	LtsAlarmType     string `json:"lts_alarm_type"`
	LogGroupName     string `json:"log_group_name"`
	LogStreamName    string `json:"log_stream_name"`
	EventSubtype     string `json:"event_subtype"`
}

type eventAnnotations struct {
	Message                      string `json:"message"`
	LogInfo                      string `json:"log_info"`
	CurrentValue                 string `json:"current_value"`
	OldAnnotations               string `json:"old_annotations"`
	AlarmActionRuleName          string `json:"alarm_action_rule_name,omitempty"`
	AlarmStatus                  string `json:"alarm_status"`
	ConditionExpression          string `json:"condition_expression"`
	ConditionExpressionWithValue string `json:"condition_expression_with_value"`
	Frequency                    string `json:"frequency"`
	Type                         string `json:"type"`
}

type deliveryOut struct {
	Topic     string `json:"topic"`
	Kind      string `json:"kind"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
	NextTime  int64  `json:"next_time"`
	DoneTime  int64  `json:"done_time,omitempty"`
}

// eventOut is Events, with logtank's additions: the count of periods the
// condition held, the query, the sample lines and the notifications.
type eventOut struct {
	Annotations eventAnnotations `json:"annotations"`
	Metadata    eventMetadata    `json:"metadata"`
	ArrivesAt   int64            `json:"arrives_at"`
	EndsAt      int64            `json:"ends_at"`
	ID          string           `json:"id"`
	StartsAt    int64            `json:"starts_at"`
	Timeout     int64            `json:"timeout"`
	Type        string           `json:"type"`
	Count       int64            `json:"count"`
	Query       string           `json:"query"`
	Samples     []string         `json:"samples"`
	Deliveries  []deliveryOut    `json:"deliveries"`
}

func eventOf(a alarms.Alarm, kind string) eventOut {
	d := a.Detail
	status := "alarm"
	if !a.Active {
		status = "recovered"
	}
	out := eventOut{
		Annotations: eventAnnotations{Message: d.RuleName + ": " + d.Condition + " (" + d.Value + ")", LogInfo: strings.Join(d.Samples, "\n"),
			CurrentValue: d.Value, AlarmActionRuleName: d.ActionRule, AlarmStatus: status, ConditionExpression: d.Condition,
			ConditionExpressionWithValue: d.Condition + " (" + d.Value + ")", Frequency: d.Frequency, Type: d.Kind},
		Metadata: eventMetadata{EventType: "alarm", EventID: a.ID, EventSeverity: a.Level, EventName: d.RuleName, ResourceType: "lts",
			ResourceID: a.RuleID, ResourceProvider: "LTS", LtsAlarmType: d.Kind, LogGroupName: d.GroupName, LogStreamName: d.StreamName,
			EventSubtype: d.Kind},
		ArrivesAt: a.LastMS, EndsAt: a.EndsMS, ID: a.ID, StartsAt: a.FirstMS, Type: kind, Count: a.Count, Query: d.Query,
		Samples: d.Samples, Deliveries: []deliveryOut{},
	}
	if out.Samples == nil {
		out.Samples = []string{}
	}
	for _, dl := range a.Deliveries {
		out.Deliveries = append(out.Deliveries, deliveryOut{Topic: dl.Topic, Kind: dl.Kind, State: dl.State, Attempts: dl.Attempts,
			LastError: dl.LastError, NextTime: dl.NextMS, DoneTime: dl.DoneMS})
	}
	return out
}

func (s *Service) listAlarms(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	kind := q.Get("type")
	if kind != "active_alert" && kind != "history_alert" {
		return ltscore.NotInList("type", "active_alert", "history_alert")
	}
	f := alarms.AlarmFilter{Limit: 100}
	if m := q.Get("marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return invalid("marker must be a number of at least 0, got %q", m)
		}
		f.Offset = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return invalid("limit must be between 1 and 1000, got %q", l)
		}
		f.Limit = n
	}
	if len(wire.Body(r)) > 0 {
		var body struct {
			Custom    wire.Bool `json:"whether_custom_field"`
			StartTime wire.Int  `json:"start_time"`
			EndTime   wire.Int  `json:"end_time"`
			TimeRange string    `json:"time_range"`
			Search    string    `json:"search"`
			Levels    []string  `json:"alarm_level_ids"`
		}
		if err := decode(r, &body); err != nil {
			return err
		}
		f.Levels, f.Search = body.Levels, body.Search
		if body.Custom.Value {
			f.FromMS, f.ToMS = body.StartTime.Value, body.EndTime.Value
		} else if body.TimeRange != "" {
			minutes, err := strconv.Atoi(body.TimeRange)
			if err != nil || minutes < 1 {
				return invalid("time_range must be a number of minutes, got %q", body.TimeRange)
			}
			f.FromMS = s.core.Now().UnixMilli() - int64(minutes)*60_000
		}
	}
	list, total, err := s.alarms.Alarms(r.Context(), r.PathValue("project_id"), kind == "active_alert", f)
	if err != nil {
		return err
	}
	events := make([]eventOut, len(list))
	for i, a := range list {
		events[i] = eventOf(a, kind)
	}
	next := ""
	if f.Offset+len(list) < total {
		next = strconv.Itoa(f.Offset + len(list))
	}
	prev := ""
	if f.Offset > 0 {
		prev = strconv.Itoa(max(f.Offset-f.Limit, 0))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"events": events,
		"page_info": map[string]string{"next_marker": next, "previous_marker": prev, "current_count": strconv.Itoa(len(list))}})
	return nil
}

func (s *Service) clearAlarms(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Events []struct {
			Metadata *struct {
				EventID string `json:"event_id"`
			} `json:"metadata"`
		} `json:"events"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	var ids []string
	for i, e := range body.Events {
		if e.Metadata == nil || e.Metadata.EventID == "" {
			return ltscore.AlarmInvalid("events[%d].metadata.event_id is required", i)
		}
		ids = append(ids, e.Metadata.EventID)
	}
	if err := s.alarms.ClearAlarms(r.Context(), r.PathValue("project_id"), ids); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}
