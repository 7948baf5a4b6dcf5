package cohort

import (
	"context"
	"sort"
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

	// Channel is the customers' acquisition channel in a grid by channel
	// ([Builder.ChannelGrid]); "" for customers without one, and in a
	// grid of all customers.
	Channel string
	// Active[k] is the number of customers active in period k or in any
	// later fully observed period (unbounded retention), MaxPeriods
	// notwithstanding. Under [Signup] it equals Retained[k]: a customer
	// not churned by the end of a later period had not churned by the
	// end of period k either.
	Active []int64
	// BaseRevenue is the sum, over the customers whose revenue in period
	// 0 was positive, of that revenue: the denominator of gross revenue
	// retention.
	BaseRevenue float64
	// CappedRevenue[k] is the sum, over those customers, of their revenue
	// in period k capped to [0, their period-0 revenue]: the numerator of
	// gross revenue retention. CappedRevenue[0] equals BaseRevenue.
	CappedRevenue []float64
	// Brackets holds, for each configured bracket whose periods all have
	// an entry in Retained, the customers retained in it.
	Brackets []BracketCount
}

// BracketCount is the number of a cohort's customers retained in one
// bracket of periods: under [FirstOrder], with an order in at least one
// of its periods; under [Signup], not churned by the end of its first
// period.
type BracketCount struct {
	Bracket  Bracket
	Retained int64
}

// sumBudget is the most customer × period revenue sums that
// [Builder.Grid] holds at once for gross revenue retention (8 bytes each,
// 64 MiB); customers beyond it are summed in further passes over the
// orders.
const sumBudget = 1 << 23

// Grid computes the cohort grid of the batches added so far, all
// customers together. It can be called again after adding more batches.
//
// It walks the orders three times under [FirstOrder] (acquisition, cells,
// revenue per customer and period) and twice under [Signup], and once
// more for every further block of customers whose revenue sums do not
// fit in 64 MiB. Besides the grid, what it allocates grows with the
// customers: their acquisition period and last active period and, under
// FirstOrder, one bit per customer and observed period to count each
// customer once a cell.
func (b *Builder) Grid(ctx context.Context) (*Grid, error) { return b.grid(ctx, false) }

// ChannelGrid is [Builder.Grid] with the cohorts split by the customers'
// acquisition channel (the customers export's acquisition_channel): one
// cohort per channel and acquisition period, ordered by channel name and
// then start, the customers without a channel (Channel "") last. The
// counts and revenues of a period's cohorts add up to those of
// [Builder.Grid]; the percentages do not.
func (b *Builder) ChannelGrid(ctx context.Context) (*Grid, error) { return b.grid(ctx, true) }

func (b *Builder) grid(ctx context.Context, byChannel bool) (*Grid, error) {
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
	var group []int32 // by customer code: the cohort's group, nil for one group
	names := []string{""}
	if byChannel {
		group, names = b.channelGroups()
	}
	l := b.layout(acq, group, names, last)
	g.Cohorts = l.cohorts

	// Revenue and, for FirstOrder, the distinct customers of each cell:
	// bit k of a customer's words is set at their first order in period k
	// after acquisition, and that order counts them in the cell. The last
	// period with an order, fully observed, gives unbounded retention.
	var seen []uint64
	var lastActive []int32
	words := int(l.most+63) / 64
	if b.cfg.Basis == FirstOrder && len(l.cohorts) > 0 {
		seen = make([]uint64, int(b.ids.n)*words)
		lastActive = make([]int32, b.ids.n)
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
			if lastActive != nil && period[j] <= last {
				lastActive[c] = max(lastActive[c], k)
			}
			s := l.slot(c, a)
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
		copy(l.active, l.retained)
	} else {
		l.unbounded(acq, lastActive)
	}
	l.brackets(acq, b.cfg.Brackets, seen, words)
	if err := b.revenueRetention(ctx, acq, l); err != nil {
		return nil, err
	}
	return g, nil
}

