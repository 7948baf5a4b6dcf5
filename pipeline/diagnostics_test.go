package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/cxkpi/cxkpi/pipeline/clv"
)

func TestHoldoutSplit(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, tc := range []struct {
		name       string
		start, end string
		months     int
		want       string // "" for no split
	}{
		{"horizon shorter than half", "2024-01-01", "2026-10-31", 12, "2025-10-31"},
		{"half the window", "2026-05-01", "2026-10-31", 12, "2026-07-31"}, // 184 days: 92 of holdout
		{"two weeks", "2026-10-18", "2026-10-31", 12, "2026-10-24"},
		{"too short", "2026-10-19", "2026-10-31", 12, ""},
		{"one-month horizon", "2026-01-01", "2026-10-31", 1, "2026-10-01"}, // 30 days of holdout
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &clv.Summary{Start: day(tc.start), End: day(tc.end)}
			got, ok := holdoutSplit(s, tc.months)
			if tc.want == "" {
				if ok {
					t.Errorf("got a split at %v, want none", got)
				}
				return
			}
			if !ok || !got.Equal(day(tc.want)) {
				t.Errorf("got %v (%v), want %s", got, ok, tc.want)
			}
		})
	}
}

// simulatedOrders is an orders export of n customers acquired in the
// first quarter of a year that ends on the as-of day of testConfig,
// buying by a BG/NBD process (rates per day) and spending by a
// Gamma-Gamma one.
func simulatedOrders(n int) string {
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)
	end := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
	lambda := distuv.Gamma{Alpha: 0.8, Beta: 1, Src: rng}
	nu := distuv.Gamma{Alpha: 4, Beta: 15, Src: rng}
	var b strings.Builder
	b.WriteString("order_id,customer_id,ordered_at,revenue,cost\n")
	id := 0
	for c := range n {
		rate := lambda.Rand() / 25    // λ ~ Gamma(0.8) per 25 days
		p := 0.25 + 0.3*rng.Float64() // dropout after each repeat purchase
		at := start.Add(time.Duration(rng.IntN(90*24)) * time.Hour)
		spend := distuv.Gamma{Alpha: 6, Beta: nu.Rand(), Src: rng} // Gamma-Gamma spends
		for k := 0; ; k++ {
			id++
			fmt.Fprintf(&b, "O%d,C%05d,%s,%.2f,%.2f\n", id, c, at.Format(time.RFC3339), spend.Rand(), 10.0)
			gap := rng.ExpFloat64() / rate // days
			if gap > 400 {
				break // beyond the year observed (and beyond time.Duration for tiny rates)
			}
			at = at.Add(time.Duration(gap * 24 * float64(time.Hour)))
			if at.After(end) || (k > 0 && rng.Float64() < p) { // no dropout at the first purchase
				break
			}
		}
	}
	return b.String()
}

