package clv

import (
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

// cohort is a simulated customer base: calibration histories, holdout
// counts and the latent state at the end of the calibration period.
type cohort struct {
	x       []int
	tx, T   []float64
	holdout []int     // repeat purchases in (T, T+tStar]
	alive   []bool    // still active at T
	m       []float64 // mean spend of the x repeat purchases (0 if x = 0)
}

// simulate draws n customers from a BG/NBD purchase process and, when gg
// is non-zero, a Gamma-Gamma spend process. Customer i is first observed at
// time 0 and watched for T_i ~ U(tMin, tMax), then for a holdout of tStar.
func simulate(seed uint64, bg BGNBD, gg GammaGamma, n int, tMin, tMax, tStar float64) cohort {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	lambda := distuv.Gamma{Alpha: bg.R, Beta: bg.Alpha, Src: rng}
	drop := distuv.Beta{Alpha: bg.A, Beta: bg.B, Src: rng}
	nu := distuv.Gamma{Alpha: gg.Q, Beta: gg.Gamma, Src: rng}
	c := cohort{
		x: make([]int, n), tx: make([]float64, n), T: make([]float64, n),
		holdout: make([]int, n), alive: make([]bool, n), m: make([]float64, n),
	}
	for i := range n {
		l, p := lambda.Rand(), drop.Rand()
		T := tMin + (tMax-tMin)*rng.Float64()
		c.T[i] = T
		c.alive[i] = true
		t := 0.0
		for {
			t += rng.ExpFloat64() / l
			if t > T+tStar {
				break
			}
			if t <= T {
				c.x[i]++
				c.tx[i] = t
			} else {
				c.holdout[i]++
			}
			if rng.Float64() < p {
				if t <= T {
					c.alive[i] = false
				}
				break
			}
		}
		if gg.P > 0 && c.x[i] > 0 {
			z := distuv.Gamma{Alpha: gg.P, Beta: nu.Rand(), Src: rng}
			sum := 0.0
			for range c.x[i] {
				sum += z.Rand()
			}
			c.m[i] = sum / float64(c.x[i])
		}
	}
	return c
}

// summary wraps the cohort's calibration columns as a Summary in weeks.
func (c cohort) summary() *Summary {
	n := len(c.x)
	s := &Summary{
		Unit: Weeks, Frequency: c.x, Recency: c.tx, Age: c.T, Monetary: c.m,
		Customers: make([]string, n), Orders: make([]int, n), Revenue: make([]float64, n),
		GrossMargin: make([]float64, n), Holdout: c.holdout, HoldoutRevenue: make([]float64, n),
	}
	for i := range n {
		s.Customers[i] = strconv.Itoa(i)
		s.Orders[i] = c.x[i] + 1
		s.Revenue[i] = c.m[i] * float64(c.x[i]+1)
		s.GrossMargin[i] = 0.3 * s.Revenue[i]
	}
	return s
}
