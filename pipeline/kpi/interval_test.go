package kpi

import (
	"math"
	"math/rand/v2"
	"testing"
)

// cellOf folds the values into one cell, each with weight w.
func cellOf(w float64, keep bool, xs ...float64) *cell {
	var g grid
	n := len(xs)
	period, code, ws := make([]int32, n), make([]int32, n), make([]float64, n)
	for i := range ws {
		ws[i] = w
	}
	g.add(period, code, xs, ws, keep)
	c := g.at(0, 0)
	if keep {
		c.quantile(0.5) // sorts the values, as Rows does
	}
	return c
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func concat(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 5e-4 }

// The intervals against values computed by hand (docs/metrics.md).
func TestIntervals(t *testing.T) {
	share := &Metric{Name: "csat", Unit: UnitPercent, Stat: Ratio, Scale: 100}
	mean := &Metric{Name: "csat_mean", Unit: UnitScore, Stat: Ratio}
	nps := &Metric{Name: "nps", Unit: UnitPoints, Stat: Ratio, Scale: 100}
	median := &Metric{Name: "first_reply_time_median", Unit: UnitSeconds, Stat: Quantile, Q: 0.5}
	p90 := &Metric{Name: "first_reply_time_p90", Unit: UnitSeconds, Stat: Quantile, Q: 0.9}
	count := &Metric{Name: "tickets", Unit: UnitCount, Stat: Count}
	iqs := &Metric{Name: "iqs", Unit: UnitPercent, Stat: Ratio, Scale: 100}
	ones := func(n int) []float64 { return repeat(1, n) }
	tests := []struct {
		name   string
		m      *Metric
		c      *cell
		ok     bool
		lo, hi float64
	}{
		// p = 0.8, z² = 3.84146: centre (0.8 + 0.19207)/1.38415 = 0.71674,
		// half-width 1.41600·√(0.016 + 0.0096037) = 0.22658.
		{"wilson 8 of 10", share, cellOf(1, false, concat(ones(8), repeat(0, 2))...), true, 49.016, 94.332},
		// The worked example of Newcombe (1998) and most textbooks:
		// 30 of 50, Wilson 95% interval 0.4618 to 0.7239.
		{"wilson 30 of 50", share, cellOf(1, false, concat(ones(30), repeat(0, 20))...), true, 46.1814, 72.3916}, // published to four places
		// k = 0: the upper bound is z²/(n + z²) = 3.84146/8.84146.
		{"wilson 0 of 5", share, cellOf(1, false, repeat(0, 5)...), true, 0, 43.448},
		// mean 3, s = 1.58114, t(4) = 2.77645: 3 ± 1.96324.
		{"t of 1..5", mean, cellOf(1, false, 1, 2, 3, 4, 5), true, 1.03676, 4.96324},
		{"t of one answer", mean, cellOf(1, false, 4), false, 0, 0},
		// 5 promoters, 3 passives, 2 detractors: NPS 30, variance
		// (0.5 + 0.2 − 0.3²)/10 = 0.061, 1.95996·√0.061 = 0.48408.
		{"nps", nps, cellOf(1, false, concat(ones(5), repeat(0, 3), repeat(-1, 2))...), true, -18.408, 78.408},
		// Binomial(10, ½): F(1) = 11/1024 ≤ 2.5% < F(2); F(8) = 1013/1024 ≥ 97.5% > F(7).
		{"median of 10", median, cellOf(1, true, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), true, 2, 9},
		// Binomial(6, ½): F(0) = 1/64, F(5) = 63/64.
		{"median of 6", median, cellOf(1, true, 6, 5, 4, 3, 2, 1), true, 1, 6},
		{"median of 5", median, cellOf(1, true, 5, 4, 3, 2, 1), false, 0, 0},
		// Binomial(10, 0.9): F(9) = 0.651 < 97.5%, no upper rank.
		{"p90 of 10", p90, cellOf(1, true, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), false, 0, 0},
		{"count", count, cellOf(1, false, 1, 1, 1), false, 0, 0},
		{"weighted ratio", iqs, cellOf(5, false, 4, 3, 5), false, 0, 0},
		{"proportion of non-binary values", share, cellOf(1, false, 0.5, 1), false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, ok := tc.m.interval(tc.c, tc.c)
			if ok != tc.ok || ok && (!near(lo, tc.lo) || !near(hi, tc.hi)) {
				t.Errorf("interval (%.5f, %.5f) ok %v, want (%.5f, %.5f) ok %v", lo, hi, ok, tc.lo, tc.hi, tc.ok)
			}
		})
	}
}

func TestOrderIntervalOfASketchIsNone(t *testing.T) {
	vals := make([]float64, ExactQuantileMax+1)
	for i := range vals {
		vals[i] = float64(i + 1)
	}
	c := cellOf(1, true, vals...)
	if c.sketch == nil {
		t.Fatal("the cell kept its values")
	}
	m := &Metric{Stat: Quantile, Q: 0.5}
	if _, _, ok := m.interval(c, c); ok {
		t.Error("an interval from a sketch, whose ranks are approximate")
	}
}

