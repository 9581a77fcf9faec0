package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/lease"
)

// Delivery tuning: a failed attempt is retried after retryBase, doubling
// up to retryMax, and given up after maxAttempts (about an hour and a
// half of trying); at most maxInFlight notifications are sent at once.
const (
	retryBase   = 10 * time.Second
	retryMax    = 30 * time.Minute
	maxAttempts = 8
	maxInFlight = 64
)

// request is a notification as decided: where to send what. The topic is
// copied in, so that it is sent as it was when the alarm fired.
type request struct {
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      string            `json:"body"`
	TimeoutMS int64             `json:"timeout_ms"`
}

// notifications renders the notifications of an alarm to its rule's
// action rule; none when the rule names none or it no longer resolves
// (which is logged).
func (s *Service) notifications(ctx context.Context, project string, r Rule, ev catalog.AlarmEvent, d Detail, kind string) []catalog.AlarmDelivery {
	if r.ActionRule == "" {
		return nil
	}
	act, err := s.resolveAction(ctx, project, r.ActionRule)
	if err != nil {
		s.log.Warn("alarms: no notification sent", "rule", r.ID, "action_rule", r.ActionRule, "error", err)
		return nil
	}
	vars := variables(s.cfg.Region, project, r, ev, d, kind)
	body := defaultBody(vars, d.Samples)
	header := map[string]string{"Content-Type": "application/json"}
	if act.template != nil {
		st := pickSubTemplate(act.template)
		body = render(st.Content, vars)
		if !json.Valid([]byte(body)) {
			header["Content-Type"] = "text/plain; charset=utf-8"
		}
		if st.Topic != "" {
			header["X-Alarm-Subject"] = render(st.Topic, vars)
		}
	}
	now := s.nowMS()
	out := make([]catalog.AlarmDelivery, 0, len(act.topics))
	for _, t := range act.topics {
		h := map[string]string{}
		for k, v := range header {
			h[k] = v
		}
		for k, v := range t.Headers {
			h[k] = v
		}
		timeout := t.TimeoutMS
		if timeout == 0 {
			timeout = DefaultTopicTimeout.Milliseconds()
		}
		req, _ := json.Marshal(request{URL: t.URL, Headers: h, Body: body, TimeoutMS: timeout})
		out = append(out, catalog.AlarmDelivery{ID: uuid.NewString(), EventID: ev.ID, ProjectID: project, Topic: t.Name,
			Kind: kind, Request: string(req), State: "pending", NextMS: now, CreatedMS: now})
	}
	return out
}

// pickSubTemplate is a template's webhook content, else its first.
func pickSubTemplate(t *Template) SubTemplate {
	for _, st := range t.Templates {
		if st.SubType == "webhook" {
			return st
		}
	}
	return t.Templates[0]
}

// variables are the values a template may use, under the names of the
// LTS alarm event (event_name, event_severity, annotations...) and
// plainer ones (rule_name, level, count, samples).
func variables(region, project string, r Rule, ev catalog.AlarmEvent, d Detail, kind string) map[string]string {
	status, at := "firing", ev.LastMS
	if kind == "recovery" {
		status, at = "recovered", ev.EndsMS
	}
	t := time.UnixMilli(at).UTC().Format(time.RFC3339)
	v := map[string]string{
		"event_id": ev.ID, "event_name": r.Name, "rule_name": r.Name, "rule_id": r.ID, "alarm_rule_alias": r.Alias,
		"event_severity": ev.Level, "level": ev.Level, "event_type": "alarm", "alarm_status": status, "status": status,
		"lts_alarm_type": r.Kind, "time": t, "starts_at": time.UnixMilli(ev.FirstMS).UTC().Format(time.RFC3339),
		"query": d.Query, "condition_expression": d.Condition, "current_value": d.Value,
		"condition_expression_with_value": d.Condition + " (" + d.Value + ")",
		"count":                           strconv.FormatInt(ev.Count, 10), "log_group_name": d.GroupName, "log_stream_name": d.StreamName,
		"log_info": strings.Join(d.Samples, "\n"), "samples": strings.Join(d.Samples, "\n"),
		"frequency": d.Frequency, "alarm_action_rule_name": r.ActionRule, "region_name": region, "project_id": project,
		"resource_provider": "LTS", "message": r.Name + " is " + status + ": " + d.Condition + " (" + d.Value + ")",
	}
	return v
}

var varPattern = regexp.MustCompile(`\$\{\s*([A-Za-z0-9_.]+)\s*\}`)

// render replaces ${name} (also ${annotations.name}, ${metadata.name},
// ${event.name}) with the variable's value; unknown names stay as written.
func render(text string, vars map[string]string) string {
	return varPattern.ReplaceAllStringFunc(text, func(m string) string {
		name := varPattern.FindStringSubmatch(m)[1]
		for _, p := range []string{"annotations.", "metadata.", "event."} {
			name = strings.TrimPrefix(name, p)
		}
		if v, ok := vars[name]; ok {
			return v
		}
		return m
	})
}

