package clv

import (
	"cmp"
	"slices"
)

// At-risk customers are among the most valuable so far but probably gone:
// historical CLV in the top AtRiskValueShare of customers and P(alive)
// below AtRiskPAlive.
const (
	AtRiskValueShare = 0.3
	AtRiskPAlive     = 0.5
)

// Segments ranks the customers of p into CLV deciles (1 holds the tenth
// with the highest predicted CLV, 10 the lowest; ties keep the summary's
// order) and flags the at-risk ones.
func (p *Predictions) Segments() (decile []int64, atRisk []bool) {
	n := len(p.CLV)
	decile, atRisk = make([]int64, n), make([]bool, n)
	byCLV := rank(p.CLV)
	for r, i := range byCLV {
		decile[i] = int64(r*10/n) + 1
	}
	byHistory := rank(p.Historical)
	top := int(float64(n) * AtRiskValueShare)
	for _, i := range byHistory[:top] {
		atRisk[i] = p.PAlive[i] < AtRiskPAlive
	}
	return decile, atRisk
}

// rank returns the indexes of v from the largest value to the smallest.
func rank(v []float64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v[b], v[a]) })
	return idx
}
