package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/server"
)

const testDomain = "domain-of-the-tests"

// receiver is a webhook endpoint on loopback that records what it gets
// and answers with the statuses of fail first (then 200).
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []string
	fail []int
}

func newReceiver(t *testing.T, fail ...int) *receiver {
	rc := &receiver{fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.fail) > 0 {
			status := rc.fail[0]
			rc.fail = rc.fail[1:]
			w.WriteHeader(status)
			return
		}
		rc.got = append(rc.got, string(b))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) posts() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.got...)
}

func alarmConfig(clk *testClock) func(*server.Config) {
	return func(c *server.Config) {
		c.Now = clk.now
		c.AlarmInterval = 5 * time.Millisecond
	}
}

func (e *env) createTopic(t *testing.T, name, url string) {
	t.Helper()
	status, body := e.post(t, "/v2/"+testProject+"/logtank/alarm-topics", map[string]any{"name": name, "url": url,
		"headers": map[string]string{"X-Token": "secret-1"}}, nil)
	if status != http.StatusCreated {
		t.Fatalf("create topic: %d %s", status, body)
	}
}

func keywordsRule(name, group, stream, keywords string, number int32, action string) *model.CreateKeywordsAlarmRuleRequestBody {
	return &model.CreateKeywordsAlarmRuleRequestBody{
		KeywordsAlarmRuleName: name,
		KeywordsRequests: []model.KeywordsRequest{{LogGroupId: group, LogStreamId: stream, Keywords: keywords,
			Condition: model.GetKeywordsRequestConditionEnum().GREATER_THAN_OR_EQUAL_TO, Number: number, SearchTimeRange: 1,
			SearchTimeRangeUnit: model.GetKeywordsRequestSearchTimeRangeUnitEnum().MINUTE}},
		Frequency: &model.Frequency{Type: model.GetFrequencyTypeEnum().FIXED_RATE, FixedRate: ptr(int32(1)),
			FixedRateUnit: ptr(model.GetFrequencyFixedRateUnitEnum().MINUTE)},
		KeywordsAlarmLevel:    model.GetCreateKeywordsAlarmRuleRequestBodyKeywordsAlarmLevelEnum().MAJOR,
		DomainId:              testDomain,
		WhetherRecoveryPolicy: ptr(true),
		RecoveryPolicy:        ptr(int32(2)),
		NotificationFrequency: model.GetCreateKeywordsAlarmRuleRequestBodyNotificationFrequencyEnum().E_0,
		AlarmActionRuleName:   &action,
	}
}

func sqlRule(name, group, stream, sql, cond, action string) *model.CreateSqlAlarmRuleRequestBody {
	return &model.CreateSqlAlarmRuleRequestBody{
		SqlAlarmRuleName: name,
		SqlRequests: []model.SqlRequest{{LogGroupId: group, LogStreamId: stream, Sql: sql, SearchTimeRange: ptr(int32(1)),
			SearchTimeRangeUnit: ptr(model.GetSqlRequestSearchTimeRangeUnitEnum().MINUTE)}},
		Frequency: &model.CreateSqlAlarmRuleFrequency{Type: model.GetCreateSqlAlarmRuleFrequencyTypeEnum().FIXED_RATE,
			FixedRate: ptr(int32(1)), FixedRateUnit: ptr(model.GetCreateSqlAlarmRuleFrequencyFixedRateUnitEnum().MINUTE)},
		ConditionExpression:   cond,
		SqlAlarmLevel:         model.GetCreateSqlAlarmRuleRequestBodySqlAlarmLevelEnum().CRITICAL,
		DomainId:              testDomain,
		WhetherRecoveryPolicy: ptr(true),
		RecoveryPolicy:        ptr(int32(1)),
		NotificationFrequency: model.GetCreateSqlAlarmRuleRequestBodyNotificationFrequencyEnum().E_0,
		AlarmActionRuleName:   &action,
	}
}

func (e *env) alarms(t *testing.T, active bool) []model.Events {
	t.Helper()
	typ := model.GetListActiveOrHistoryAlarmsRequestTypeEnum().HISTORY_ALERT
	if active {
		typ = model.GetListActiveOrHistoryAlarmsRequestTypeEnum().ACTIVE_ALERT
	}
	resp, err := e.lts().ListActiveOrHistoryAlarms(&model.ListActiveOrHistoryAlarmsRequest{DomainId: testDomain, Type: typ,
		Body: &model.ListActiveOrHistoryAlarmsRequestBody{}})
	if err != nil {
		t.Fatal(err)
	}
	return *resp.Events
}

