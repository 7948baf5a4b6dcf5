package clv

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestHoldoutReport(t *testing.T) {
	cal := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	s := &Summary{
		Unit: Weeks, CalibrationEnd: cal, End: cal.AddDate(0, 0, 14), // a two-week holdout
		Customers: []string{"a", "b", "c", "d"},
		Frequency: []int{0, 0, 1, 5},
		Recency:   []float64{0, 0, 3, 10},
		Age:       []float64{10, 20, 12, 30},
		Holdout:   []int{1, 0, 2, 4},
	}
	bg := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.4, Unit: Weeks}
	got, err := HoldoutReport(context.Background(), s, bg, 2)
	if err != nil {
		t.Fatal(err)
	}
	e := func(i int) float64 { return bg.ConditionalExpected(2, s.Frequency[i], s.Recency[i], s.Age[i]) }
	want := []HoldoutBucket{
		// x = 0: customers a and b, 1 and 0 holdout purchases.
		{0, 2, (e(0) + e(1)) / 2, 0.5},
		{1, 1, e(2), 2},
		// "2 or more" holds d (x = 5).
		{2, 1, e(3), 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d buckets, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Frequency != w.Frequency || g.Customers != w.Customers || math.Abs(g.Predicted-w.Predicted) > 1e-12 || g.Actual != w.Actual {
			t.Errorf("bucket %d = %+v, want %+v", i, g, w)
		}
	}
	if got[0].Predicted <= 0 {
		t.Errorf("no purchases expected of the x = 0 customers: %+v", got[0])
	}
	s.End = cal
	if _, err := HoldoutReport(context.Background(), s, bg, 2); err == nil {
		t.Error("no error without a holdout period")
	}
}

// On CDNOW the buckets add up to the cohort's 1,882 holdout purchases and
// to the model's forecast.
func TestCDNOWHoldoutReport(t *testing.T) {
	s := cdnowSummary(t)
	m, _, err := FitBGNBD(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	buckets, err := HoldoutReport(context.Background(), s, m, 7)
	if err != nil {
		t.Fatal(err)
	}
	var customers int
	var actual, predicted float64
	for _, b := range buckets {
		customers += b.Customers
		actual += b.Actual * float64(b.Customers)
		predicted += b.Predicted * float64(b.Customers)
	}
	if customers != 2357 || math.Round(actual) != 1882 {
		t.Errorf("buckets hold %d customers and %.0f purchases, want 2357 and 1882", customers, actual)
	}
	if predicted < 0.85*1882 || predicted > 1882 {
		t.Errorf("forecast %.1f, want within 15 %% below the actual 1882", predicted)
	}
}
