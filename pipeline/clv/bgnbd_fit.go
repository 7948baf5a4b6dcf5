package clv

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// bgData is a BG/NBD calibration sample in the shape the likelihood wants:
// customers with the same (x, tx, T) merged into one weighted row, rows
// grouped by frequency so that the gamma functions of x are computed once
// per distinct x.
type bgData struct {
	n      float64 // customers
	groups []bgGroup
	tx, T  []float64
	w      []float64
}

type bgGroup struct {
	x      float64
	lo, hi int     // rows of the group
	w      float64 // customers in the group
}

// newBGData validates and compacts (x, tx, T) columns.
func newBGData(x []int, tx, T []float64) (*bgData, error) {
	if len(x) != len(tx) || len(x) != len(T) {
		return nil, fmt.Errorf("clv: BG/NBD: columns of different lengths %d, %d, %d", len(x), len(tx), len(T))
	}
	if len(x) == 0 {
		return nil, ErrNoData
	}
	type row struct {
		x     int
		tx, T float64
	}
	rows := make([]row, len(x))
	repeat := false
	for i := range x {
		r := row{x[i], tx[i], T[i]}
		if r.x < 0 || !(r.tx >= 0) || !(r.T >= r.tx) || math.IsInf(r.T, 0) || (r.x == 0 && r.tx != 0) {
			return nil, fmt.Errorf("clv: BG/NBD: customer %d: invalid history x=%d tx=%v T=%v", i, r.x, r.tx, r.T)
		}
		repeat = repeat || r.x > 0
		rows[i] = r
	}
	if !repeat {
		return nil, ErrNoRepeat
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.tx, b.tx), cmp.Compare(a.T, b.T))
	})
	d := &bgData{n: float64(len(rows))}
	for i, r := range rows {
		if i > 0 && r == rows[i-1] {
			d.w[len(d.w)-1]++
		} else {
			d.tx = append(d.tx, r.tx)
			d.T = append(d.T, r.T)
			d.w = append(d.w, 1)
		}
		if len(d.groups) == 0 || d.groups[len(d.groups)-1].x != float64(r.x) {
			d.groups = append(d.groups, bgGroup{x: float64(r.x), lo: len(d.w) - 1})
		}
		g := &d.groups[len(d.groups)-1]
		g.hi = len(d.w)
		g.w++
	}
	return d, nil
}

// negLL returns the negative mean log-likelihood at the log-parameters
// theta = (ln r, ln α, ln a, ln b) and its gradient with respect to theta.
// Per row it costs two logarithms, one exponential and one log1p.
func (d *bgData) negLL(theta, grad []float64) float64 { return d.negLogLik(theta, grad, false) }

// negLogLik is the negative mean log-likelihood of BG/NBD, or with
// modified of MBG/NBD (mbgNegLL), and its gradient. The two differ by one
// dropout chance: an MBG/NBD customer may also leave at the first
// purchase, so after x repeat purchases they have had x+1 chances instead
// of x. That turns b+x into b+x+1 in the beta functions, b+x−1 into b+x
// in the odds of having left, and gives customers with x = 0 the
// dropout term that BG/NBD lacks.
func (d *bgData) negLogLik(theta, grad []float64, modified bool) float64 {
	r, alpha, a, b := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2]), math.Exp(theta[3])
	lnAlpha := math.Log(alpha)
	lgR, lgB, lgAB := lgamma(r), lgamma(b), lgamma(a+b)
	psiR, psiB, psiAB := mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
	var ll, gr, gAlpha, ga, gb float64
	for _, g := range d.groups {
		x, W := g.x, g.w
		rx := r + x
		// abx and bx are a+b+x and b+x after the dropout chances; odds is
		// b plus the chances taken before the last purchase.
		abx, bx, odds := a+b+x, b+x, b+x-1
		if modified {
			abx, bx, odds = a+b+x+1, b+x+1, b+x
		}
		ll += W * (lgamma(rx) - lgR + r*lnAlpha + lgAB - lgamma(abx) + lgamma(bx) - lgB)
		psiABX := mathext.Digamma(abx)
		gr += W * (mathext.Digamma(rx) - psiR + lnAlpha)
		gAlpha += W * r / alpha
		ga += W * (psiAB - psiABX)
		gb += W * (psiAB - psiABX + mathext.Digamma(bx) - psiB)
		tx, T, w := d.tx[g.lo:g.hi], d.T[g.lo:g.hi], d.w[g.lo:g.hi]
		if x == 0 && !modified {
			for i, t := range T {
				lT := math.Log(alpha + t)
				ll -= w[i] * r * lT
				gr -= w[i] * lT
				gAlpha -= w[i] * r / (alpha + t)
			}
			continue
		}
		lnK := math.Log(a) - math.Log(odds)
		var sumSig float64
		for i, t := range T {
			aT, aTx := alpha+t, alpha+tx[i]
			lT, lTx := math.Log(aT), math.Log(aTx)
			sp, sig := softplus(lnK + rx*(lT-lTx))
			wi := w[i]
			ll += wi * (sp - rx*lT)
			gr += wi * (sig*(lT-lTx) - lT)
			gAlpha += wi * rx * (sig*(1/aT-1/aTx) - 1/aT)
			sumSig += wi * sig
		}
		ga += sumSig / a
		gb -= sumSig / odds
	}
	if grad != nil {
		s := -1 / d.n
		grad[0], grad[1], grad[2], grad[3] = s*gr*r, s*gAlpha*alpha, s*ga*a, s*gb*b
	}
	return -ll / d.n
}

// FitBGNBD estimates the BG/NBD parameters from the calibration period of
// s by maximum likelihood over the log-parameters, with gonum's BFGS and
// the analytic gradient. It returns an error wrapping [ErrNoData] for an
// empty summary, [ErrNoRepeat] when no customer bought twice, and
// [ErrNoConvergence] when the likelihood has no interior maximum (for
// example a single customer).
func FitBGNBD(ctx context.Context, s *Summary) (BGNBD, FitReport, error) {
	return fitBGNBD(ctx, s.Frequency, s.Recency, s.Age, s.Unit)
}

func fitBGNBD(ctx context.Context, x []int, tx, T []float64, unit Unit) (BGNBD, FitReport, error) {
	d, err := newBGData(x, tx, T)
	if err != nil {
		return BGNBD{}, FitReport{}, fmt.Errorf("fit BG/NBD: %w", err)
	}
	theta, rep, err := maximize(ctx, d.negLL, d.start(x, T), []string{"r", "alpha", "a", "b"}, d.n)
	rep.N = len(x)
	if err != nil {
		return BGNBD{}, rep, fmt.Errorf("fit BG/NBD: %w", err)
	}
	m := BGNBD{R: math.Exp(theta[0]), Alpha: math.Exp(theta[1]), A: math.Exp(theta[2]), B: math.Exp(theta[3]), Unit: unit}
	return m, rep, nil
}

// start returns the log-parameters a fit of the BG/NBD family starts
// from: r = a = b = 1 (or s = 1 and β = α for Pareto/NBD) with α matching
// the mean purchase rate (repeat purchases plus one over the observed
// time).
func (d *bgData) start(x []int, T []float64) []float64 {
	var sumX, sumT float64
	for i := range x {
		sumX += float64(x[i])
		sumT += T[i]
	}
	alpha0 := max(sumT, 1e-3) / (sumX + d.n)
	return []float64{0, math.Log(alpha0), 0, 0}
}
