package catalog

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestMetricSeriesUpsertListAndAgeOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		metricSeriesUpsertListAndAgeOut(t, open())
	})
}

func metricSeriesUpsertListAndAgeOut(t *testing.T, db *DB) {
	ctx := context.Background()
	cpu := MetricSeries{ProjectID: "p", Key: "k1", Namespace: "APP.WEB", MetricName: "cpu",
		Dimensions: []MetricDimension{{"host", "a"}}, DimensionHash: "h1", Unit: "percent", ValueType: "float", LastMS: 1000}
	mem := MetricSeries{ProjectID: "p", Key: "k2", Namespace: "APP.WEB", MetricName: "mem",
		Dimensions: []MetricDimension{{"host", "a"}}, DimensionHash: "h1", Unit: "MB", ValueType: "int", LastMS: 500}
	other := MetricSeries{ProjectID: "q", Key: "k1", Namespace: "APP.WEB", MetricName: "cpu",
		Dimensions: []MetricDimension{}, DimensionHash: "h0", Unit: "", ValueType: "", LastMS: 1000}
	if err := db.UpsertMetricSeries(ctx, []MetricSeries{cpu, mem, other}); err != nil {
		t.Fatal(err)
	}
	// A later report changes the unit; an older time does not move LastMS back.
	cpu2 := cpu
	cpu2.Unit, cpu2.LastMS = "ratio", 10
	if err := db.UpsertMetricSeries(ctx, []MetricSeries{cpu2}); err != nil {
		t.Fatal(err)
	}
	got, err := db.MetricSeriesByKey(ctx, "p", "k1")
	want := cpu
	want.Unit = "ratio"
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v\nwant %+v", got, err, want)
	}
	list, err := db.MetricSeriesList(ctx, "p", MetricSeriesFilter{Namespace: "APP.WEB"})
	if err != nil || len(list) != 2 || list[0].MetricName != "cpu" || list[1].MetricName != "mem" {
		t.Fatalf("list %+v %v", list, err)
	}
	list, _ = db.MetricSeriesList(ctx, "p", MetricSeriesFilter{MetricName: "mem"})
	if len(list) != 1 || list[0].Key != "k2" {
		t.Fatalf("by name %+v", list)
	}
	list, _ = db.MetricSeriesList(ctx, "p", MetricSeriesFilter{SinceMS: 600})
	if len(list) != 1 || list[0].Key != "k1" {
		t.Fatalf("since %+v", list)
	}
	n, err := db.DeleteMetricSeriesBefore(ctx, 600)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d %v", n, err)
	}
	if _, err := db.MetricSeriesByKey(ctx, "p", "k2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("aged-out series: %v", err)
	}
}
