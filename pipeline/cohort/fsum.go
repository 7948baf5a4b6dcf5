package cohort

import "math"

// exactSum adds float64s without rounding error, so that its value does
// not depend on the order of the additions: the grid's customer codes,
// and so the order in which customers are summed, depend on which table
// arrives first. It keeps the sum as non-overlapping partials (Shewchuk's
// algorithm, as Python's math.fsum), and value rounds their exact sum
// once. The inputs must be finite.
type exactSum struct{ partials []float64 }

func (s *exactSum) add(x float64) {
	i := 0
	for _, y := range s.partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			s.partials[i] = lo
			i++
		}
		x = hi
	}
	s.partials = append(s.partials[:i], x)
}

// value returns the exact sum rounded to the nearest float64, ties to
// even.
func (s *exactSum) value() float64 {
	p := s.partials
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi, lo := p[n], 0.0
	for n > 0 {
		x := hi
		n--
		y := p[n]
		hi = x + y
		lo = y - (hi - x)
		if lo != 0 {
			break
		}
	}
	// Round half to even: when the rest has the sign of lo, the sum lies
	// beyond the halfway point that hi + lo rounded to.
	if n > 0 && (lo < 0 && p[n-1] < 0 || lo > 0 && p[n-1] > 0) {
		y := lo * 2
		x := hi + y
		if y == x-hi {
			hi = x
		}
	}
	return hi
}
