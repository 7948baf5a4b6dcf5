package cohort

// chunkLen is the capacity of one chunk of the order store.
const chunkLen = 1 << 16

// orderStore keeps the orders added so far as three columns (customer
// code, period number, revenue) in fixed-size chunks, so that growing it
// never copies what is already stored.
type orderStore struct {
	chunks []orderChunk
	n      int
}

// orderChunk holds up to chunkLen orders; its three slices have equal
// lengths.
type orderChunk struct {
	cust   []int32
	period []int32
	rev    []float64
}

// append adds the orders given as parallel columns.
func (s *orderStore) append(cust, period []int32, rev []float64) {
	s.n += len(cust)
	for len(cust) > 0 {
		if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1].cust) == chunkLen {
			s.chunks = append(s.chunks, orderChunk{
				cust:   make([]int32, 0, chunkLen),
				period: make([]int32, 0, chunkLen),
				rev:    make([]float64, 0, chunkLen),
			})
		}
		c := &s.chunks[len(s.chunks)-1]
		k := min(chunkLen-len(c.cust), len(cust))
		c.cust = append(c.cust, cust[:k]...)
		c.period = append(c.period, period[:k]...)
		c.rev = append(c.rev, rev[:k]...)
		cust, period, rev = cust[k:], period[k:], rev[k:]
	}
}

// each calls f with the orders in the order they were added, one chunk at
// a time. each stops at the first error of f.
func (s *orderStore) each(f func(cust, period []int32, rev []float64) error) error {
	for _, c := range s.chunks {
		if err := f(c.cust, c.period, c.rev); err != nil {
			return err
		}
	}
	return nil
}
