package cohort

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// benchSurvivors returns the survivor counts of a cohort of n customers
// after 0 … periods renewals, rounded from the survival of an sBG with
// α = 0.7, β = 1.2 (Fader and Hardie's "regular" segment).
func benchSurvivors(n int64, periods int) []int64 {
	m := SBG{Alpha: 0.7, Beta: 1.2}
	s := make([]int64, periods+1)
	for t := range s {
		s[t] = int64(math.Round(float64(n) * m.Survival(t)))
	}
	return s
}

// BenchmarkFitSBG fits the sBG to one cohort of 100,000 customers
// observed for 7 (the paper's years), 36 and 120 periods, and to every
// signup cohort of a three-year monthly grid as the run does: 36 cohorts,
// the one acquired k months before the end observed for k periods, the
// youngest too short to fit.
func BenchmarkFitSBG(b *testing.B) {
	for _, periods := range []int{7, 36, 120} {
		s := benchSurvivors(100_000, periods)
		b.Run(fmt.Sprintf("cohorts=1/periods=%d", periods), func(b *testing.B) {
			b.ReportAllocs()
			var m SBG
			for b.Loop() {
				var err error
				if m, err = FitSBG(s); err != nil {
					b.Fatal(err)
				}
			}
			if math.Abs(m.Alpha-0.7) > 0.05 || math.Abs(m.Beta-1.2) > 0.1 {
				b.Fatalf("alpha, beta = %.3f, %.3f, want about 0.7, 1.2", m.Alpha, m.Beta)
			}
		})
	}
	const cohorts = 36
	grid := make([][]int64, cohorts)
	for k := range grid {
		grid[k] = benchSurvivors(10_000, k)
	}
	b.Run(fmt.Sprintf("cohorts=%d/periods=0-%d", cohorts, cohorts-1), func(b *testing.B) {
		b.ReportAllocs()
		fits := 0
		for b.Loop() {
			fits = 0
			for _, s := range grid {
				_, err := FitSBG(s)
				switch {
				case err == nil:
					fits++
				case !errors.Is(err, ErrTooFewPeriods):
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(fits), "fits")
	})
}