func TestSignificantChanges(t *testing.T) {
	share := &Metric{Unit: UnitPercent, Stat: Ratio, Scale: 100}
	mean := &Metric{Unit: UnitSeconds, Stat: Ratio}
	nps := &Metric{Unit: UnitPoints, Stat: Ratio, Scale: 100}
	median := &Metric{Stat: Quantile, Q: 0.5}
	count := &Metric{Unit: UnitCount, Stat: Count}
	rate := func(k, n int) *cell { return cellOf(1, false, concat(repeat(1, k), repeat(0, n-k))...) }
	seq := func(from, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(from + i)
		}
		return out
	}
	tests := []struct {
		name      string
		m         *Metric
		now, prev *cell
		sig, ok   bool
	}{
		// pooled p = 0.7, se = √(0.7·0.3·0.02) = 0.06481: z = 3.086.
		{"80% vs 60% of 100", share, rate(80, 100), rate(60, 100), true, true},
		// pooled 0.525, se = 0.07062: z = 0.708.
		{"55% vs 50% of 100", share, rate(55, 100), rate(50, 100), false, true},
		{"all satisfied twice", share, rate(10, 10), rate(20, 20), false, true},
		{"welch, far apart", mean, cellOf(1, false, 1, 2, 3, 4, 5), cellOf(1, false, 11, 12, 13, 14, 15), true, true},
		{"welch, overlapping", mean, cellOf(1, false, 1, 2, 3, 4, 5), cellOf(1, false, 2, 3, 4, 5, 6), false, true},
		{"welch, one answer", mean, cellOf(1, false, 1), cellOf(1, false, 2, 3), false, false},
		// NPS 60 (8 of 10 promoters, 2 detractors... ) vs −60.
		{"nps far apart", nps, cellOf(1, false, concat(repeat(1, 8), repeat(-1, 2))...), cellOf(1, false, concat(repeat(-1, 8), repeat(1, 2))...), true, true},
		{"nps close", nps, cellOf(1, false, 1, 0, -1, 1), cellOf(1, false, 1, -1, 0, 0), false, true},
		{"medians apart", median, cellOf(1, true, seq(1, 20)...), cellOf(1, true, seq(100, 20)...), true, true},
		{"medians overlapping", median, cellOf(1, true, seq(1, 20)...), cellOf(1, true, seq(5, 20)...), false, true},
		{"count", count, cellOf(1, false, 1, 1), cellOf(1, false, 1), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sig, ok := tc.m.significant(tc.now, tc.now, tc.prev, tc.prev)
			if sig != tc.sig || ok != tc.ok {
				t.Errorf("significant %v ok %v, want %v ok %v", sig, ok, tc.sig, tc.ok)
			}
		})
	}
}

// Every metric of the catalogue has a method; proportions use Wilson.
func TestEveryMetricHasAMethod(t *testing.T) {
	for _, m := range Catalog() {
		got := m.Method()
		switch {
		case m.Stat == Count || m.Stat == Sum:
			if got != MethodNone {
				t.Errorf("%s: method %q for a %v", m.Name, got, m.Stat)
			}
		case m.Unit == UnitPercent && got != MethodWilson:
			t.Errorf("%s: a percentage with method %q", m.Name, got)
		}
	}
}

// Over many samples the intervals cover the true value at about their
// level: the Wilson interval within 93–97% for p = 0.3, n = 50 (its
// actual coverage there is 94.2–95.9% by the exact binomial sum), the
// order-statistic interval of a median at least 95% (it is conservative
// by construction), and the t interval within 93–97% for normal data.
func TestIntervalsCoverAtTheirLevel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const trials = 4000
	share := &Metric{Unit: UnitPercent, Stat: Ratio, Scale: 100}
	median := &Metric{Stat: Quantile, Q: 0.5}
	mean := &Metric{Unit: UnitSeconds, Stat: Ratio}
	var wil, ord, tt int
	for range trials {
		xs := make([]float64, 50)
		for i := range xs {
			if rng.Float64() < 0.3 {
				xs[i] = 1
			}
		}
		if lo, hi, _ := share.interval(cellOf(1, false, xs...), nil); lo <= 30 && 30 <= hi {
			wil++
		}
		ys := make([]float64, 40)
		for i := range ys {
			ys[i] = 10 + 3*rng.NormFloat64()
		}
		if lo, hi, ok := median.interval(cellOf(1, true, ys...), nil); ok && lo <= 10 && 10 <= hi {
			ord++
		}
		if lo, hi, _ := mean.interval(cellOf(1, false, ys...), nil); lo <= 10 && 10 <= hi {
			tt++
		}
	}
	for _, c := range []struct {
		name   string
		hits   int
		lo, hi float64
	}{{"wilson", wil, 0.93, 0.97}, {"order statistic", ord, 0.95, 1}, {"t", tt, 0.93, 0.97}} {
		if got := float64(c.hits) / trials; got < c.lo || got > c.hi {
			t.Errorf("%s: coverage %.3f, want within [%.2f, %.2f]", c.name, got, c.lo, c.hi)
		}
	}
}
