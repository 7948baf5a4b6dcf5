package clv

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

var pmfModels = []Purchases{
	BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426, Unit: Weeks},
	BGNBD{R: 2, Alpha: 1.5, A: 1, B: 0.6, Unit: Weeks},
	MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614, Unit: Weeks},
	MBGNBD{R: 1.5, Alpha: 3, A: 2.5, B: 0.7, Unit: Weeks},
	ParetoNBD{R: 0.553, Alpha: 10.58, S: 0.606, Beta: 11.67, Unit: Weeks},
	ParetoNBD{R: 1.2, Alpha: 2, S: 1, Beta: 40, Unit: Weeks},
	ParetoNBD{R: 0.8, Alpha: 30, S: 2.5, Beta: 3, Unit: Weeks},
}

// TestPMF: each distribution sums to 1 and its mean is E[X(t)], which is
// computed independently (closed form or hypergeometric series).
func TestPMF(t *testing.T) {
	for _, m := range pmfModels {
		for _, tt := range []float64{0.5, 13, 39, 78, 260} {
			p := m.pmf(tt, 20000) // enough terms for every tail here
			var sum, mean float64
			for x, v := range p {
				if !(v >= 0) {
					t.Fatalf("%+v: P(X(%v) = %d) = %v", m, tt, x, v)
				}
				sum += v
				mean += float64(x) * v
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("%+v, t = %v: probabilities sum to %.12f", m, tt, sum)
			}
			if want := m.Expected(tt); math.Abs(mean-want) > 1e-8*max(1, want) {
				t.Errorf("%+v, t = %v: mean %.10f, E[X(t)] = %.10f", m, tt, mean, want)
			}
		}
	}
}

// TestPMFByHand checks P(X(t) = 0) against the formulas worked out by
// hand: the customer makes no purchase in (0, t].
func TestPMFByHand(t *testing.T) {
	const tt = 10.0
	bg := BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}
	mbg := MBGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}
	nb0 := math.Pow(4/(4+tt), 0.5) // Gamma-mixed Poisson: no purchase
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		// BG/NBD: nobody leaves before a repeat purchase.
		{"bgnbd", bg.pmf(tt, 1)[0], nb0},
		// MBG/NBD: gone at the first purchase (a/(a+b)) or alive without one.
		{"mbgnbd", mbg.pmf(tt, 1)[0], 0.8/3.3 + 2.5/3.3*nb0},
		// BG/NBD P(X = 1) = B(a, b+1)/B(a, b) NB(1) + B(a+1, b)/B(a, b) (1 − NB(0))
		//                 = b/(a+b) NB(1) + a/(a+b) (1 − NB(0)), NB(1) = r (t/(α+t)) NB(0).
		{"bgnbd x=1", bg.pmf(tt, 2)[1], 2.5/3.3*0.5*tt/(4+tt)*nb0 + 0.8/3.3*(1-nb0)},
	} {
		if math.Abs(tc.got-tc.want) > 1e-14 {
			t.Errorf("%s: got %.15f, want %.15f", tc.name, tc.got, tc.want)
		}
	}
}

