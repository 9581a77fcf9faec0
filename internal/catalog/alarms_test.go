package catalog

import (
	"context"
	"testing"
)

// TestClearedAlarmStaysCleared: an evaluation that saw an alarm active,
// recorded after the alarm was cleared, does not make it active again;
// a new alarm of the same rule is recorded as usual.
func TestClearedAlarmStaysCleared(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		if err := db.CreateAlarmRule(ctx, AlarmRule{ID: "r", ProjectID: "p", Kind: "keywords", Name: "errors", Spec: "{}", Enabled: true, NextDueMS: 60_000}, 10); err != nil {
			t.Fatal(err)
		}
		record := func(due int64, e AlarmEvent) {
			t.Helper()
			ok, err := db.RecordAlarmEvaluation(ctx, AlarmOutcome{RuleID: "r", DueMS: due, NextDueMS: due + 60_000, Event: &e})
			if err != nil || !ok {
				t.Fatalf("record at %d: %v %v", due, ok, err)
			}
		}
		fired := AlarmEvent{ID: "e1", ProjectID: "p", RuleID: "r", Active: true, Level: "Major", FirstMS: 60_000, LastMS: 60_000, Count: 1, Detail: "{}"}
		record(60_000, fired)
		if n, err := db.ClearAlarmEvents(ctx, "p", []string{"e1"}, 90_000); err != nil || n != 1 {
			t.Fatalf("clear: %d %v", n, err)
		}
		// The next evaluation started before the clear: it updates e1 as
		// still active.
		fired.LastMS, fired.Count = 120_000, 2
		record(120_000, fired)
		if active, err := db.AlarmEvents(ctx, "p", true); err != nil || len(active) != 0 {
			t.Fatalf("active after the clear: %+v %v", active, err)
		}
		record(180_000, AlarmEvent{ID: "e2", ProjectID: "p", RuleID: "r", Active: true, Level: "Major", FirstMS: 180_000, LastMS: 180_000, Count: 1, Detail: "{}"})
		if active, err := db.AlarmEvents(ctx, "p", true); err != nil || len(active) != 1 || active[0].ID != "e2" {
			t.Fatalf("a new alarm: %+v %v", active, err)
		}
	})
}
