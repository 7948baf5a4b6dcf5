package kpi

import (
	"math"
	"slices"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// Stat says how a metric's observations become its value.
type Stat int

const (
	// Ratio is Σx / Σw × Scale over the observations with w ≠ 0. Means
	// (x = value, w = 1), shares (x = 1 when the condition holds, w = 1)
	// and weighted scores are all ratios; numerator and denominator are
	// reported.
	Ratio Stat = iota
	// Quantile is the Q-quantile of x over the observations with w ≠ 0.
	// Up to [ExactQuantileMax] observations it is exact, by linear
	// interpolation between the closest ranks (Hyndman and Fan's type 7,
	// numpy's default). Beyond, the cell keeps a DDSketch instead of the
	// values, and the quantile is the value of the observation of rank
	// ⌊Q·(n−1)⌋ within a relative error of [QuantileAccuracy].
	Quantile
	// Count is the number of observations with w ≠ 0.
	Count
	// Sum is Σx × Scale over the observations with w ≠ 0.
	Sum
	// Share is a dimension value's part of the total: Σw of the value /
	// Σw of dimension "all" × Scale (100 for the "all" row itself).
	Share
)

// ExactQuantileMax is the number of observations up to which a cell of a
// [Quantile] metric keeps every value, and its quantile is exact.
const ExactQuantileMax = 1024

// QuantileAccuracy is the relative accuracy of a [Quantile] over more than
// [ExactQuantileMax] observations: the reported value v of a true value x
// satisfies |v − x| ≤ QuantileAccuracy·|x|. The sketch of a cell then takes
// about 13 KB for values from a second to four months, whatever their
// number.
const QuantileAccuracy = 0.005

// cell accumulates one metric for one period and one dimension value. The
// state is mergeable: sums add and quantile values concatenate (or sketches
// merge), so cells computed on partitions of the input combine into the
// cell of the whole. Whether a cell keeps values or a sketch depends only on
// how many observations it holds, never on their order or batches.
type cell struct {
	x, w float64
	xx   float64 // Σx², for the variance of unweighted observations
	n    int64
	// weighted: some observation had a weight other than 1; nonBinary:
	// some value other than 0 or 1. They decide which interval fits
	// (interval.go).
	weighted, nonBinary bool
	vals                []float64          // for Quantile, up to ExactQuantileMax values
	sketch              *ddsketch.DDSketch // for Quantile, beyond ExactQuantileMax values
}

// keep adds v to the values of a Quantile cell.
func (c *cell) keep(v float64) {
	if c.sketch == nil {
		c.vals = append(c.vals, v)
		if len(c.vals) <= ExactQuantileMax {
			return
		}
		c.toSketch()
		return
	}
	// Add fails only for NaN and magnitudes beyond 1e307; durations and
	// scores are neither.
	_ = c.sketch.Add(v)
}

// toSketch moves the cell's values into a sketch.
func (c *cell) toSketch() {
	if c.sketch != nil {
		return
	}
	// The cubically interpolated mapping keeps the accuracy guarantee with
	// a few more bins than the logarithmic one, and computes no logarithm.
	m, err := mapping.NewCubicallyInterpolatedMapping(QuantileAccuracy)
	if err != nil {
		panic(err) // QuantileAccuracy is a valid constant
	}
	sk := ddsketch.NewDDSketch(m, store.NewDenseStore(), store.NewDenseStore())
	for _, v := range c.vals {
		_ = sk.Add(v)
	}
	c.sketch, c.vals = sk, nil
}

func (c *cell) merge(o *cell) {
	c.x += o.x
	c.w += o.w
	c.xx += o.xx
	c.n += o.n
	c.weighted = c.weighted || o.weighted
	c.nonBinary = c.nonBinary || o.nonBinary
	if o.sketch != nil {
		c.toSketch()
		_ = c.sketch.MergeWith(o.sketch) // same mapping: cannot fail
		return
	}
	for _, v := range o.vals {
		c.keep(v)
	}
}

// quantile returns the q-quantile of the cell's values (sorting them in
// place, once).
func (c *cell) quantile(q float64) float64 {
	if c.sketch != nil {
		v, err := c.sketch.GetValueAtQuantile(q)
		if err == nil {
			return v
		}
	}
	return quantile(c.vals, q)
}

// grid holds the cells of one metric and one dimension, indexed by period
// number (offset by base) and dimension value code.
type grid struct {
	base  int32
	cells [][]cell
}

// ensure grows the grid to hold periods lo..hi and codes 0..maxCode.
func (g *grid) ensure(lo, hi int32, maxCode int32) {
	if len(g.cells) == 0 {
		g.base = lo
	}
	if lo < g.base {
		g.cells = append(make([][]cell, g.base-lo), g.cells...)
		g.base = lo
	}
	if n := int(hi-g.base) + 1; n > len(g.cells) {
		g.cells = append(g.cells, make([][]cell, n-len(g.cells))...)
	}
	for p := lo - g.base; p <= hi-g.base; p++ {
		if n := int(maxCode) + 1; n > len(g.cells[p]) {
			g.cells[p] = append(g.cells[p], make([]cell, n-len(g.cells[p]))...)
		}
	}
}

// add folds observations into the grid, in one pass. period, code, x and
// w have one entry per row; rows with w == 0 or code < 0 do not apply.
func (g *grid) add(period, code []int32, x, w []float64, keep bool) {
	for i, wi := range w {
		if wi == 0 || code[i] < 0 {
			continue
		}
		p := period[i] - g.base
		if len(g.cells) == 0 || p < 0 || int(p) >= len(g.cells) || int(code[i]) >= len(g.cells[p]) {
			g.ensure(period[i], period[i], code[i])
			p = period[i] - g.base
		}
		c := &g.cells[p][code[i]]
		xi := x[i]
		c.x += xi
		c.w += wi
		c.xx += xi * xi
		c.n++
		c.weighted = c.weighted || wi != 1
		c.nonBinary = c.nonBinary || (xi != 0 && xi != 1)
		if keep {
			c.keep(x[i])
		}
	}
}

// at returns the cell of period p and code, or nil when nothing was added.
func (g *grid) at(p, code int32) *cell {
	i := p - g.base
	if i < 0 || int(i) >= len(g.cells) || int(code) >= len(g.cells[i]) {
		return nil
	}
	return &g.cells[i][code]
}

// span returns the first and last period holding data, ok false if none.
func (g *grid) span() (lo, hi int32, ok bool) {
	for i, row := range g.cells {
		for _, c := range row {
			if c.n > 0 {
				p := g.base + int32(i)
				if !ok {
					lo, ok = p, true
				}
				hi = p
				break
			}
		}
	}
	return lo, hi, ok
}

// quantile returns the q-quantile of vals (sorted in place, once), type 7.
func quantile(vals []float64, q float64) float64 {
	if !slices.IsSorted(vals) {
		slices.Sort(vals)
	}
	h := q * float64(len(vals)-1)
	i := int(math.Floor(h))
	if i+1 >= len(vals) {
		return vals[len(vals)-1]
	}
	return vals[i] + (h-float64(i))*(vals[i+1]-vals[i])
}
