// Package alert holds the targets of the KPIs and the rules that raise an
// alert on a report period: a target missed, a significant deterioration,
// a value outside its recent range. It reads the tidy KPI table and
// returns what fired; the reports show it and the pipeline mails it.
package alert

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// The rules, as alerts and docs/metrics.md name them.
const (
	RuleTargetMissed  = "target_missed"
	RuleDeterioration = "significant_deterioration"
	RuleOutsideRange  = "outside_recent_range"
)

// Target is a goal for one metric: at least Min or at most Max, in the
// metric's unit (a percentage 0–100, seconds for a duration).
type Target struct {
	Metric string
	// Dimension and Value select the cells: dimension "" or "all" is the
	// total; Value "" means every value of the dimension.
	Dimension, Value string
	Min, Max         kpi.Num // exactly one is set
}

// Validate checks the target against the catalogue of metrics.
func (t Target) Validate() error {
	m, ok := metric(t.Metric)
	switch {
	case !ok:
		return fmt.Errorf("alert: target of unknown metric %q", t.Metric)
	case t.Min.Valid == t.Max.Valid:
		return fmt.Errorf("alert: target of %s: give exactly one of min and max", t.Metric)
	case m.Better == kpi.Neither:
		return fmt.Errorf("alert: target of %s, a metric that is better neither higher nor lower", t.Metric)
	}
	return nil
}

func (t Target) matches(r *kpi.Row) bool {
	dim := t.Dimension
	if dim == "" {
		dim = "all"
	}
	return r.Metric == t.Metric && r.Dimension == dim && (t.Value == "" || t.Value == r.DimensionValue)
}

// threshold is the target's bound.
func (t Target) threshold() float64 {
	if t.Min.Valid {
		return t.Min.V
	}
	return t.Max.V
}

// met reports whether v meets the target.
func (t Target) met(v float64) bool {
	if t.Min.Valid {
		return v >= t.Min.V
	}
	return v <= t.Max.V
}

// Apply sets Target and TargetMet of every row a target selects, the
// first matching target of the list winning: TargetMet is null where the
// row has no value.
func Apply(rows []kpi.Row, targets []Target) {
	for i := range rows {
		r := &rows[i]
		for _, t := range targets {
			if !t.matches(r) {
				continue
			}
			r.Target = kpi.Some(t.threshold())
			if r.Value.Valid {
				r.TargetMet = kpi.Flag{V: t.met(r.Value.V), Valid: true}
			}
			break
		}
	}
}

// Rules say which alerts a report period raises.
type Rules struct {
	// TargetMissed raises an alert for every cell of the period that
	// misses its target.
	TargetMissed bool
	// Deterioration raises one for a change for the worse that is
	// significant (kpi.Row.Significant) on at least kpi.LowN observations.
	Deterioration bool
	// RangePeriods, when above 0, raises one for a value outside the
	// lowest and highest of the RangePeriods periods before (at least 3
	// of them with a value), on the worse side: below the lowest for a
	// metric better higher, above the highest for one better lower.
	RangePeriods int
	// Metrics are the metrics the deterioration and range rules watch, in
	// dimension "all"; empty means every metric that is better higher or
	// lower. Targets are always watched.
	Metrics []string
}

// Validate checks the rules' metrics against the catalogue.
func (r Rules) Validate() error {
	var errs []error
	for _, name := range r.Metrics {
		if _, ok := metric(name); !ok {
			errs = append(errs, fmt.Errorf("alert: unknown metric %q", name))
		}
	}
	if r.RangePeriods < 0 {
		errs = append(errs, fmt.Errorf("alert: range of %d periods", r.RangePeriods))
	}
	return errors.Join(errs...)
}

