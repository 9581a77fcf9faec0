package alarms

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
)

// Alarm is an active or past alarm with what it is about and the log of
// its notifications.
type Alarm struct {
	catalog.AlarmEvent
	Detail     Detail
	Deliveries []catalog.AlarmDelivery
}

// AlarmFilter narrows a listing: levels, a text the rule name contains,
// and a time range the alarm's first occurrence falls in (zero: any).
type AlarmFilter struct {
	Levels        []string
	Search        string
	FromMS, ToMS  int64
	Offset, Limit int
}

// Alarms lists the project's active alarms, or its history, newest
// first, and how many matched in all.
func (s *Service) Alarms(ctx context.Context, project string, active bool, f AlarmFilter) ([]Alarm, int, error) {
	for _, l := range f.Levels {
		if !slices.Contains(Levels, l) {
			return nil, 0, ltscore.NotInList("alarm_level_ids", Levels...)
		}
	}
	evs, err := s.cfg.DB.AlarmEvents(ctx, project, active)
	if err != nil {
		return nil, 0, internal(ltscore.ErrInternal, err)
	}
	var out []Alarm
	for _, ev := range evs {
		a := Alarm{AlarmEvent: ev}
		_ = json.Unmarshal([]byte(ev.Detail), &a.Detail)
		switch {
		case len(f.Levels) > 0 && !slices.Contains(f.Levels, ev.Level),
			f.Search != "" && !strings.Contains(strings.ToLower(a.Detail.RuleName), strings.ToLower(f.Search)),
			f.FromMS > 0 && ev.FirstMS < f.FromMS,
			f.ToMS > 0 && ev.FirstMS > f.ToMS:
			continue
		}
		out = append(out, a)
	}
	total := len(out)
	out = out[min(f.Offset, len(out)):]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		if out[i].Deliveries, err = s.cfg.DB.AlarmDeliveriesOf(ctx, out[i].ID); err != nil {
			return nil, 0, internal(ltscore.ErrInternal, err)
		}
	}
	return out, total, nil
}

// ClearAlarms moves the project's active alarms with these ids to
// history without a notification; their rules raise new ones if their
// condition holds again.
func (s *Service) ClearAlarms(ctx context.Context, project string, ids []string) error {
	if len(ids) == 0 {
		return ltscore.AlarmInvalid("events must name at least one alarm")
	}
	if _, err := s.cfg.DB.ClearAlarmEvents(ctx, project, ids, s.nowMS()); err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	return nil
}
