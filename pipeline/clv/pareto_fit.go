package clv

import (
	"context"
	"fmt"
	"math"
)

// paretoNegLL returns the negative mean Pareto/NBD log-likelihood of d at
// the log-parameters theta = (ln r, ln α, ln s, ln β) and its gradient
// with respect to theta: +Inf where the rates are beyond MaxRateRatio.
// Per row it sums two short hypergeometric series (about 20 terms on
// CDNOW).
func (d *bgData) paretoNegLL(theta, grad []float64) float64 {
	m := ParetoNBD{R: math.Exp(theta[0]), Alpha: math.Exp(theta[1]), S: math.Exp(theta[2]), Beta: math.Exp(theta[3])}
	if !m.valid() {
		clear(grad)
		return math.Inf(1)
	}
	var ll float64
	var g [4]float64
	for _, grp := range d.groups {
		tx, T, w := d.tx[grp.lo:grp.hi], d.T[grp.lo:grp.hi], d.w[grp.lo:grp.hi]
		for i := range T {
			pt, ok := m.terms(grp.x, tx[i], T[i], grad != nil)
			if !ok {
				clear(grad)
				return math.Inf(1)
			}
			sum := pt.e + pt.j1 - pt.j2
			ll += w[i] * (pt.c + pt.m + math.Log(sum))
			if grad == nil {
				continue
			}
			for k := range g {
				g[k] += w[i] * (pt.gc[k] + (pt.e*pt.ge[k]+pt.j1*pt.gj1[k]-pt.j2*pt.gj2[k])/sum)
			}
		}
	}
	if grad != nil {
		s := -1 / d.n
		grad[0], grad[1], grad[2], grad[3] = s*g[0]*m.R, s*g[1]*m.Alpha, s*g[2]*m.S, s*g[3]*m.Beta
	}
	return -ll / d.n
}

// FitParetoNBD estimates the Pareto/NBD parameters from the calibration
// period of s by maximum likelihood over (ln r, ln α, ln s, ln β), with
// the optimiser, stopping rule and errors of [FitBGNBD]. It starts at
// r = s = 1 with α = β matching the mean purchase rate.
func FitParetoNBD(ctx context.Context, s *Summary) (ParetoNBD, FitReport, error) {
	return fitParetoNBD(ctx, s.Frequency, s.Recency, s.Age, s.Unit)
}

func fitParetoNBD(ctx context.Context, x []int, tx, T []float64, unit Unit) (ParetoNBD, FitReport, error) {
	d, err := newBGData(x, tx, T)
	if err != nil {
		return ParetoNBD{}, FitReport{}, fmt.Errorf("fit Pareto/NBD: %w", err)
	}
	theta0 := d.start(x, T)
	theta0[3] = theta0[1]
	theta, rep, err := maximize(ctx, d.paretoNegLL, theta0, []string{"r", "alpha", "s", "beta"}, d.n)
	rep.N = len(x)
	if err != nil {
		return ParetoNBD{}, rep, fmt.Errorf("fit Pareto/NBD: %w", err)
	}
	return ParetoNBD{R: math.Exp(theta[0]), Alpha: math.Exp(theta[1]), S: math.Exp(theta[2]), Beta: math.Exp(theta[3]), Unit: unit}, rep, nil
}
