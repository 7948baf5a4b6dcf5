package kpi

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Metric is the definition of one KPI. docs/metrics.md documents every
// metric of [Catalog] with its formula, numerator, denominator and edge
// cases.
type Metric struct {
	Name   string
	Unit   Unit
	Better Better         // which way of change is an improvement; every metric says
	Stat   Stat           // how observations become the value
	Q      float64        // the quantile, for Stat Quantile
	Scale  float64        // multiplier of a Ratio (100 for a percentage); 0 means 1
	Needs  []ingest.Table // exports the metric cannot be computed without
	Doc    string         // one-line definition

	family string // quantile metrics of the same observations share a family, and their values
	// vendor is 1 + the vendor metric (vFirstReply, …) whose values the
	// metric takes where cxkpi cannot compute its own: with some ticket
	// holding one, the metric needs the tickets only. 0 for none.
	vendor     int
	vendorOnly bool // the metric is the vendor's value only (requester_wait_time)
}

// Unit is what a metric's value measures; the KPI table's unit column
// holds its text.
type Unit string

// The units of the metrics.
const (
	UnitPercent  Unit = "%"        // a share, 0 to 100
	UnitScore    Unit = "score"    // a score on its own scale (csat_mean 1–5, ces 1–7)
	UnitPoints   Unit = "points"   // a difference of percentages (nps, −100 to 100)
	UnitSeconds  Unit = "seconds"  // a duration
	UnitCount    Unit = "count"    // a number of things
	UnitCurrency Unit = "currency" // an amount in the reporting currency
)

// Better says which way of change of a metric is an improvement: the
// reports colour a change green or red by it. Its zero value is no
// direction at all, which no metric of the [Catalog] has: a metric must
// say, even if it is Neither.
type Better int

// The directions of improvement.
const (
	_       Better = iota // unset
	Higher                // a rise is an improvement (csat, retention_rate)
	Lower                 // a fall is an improvement (durations, churn_rate)
	Neither               // volumes and mixes (tickets, channel_share)
)

func (b Better) String() string {
	switch b {
	case Higher:
		return "higher"
	case Lower:
		return "lower"
	case Neither:
		return "neither"
	}
	return "unset"
}

// observer computes a metric's observations for one batch of a view V:
// x[i] and w[i] for row i, with w[i] == 0 when the row does not count.
type observer[V any] struct {
	Metric
	observe func(v *V, x, w []float64)
}

// Options configure the computation. The zero value is usable: monthly
// periods in UTC, CSAT positive from 75% of the scale up, CES read the
// way its scale is conventionally asked ([DefaultCESEasier]).
type Options struct {
	Grain    Grain          // default Month
	Location *time.Location // reporting time zone, default UTC
	// CSATPositive is the fraction of a CSAT scale's range from which an
	// answer counts as satisfied: score ≥ min + CSATPositive × (max − min).
	// The default 0.75 makes 4 and 5 positive on 1–5 (top two boxes) and
	// 8 to 10 positive on 1–10.
	CSATPositive float64
	// CESEasier says, per CES scale written "min-max" ("1-5"), which end
	// is the least effort: "higher" or "lower". A scale not listed takes
	// its default from [DefaultCESEasier]. A response whose ces_easier
	// column is set follows that instead, so one run can mix instruments.
	CESEasier map[string]string
	// BusinessHours is the schedule of the *_bh duration metrics, default
	// Monday to Friday 09:00–17:00 in Location.
	BusinessHours *BusinessHours
	// QAWeights weighs the QA criteria in the IQS by name; a criterion not
	// listed weighs 1.
	QAWeights map[string]float64
	// Engagement weighs the components of the engagement score; the zero
	// value weighs them equally.
	Engagement EngagementWeights
	Logger     *slog.Logger // default slog.Default()
	// SpillDir is a directory where the engine may keep the messages of
	// large inputs (more than 262,144 tickets) in temporary files rather
	// than in memory; it removes them in [Engine.Rows]. Empty keeps
	// everything in memory.
	SpillDir string
	// MaxPeriods is the most periods [Engine.Rows] reports, from the
	// first with data to the last; more make it fail with an error
	// wrapping [ErrTooManyPeriods] instead of building millions of rows.
	// 0 means [DefaultMaxPeriods].
	MaxPeriods int

	ticketsPerSpill int32 // tickets per spill file; 0 means ticketsPerSpill (tests make it small)
}

