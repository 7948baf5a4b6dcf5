package kpi

import (
	"os"
	"strings"
	"testing"
)

// Every metric of the catalog has its own section in docs/metrics.md, and
// every section names a metric of the catalog.
func TestMetricsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		// A heading may name a family: "### a, a_median, a_p90".
		if names, ok := strings.CutPrefix(line, "### "); ok {
			for _, name := range strings.Split(names, ",") {
				documented[strings.TrimSpace(name)] = true
			}
		}
	}
	known := map[string]bool{}
	for _, m := range Catalog() {
		known[m.Name] = true
		if !documented[m.Name] {
			t.Errorf("metric %s has no section in docs/metrics.md", m.Name)
		}
		if m.Doc == "" || m.Unit == "" {
			t.Errorf("metric %s lacks a doc line or a unit", m.Name)
		}
	}
	for name := range documented {
		if !known[name] {
			t.Errorf("docs/metrics.md documents %s, which is not in the catalog", name)
		}
	}
}
