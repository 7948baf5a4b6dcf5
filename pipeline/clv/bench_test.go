package clv

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

var (
	benchBG = BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}
	benchGG = GammaGamma{P: 6, Q: 4, Gamma: 15}
)

// benchCohort simulates n customers with continuous times (no ties to
// merge: the likelihood's worst case).
func benchCohort(n int) *Summary {
	return simulate(uint64(n), benchBG, benchGG, n, 26, 78, 0).summary()
}

// BenchmarkFit fits BG/NBD and Gamma-Gamma to the same summary.
func BenchmarkFit(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		s := benchCohort(n)
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, _, err := FitBGNBD(ctx, s); err != nil {
					b.Fatal(err)
				}
				if _, _, err := FitGammaGamma(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLogLikelihood evaluates the BG/NBD and Gamma-Gamma mean
// log-likelihoods with their gradients, as one optimiser step does.
func BenchmarkLogLikelihood(b *testing.B) {
	s := benchCohort(100_000)
	bg, err := newBGData(s.Frequency, s.Recency, s.Age)
	if err != nil {
		b.Fatal(err)
	}
	gg, err := newGGData(s.Frequency, s.Monetary)
	if err != nil {
		b.Fatal(err)
	}
	grad := make([]float64, 4)
	b.Run("model=bgnbd/customers=100000", func(b *testing.B) {
		b.ReportAllocs()
		theta := []float64{math.Log(0.5), math.Log(4), math.Log(0.8), math.Log(2.5)}
		for b.Loop() {
			bg.negLL(theta, grad)
		}
	})
	b.Run(fmt.Sprintf("model=gammagamma/customers=%d", int(gg.n)), func(b *testing.B) {
		b.ReportAllocs()
		theta := []float64{math.Log(6), math.Log(4), math.Log(15)}
		for b.Loop() {
			gg.negLL(theta, grad)
		}
	})
}

// BenchmarkSummarize folds order batches of 64Ki rows into a summary.
func BenchmarkSummarize(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rs := batched(b, mem, randomOrders(uint64(n), n, n/5), 1<<16)
		cfg := Config{End: date("2023-12-31"), CalibrationEnd: date("2023-09-30"), Unit: Weeks, AverageMargin: 0.4}
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rs.next = 0
				if _, err := Summarize(context.Background(), rs, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		rs.Release()
		mem.AssertSize(b, 0)
	}
}

// BenchmarkPredict values every customer over 12 monthly periods.
func BenchmarkPredict(b *testing.B) {
	s := benchCohort(10_000)
	b.Run("customers=10000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Predict(context.Background(), s, benchBG, benchGG, ValueConfig{AnnualDiscountRate: 0.1}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConditionalExpected is one expectation by the series and by
// the quadrature fallback.
func BenchmarkConditionalExpected(b *testing.B) {
	b.Run("path=series", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cdnowPublished.ConditionalExpected(52, 7, 29.43, 38.86)
		}
	})
	b.Run("path=quadrature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cdnowPublished.expectedQuadrature(7, 52/(cdnowPublished.Alpha+38.86+52))
		}
	})
}