var alarmStart = time.Date(2026, 11, 22, 10, 0, 10, 0, time.UTC)

// TestKeywordsAlarmFiresAndRecovers moves the clock over periods of a
// one-minute rule: matching lines fire it once (one POST rendered with
// the template), a restart changes nothing, and two quiet periods
// recover it (the recovery POST).
func TestKeywordsAlarmFiresAndRecovers(t *testing.T) {
	clk := newClock(alarmStart)
	dir := t.TempDir()
	e := startWith(t, dir, alarmConfig(clk))
	rc := newReceiver(t)
	group, stream := e.createStream(t, "alarm-group", "alarm-stream")
	e.createTopic(t, "ops", rc.srv.URL)
	c := e.lts()
	if _, err := c.CreateNotificationTemplate(&model.CreateNotificationTemplateRequest{DomainId: testDomain,
		Body: &model.CreateNotificationTemplateRequestBody{Name: "short", Source: "LTS",
			Locale: model.GetCreateNotificationTemplateRequestBodyLocaleEnum().EN_US,
			Templates: []model.SubTemplate{{SubType: model.GetSubTemplateSubTypeEnum().WEBHOOK,
				Content: `${event_name} ${alarm_status} level=${event_severity} count=${current_value} query=${query} sample=${log_info}`}}}}); err != nil {
		t.Fatal(err)
	}
	status, body := e.post(t, "/v2/"+testProject+"/logtank/alarm-action-rules", map[string]any{"name": "ops-short", "topics": []string{"ops"}, "template": "short"}, nil)
	if status != http.StatusCreated {
		t.Fatalf("action rule: %d %s", status, body)
	}
	if _, err := c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("errors", group, stream, "error", 2, "ops-short")}); err != nil {
		t.Fatal(err)
	}
	// Period 10:00-10:01: one matching line, below the threshold.
	e.ingestAt(t, group, stream, alarmStart, "error once", "fine")
	clk.set(alarmStart.Add(time.Minute))
	// Period 10:01-10:02: two matching lines.
	e.ingestAt(t, group, stream, alarmStart.Add(time.Minute), "error: disk full", "error: disk still full", "ok")
	e.alarmRounds(t) // the scheduler has seen 10:01
	if got := rc.posts(); len(got) != 0 {
		t.Fatalf("fired below the threshold: %q", got)
	}
	clk.set(alarmStart.Add(2 * time.Minute))
	waitFor(t, "the firing notification", func() bool { return len(rc.posts()) == 1 })
	got := rc.posts()[0]
	if !strings.HasPrefix(got, "errors firing level=Major count=count=2 query=error sample=error: disk") {
		t.Fatalf("rendered notification: %q", got)
	}
	active := e.alarms(t, true)
	if len(active) != 1 || active[0].Metadata.EventName != "errors" || active[0].Metadata.EventSeverity != "Major" ||
		active[0].Annotations.CurrentValue != "count=2" {
		t.Fatalf("active alarms: %+v", active)
	}

	// A restart between periods: no evaluation again, no notification again.
	e.stop()
	e = startWith(t, dir, alarmConfig(clk))
	e.alarmRounds(t)
	if n := len(rc.posts()); n != 1 {
		t.Fatalf("%d notifications after a restart, want 1", n)
	}
	// Two quiet periods (recovery_policy 2) recover the alarm.
	clk.set(alarmStart.Add(3 * time.Minute))
	e.alarmRounds(t)
	if len(e.alarms(t, true)) != 1 {
		t.Fatal("recovered after one quiet period")
	}
	clk.set(alarmStart.Add(4 * time.Minute))
	waitFor(t, "the recovery notification", func() bool { return len(rc.posts()) == 2 })
	if got := rc.posts()[1]; !strings.HasPrefix(got, "errors recovered level=Major") {
		t.Fatalf("recovery: %q", got)
	}
	if len(e.alarms(t, true)) != 0 {
		t.Fatal("still active after recovery")
	}
	hist := e.alarms(t, false)
	if len(hist) != 1 || hist[0].EndsAt != alarmStart.Add(4*time.Minute).Truncate(time.Minute).UnixMilli() {
		t.Fatalf("history: %+v", hist)
	}
	// The delivery log is on the alarm.
	var raw struct {
		Events []struct {
			Deliveries []struct {
				Kind, State string
				Attempts    int
			} `json:"deliveries"`
		} `json:"events"`
	}
	_, b := e.post(t, "/v2/"+testProject+"/"+testDomain+"/lts/alarms/sql-alarm/query?type=history_alert", "{}", nil)
	if err := json.Unmarshal(b, &raw); err != nil || len(raw.Events) != 1 || len(raw.Events[0].Deliveries) != 2 ||
		raw.Events[0].Deliveries[0].State != "sent" || raw.Events[0].Deliveries[1].Kind != "recovery" {
		t.Fatalf("delivery log: %s", b)
	}
}