// defaultBody is the JSON notification without a template: every
// variable, and the sample lines as an array.
func defaultBody(vars map[string]string, samples []string) string {
	m := map[string]any{}
	for k, v := range vars {
		m[k] = v
	}
	m["count"], _ = strconv.Atoi(vars["count"])
	if samples == nil {
		samples = []string{}
	}
	m["samples"] = samples
	delete(m, "log_info")
	b, _ := json.Marshal(m)
	return string(b)
}

// deliverDue starts the due notifications that are not being sent
// already, each on its own, so that a slow endpoint holds up only its own.
// Each is first claimed in the catalog, under ctx's lease fence: its next
// attempt is put off past its timeout, so that a node that takes the
// alarms' lease meanwhile does not send it a second time while this one
// may still be sending it, and a node that lost the lease claims nothing.
func (s *Service) deliverDue(ctx context.Context) {
	due, err := s.cfg.DB.DueAlarmDeliveries(ctx, s.nowMS(), maxInFlight)
	if err != nil {
		s.log.Error("alarms: listing notifications", "error", err)
		return
	}
	for _, d := range due {
		s.mu.Lock()
		busy := s.inFlight[d.ID] || len(s.inFlight) >= maxInFlight
		if !busy {
			s.inFlight[d.ID] = true
		}
		s.mu.Unlock()
		if busy {
			continue
		}
		claimed, err := s.cfg.DB.ClaimAlarmDelivery(ctx, d.ID, d.NextMS, s.nowMS()+claimFor(d).Milliseconds())
		if err != nil || !claimed {
			if err != nil && ctx.Err() == nil && !errors.Is(err, lease.ErrLost) {
				s.log.Error("alarms: claiming a notification", "delivery", d.ID, "error", err)
			}
			s.mu.Lock()
			delete(s.inFlight, d.ID)
			s.mu.Unlock()
			continue
		}
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			s.attempt(d)
			s.mu.Lock()
			delete(s.inFlight, d.ID)
			s.mu.Unlock()
		}()
	}
}

// claimMargin is added to a notification's timeout when it is claimed:
// the time to record its outcome once sent.
const claimMargin = 5 * time.Second

// claimFor is how long a claim keeps a notification from being sent by
// another node: its timeout and the margin.
func claimFor(d catalog.AlarmDelivery) time.Duration {
	var req request
	timeout := DefaultTopicTimeout
	if json.Unmarshal([]byte(d.Request), &req) == nil && req.TimeoutMS > 0 {
		timeout = time.Duration(req.TimeoutMS) * time.Millisecond
	}
	return timeout + claimMargin
}

// attempt sends a notification once and records the outcome: sent, a
// retry after a back-off, or given up. d is the notification as it was
// before it was claimed. The outcome is recorded whether or not this node
// still holds the alarms' lease: it is what happened, and leaving it out
// would have the notification sent again.
func (s *Service) attempt(d catalog.AlarmDelivery) {
	var req request
	if err := json.Unmarshal([]byte(d.Request), &req); err != nil {
		d.State, d.LastError = "failed", "damaged notification: "+err.Error()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(req.TimeoutMS)*time.Millisecond)
		// Close cancels a notification still being sent after its grace;
		// it is retried at the next start.
		go func() {
			select {
			case <-s.abort:
				cancel()
			case <-ctx.Done():
			}
		}()
		err = s.cfg.Poster.Post(ctx, req.URL, req.Headers, []byte(req.Body))
		stopped := false
		select {
		case <-s.abort:
			stopped = true
		default:
		}
		cancel()
		switch {
		case stopped && err != nil:
			// Recorded as it was before its claim: due again at once,
			// on this node's next start or on the node that takes the
			// lease.
		case err == nil:
			d.Attempts++
			d.State, d.LastError, d.DoneMS = "sent", "", s.nowMS()
		case d.Attempts+1 >= maxAttempts:
			d.Attempts++
			d.State, d.LastError, d.DoneMS = "failed", err.Error(), s.nowMS()
		default:
			d.Attempts++
			d.LastError = err.Error()
			d.NextMS = s.nowMS() + backoff(d.Attempts).Milliseconds()
		}
	}
	if err := s.cfg.DB.RecordAlarmAttempt(context.Background(), d); err != nil {
		s.log.Error("alarms: recording a notification attempt", "delivery", d.ID, "error", err)
	}
}

// backoff is the wait after the n-th failed attempt.
func backoff(n int) time.Duration {
	d := retryBase
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// Preview renders a template's text with example values, as
// ListNotificationTemplate shows it.
func Preview(text string) string {
	r := Rule{ID: "example-rule-id", Name: "example-rule", Kind: KindKeywords, ActionRule: "example-action-rule"}
	ev := catalog.AlarmEvent{ID: "example-alarm-id", Level: "Major", FirstMS: 1700000000000, LastMS: 1700000000000, Count: 1}
	d := Detail{RuleName: r.Name, Kind: r.Kind, Condition: "count > 10", Query: "error", Value: "count=12",
		GroupName: "example-group", StreamName: "example-stream", Samples: []string{"ERROR example line"}, Frequency: "every 1 minute(s)"}
	return render(text, variables("example-region", "example-project", r, ev, d, "firing"))
}
