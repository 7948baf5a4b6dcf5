package clv

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// Scale benchmarks of the model fits: the likelihoods and the fits over
// 1e5 and 1e6 customers, with the recency and age of real summaries
// (whole days, so that customers with the same history merge) beside the
// continuous times of benchCohort (no ties: the likelihood's worst case).

// benchTimes names how the simulated times are written.
type benchTimes string

const (
	continuous benchTimes = "continuous"
	days       benchTimes = "days" // recency and age in whole days, as Summarize computes them
)

// benchSummary simulates n customers (benchCohort's model) and, for days,
// truncates recency and age to whole days.
func benchSummary(n int, times benchTimes) *Summary {
	s := benchCohort(n)
	if times == days {
		for i := range s.Age {
			s.Recency[i] = math.Floor(s.Recency[i]*7) / 7
			s.Age[i] = math.Floor(s.Age[i]*7) / 7
		}
	}
	return s
}

type benchSize struct {
	customers int
	times     benchTimes
}

var benchSizes = []benchSize{{100_000, continuous}, {100_000, days}, {1_000_000, continuous}, {1_000_000, days}}

// reportCustomers reports the customers of the summary handled per
// second.
func reportCustomers(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}

// BenchmarkLogLikelihoodSize evaluates the BG/NBD and Gamma-Gamma mean
// log-likelihoods with their gradients (one optimiser step) at the true
// parameters. rows is what the evaluation loops over: the BG/NBD's
// distinct (x, tx, T) histories, the Gamma-Gamma's repeat customers.
// Gamma-Gamma does not depend on the times, so it runs once per size.
func BenchmarkLogLikelihoodSize(b *testing.B) {
	grad := make([]float64, 4)
	for _, sz := range benchSizes {
		s := benchSummary(sz.customers, sz.times)
		bg, err := newBGData(s.Frequency, s.Recency, s.Age)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("model=bgnbd/customers=%d/times=%s", sz.customers, sz.times), func(b *testing.B) {
			b.ReportAllocs()
			theta := []float64{math.Log(benchBG.R), math.Log(benchBG.Alpha), math.Log(benchBG.A), math.Log(benchBG.B)}
			var ll float64
			for b.Loop() {
				ll += bg.negLL(theta, grad)
			}
			if math.IsNaN(ll) || math.IsInf(ll, 0) {
				b.Fatalf("log-likelihood %v", ll)
			}
			reportCustomers(b, sz.customers)
			b.ReportMetric(float64(len(bg.w)), "rows")
		})
		for _, lm := range []struct {
			name  string
			f     objective
			theta []float64
		}{
			{"mbgnbd", bg.mbgNegLL, []float64{math.Log(benchBG.R), math.Log(benchBG.Alpha), math.Log(benchBG.A), math.Log(benchBG.B)}},
			{"pareto_nbd", bg.paretoNegLL, []float64{math.Log(0.6), math.Log(8), math.Log(0.8), math.Log(15)}},
		} {
			b.Run(fmt.Sprintf("model=%s/customers=%d/times=%s", lm.name, sz.customers, sz.times), func(b *testing.B) {
				b.ReportAllocs()
				var ll float64
				for b.Loop() {
					ll += lm.f(lm.theta, grad)
				}
				if math.IsNaN(ll) || math.IsInf(ll, 0) {
					b.Fatalf("log-likelihood %v", ll)
				}
				reportCustomers(b, sz.customers)
				b.ReportMetric(float64(len(bg.w)), "rows")
			})
		}
		if sz.times != continuous {
			continue
		}
		gg, err := newGGData(s.Frequency, s.Monetary)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("model=gammagamma/customers=%d", sz.customers), func(b *testing.B) {
			b.ReportAllocs()
			theta := []float64{math.Log(benchGG.P), math.Log(benchGG.Q), math.Log(benchGG.Gamma)}
			var ll float64
			for b.Loop() {
				ll += gg.negLL(theta, grad)
			}
			if math.IsNaN(ll) || math.IsInf(ll, 0) {
				b.Fatalf("log-likelihood %v", ll)
			}
			reportCustomers(b, sz.customers)
			b.ReportMetric(gg.n, "rows")
		})
	}
}

// BenchmarkFitSize fits BG/NBD and Gamma-Gamma to one summary, from the
// summary's columns (validation, sorting and merging included) to the
// estimates and their standard errors. BenchmarkFit has the smaller
// continuous cohorts.
func BenchmarkFitSize(b *testing.B) {
	ctx := context.Background()
	for _, sz := range benchSizes[1:] {
		s := benchSummary(sz.customers, sz.times)
		b.Run(fmt.Sprintf("customers=%d/times=%s", sz.customers, sz.times), func(b *testing.B) {
			b.ReportAllocs()
			var evals int
			for b.Loop() {
				_, bgRep, err := FitBGNBD(ctx, s)
				if err != nil {
					b.Fatal(err)
				}
				_, ggRep, err := FitGammaGamma(ctx, s)
				if err != nil {
					b.Fatal(err)
				}
				evals = bgRep.Evaluations + ggRep.Evaluations
			}
			reportCustomers(b, sz.customers)
			b.ReportMetric(float64(evals), "evals")
		})
	}
}

// BenchmarkFitCustomers fits the three purchase models of FitCustomers
// (no holdout) to one summary.
func BenchmarkFitCustomers(b *testing.B) {
	for _, sz := range benchSizes[:2] {
		s := benchSummary(sz.customers, sz.times)
		b.Run(fmt.Sprintf("customers=%d/times=%s", sz.customers, sz.times), func(b *testing.B) {
			b.ReportAllocs()
			var evals int
			for b.Loop() {
				cands, err := FitCustomers(context.Background(), s)
				if err != nil {
					b.Fatal(err)
				}
				evals = 0
				for _, c := range cands {
					if c.Err != nil {
						b.Fatalf("%s: %v", c.Name, c.Err)
					}
					evals += c.Fit.Evaluations
				}
			}
			reportCustomers(b, sz.customers)
			b.ReportMetric(float64(evals), "evals")
		})
	}
}
