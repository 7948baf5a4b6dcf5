package alert

import (
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

var (
	sep = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	oct = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

func month(i int) time.Time { return oct.AddDate(0, i, 0) }

func row(p time.Time, metric, dim, val string, v float64, n int64) kpi.Row {
	return kpi.Row{PeriodStart: p, PeriodEnd: p.AddDate(0, 1, 0), Metric: metric, Dimension: dim, DimensionValue: val, Value: kpi.Some(v), N: n}
}

func TestApplyTargets(t *testing.T) {
	rows := []kpi.Row{
		row(oct, "csat", "all", "all", 84.9, 100),
		row(oct, "csat", "channel", "email", 90, 50),
		row(oct, "csat", "channel", "chat", 70, 50),
		row(oct, "first_reply_time_p90", "all", "all", 4*3600, 200),
		{PeriodStart: oct, Metric: "nps", Dimension: "all", DimensionValue: "all"}, // no data
	}
	targets := []Target{
		{Metric: "csat", Dimension: "channel", Value: "email", Min: kpi.Some(95)},
		{Metric: "csat", Min: kpi.Some(85)},
		{Metric: "csat", Dimension: "channel", Min: kpi.Some(80)},
		{Metric: "first_reply_time_p90", Max: kpi.Some(4 * 3600)},
		{Metric: "nps", Min: kpi.Some(30)},
	}
	Apply(rows, targets)
	want := []struct {
		target float64
		met    kpi.Flag
	}{
		{85, kpi.Flag{V: false, Valid: true}}, // 84.9 < 85
		{95, kpi.Flag{V: false, Valid: true}}, // the email target comes first
		{80, kpi.Flag{V: false, Valid: true}},
		{4 * 3600, kpi.Flag{V: true, Valid: true}}, // at most: equal meets it
		{30, kpi.Flag{}},                           // no value: neither met nor missed
	}
	for i, w := range want {
		if r := rows[i]; !r.Target.Valid || r.Target.V != w.target || r.TargetMet != w.met {
			t.Errorf("%s %s=%s: target %v met %v, want %v %v", r.Metric, r.Dimension, r.DimensionValue, r.Target, r.TargetMet, w.target, w.met)
		}
	}
}

func TestTargetValidate(t *testing.T) {
	for _, tc := range []struct {
		t  Target
		ok bool
	}{
		{Target{Metric: "csat", Min: kpi.Some(85)}, true},
		{Target{Metric: "csatt", Min: kpi.Some(85)}, false},
		{Target{Metric: "csat"}, false},
		{Target{Metric: "csat", Min: kpi.Some(1), Max: kpi.Some(2)}, false},
		{Target{Metric: "tickets", Min: kpi.Some(1)}, false}, // better neither way
	} {
		if err := tc.t.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok %v", tc.t, err, tc.ok)
		}
	}
}

func TestEvaluate(t *testing.T) {
	sig := kpi.Flag{V: true, Valid: true}
	drop := row(oct, "csat", "all", "all", 70, 100)
	drop.Previous, drop.Change, drop.Significant = kpi.Some(80), kpi.Some(-10), sig
	noise := row(oct, "nps", "all", "all", 20, 100)
	noise.Previous, noise.Change, noise.Significant = kpi.Some(25), kpi.Some(-5), kpi.Flag{V: false, Valid: true}
	few := row(oct, "ces", "all", "all", 4, 10)
	few.Previous, few.Change, few.Significant = kpi.Some(5), kpi.Some(-1), sig
	slower := row(oct, "first_reply_time_median", "all", "all", 9000, 300)
	slower.Previous, slower.Change, slower.Significant = kpi.Some(3000), kpi.Some(6000), sig
	missed := row(oct, "abandonment_rate", "all", "all", 12, 400)
	missed.Target, missed.TargetMet = kpi.Some(10), kpi.Flag{V: false, Valid: true}
	rows := []kpi.Row{
		drop, noise, few, slower, missed,
		// four months of first_reply_time_median history: 3000..3600
		row(month(-4), "first_reply_time_median", "all", "all", 3600, 300),
		row(month(-3), "first_reply_time_median", "all", "all", 3000, 300),
		row(month(-2), "first_reply_time_median", "all", "all", 3300, 300),
		row(month(-1), "first_reply_time_median", "all", "all", 3000, 300),
		// retention above its range: better, no alert
		row(oct, "retention_rate", "all", "all", 99, 300),
		row(month(-3), "retention_rate", "all", "all", 90, 300),
		row(month(-2), "retention_rate", "all", "all", 91, 300),
		row(month(-1), "retention_rate", "all", "all", 92, 300),
		// two months of csat history: too few for the range rule
		row(month(-2), "csat", "all", "all", 80, 100),
		row(sep, "csat", "all", "all", 80, 100),
	}
	targets := []Target{{Metric: "abandonment_rate", Max: kpi.Some(10)}}
	got := Evaluate(rows, oct, Rules{TargetMissed: true, Deterioration: true, RangePeriods: 6}, targets)
	want := []struct {
		rule, metric string
		threshold    float64
	}{
		{RuleDeterioration, "csat", 80},
		{RuleDeterioration, "first_reply_time_median", 3000},
		{RuleOutsideRange, "first_reply_time_median", 3600},
		{RuleTargetMissed, "abandonment_rate", 10},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d alerts %+v, want %d", len(got), got, len(want))
	}
	// Targets first, then deteriorations, then ranges.
	order := map[string]int{RuleTargetMissed: 0, RuleDeterioration: 1, RuleOutsideRange: 2}
	for _, w := range want {
		found := false
		for i, a := range got {
			if a.Rule == w.rule && a.Metric == w.metric {
				found = true
				if a.Threshold != w.threshold {
					t.Errorf("%s %s: threshold %v, want %v", w.rule, w.metric, a.Threshold, w.threshold)
				}
				if i > 0 && order[got[i-1].Rule] > order[a.Rule] {
					t.Errorf("alerts out of order: %+v", got)
				}
			}
		}
		if !found {
			t.Errorf("no %s alert for %s in %+v", w.rule, w.metric, got)
		}
	}
	if a := got[0]; a.Rule != RuleTargetMissed || a.Min {
		t.Errorf("first alert %+v, want the missed maximum", a)
	}
	if got := Evaluate(rows, oct, Rules{Deterioration: true, Metrics: []string{"nps", "ces"}}, nil); len(got) != 0 {
		t.Errorf("noise and a cell of 10 raised %+v", got)
	}
}