// EngagementWeights weighs the components of the engagement score.
type EngagementWeights struct {
	Loyalty, Education, Usage float64
}

// DefaultMaxPeriods is the default [Options.MaxPeriods]: 5,000 periods,
// more than 13 years of days or 400 years of months.
const DefaultMaxPeriods = 5000

// ErrTooManyPeriods is wrapped by the error of [Engine.Rows] when the
// data spans more than [Options.MaxPeriods] periods.
var ErrTooManyPeriods = errors.New("kpi: too many periods")

func (o *Options) ensureDefaults() {
	if o.MaxPeriods == 0 {
		o.MaxPeriods = DefaultMaxPeriods
	}
	if o.Grain == "" {
		o.Grain = Month
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.CSATPositive == 0 {
		o.CSATPositive = 0.75
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BusinessHours == nil {
		o.BusinessHours = DefaultBusinessHours(o.Location)
	}
	if o.Engagement == (EngagementWeights{}) {
		o.Engagement = EngagementWeights{1, 1, 1}
	}
}

func (o *Options) validate() error {
	if o.MaxPeriods < 0 {
		return fmt.Errorf("kpi: MaxPeriods %d is negative", o.MaxPeriods)
	}
	if _, err := ParseGrain(string(o.Grain)); err != nil {
		return err
	}
	if o.CSATPositive <= 0 || o.CSATPositive > 1 {
		return fmt.Errorf("kpi: CSATPositive %v outside (0, 1]", o.CSATPositive)
	}
	if err := o.BusinessHours.Validate(); err != nil {
		return err
	}
	for c, w := range o.QAWeights {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("kpi: QA weight of %q is %v, want a finite weight ≥ 0", c, w)
		}
	}
	ew := o.Engagement
	for _, w := range []float64{ew.Loyalty, ew.Education, ew.Usage} {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("kpi: engagement weights %+v must be finite and ≥ 0", ew)
		}
	}
	if ew.Loyalty+ew.Education+ew.Usage == 0 {
		return fmt.Errorf("kpi: engagement weights are all 0")
	}
	for scale, end := range o.CESEasier {
		if _, _, err := ParseScale(scale); err != nil {
			return fmt.Errorf("kpi: CES scale %w", err)
		}
		if end != "higher" && end != "lower" {
			return fmt.Errorf("kpi: CES scale %s: easier end %q, want higher or lower", scale, end)
		}
	}
	return nil
}

// DefaultCESEasier returns the end of a CES scale that is the least effort
// when neither Options.CESEasier nor the response says: "lower" on 1–5,
// where the question asks how much effort it took and 1 is "very low
// effort"; "higher" on every other scale, such as 1–7 where the customer
// agrees that the company made it easy and 7 is "strongly agree". These
// are the two conventions of the source documents.
func DefaultCESEasier(lo, hi int64) string {
	if lo == 1 && hi == 5 {
		return "lower"
	}
	return "higher"
}

// ParseScale reads a scale written "min-max", such as "1-5".
func ParseScale(s string) (lo, hi int64, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		lo, err = strconv.ParseInt(a, 10, 64)
		if err == nil {
			hi, err = strconv.ParseInt(b, 10, 64)
		}
	}
	if !ok || err != nil || lo >= hi {
		return 0, 0, fmt.Errorf("%q is not a scale min-max such as 1-5", s)
	}
	return lo, hi, nil
}

// cesLowerEasier reports whether the lowest answer of the CES scale
// lo..hi is the least effort under o.
func (o *Options) cesLowerEasier(lo, hi int64) bool {
	end, ok := "", false
	if len(o.CESEasier) > 0 {
		end, ok = o.CESEasier[strconv.FormatInt(lo, 10)+"-"+strconv.FormatInt(hi, 10)]
	}
	if !ok {
		end = DefaultCESEasier(lo, hi)
	}
	return end == "lower"
}

// Catalog returns every metric cxkpi computes, in report order.
func Catalog() []Metric {
	var o Options
	o.ensureDefaults()
	e := newEngine(o)
	var ms []Metric
	for _, s := range e.all() {
		ms = append(ms, *s.m)
	}
	return ms
}