// Alert is one rule that fired on one cell of the report period.
type Alert struct {
	Rule           string   `json:"rule"`
	Metric         string   `json:"metric"`
	Unit           kpi.Unit `json:"unit"`
	Dimension      string   `json:"dimension"`
	DimensionValue string   `json:"dimension_value"`
	Value          float64  `json:"value"`
	// Threshold is the target (target_missed), the previous value
	// (significant_deterioration) or the bound of the range crossed
	// (outside_recent_range); Low and High give the range.
	Threshold float64 `json:"threshold"`
	Low       float64 `json:"low,omitempty"`
	High      float64 `json:"high,omitempty"`
	Min       bool    `json:"min,omitempty"` // target_missed: the target was a minimum
}

// Evaluate returns the alerts the rules raise on the rows of the period
// starting at period, in a stable order: targets missed first, then
// significant deteriorations, then values outside their range; within a
// rule by metric, dimension and value.
func Evaluate(rows []kpi.Row, period time.Time, rules Rules, targets []Target) []Alert {
	var out []Alert
	catalog := metrics() // once: a lookup per row of the table
	watched := func(r *kpi.Row) bool {
		if r.Dimension != "all" {
			return false
		}
		if len(rules.Metrics) > 0 {
			return slices.Contains(rules.Metrics, r.Metric)
		}
		m, ok := catalog[r.Metric]
		return ok && m.Better != kpi.Neither
	}
	history := map[string][]float64{} // metric → values of dimension all before period, oldest first
	for i := range rows {
		r := &rows[i]
		if r.PeriodStart.Before(period) && r.Dimension == "all" && r.Value.Valid {
			history[r.Metric] = append(history[r.Metric], r.Value.V)
		}
	}
	for i := range rows {
		r := &rows[i]
		if !r.PeriodStart.Equal(period) || !r.Value.Valid {
			continue
		}
		base := Alert{Metric: r.Metric, Unit: r.Unit, Dimension: r.Dimension, DimensionValue: r.DimensionValue, Value: r.Value.V}
		if rules.TargetMissed && r.TargetMet.Valid && !r.TargetMet.V {
			a := base
			a.Rule, a.Threshold = RuleTargetMissed, r.Target.V
			for _, t := range targets {
				if t.matches(r) {
					a.Min = t.Min.Valid
					break
				}
			}
			out = append(out, a)
		}
		if !watched(r) {
			continue
		}
		m := catalog[r.Metric]
		if rules.Deterioration && r.Significant.Valid && r.Significant.V && r.N >= kpi.LowN && r.Change.Valid &&
			(m.Better == kpi.Higher && r.Change.V < 0 || m.Better == kpi.Lower && r.Change.V > 0) {
			a := base
			a.Rule = RuleDeterioration
			if r.Previous.Valid {
				a.Threshold = r.Previous.V
			}
			out = append(out, a)
		}
		if n := rules.RangePeriods; n > 0 {
			h := history[r.Metric]
			h = h[max(0, len(h)-n):]
			if len(h) >= 3 {
				lo, hi := slices.Min(h), slices.Max(h)
				if m.Better == kpi.Higher && r.Value.V < lo || m.Better == kpi.Lower && r.Value.V > hi {
					a := base
					a.Rule, a.Low, a.High = RuleOutsideRange, lo, hi
					a.Threshold = lo
					if r.Value.V > hi {
						a.Threshold = hi
					}
					out = append(out, a)
				}
			}
		}
	}
	rank := map[string]int{RuleTargetMissed: 0, RuleDeterioration: 1, RuleOutsideRange: 2}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return rank[a.Rule] < rank[b.Rule]
		}
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.Dimension != b.Dimension {
			return a.Dimension < b.Dimension
		}
		return a.DimensionValue < b.DimensionValue
	})
	return out
}

// metrics returns the catalogue's metrics by name.
func metrics() map[string]kpi.Metric {
	out := map[string]kpi.Metric{}
	for _, m := range kpi.Catalog() {
		out[m.Name] = m
	}
	return out
}

// metric returns the catalogue's metric of that name.
func metric(name string) (kpi.Metric, bool) {
	m, ok := metrics()[name]
	return m, ok
}