// channelGroups returns the group of every customer code for a grid by
// channel, and the channel of each group: the channels by name, then the
// customers without one.
func (b *Builder) channelGroups() ([]int32, []string) {
	order := make([]int32, len(b.channels)) // channel indices by name, "" last
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(i, j int) bool {
		x, y := b.channels[order[i]], b.channels[order[j]]
		if (x == "") != (y == "") {
			return y == ""
		}
		return x < y
	})
	rank := make([]int32, len(order))
	names := make([]string, len(order))
	for r, ch := range order {
		rank[ch] = int32(r)
		names[r] = b.channels[ch]
	}
	group := make([]int32, b.ids.n)
	for c := range group {
		ch := int32(0)
		if c < len(b.channel) {
			ch = b.channel[c]
		}
		group[c] = rank[ch]
	}
	return group, names
}

// layout is where each cohort's cells live in the flat cell arrays.
type layout struct {
	lo       int32   // period of the first cohort
	span     int32   // periods from lo to the last observed one
	group    []int32 // by customer code; nil for one group
	slots    []slot  // by group × span + cohort period − lo
	most     int32   // the most periods of any cohort
	cohorts  []Cohort
	retained []int64 // all cells; Cohort.Retained etc. are windows of them
	active   []int64
	revenue  []float64
	capped   []float64
}

type slot struct {
	cohort int   // index in cohorts, -1 for a period without acquisitions
	off    int32 // first cell
	n      int32 // observed periods
}

// slot returns the slot of customer c acquired in period a (at or before
// the last observed period).
func (l *layout) slot(c, a int32) *slot {
	i := a - l.lo
	if l.group != nil {
		i += l.group[c] * l.span
	}
	return &l.slots[i]
}