// TestModelDiagnosticsWritten: a year of orders is split into a
// calibration and a holdout period, and model_diagnostics.parquet holds
// the three checks; the intervals are in customer_clv.parquet and
// model_fit.parquet.
func TestModelDiagnosticsWritten(t *testing.T) {
	cfg := testConfig(t, fstest.MapFS{"orders.csv": {Data: []byte(simulatedOrders(1500))}})
	cfg.Gates.AllowEmptyPeriod = true
	// BG/NBD alone: Pareto/NBD fits these customers only with rates near
	// clv.MaxRateRatio apart, where its series are long and the fit
	// takes minutes, and MBG/NBD not at all; the diagnostics are the
	// same for every model.
	settings := clv.DefaultSettings()
	settings.PurchaseModels = []string{clv.ModelBGNBD}
	cfg.CLV = &settings
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sum.ModelNotes {
		if strings.HasPrefix(n, "clv:") {
			t.Errorf("note: %s", n)
		}
	}
	d := readColumns(t, filepath.Join(sum.Dir, DiagnosticsFile))
	kind, bucket := d["diagnostic"].(*array.String), d["bucket"].(*array.Int64)
	actual, predicted := d["actual"].(*array.Float64), d["predicted"].(*array.Float64)
	holdout, customers := d["holdout"].(*array.Boolean), d["customers"].(*array.Int64)
	count := map[string]int{}
	var histogramActual, histogramPredicted, holdoutCustomers float64
	weeksHeld := 0
	for i := range kind.Len() {
		k := kind.Value(i)
		count[k]++
		switch k {
		case diagHistogram:
			histogramActual += actual.Value(i)
			histogramPredicted += predicted.Value(i)
		case diagHoldout:
			holdoutCustomers += float64(customers.Value(i))
			if !holdout.Value(i) {
				t.Errorf("calibration_holdout bucket %d not marked holdout", bucket.Value(i))
			}
		case diagTracking:
			if holdout.Value(i) {
				weeksHeld++
			}
			if customers.IsValid(i) {
				t.Errorf("tracking week %d has customers", bucket.Value(i))
			}
		}
	}
	// The observation runs from the first order (early November) to 31
	// October: 52 or 53 weeks, the holdout the last 12 months capped at
	// half of it, about 26 weeks.
	if count[diagHoldout] != 8 || count[diagHistogram] != 8 || count[diagTracking] < 50 || count[diagTracking] > 53 {
		t.Errorf("rows %v, want 8 holdout buckets, 8 histogram bars and 50 to 53 weeks", count)
	}
	if weeksHeld < 24 || weeksHeld > 27 {
		t.Errorf("%d tracking weeks in the holdout, want about 26", weeksHeld)
	}
	if histogramActual != holdoutCustomers || math.Abs(histogramPredicted-histogramActual) > 1e-6 {
		t.Errorf("histogram: %v customers, %v expected; holdout buckets hold %v", histogramActual, histogramPredicted, holdoutCustomers)
	}

	c := readColumns(t, filepath.Join(sum.Dir, CustomerFile))
	for _, q := range []string{"p_alive", "expected_purchases", "clv"} {
		est, lo, hi := c[q].(*array.Float64), c[q+"_low"].(*array.Float64), c[q+"_high"].(*array.Float64)
		for i := range est.Len() {
			if lo.IsNull(i) || hi.IsNull(i) || !(lo.Value(i) <= est.Value(i)*(1+1e-12) && est.Value(i) <= hi.Value(i)*(1+1e-12)) {
				t.Fatalf("row %d: %s %v outside [%v, %v]", i, q, est.Value(i), lo.Value(i), hi.Value(i))
			}
		}
	}
	fit := readColumns(t, filepath.Join(sum.Dir, ModelFitFile))
	model, param, value := fit["model"].(*array.String), fit["parameter"].(*array.String), fit["value"].(*array.Float64)
	got := map[string]float64{}
	for i := range model.Len() {
		if model.Value(i) == "clv" {
			got[param.Value(i)] = value.Value(i)
		}
	}
	for _, total := range []string{"total_expected_purchases", "total_clv"} {
		if !(got[total+"_low"] < got[total] && got[total] < got[total+"_high"]) {
			t.Errorf("%s %v outside [%v, %v]", total, got[total], got[total+"_low"], got[total+"_high"])
		}
	}
	if got["interval_level"] != 0.9 || got["interval_draws"] != 0 {
		t.Errorf("interval settings %v, want level 0.9 and no draws (the delta method)", got)
	}
	if sum.CLV == nil || sum.CLV.Intervals == nil {
		t.Fatal("manifest: no clv intervals")
	}
	if iv := sum.CLV.Intervals; iv.TotalCLV.Estimate != got["total_clv"] || iv.Method != clv.IntervalDelta {
		t.Errorf("manifest clv intervals %+v, want model_fit's total %v", iv, got["total_clv"])
	}
}