// TestDiagnoseByHand checks the three diagnostics on four customers whose
// purchases are known day by day: calibration to 14 January, holdout to
// 28 January, four weeks in all.
func TestDiagnoseByHand(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	rows := []order{
		{"1", "a", day(1), 10, nan},
		{"2", "a", day(3), 10, nan},  // repeat, week 1 (days 1–7)
		{"3", "a", day(3), 5, nan},   // same day: the same occasion
		{"4", "a", day(9), 10, nan},  // repeat, week 2
		{"5", "a", day(20), 10, nan}, // holdout repeat, week 3
		{"6", "b", day(2), 10, nan},
		{"7", "c", day(8), 10, nan},
		{"8", "c", day(27), 10, nan}, // holdout repeat, week 4 (days 22–28)
		{"9", "d", day(16), 10, nan}, // first purchase in the holdout: not in the cohort
		{"10", "d", day(17), 10, nan},
	}
	rs := batched(t, mem, rows, 3)
	defer rs.Release()
	s, err := Summarize(context.Background(), rs, Config{End: date("2026-01-28"), CalibrationEnd: date("2026-01-14"), Unit: Weeks, AverageMargin: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Start.Equal(date("2026-01-01")) || len(s.RepeatsPerDay) != 28 {
		t.Fatalf("start %v, %d days, want 2026-01-01 and 28", s.Start, len(s.RepeatsPerDay))
	}
	for d, n := range s.RepeatsPerDay {
		want := int64(0)
		if d+1 == 3 || d+1 == 9 || d+1 == 20 || d+1 == 27 {
			want = 1
		}
		if n != want {
			t.Errorf("day %d: %d repeat purchases, want %d", d+1, n, want)
		}
	}
	m := BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}
	d, err := Diagnose(context.Background(), s, m, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Histogram: a has x = 2 ("2 or more"), b and c x = 0. Ages 13/7
	// (a), 12/7 (b) and 6/7 (c) weeks.
	ages := []float64{13.0 / 7, 12.0 / 7, 6.0 / 7}
	var want [3]float64
	for _, age := range ages {
		p := m.pmf(age, 2)
		want[0] += p[0]
		want[1] += p[1]
		want[2] += 1 - p[0] - p[1]
	}
	for x, h := range d.Histogram {
		actual := []int{2, 0, 1}[x]
		if h.Frequency != x || h.Actual != actual || math.Abs(h.Predicted-want[x]) > 1e-12 {
			t.Errorf("histogram %d: got %+v, want %d customers, %.6f expected", x, h, actual, want[x])
		}
	}
	// Tracking: four weeks of 1, 1, 1, 1 repeat purchases; the expected
	// ones from first purchase days 1, 2 and 8.
	ex := func(days int) float64 { return m.Expected(float64(max(days, 0)) / 7) }
	cum := func(lastDay int) float64 { return ex(lastDay-1) + ex(lastDay-2) + ex(lastDay-8) }
	for w, tw := range d.Tracking {
		wantP := cum(7*(w+1)) - cum(7*w)
		if !tw.Start.Equal(date("2026-01-01").AddDate(0, 0, 7*w)) || tw.Days != 7 || tw.Actual != 1 || math.Abs(tw.Predicted-wantP) > 1e-12 {
			t.Errorf("week %d: got %+v, want 1 actual, %.6f expected", w+1, tw, wantP)
		}
	}
	if len(d.Tracking) != 4 {
		t.Errorf("%d weeks, want 4", len(d.Tracking))
	}
	// Through the calibration end the expected purchases are Σ E[X(T_i)].
	var calib, sumT float64
	for _, tw := range d.Tracking[:2] {
		calib += tw.Predicted
	}
	for _, age := range ages {
		sumT += m.Expected(age)
	}
	if math.Abs(calib-sumT) > 1e-12 {
		t.Errorf("expected calibration purchases %.12f, want Σ E[X(T)] = %.12f", calib, sumT)
	}
	if d.Holdout == nil || d.Holdout.Actual != 2 || d.Holdout.Customers != 3 {
		t.Errorf("holdout %+v, want 2 purchases by 3 customers", d.Holdout)
	}
}

// TestCDNOWDiagnostics: the numbers behind Fader, Hardie and Lee's
// figures. The actual counts are the published ones (the histogram of
// their figure 3: 1,411 customers without repeat purchase, 439 with one,
// …, 64 with seven or more; 2,457 repeat purchases in the 39 calibration
// weeks and 1,882 in the 39 holdout weeks); the expected ones must add up
// to what the model says in total.
func TestCDNOWDiagnostics(t *testing.T) {
	s := cdnowSummary(t)
	for _, name := range CustomerModels() {
		t.Run(name, func(t *testing.T) {
			cands, err := FitCustomers(context.Background(), s, name)
			if err != nil {
				t.Fatal(err)
			}
			m := cands[0].Model
			d, err := Diagnose(context.Background(), s, m, 7)
			if err != nil {
				t.Fatal(err)
			}
			actual := []int{1411, 439, 214, 100, 62, 38, 29, 64}
			var customers float64
			for x, h := range d.Histogram {
				if h.Actual != actual[x] {
					t.Errorf("histogram %d: %d customers, want %d", x, h.Actual, actual[x])
				}
				customers += h.Predicted
			}
			if math.Abs(customers-2357) > 1e-6 {
				t.Errorf("expected customers add up to %.6f, want 2357", customers)
			}
			if len(d.Tracking) != 78 {
				t.Fatalf("%d weeks tracked, want 78", len(d.Tracking))
			}
			var calA, holdA, calP float64
			for w, tw := range d.Tracking {
				if w < 39 {
					calA += tw.Actual
					calP += tw.Predicted
				} else {
					holdA += tw.Actual
				}
			}
			var sumT float64
			for _, age := range s.Age {
				sumT += m.Expected(age)
			}
			if calA != 2457 || holdA != 1882 {
				t.Errorf("repeat purchases %v in calibration, %v in holdout, want 2457 and 1882", calA, holdA)
			}
			if math.Abs(calP-sumT) > 1e-6*sumT {
				t.Errorf("expected calibration purchases %.3f, want Σ E[X(T)] = %.3f", calP, sumT)
			}
			var line string
			for _, h := range d.Histogram {
				line += fmt.Sprintf(" %d:%d/%.1f", h.Frequency, h.Actual, h.Predicted)
			}
			var cumP float64
			for _, tw := range d.Tracking {
				cumP += tw.Predicted
			}
			t.Logf("%s histogram%s; 78-week cumulative expected %.1f (actual 4339); holdout %.1f", name, line, cumP, d.Holdout.Predicted)
		})
	}
}

// TestSummaryUntil: one summarizer gives the summary of its own
// calibration end and that of any earlier one, equal to a summarizer
// configured with it.
func TestSummaryUntil(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := loadCDNOW(t)
	rs := batched(t, mem, rows, 4096)
	defer rs.Release()
	cfg := cdnowConfig
	cfg.CalibrationEnd = time.Time{}
	sz, err := NewSummarizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sz.Close()
	for _, rec := range rs.recs {
		if err := sz.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	got, err := sz.SummaryUntil(cdnowConfig.CalibrationEnd)
	if err != nil {
		t.Fatal(err)
	}
	if want := cdnowSummary(t); !reflect.DeepEqual(got, want) {
		t.Errorf("SummaryUntil(%v) differs from a summary calibrated to that day", cdnowConfig.CalibrationEnd)
	}
	full, err := sz.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if !full.CalibrationEnd.Equal(full.End) || !slices.Equal(full.RepeatsPerDay, got.RepeatsPerDay) {
		t.Errorf("the full summary: calibration end %v, end %v; repeat days differ: %v", full.CalibrationEnd, full.End, !slices.Equal(full.RepeatsPerDay, got.RepeatsPerDay))
	}
	if _, err := sz.SummaryUntil(date("1998-07-01")); err == nil {
		t.Error("SummaryUntil after the end: no error")
	}
}