// layout sizes the cohorts acquired by period last, by group, and
// allocates their cells: periods 0 … min(last − cohort, MaxPeriods).
func (b *Builder) layout(acq, group []int32, names []string, last int32) *layout {
	l := &layout{lo: noPeriod, group: group}
	for _, a := range acq {
		if a <= last {
			l.lo = min(l.lo, a)
		}
	}
	if l.lo == noPeriod {
		return l
	}
	l.span = last - l.lo + 1
	l.slots = make([]slot, int(l.span)*len(names))
	size := make([]int64, len(l.slots))
	for c, a := range acq {
		if a <= last {
			i := a - l.lo
			if group != nil {
				i += group[c] * l.span
			}
			size[i]++
		}
	}
	var cells int32
	for i := range l.slots {
		s := &l.slots[i]
		s.cohort = -1
		if size[i] == 0 {
			continue
		}
		p := l.lo + int32(i)%l.span
		s.cohort = len(l.cohorts)
		s.off = cells
		s.n = last - p + 1
		if m := b.cfg.MaxPeriods; m > 0 && int(s.n) > m+1 {
			s.n = int32(m + 1)
		}
		l.most = max(l.most, s.n)
		cells += s.n
		l.cohorts = append(l.cohorts, Cohort{
			Start:     b.cal.start(p).UTC(),
			End:       b.cal.start(p + 1).UTC(),
			Customers: size[i],
			Channel:   names[i/int(l.span)],
		})
	}
	l.retained = make([]int64, cells)
	l.active = make([]int64, cells)
	l.revenue = make([]float64, cells)
	l.capped = make([]float64, cells)
	for _, s := range l.slots {
		if s.cohort >= 0 {
			c := &l.cohorts[s.cohort]
			lo, hi := s.off, s.off+s.n
			c.Retained = l.retained[lo:hi:hi]
			c.Active = l.active[lo:hi:hi]
			c.Revenue = l.revenue[lo:hi:hi]
			c.CappedRevenue = l.capped[lo:hi:hi]
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
		if a == noPeriod || int64(a)-int64(l.lo) >= int64(l.span) {
			continue // no customers row, or acquired after the last observed period
		}
		s := l.slot(int32(c), a)
		lastK := s.n - 1
		if q := b.churn[c]; q != noPeriod {
			lastK = min(lastK, q-1-a)
		}
		if lastK >= 0 {
			l.retained[s.off+lastK]++ // a histogram of last retained periods…
		}
	}
	l.sumFromRight(l.retained) // …summed from the right
}

// unbounded counts, under the FirstOrder basis, the customers active in
// period k or later: a customer whose last fully observed order is in
// period q counts in periods 0 … q (all of the cohort's, if q is beyond
// MaxPeriods).
func (l *layout) unbounded(acq, lastActive []int32) {
	for c, a := range acq {
		if a == noPeriod || int64(a)-int64(l.lo) >= int64(l.span) {
			continue
		}
		s := l.slot(int32(c), a)
		l.active[s.off+min(lastActive[c], s.n-1)]++
	}
	l.sumFromRight(l.active)
}

// sumFromRight turns each cohort's cells of cells into sums of that cell
// and every later one.
func (l *layout) sumFromRight(cells []int64) {
	for _, s := range l.slots {
		if s.cohort < 0 {
			continue
		}
		w := cells[s.off : s.off+s.n]
		for k := len(w) - 2; k >= 0; k-- {
			w[k] += w[k+1]
		}
	}
}

// brackets counts the customers retained in each bracket that a cohort's
// cells cover: from the bits of seen under FirstOrder (any order in the
// bracket), from the survivors under Signup (not churned by the end of
// its first period).
func (l *layout) brackets(acq []int32, brs []Bracket, seen []uint64, words int) {
	if len(brs) == 0 {
		return
	}
	for i := range l.cohorts {
		c := &l.cohorts[i]
		for _, br := range brs {
			if br.To < len(c.Retained) {
				bc := BracketCount{Bracket: br}
				if seen == nil {
					bc.Retained = c.Retained[br.From]
				}
				c.Brackets = append(c.Brackets, bc)
			}
		}
	}
	if seen == nil {
		return
	}
	for c, a := range acq {
		if a == noPeriod || int64(a)-int64(l.lo) >= int64(l.span) {
			continue
		}
		bits := seen[c*words : (c+1)*words]
		co := &l.cohorts[l.slot(int32(c), a).cohort]
		for j := range co.Brackets {
			br := co.Brackets[j].Bracket
			for k := br.From; k <= br.To; k++ {
				if bits[k>>6]&(1<<(k&63)) != 0 {
					co.Brackets[j].Retained++
					break
				}
			}
		}
	}
}

// revenueRetention sums each customer's revenue per period and adds it,
// capped to their period-0 revenue, to the cells' CappedRevenue, and that
// period-0 revenue, where positive, to their cohort's BaseRevenue. It
// holds the sums of a block of customers at a time (b.sums, or
// sumBudget), one pass over the orders a block. The cells are summed
// exactly, so the result depends neither on the block size nor on the
// order of the customer codes.
func (b *Builder) revenueRetention(ctx context.Context, acq []int32, l *layout) error {
	if len(l.cohorts) == 0 {
		return nil
	}
	budget := b.sums
	if budget <= 0 {
		budget = sumBudget
	}
	width := func(c int) int { // periods summed for customer c
		if a := acq[c]; a == noPeriod || int64(a)-int64(l.lo) >= int64(l.span) {
			return 0
		}
		return int(l.slot(int32(c), acq[c]).n)
	}
	var sums []float64
	var off []int                             // by customer − lo: first sum
	capped := make([]exactSum, len(l.capped)) // summed exactly: customer codes depend on the tables' order
	for lo := 0; lo < len(acq); {
		hi, n := lo, 0
		off = off[:0]
		for hi < len(acq) {
			w := width(hi)
			if hi > lo && n+w > budget {
				break
			}
			off = append(off, n)
			n += w
			hi++
		}
		off = append(off, n)
		sums = grow(sums, n)
		clear(sums)
		err := b.orders.each(func(cust, period []int32, rev []float64) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			for j, c := range cust {
				if int(c) < lo || int(c) >= hi {
					continue
				}
				i := int(c) - lo
				k := int(period[j]) - int(acq[c]) // acq is not noPeriod: the width is 0 then
				if k >= 0 && k < off[i+1]-off[i] {
					sums[off[i]+k] += rev[j]
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for c := lo; c < hi; c++ {
			v := sums[off[c-lo]:off[c-lo+1]]
			if len(v) == 0 || v[0] <= 0 {
				continue // no revenue to retain
			}
			s := l.slot(int32(c), acq[c])
			base := v[0]
			for k, r := range v {
				capped[int(s.off)+k].add(min(max(r, 0), base))
			}
		}
		lo = hi
	}
	for _, s := range l.slots {
		if s.cohort >= 0 {
			for k := s.off; k < s.off+s.n; k++ {
				l.capped[k] = capped[k].value()
			}
			l.cohorts[s.cohort].BaseRevenue = l.capped[s.off]
		}
	}
	return nil
}