// TestSQLAlarmAndNOfM: "error | select count(*) as n" with n > 10 fires
// when it holds in 2 of the last 3 periods, not before.
func TestSQLAlarmAndNOfM(t *testing.T) {
	clk := newClock(alarmStart)
	e := startWith(t, "", alarmConfig(clk))
	rc := newReceiver(t)
	group, stream := e.createStream(t, "sql-group", "sql-stream")
	e.createTopic(t, "hook", rc.srv.URL)
	body := sqlRule("many-errors", group, stream, "error | select count(*) as n", "n > 10", "hook")
	body.TriggerConditionCount, body.TriggerConditionFrequency = ptr(int32(2)), ptr(int32(3))
	if _, err := e.lts().CreateSqlAlarmRule(&model.CreateSqlAlarmRuleRequest{Body: body}); err != nil {
		t.Fatal(err)
	}
	minute := func(i int) time.Time { return alarmStart.Add(time.Duration(i) * time.Minute) }
	// Periods: 11 errors (met), 3 errors (not), 12 errors (met: 2 of 3).
	for i, n := range []int{11, 3, 12} {
		e.ingestAt(t, group, stream, minute(i), lines("error", n)...)
		clk.set(minute(i + 1))
		if i < 2 {
			e.alarmRounds(t)
			if len(rc.posts()) != 0 {
				t.Fatalf("fired after period %d", i)
			}
		}
	}
	waitFor(t, "the SQL alarm", func() bool { return len(rc.posts()) == 1 })
	var got map[string]any
	if err := json.Unmarshal([]byte(rc.posts()[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got["rule_name"] != "many-errors" || got["current_value"] != "n=12" || got["level"] != "Critical" || got["alarm_status"] != "firing" {
		t.Fatalf("default notification: %v", got)
	}
	// A quiet period recovers it (recovery_policy 1).
	clk.set(minute(4))
	waitFor(t, "the SQL recovery", func() bool { return len(rc.posts()) == 2 })
}

// TestAlarmReceiverFails: a receiver that fails is retried with back-off
// while another rule's receiver gets its notification at once.
func TestAlarmReceiverFails(t *testing.T) {
	clk := newClock(alarmStart)
	e := startWith(t, "", alarmConfig(clk))
	bad, good := newReceiver(t, 500, 503), newReceiver(t)
	group, stream := e.createStream(t, "fail-group", "fail-stream")
	e.createTopic(t, "bad", bad.srv.URL)
	e.createTopic(t, "good", good.srv.URL)
	c := e.lts()
	for _, r := range []*model.CreateKeywordsAlarmRuleRequestBody{
		keywordsRule("to-bad", group, stream, "error", 1, "bad"), keywordsRule("to-good", group, stream, "error", 1, "good"),
	} {
		if _, err := c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: r}); err != nil {
			t.Fatal(err)
		}
	}
	e.ingestAt(t, group, stream, alarmStart, "error")
	clk.set(alarmStart.Add(50 * time.Second))
	waitFor(t, "the good receiver", func() bool { return len(good.posts()) == 1 })
	waitFor(t, "the first failed attempt", func() bool {
		bad.mu.Lock()
		defer bad.mu.Unlock()
		return len(bad.fail) == 1
	})
	// The second attempt waits for its back-off: 10 s after the first.
	e.alarmRounds(t)
	bad.mu.Lock()
	left := len(bad.fail)
	bad.mu.Unlock()
	if left != 1 {
		t.Fatalf("retried before the back-off (%d failures left)", left)
	}
	clk.set(alarmStart.Add(61 * time.Second))
	waitFor(t, "the second attempt", func() bool {
		bad.mu.Lock()
		defer bad.mu.Unlock()
		return len(bad.fail) == 0
	})
	clk.set(alarmStart.Add(90 * time.Second))
	waitFor(t, "the third attempt, which succeeds", func() bool { return len(bad.posts()) == 1 })
	if n := len(good.posts()); n != 1 {
		t.Fatalf("good receiver got %d notifications", n)
	}
}

// TestAlarmRuleAPIs drives every alarm management API through the SDK,
// with the documented errors.
func TestAlarmRuleAPIs(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group, stream := e.createStream(t, "api-group", "api-stream")
	e.createTopic(t, "ops", "http://127.0.0.1:9/hook")

	created, err := c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("kw", group, stream, "error AND disk", 3, "ops")})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListKeywordsAlarmRules(&model.ListKeywordsAlarmRulesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rules := *list.KeywordsAlarmRules
	if len(rules) != 1 || rules[0].KeywordsAlarmRuleId != *created.KeywordsAlarmRuleId || rules[0].KeywordsAlarmRuleName != "kw" ||
		rules[0].ConditionExpression != "count >= 3" || *rules[0].KeywordsRequests[0].LogStreamName != "api-stream" ||
		*rules[0].Frequency.FixedRate != 1 || rules[0].Status.Value() != "RUNNING" || *rules[0].AlarmActionRuleName != "ops" {
		t.Fatalf("listed: %+v", rules)
	}
	upd := keywordsRule("kw-renamed", group, stream, "error", 5, "ops")
	updated, err := c.UpdateKeywordsAlarmRule(&model.UpdateKeywordsAlarmRuleRequest{Body: &model.UpdateKeywordsAlarmRuleRequestBody{
		KeywordsAlarmRuleId: *created.KeywordsAlarmRuleId, KeywordsAlarmRuleName: upd.KeywordsAlarmRuleName, KeywordsRequests: upd.KeywordsRequests,
		Frequency: upd.Frequency, KeywordsAlarmLevel: model.GetUpdateKeywordsAlarmRuleRequestBodyKeywordsAlarmLevelEnum().INFO, DomainId: testDomain,
		NotificationFrequency: model.GetUpdateKeywordsAlarmRuleRequestBodyNotificationFrequencyEnum().E_5}})
	if err != nil {
		t.Fatal(err)
	}
	if *updated.KeywordsAlarmRuleName != "kw-renamed" || *updated.ConditionExpression != "count >= 5" || updated.KeywordsAlarmLevel.Value() != "Info" {
		t.Fatalf("updated: %+v", updated)
	}
	if _, err := c.UpdateAlarmRuleStatus(&model.UpdateAlarmRuleStatusRequest{Body: &model.ChangeAlarmRuleStatus{
		AlarmRuleId: *created.KeywordsAlarmRuleId, Status: "STOPPING", Type: "keywords_alarm_rule"}}); err != nil {
		t.Fatal(err)
	}
	list, _ = c.ListKeywordsAlarmRules(&model.ListKeywordsAlarmRulesRequest{})
	if (*list.KeywordsAlarmRules)[0].Status.Value() != "STOPPING" {
		t.Fatal("status not changed")
	}

	sqlCreated, err := c.CreateSqlAlarmRule(&model.CreateSqlAlarmRuleRequest{Body: sqlRule("sq", group, stream, "select count(*) as n", "n > 10 && n < 100", "ops")})
	if err != nil {
		t.Fatal(err)
	}
	sqls, err := c.ListSqlAlarmRules(&model.ListSqlAlarmRulesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if s := *sqls.SqlAlarmRules; len(s) != 1 || s[0].SqlAlarmRuleId != *sqlCreated.SqlAlarmRuleId || s[0].ConditionExpression != "n > 10 && n < 100" ||
		s[0].SqlRequests[0].Sql != "select count(*) as n" || s[0].SqlAlarmLevel.Value() != "Critical" {
		t.Fatalf("sql rules: %+v", s)
	}

	// Errors.
	_, err = c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("kw-renamed", group, stream, "x", 1, "ops")})
	wantErr(t, err, 400, "LTS.2006")
	_, err = c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("other", group, "no-such-stream", "x", 1, "ops")})
	wantErr(t, err, 400, "LTS.0208")
	bad := keywordsRule("bad-freq", group, stream, "x", 1, "ops")
	bad.Frequency.FixedRate = ptr(int32(61))
	_, err = c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: bad})
	wantErr(t, err, 400, "LTS.2011")
	bad.Frequency = &model.Frequency{Type: model.GetFrequencyTypeEnum().CRON, CronExpr: ptr("61 * * * *")}
	_, err = c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: bad})
	wantErr(t, err, 400, "LTS.2011")
	_, err = c.CreateSqlAlarmRule(&model.CreateSqlAlarmRuleRequest{Body: sqlRule("bad-cond", group, stream, "select count(*) as n", "n >> 3", "ops")})
	wantErr(t, err, 400, "LTS.2005")
	_, err = c.CreateSqlAlarmRule(&model.CreateSqlAlarmRuleRequest{Body: sqlRule("bad-sql", group, stream, "select frobnicate(", "n > 3", "ops")})
	wantErr(t, err, 400, "LTS.0009")
	_, err = c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("no-action", group, stream, "x", 1, "nobody")})
	wantErr(t, err, 400, "LTS.2005")
	long := sqlRule("long-range", group, stream, "select count(*) as n", "n > 3", "ops")
	long.SqlRequests[0].SearchTimeRange, long.SqlRequests[0].SearchTimeRangeUnit = ptr(int32(2)), ptr(model.GetSqlRequestSearchTimeRangeUnitEnum().HOUR)
	_, err = c.CreateSqlAlarmRule(&model.CreateSqlAlarmRuleRequest{Body: long})
	wantErr(t, err, 400, "LTS.2012")
	status, body := e.post(t, "/v2/"+testProject+"/logtank/alarm-action-rules", map[string]any{"name": "x", "topics": []string{"ops"}, "template": "missing"}, nil)
	if status != 400 || !strings.Contains(string(body), "LTS.2005") {
		t.Fatalf("unknown template: %d %s", status, body)
	}
	status, body = e.post(t, "/v2/"+testProject+"/logtank/alarm-action-rules", map[string]any{"name": "x", "topics": []string{}}, nil)
	if status != 400 || !strings.Contains(string(body), "LTS.2010") {
		t.Fatalf("no topics: %d %s", status, body)
	}
	for _, raw := range []string{`{"keywords_alarm_rule_name":`, `{"keywords_alarm_rule_name":"a","frequency":{"type":"FIXED_RATE","fixed_rate":"x"}}`, `[]`} {
		status, body = e.post(t, "/v2/"+testProject+"/lts/alarms/keywords-alarm-rule", raw, nil)
		if status != 400 {
			t.Fatalf("%s: %d %s", raw, status, body)
		}
	}
	_, err = c.DeleteSqlAlarmRule(&model.DeleteSqlAlarmRuleRequest{SqlAlarmRuleId: *created.KeywordsAlarmRuleId})
	wantErr(t, err, 400, "LTS.2007")
	if _, err := c.DeleteKeywordsAlarmRule(&model.DeleteKeywordsAlarmRuleRequest{KeywordsAlarmRuleId: *created.KeywordsAlarmRuleId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteKeywordsAlarmRule(&model.DeleteKeywordsAlarmRuleRequest{KeywordsAlarmRuleId: *created.KeywordsAlarmRuleId})
	wantErr(t, err, 400, "LTS.2007")
	if _, err := c.DeleteSqlAlarmRule(&model.DeleteSqlAlarmRuleRequest{SqlAlarmRuleId: *sqlCreated.SqlAlarmRuleId}); err != nil {
		t.Fatal(err)
	}

	// Quota: 200 rules a project.
	for i := range 200 {
		if _, err := c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("q"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), group, stream, "x", 1, "ops")}); err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
	}
	_, err = c.CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("one-too-many", group, stream, "x", 1, "ops")})
	wantErr(t, err, 400, "LTS.2004")

	// Templates.
	tmpl := &model.CreateNotificationTemplateRequestBody{Name: "t1", Source: "LTS", Locale: model.GetCreateNotificationTemplateRequestBodyLocaleEnum().EN_US,
		Templates: []model.SubTemplate{{SubType: model.GetSubTemplateSubTypeEnum().EMAIL, Content: "rule ${event_name}", Topic: ptr("subject")}}}
	if _, err := c.CreateNotificationTemplate(&model.CreateNotificationTemplateRequest{DomainId: testDomain, Body: tmpl}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateNotificationTemplate(&model.CreateNotificationTemplateRequest{DomainId: testDomain, Body: tmpl})
	wantErr(t, err, 400, "LTS.2006")
	shown, err := c.ShowNotificationTemplate(&model.ShowNotificationTemplateRequest{DomainId: testDomain, TemplateName: "t1"})
	if err != nil || shown.Name != "t1" || *shown.Templates[0].Content != "rule ${event_name}" || shown.ProjectId != testProject {
		t.Fatalf("show: %+v %v", shown, err)
	}
	if _, err := c.UpdateNotificationTemplate(&model.UpdateNotificationTemplateRequest{DomainId: testDomain, Body: &model.UpdateNotificationTemplateRequestBody{
		Name: "t1", Source: "LTS", Locale: model.GetUpdateNotificationTemplateRequestBodyLocaleEnum().ZH_CN,
		Templates: []model.UpdateSubTemplate{{SubType: model.GetUpdateSubTemplateSubTypeEnum().WEBHOOK, Content: "new ${event_severity}"}}}}); err != nil {
		t.Fatal(err)
	}
	all, err := c.ListNotificationTemplates(&model.ListNotificationTemplatesRequest{DomainId: testDomain})
	if err != nil || len(*all.Results) != 1 || *(*all.Results)[0].Templates[0].Content != "new ${event_severity}" {
		t.Fatalf("list templates: %+v %v", all, err)
	}
	preview, err := c.ListNotificationTemplate(&model.ListNotificationTemplateRequest{DomainId: testDomain, Body: &model.PreviewTemplateBody{
		Templates: "${event_name} is ${event_severity}", Language: model.GetPreviewTemplateBodyLanguageEnum().EN_US, Source: "LTS"}})
	if err != nil || *preview.Template != "example-rule is Major" {
		t.Fatalf("preview: %+v %v", preview, err)
	}
	_, err = c.ShowNotificationTemplate(&model.ShowNotificationTemplateRequest{DomainId: testDomain, TemplateName: "nope"})
	wantErr(t, err, 400, "LTS.2005")
	if _, err := c.DeleteNotificationTemplate(&model.DeleteNotificationTemplateRequest{DomainId: testDomain, Body: &model.DeleteNotificationTemplateBody{TemplateNames: []string{"t1"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteNotificationTemplate(&model.DeleteNotificationTemplateRequest{DomainId: testDomain, Body: &model.DeleteNotificationTemplateBody{TemplateNames: []string{"t1"}}})
	wantErr(t, err, 400, "LTS.2005")

	topics, err := c.ListNotificationTopics(&model.ListNotificationTopicsRequest{Offset: 0, Limit: 10})
	if err != nil || *topics.TopicCount != 1 || (*topics.Topics)[0].Name != "ops" || (*topics.Topics)[0].TopicUrn != "urn:smn:"+testRegion+":"+testProject+":ops" {
		t.Fatalf("topics: %+v %v", topics, err)
	}
	_, err = c.ListActiveOrHistoryAlarms(&model.ListActiveOrHistoryAlarmsRequest{DomainId: testDomain, Type: model.GetListActiveOrHistoryAlarmsRequestTypeEnum().ACTIVE_ALERT,
		Body: &model.ListActiveOrHistoryAlarmsRequestBody{AlarmLevelIds: &[]string{"Severe"}}})
	wantErr(t, err, 400, "LTS.1901")
	if _, err := c.DeleteActiveAlarms(&model.DeleteActiveAlarmsRequest{DomainId: testDomain, Body: &model.DeleteActiveAlarmsRequestBody{
		Events: []model.Event{{Metadata: &model.Metadata{EventId: "unknown"}}}}}); err != nil {
		t.Fatal(err)
	}
}

// alarmRounds waits until the alarm scheduler has made a whole round that
// began after the call, so that what a test set before (a clock, lines)
// has been seen: a check that nothing happened is then a real one.
func (e *env) alarmRounds(t *testing.T) {
	t.Helper()
	tok := e.adminToken()
	from := e.schedulerRounds(t, tok)
	waitFor(t, "two rounds of the alarm scheduler", func() bool { return e.schedulerRounds(t, tok) >= from+2 })
}

// schedulerRounds reads the rounds the node's alarm scheduler ran from
// its metrics, with an admin token of the node.
func (e *env) schedulerRounds(t *testing.T, tok string) int {
	t.Helper()
	_, _, metrics := e.raw("GET", "/metrics", nil, http.Header{"X-Auth-Token": {tok}}, nil)
	for _, line := range strings.Split(string(metrics), "\n") {
		if v, ok := strings.CutPrefix(line, "logtank_alarm_scheduler_rounds_total "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("rounds metric %q", line)
			}
			return n
		}
	}
	t.Fatal("/metrics lacks logtank_alarm_scheduler_rounds_total")
	return 0
}

// firingRule makes a one-minute keywords rule whose notifications go to
// url, each attempt bounded by timeout, and a matching line in its first
// period; moving the clock to alarmStart+2m fires it.
func (e *env) firingRule(t *testing.T, clk *testClock, url string, timeout time.Duration) {
	t.Helper()
	group, stream := e.createStream(t, "stop-group", "stop-stream")
	status, body := e.post(t, "/v2/"+testProject+"/logtank/alarm-topics", map[string]any{"name": "hook", "url": url, "timeout_ms": timeout.Milliseconds()}, nil)
	if status != http.StatusCreated {
		t.Fatalf("create topic: %d %s", status, body)
	}
	status, body = e.post(t, "/v2/"+testProject+"/logtank/alarm-action-rules", map[string]any{"name": "to-hook", "topics": []string{"hook"}}, nil)
	if status != http.StatusCreated {
		t.Fatalf("action rule: %d %s", status, body)
	}
	if _, err := e.lts().CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("stop", group, stream, "error", 1, "to-hook")}); err != nil {
		t.Fatal(err)
	}
	e.ingestAt(t, group, stream, alarmStart.Add(time.Minute), "error: disk full")
	clk.set(alarmStart.Add(time.Minute))
	e.alarmRounds(t)
}

// TestAlarmStopLetsANotificationFinish stops the server while its
// endpoint is answering a notification it already took: the stop waits
// for the answer, so the notification is recorded as sent and the next
// start does not send it again.
func TestAlarmStopLetsANotificationFinish(t *testing.T) {
	clk := newClock(alarmStart)
	dir := t.TempDir()
	e := startWith(t, dir, alarmConfig(clk))
	var mu sync.Mutex
	var got []string
	arrived := make(chan struct{}, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		arrived <- struct{}{}
		time.Sleep(300 * time.Millisecond) // still answering when the stop begins
	}))
	defer hook.Close()
	e.firingRule(t, clk, hook.URL, 10*time.Second)
	clk.set(alarmStart.Add(2 * time.Minute))
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("no notification")
	}
	e.stop()
	e = startWith(t, dir, alarmConfig(clk))
	e.alarmRounds(t)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d notifications after a stop during the first, want 1", len(got))
	}
}

// TestAlarmStopCancelsAHungNotification stops the server while its
// endpoint never answers: the stop cancels the notification after its
// grace instead of waiting out the topic's timeout, and the next start
// sends it again.
func TestAlarmStopCancelsAHungNotification(t *testing.T) {
	clk := newClock(alarmStart)
	dir := t.TempDir()
	e := startWith(t, dir, alarmConfig(clk))
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	arrived := make(chan struct{}, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		arrived <- struct{}{}
		if first {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer hook.Close()
	defer close(release)
	e.firingRule(t, clk, hook.URL, 5*time.Minute)
	clk.set(alarmStart.Add(2 * time.Minute))
	<-arrived
	stopped := make(chan struct{})
	go func() {
		e.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("the stop waited for an endpoint that never answers")
	}
	e = startWith(t, dir, alarmConfig(clk))
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the cancelled notification was not sent again at the next start")
	}
}
