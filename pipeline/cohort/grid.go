package cohort

import (
	"context"
	"time"
)

// Grid is the cohort × period-since-acquisition retention grid.
type Grid struct {
	Basis    Basis          // how customers were acquired
	Grain    Grain          // cohort and period length
	Location *time.Location // reporting time zone of the boundaries
	// AsOf is the end of observation the grid was computed for (the
	// configured one, or the latest instant in the data). Zero when there
	// was no data and none was configured.
	AsOf time.Time
	// Cohorts in ascending order of start. A week or month in which no
	// customer was acquired has no cohort.
	Cohorts []Cohort
	// Unmatched counts orders whose customer has no customers row (Signup
	// basis); their revenue is in no cohort.
	Unmatched int64
	// BeforeAcquisition counts orders placed before their customer's
	// signup period (Signup basis); their revenue is in no cell.
	BeforeAcquisition int64
}

// Cohort is the customers acquired in one week or month and what they did
// in each fully observed period since.
type Cohort struct {
	Start time.Time // first instant, local midnight in the reporting zone, as UTC
	End   time.Time // exclusive: the start of the next week or month
	// Customers is the cohort size.
	Customers int64
	// Retained[k] is the number of customers retained in period k after
	// acquisition (k = 0 is the acquisition period). It has one entry per
	// period that ended at or before the as-of time, up to MaxPeriods.
	Retained []int64
	// Revenue[k] is the revenue of the cohort's orders placed in period k.
	Revenue []float64
}

// Grid computes the cohort grid of the batches added so far. It can be
// called again after adding more batches.
//
// It walks the orders twice under [FirstOrder] (acquisition, then cells)
// and once under [Signup]. Besides the grid, what it allocates grows with
// the customers: their acquisition period and, under FirstOrder, one bit
// per customer and observed period to count each customer once a cell.
func (b *Builder) Grid(ctx context.Context) (*Grid, error) {
	if err := b.orders.err; err != nil {
		return nil, err // closed, or orders lost
	}
	g := &Grid{Basis: b.cfg.Basis, Grain: b.cfg.Grain, Location: b.cfg.Location, AsOf: b.cfg.AsOf}
	if g.AsOf.IsZero() {
		if b.latest == minLatest {
			return g, nil
		}
		g.AsOf = time.UnixMicro(b.latest).UTC()
	}
	last := b.cal.number(g.AsOf) - 1 // the last period that ended by AsOf

	// The cohort (period of acquisition) of every customer.
	var acq []int32
	if b.cfg.Basis == Signup {
		acq = growFill(b.signup, b.ids.n, noPeriod)
	} else {
		acq = make([]int32, b.ids.n)
		for i := range acq {
			acq[i] = noPeriod
		}
		err := b.orders.each(func(cust, period []int32, _ []float64) error {
			for j, c := range cust {
				acq[c] = min(acq[c], period[j])
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := b.layout(acq, last)
	g.Cohorts = l.cohorts

	// Revenue and, for FirstOrder, the distinct customers of each cell:
	// bit k of a customer's words is set at their first order in period k
	// after acquisition, and that order counts them in the cell.
	var seen []uint64
	words := 0
	if b.cfg.Basis == FirstOrder && len(l.slots) > 0 {
		words = int(l.slots[0].n+63) / 64 // the first cohort has the most periods
		seen = make([]uint64, int(b.ids.n)*words)
	}
	err := b.orders.each(func(cust, period []int32, rev []float64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for j, c := range cust {
			a := acq[c]
			if a == noPeriod {
				g.Unmatched++
				continue
			}
			k := period[j] - a
			if k < 0 {
				g.BeforeAcquisition++
				continue
			}
			if a > last {
				continue // acquired in a period not yet over
			}
			s := l.slots[a-l.lo]
			if k >= s.n {
				continue // a period not yet over, or beyond MaxPeriods
			}
			cell := s.off + k
			l.revenue[cell] += rev[j]
			if seen != nil {
				w := &seen[int(c)*words+int(uint32(k)>>6)]
				if bit := uint64(1) << (uint32(k) & 63); *w&bit == 0 {
					*w |= bit
					l.retained[cell]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	if b.cfg.Basis == Signup {
		b.survivors(acq, l)
	}
	return g, nil
}

// layout is where each cohort's cells live in the flat cell arrays.
type layout struct {
	lo       int32  // period of the first cohort
	slots    []slot // by cohort period − lo
	cohorts  []Cohort
	retained []int64 // all cells; Cohort.Retained are windows of it
	revenue  []float64
}

type slot struct {
	cohort int   // index in cohorts, -1 for a period without acquisitions
	off    int32 // first cell
	n      int32 // observed periods
}

// layout sizes the cohorts acquired by period last and allocates their
// cells: periods 0 … min(last − cohort, MaxPeriods).
func (b *Builder) layout(acq []int32, last int32) *layout {
	l := &layout{lo: noPeriod}
	for _, a := range acq {
		if a <= last {
			l.lo = min(l.lo, a)
		}
	}
	if l.lo == noPeriod {
		return l
	}
	l.slots = make([]slot, last-l.lo+1)
	size := make([]int64, len(l.slots))
	for _, a := range acq {
		if a <= last {
			size[a-l.lo]++
		}
	}
	var cells int32
	for i := range l.slots {
		s := &l.slots[i]
		s.cohort = -1
		if size[i] == 0 {
			continue
		}
		s.cohort = len(l.cohorts)
		s.off = cells
		s.n = last - (l.lo + int32(i)) + 1
		if m := b.cfg.MaxPeriods; m > 0 && int(s.n) > m+1 {
			s.n = int32(m + 1)
		}
		cells += s.n
		p := l.lo + int32(i)
		l.cohorts = append(l.cohorts, Cohort{
			Start:     b.cal.start(p).UTC(),
			End:       b.cal.start(p + 1).UTC(),
			Customers: size[i],
		})
	}
	l.retained = make([]int64, cells)
	l.revenue = make([]float64, cells)
	for _, s := range l.slots {
		if s.cohort >= 0 {
			c := &l.cohorts[s.cohort]
			c.Retained = l.retained[s.off : s.off+s.n : s.off+s.n]
			c.Revenue = l.revenue[s.off : s.off+s.n : s.off+s.n]
		}
	}
	return l
}

// survivors counts, under the Signup basis, the customers not churned by
// the end of each period: a customer acquired in period a who churned in
// period q was active at the end of periods a … q−1, so is retained in
// periods 0 … q−1−a.
func (b *Builder) survivors(acq []int32, l *layout) {
	for c, a := range acq {
		if a == noPeriod || int64(a)-int64(l.lo) >= int64(len(l.slots)) {
			continue // no customers row, or acquired after the last observed period
		}
		s := l.slots[a-l.lo]
		lastK := s.n - 1
		if q := b.churn[c]; q != noPeriod {
			lastK = min(lastK, q-1-a)
		}
		if lastK >= 0 {
			l.retained[s.off+lastK]++ // a histogram of last retained periods…
		}
	}
	for _, s := range l.slots {
		if s.cohort < 0 {
			continue
		}
		cells := l.retained[s.off : s.off+s.n]
		for k := len(cells) - 2; k >= 0; k-- {
			cells[k] += cells[k+1] // …summed from the right
		}
	}
}
