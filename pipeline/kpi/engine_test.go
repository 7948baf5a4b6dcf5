package kpi

import (
	"slices"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Every table of the contract has an aggregator, and the report order
// names each exactly once: a table left out of either would have its
// batches refused or its metrics never reported.
func TestEveryTableHasAnAggregator(t *testing.T) {
	var o Options
	o.ensureDefaults()
	e := newEngine(o)
	for _, tb := range ingest.Tables() {
		if e.tables[tb] == nil {
			t.Errorf("table %s has no aggregator", tb)
		}
		if n := len(slices.DeleteFunc(slices.Clone(e.order), func(x ingest.Table) bool { return x != tb })); n != 1 {
			t.Errorf("table %s is %d times in the report order, want once", tb, n)
		}
	}
	if len(e.tables) != len(ingest.Tables()) || len(e.order) != len(e.tables) {
		t.Errorf("%d aggregators and %d tables in the report order for %d tables", len(e.tables), len(e.order), len(ingest.Tables()))
	}
}

// Every metric says which way is better and has a known unit: the
// reports colour its changes by the one and format its values by the
// other, and a metric added without them would be greyed or printed raw.
func TestEveryMetricHasDirectionAndUnit(t *testing.T) {
	units := []Unit{UnitPercent, UnitScore, UnitPoints, UnitSeconds, UnitCount, UnitCurrency}
	for _, m := range Catalog() {
		if m.Better != Higher && m.Better != Lower && m.Better != Neither {
			t.Errorf("metric %s: Better is %v, want Higher, Lower or Neither", m.Name, m.Better)
		}
		if !slices.Contains(units, m.Unit) {
			t.Errorf("metric %s: unit %q, want one of %q", m.Name, m.Unit, units)
		}
	}
}
