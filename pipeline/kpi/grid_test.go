package kpi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// observeAll folds vals into one Quantile cell, in batches of size batch.
func observeAll(vals []float64, batch int) *cell {
	var g grid
	for lo := 0; lo < len(vals); lo += batch {
		hi := min(lo+batch, len(vals))
		n := hi - lo
		period, code := make([]int32, n), make([]int32, n)
		w := slices.Repeat([]float64{1}, n)
		g.add(period, code, vals[lo:hi], w, true)
	}
	return g.at(0, 0)
}

func TestQuantileCellExactUpToMax(t *testing.T) {
	for _, n := range []int{1, 2, 5, ExactQuantileMax} {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64((i * 7919) % n) // 0..n-1, shuffled
		}
		c := observeAll(vals, 3)
		if c.sketch != nil {
			t.Fatalf("n=%d: cell switched to a sketch", n)
		}
		// Type 7 on 0..n-1: the q-quantile is q·(n−1).
		for _, q := range []float64{0.5, 0.9} {
			if got, want := c.quantile(q), q*float64(n-1); math.Abs(got-want) > 1e-9 {
				t.Errorf("n=%d q=%v: got %v, want %v", n, q, got, want)
			}
		}
	}
}

func TestQuantileCellSketchAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{ExactQuantileMax + 1, 10_000, 200_000} {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = math.Exp(r.NormFloat64()*2 + 8) // seconds, log-normal around 50 min
		}
		c := observeAll(vals, 4096)
		if c.sketch == nil || c.vals != nil {
			t.Fatalf("n=%d: cell kept values beyond ExactQuantileMax", n)
		}
		sorted := slices.Sorted(slices.Values(vals))
		for _, q := range []float64{0.5, 0.9} {
			want := sorted[int(q*float64(n-1))]
			got := c.quantile(q)
			if rel := math.Abs(got-want) / want; rel > QuantileAccuracy {
				t.Errorf("n=%d q=%v: got %v, want %v within %v (off by %.4f)", n, q, got, want, QuantileAccuracy, rel)
			}
		}
	}
}

// The value of a quantile cell depends on its observations only: not on
// their order, on the batches they came in, or on how partial cells were
// merged.
func TestQuantileCellOrderAndMergeInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{700, ExactQuantileMax + 1, 5000} {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = r.ExpFloat64() * 3600
		}
		want := observeAll(vals, n)
		shuffled := slices.Clone(vals)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		split := n / 3
		merged := observeAll(shuffled[:split], 17)
		merged.merge(observeAll(shuffled[split:], 1000))
		for _, got := range []*cell{observeAll(shuffled, 1), merged} {
			if got.n != want.n || (got.sketch == nil) != (want.sketch == nil) {
				t.Fatalf("n=%d: cell state differs: n %d vs %d", n, got.n, want.n)
			}
			for _, q := range []float64{0.5, 0.9} {
				if g, w := got.quantile(q), want.quantile(q); g != w {
					t.Errorf("n=%d q=%v: got %v, want %v", n, q, g, w)
				}
			}
		}
	}
}

// BenchmarkQuantileCell folds 1M durations into the cells of 12 periods
// and 50 codes, then computes each cell's median: the quantile kernel.
func BenchmarkQuantileCell(b *testing.B) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(5, 6))
	period, code := make([]int32, n), make([]int32, n)
	x, w := make([]float64, n), slices.Repeat([]float64{1}, n)
	for i := range x {
		period[i], code[i] = int32(r.IntN(12)), int32(r.IntN(50))
		x[i] = math.Exp(r.NormFloat64()*2 + 8)
	}
	b.ReportAllocs()
	for b.Loop() {
		var g grid
		for lo := 0; lo < n; lo += 8192 {
			hi := min(lo+8192, n)
			g.add(period[lo:hi], code[lo:hi], x[lo:hi], w[lo:hi], true)
		}
		for p := range int32(12) {
			for c := range int32(50) {
				g.at(p, c).quantile(0.5)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
