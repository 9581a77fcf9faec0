package aom

import (
	"strings"
	"testing"

	"logtank/internal/metricstore"
)

func TestNamespaceRules(t *testing.T) {
	for ns, ok := range map[string]bool{
		"NOPAAS.ESC": true, "a.b": true, "A_1.b_2": true, "x." + strings.Repeat("y", 30): true,
		"ab": false, "a.": false, ".b": false, "a.b.c": false, "a:b.c": false, "1a.b": false, "a.1b": false,
		"_a.b": false, "a-b.c": false, "x." + strings.Repeat("y", 31): false, "ä.b": false,
	} {
		if got := namespaceProblem(ns) == ""; got != ok {
			t.Errorf("%q: valid %v, want %v", ns, got, ok)
		}
	}
	s := New(nil, nil, Options{})
	for ns, reserved := range map[string]bool{"PAAS.X": true, "PAASX.Y": true, "SYS.A": true, "SRE.A": true, "NOPAAS.ESC": false, "paas.x": false} {
		if got := s.reservedService(ns) != ""; got != reserved {
			t.Errorf("%q: reserved %v, want %v", ns, got, reserved)
		}
	}
	custom := New(nil, nil, Options{ReservedServices: []string{}})
	if custom.reservedService("PAAS.X") != "" {
		t.Error("an empty reserved list still reserves PAAS")
	}
}

func TestDimensionAndMetricNameRules(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"instance_id", "instance-101", true},
		{"_x", "v", true},
		{strings.Repeat("n", 32), strings.Repeat("v", 64), true},
		{"n", strings.Repeat("ü", 64), true}, // lengths count characters
		{strings.Repeat("n", 33), "v", false},
		{"n", strings.Repeat("v", 65), false},
		{"", "v", false},
		{"n", "", false},
		{"1n", "v", false},
		{"a.b", "v", false},
		{"_NAMESPACE_", "v", false},
		{"__aom_project__", "v", false},
		{"__name__", "v", false},
	} {
		if got := dimensionProblem(tc.name, tc.value) == ""; got != tc.ok {
			t.Errorf("%q=%q: valid %v, want %v", tc.name, tc.value, got, tc.ok)
		}
	}
	for name, ok := range map[string]bool{"cpu_util": true, "a:b": true, ":x": true, "_": true, "": false, "1x": false, "cpu-util": false, strings.Repeat("m", 255): true, strings.Repeat("m", 256): false} {
		if got := metricNameProblem(name) == ""; got != ok {
			t.Errorf("metric %q: valid %v, want %v", name, got, ok)
		}
	}
}

func TestIdentityIsUnambiguous(t *testing.T) {
	a := metricstore.Series{Namespace: "A.B", Metric: "m", Dimensions: []metricstore.Dimension{{Name: "x", Value: "1\x00y\x011"}}}
	b := metricstore.Series{Namespace: "A.B", Metric: "m", Dimensions: []metricstore.Dimension{{Name: "x", Value: "1"}, {Name: "y", Value: "1"}}}
	c := metricstore.Series{Namespace: "A.B", Metric: "m1", Dimensions: []metricstore.Dimension{{Name: "x", Value: "1"}}}
	d := metricstore.Series{Namespace: "A.B", Metric: "m", Dimensions: []metricstore.Dimension{{Name: "x", Value: "11"}}}
	ids := map[string]bool{}
	for _, s := range []metricstore.Series{a, b, c, d} {
		ids[identity("p", &s)] = true
	}
	if len(ids) != 4 {
		t.Fatalf("identities collide: %v", ids)
	}
}
