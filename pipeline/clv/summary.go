package clv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/arrio"
)

// Summary is the RFM (recency, frequency, monetary value) table of a set of
// customers over the calibration period, in the buy-till-you-die (BTYD)
// conventions of Fader, Hardie and Lee that the models of this package
// expect. Row i of every column describes customer Customers[i]; rows are
// sorted by customer id.
//
// A purchase occasion is a calendar day with at least one order: orders on
// the same day are merged and their revenues added. A customer's first
// occasion is their acquisition; every later one is a repeat purchase.
type Summary struct {
	Unit           Unit      // unit of Recency and Age
	CalibrationEnd time.Time // local midnight starting the last calibration day
	End            time.Time // local midnight starting the last observed day

	Customers []string
	// Frequency is x, the number of repeat purchase occasions in the
	// calibration period: distinct purchase days minus one.
	Frequency []int
	// Recency is t_x, the time from the first to the last purchase day
	// (0 when Frequency is 0).
	Recency []float64
	// Age is T, the time from the first purchase day to the calibration end
	// day.
	Age []float64
	// Monetary is the mean value of the repeat purchase occasions, the
	// first purchase excluded (0 when Frequency is 0).
	Monetary []float64
	// Orders counts the customer's orders in the calibration period.
	Orders []int
	// Revenue is the customer's total revenue in the calibration period,
	// first purchase included.
	Revenue []float64
	// GrossMargin is the customer's total gross margin in the calibration
	// period: revenue minus cost, or revenue × Margin.Uncosted for orders
	// without cost.
	GrossMargin []float64
	// Margin says how the orders without cost were valued.
	Margin MarginSource
	// Holdout counts purchase occasions after the calibration end day, up
	// to and including the end day; HoldoutRevenue adds their revenue.
	// Both are zero without a holdout period.
	Holdout        []int
	HoldoutRevenue []float64

	// Start is local midnight starting the earliest first purchase day
	// of the customers; RepeatsPerDay counts their repeat purchase
	// occasions on each day from Start to End, holdout included:
	// RepeatsPerDay[i] is the day i days after Start. Together with the
	// first purchase days (End − Age) they give the tracking plot of
	// [Diagnose].
	Start         time.Time
	RepeatsPerDay []int64

	// Late counts orders after the end day, which were ignored.
	Late int64
	// HoldoutOnly counts customers whose first purchase falls in the
	// holdout period; they are not part of the calibration cohort and have
	// no row.
	HoldoutOnly int
}

// MarginSource says how a [Summary] valued the orders without cost.
type MarginSource struct {
	// Uncosted is the gross margin ratio applied to orders without cost:
	// Config.AverageMargin, or the ratio of the orders with a cost.
	Uncosted float64
	// Derived is set when Uncosted was taken from the orders with a cost
	// because Config.AverageMargin was not set.
	Derived bool
	// Orders and UncostedOrders count the observed orders (up to the end
	// day) and those without cost among them.
	Orders, UncostedOrders int64
}

// Len returns the number of customers.
func (s *Summary) Len() int { return len(s.Customers) }

// Summarizer builds a [Summary] incrementally from record batches of the
// orders table (pipeline/ingest's orders contract): customer_id (string),
// ordered_at (timestamp), revenue (float64) and, optionally, cost
// (float64, nullable); other columns are ignored. The result depends on the
// rows and their order only, not on how they were split into batches.
// Customer ids are interned: each distinct id is copied once.
//
// A Summarizer is not safe for concurrent use.
type Summarizer struct {
	cfg         Config
	calEnd, end int32
	clock       dayClock

	ids    map[string]int32
	names  []string
	closed bool

	// The orders (customer, purchase day, amounts), in input order, 24
	// bytes each; Summary groups them by customer and day, so a day's
	// amounts add up in input order whatever the batches.
	orders orderStore

	rows, late int64
	// The observed orders with a cost, for the margin ratio of those
	// without one, and how many have none.
	costedRevenue, costedMargin float64
	observed, uncosted          int64

	// Repeat purchase occasions per day, by days before the end day, and
	// the earliest first purchase day, while Summary runs.
	repeatsBack []int64
	firstDay    int32

	// scratch, reused across batches
	cust, day []int32
	micros    []int64
}

// NewSummarizer returns an empty summarizer for cfg.
func NewSummarizer(cfg Config) (*Summarizer, error) {
	calEnd, end, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Summarizer{
		cfg:    cfg,
		calEnd: calEnd,
		end:    end,
		clock:  dayClock{loc: cfg.Location, utc: cfg.Location == time.UTC},
		ids:    map[string]int32{},
		orders: orderStore{dir: cfg.SpillDir, perFile: cmp.Or(cfg.customersPerSpill, customersPerSpill)},
	}, nil
}

// orderColumns are the typed columns of one batch.
type orderColumns struct {
	customer *array.String
	at       *array.Timestamp
	unit     arrow.TimeUnit
	revenue  *array.Float64
	cost     *array.Float64 // nil when the batch has no cost column
}

func lookupColumns(rec arrow.Record) (orderColumns, error) {
	var c orderColumns
	col := func(name string, required bool) (arrow.Array, error) {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			if required {
				return nil, fmt.Errorf("%w: no column %q", ErrSchema, name)
			}
			return nil, nil
		}
		return rec.Column(idx[0]), nil
	}
	var ok bool
	a, err := col("customer_id", true)
	if err != nil {
		return c, err
	}
	if c.customer, ok = a.(*array.String); !ok {
		return c, fmt.Errorf("%w: customer_id is %s, want utf8", ErrSchema, a.DataType())
	}
	if a, err = col("ordered_at", true); err != nil {
		return c, err
	}
	if c.at, ok = a.(*array.Timestamp); !ok {
		return c, fmt.Errorf("%w: ordered_at is %s, want timestamp", ErrSchema, a.DataType())
	}
	c.unit = a.DataType().(*arrow.TimestampType).Unit
	if a, err = col("revenue", true); err != nil {
		return c, err
	}
	if c.revenue, ok = a.(*array.Float64); !ok {
		return c, fmt.Errorf("%w: revenue is %s, want float64", ErrSchema, a.DataType())
	}
	if a, err = col("cost", false); err != nil || a == nil {
		return c, err
	}
	if c.cost, ok = a.(*array.Float64); !ok {
		return c, fmt.Errorf("%w: cost is %s, want float64", ErrSchema, a.DataType())
	}
	return c, nil
}

var errNull = errors.New("null value")

// Add folds one batch of orders into the summary. It neither retains nor
// releases rec. A batch with an unusable row (null customer, time or
// revenue, non-finite amount, missing cost without Config.AverageMargin) is
// rejected whole with an [*InputError] and leaves the summarizer unchanged.
func (s *Summarizer) Add(rec arrow.Record) error {
	if s.closed {
		return ErrClosed
	}
	c, err := lookupColumns(rec)
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	if err := s.check(c, n); err != nil {
		return err
	}
	s.micros = toMicros(s.micros[:0], c.at.TimestampValues(), c.unit)
	s.day = slices.Grow(s.day[:0], n)[:n]
	for i, v := range s.micros {
		s.day[i] = s.clock.day(v)
	}
	s.intern(c.customer, n)
	if err := s.fold(c, n); err != nil {
		return err
	}
	s.rows += int64(n)
	return nil
}

// check validates every row of the batch before anything is folded.
func (s *Summarizer) check(c orderColumns, n int) error {
	bad := func(i int, column string, err error) error {
		return &InputError{Row: s.rows + int64(i) + 1, Column: column, Err: err}
	}
	for _, a := range []struct {
		name string
		arr  arrow.Array
	}{{"customer_id", c.customer}, {"ordered_at", c.at}, {"revenue", c.revenue}} {
		if a.arr.NullN() == 0 {
			continue
		}
		for i := range n {
			if a.arr.IsNull(i) {
				return bad(i, a.name, errNull)
			}
		}
	}
	for i, v := range c.revenue.Float64Values() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad(i, "revenue", fmt.Errorf("non-finite value %v", v))
		}
	}
	if c.cost == nil {
		return nil
	}
	hasNulls := c.cost.NullN() > 0
	for i, v := range c.cost.Float64Values() {
		if hasNulls && c.cost.IsNull(i) {
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad(i, "cost", fmt.Errorf("non-finite value %v", v))
		}
	}
	return nil
}

// intern maps every customer id of the batch to its index in s.names,
// reading the string array's offsets and bytes directly.
func (s *Summarizer) intern(ids *array.String, n int) {
	s.cust = slices.Grow(s.cust[:0], n)[:n]
	offs := ids.ValueOffsets()
	data := ids.ValueBytes()
	base := offs[0]
	var prev []byte
	prevIdx := int32(-1)
	for i := range n {
		b := data[offs[i]-base : offs[i+1]-base]
		if prevIdx >= 0 && string(b) == string(prev) {
			s.cust[i] = prevIdx
			continue
		}
		idx, ok := s.ids[string(b)]
		if !ok {
			name := string(b)
			idx = int32(len(s.names))
			s.names = append(s.names, name)
			s.ids[name] = idx
		}
		s.cust[i], prev, prevIdx = idx, b, idx
	}
}

// fold adds every row to the orders.
func (s *Summarizer) fold(c orderColumns, n int) error {
	revenue := c.revenue.Float64Values()
	var cost []float64
	costNulls := false
	if c.cost != nil {
		cost = c.cost.Float64Values()
		costNulls = c.cost.NullN() > 0
	}
	for i := range n {
		if s.day[i] > s.end {
			s.late++
			continue
		}
		r := revenue[i]
		s.observed++
		var gm float64
		switch {
		case cost != nil && !(costNulls && c.cost.IsNull(i)):
			gm = r - cost[i]
			s.costedRevenue += r
			s.costedMargin += gm
		case s.cfg.AverageMargin > 0:
			s.uncosted++
			gm = r * s.cfg.AverageMargin
		default:
			s.uncosted++
			gm = math.NaN() // valued by Summary at the costed orders' ratio
		}
		if err := s.orders.add(len(s.names), s.cust[i], s.day[i], r, gm); err != nil {
			return err
		}
	}
	return nil
}

// Summary returns the RFM summary of the orders added so far. It may be
// called more than once; it returns an error wrapping [ErrNoData] when no
// customer made a purchase in the calibration period.
func (s *Summarizer) Summary() (*Summary, error) {
	return s.summary(s.calEnd)
}

// SummaryUntil returns the summary of the orders added so far with the
// calibration period ending on calibrationEnd's date (read like
// Config.CalibrationEnd) instead of the configured one: the days after
// it, up to End, are its holdout period. It lets one pass over the
// orders give both the summary a run values customers on and the
// calibration/holdout split its diagnostics need.
func (s *Summarizer) SummaryUntil(calibrationEnd time.Time) (*Summary, error) {
	if s.closed {
		return nil, ErrClosed
	}
	calEnd := dateDay(calibrationEnd)
	if calEnd > s.end {
		return nil, fmt.Errorf("clv: calibration end %s after the end %s", calibrationEnd.Format(time.DateOnly), dayTime(s.end, time.UTC).Format(time.DateOnly))
	}
	return s.summary(calEnd)
}

// summary summarizes the orders with the calibration period ending on
// the day calEnd.
func (s *Summarizer) summary(calEnd int32) (*Summary, error) {
	if s.closed {
		return nil, ErrClosed
	}
	loc := s.cfg.Location
	s.repeatsBack, s.firstDay = s.repeatsBack[:0], s.end
	out := &Summary{
		Unit:           s.cfg.Unit,
		CalibrationEnd: dayTime(calEnd, loc),
		End:            dayTime(s.end, loc),
		Late:           s.late,
		Margin:         MarginSource{Uncosted: s.cfg.AverageMargin, Orders: s.observed, UncostedOrders: s.uncosted},
	}
	if s.uncosted > 0 && s.cfg.AverageMargin == 0 {
		if !(s.costedRevenue > 0) {
			return nil, fmt.Errorf("summarize orders: %d of %d orders have no cost: %w", s.uncosted, s.observed, ErrNoCost)
		}
		out.Margin.Uncosted, out.Margin.Derived = s.costedMargin/s.costedRevenue, true
	}
	var codes []int32 // the customer of each row of out
	err := s.orders.ranges(len(s.names), func(lo, hi int32, l *orderLog) {
		codes = s.summarize(lo, hi, calEnd, l, out, codes)
	})
	if err != nil {
		return nil, fmt.Errorf("summarize orders: %w", err)
	}
	// Rows by customer id.
	perm := make([]int32, len(codes))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return cmp.Compare(s.names[codes[a]], s.names[codes[b]]) })
	out.Customers = make([]string, len(perm))
	for i, p := range perm {
		out.Customers[i] = s.names[codes[p]]
	}
	permute(out.Frequency, perm)
	permute(out.Recency, perm)
	permute(out.Age, perm)
	permute(out.Monetary, perm)
	permute(out.Orders, perm)
	permute(out.Revenue, perm)
	permute(out.GrossMargin, perm)
	permute(out.Holdout, perm)
	permute(out.HoldoutRevenue, perm)
	if out.Len() == 0 {
		return nil, fmt.Errorf("summarize orders: %w", ErrNoData)
	}
	out.Start = dayTime(s.firstDay, loc)
	out.RepeatsPerDay = make([]int64, s.end-s.firstDay+1)
	for back, n := range s.repeatsBack {
		if n > 0 {
			out.RepeatsPerDay[int(s.end-s.firstDay)-back] = n
		}
	}
	return out, nil
}

// summarize appends to out the rows of the customers lo..hi, whose orders
// l holds, in customer code order, with the calibration period ending on
// the day calEnd, and returns codes with their codes appended.
func (s *Summarizer) summarize(lo, hi, calEnd int32, l *orderLog, out *Summary, codes []int32) []int32 {
	// Group orders by customer (counting sort), then order each group by
	// day, then input order.
	nc := int(hi - lo)
	start := make([]int32, nc+1)
	for _, c := range l.cust {
		start[c-lo+1]++
	}
	for i := range nc {
		start[i+1] += start[i]
	}
	order := make([]int32, len(l.cust))
	fill := slices.Clone(start[:nc])
	for idx, c := range l.cust {
		order[fill[c-lo]] = int32(idx)
		fill[c-lo]++
	}
	perUnit := s.cfg.Unit.days()
	for c := range int32(nc) {
		cells := order[start[c]:start[c+1]]
		if len(cells) == 0 {
			continue // only orders after the end day
		}
		slices.SortFunc(cells, func(a, b int32) int {
			if c := cmp.Compare(l.day[a], l.day[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		first := l.day[cells[0]]
		if first > calEnd {
			out.HoldoutOnly++
			continue
		}
		s.firstDay = min(s.firstDay, first)
		var x, orders, holdout int
		var lastDay int32
		var repeat, rev, gm, hrev float64
		for k := 0; k < len(cells); {
			// One purchase day: its orders k..j-1.
			day := l.day[cells[k]]
			var dayRev, dayGM float64
			j := k
			for ; j < len(cells) && l.day[cells[j]] == day; j++ {
				dayRev += l.rev[cells[j]]
				g := l.gm[cells[j]]
				if math.IsNaN(g) { // no cost: valued at the derived ratio
					g = l.rev[cells[j]] * out.Margin.Uncosted
				}
				dayGM += g
			}
			isFirst := k == 0
			dayN := j - k
			k = j
			if !isFirst {
				back := int(s.end - day)
				if back >= len(s.repeatsBack) {
					s.repeatsBack = append(s.repeatsBack, make([]int64, back+1-len(s.repeatsBack))...)
				}
				s.repeatsBack[back]++
			}
			if day > calEnd {
				holdout++
				hrev += dayRev
				continue
			}
			if !isFirst {
				x++
				repeat += dayRev
			}
			lastDay = day
			orders += dayN
			rev += dayRev
			gm += dayGM
		}
		m := 0.0
		if x > 0 {
			m = repeat / float64(x)
		}
		codes = append(codes, lo+c)
		out.Frequency = append(out.Frequency, x)
		out.Recency = append(out.Recency, float64(lastDay-first)/perUnit)
		out.Age = append(out.Age, float64(calEnd-first)/perUnit)
		out.Monetary = append(out.Monetary, m)
		out.Orders = append(out.Orders, orders)
		out.Revenue = append(out.Revenue, rev)
		out.GrossMargin = append(out.GrossMargin, gm)
		out.Holdout = append(out.Holdout, holdout)
		out.HoldoutRevenue = append(out.HoldoutRevenue, hrev)
	}
	return codes
}

// permute rearranges s so that s[i] becomes the old s[perm[i]].
func permute[T any](s []T, perm []int32) {
	old := slices.Clone(s)
	for i, p := range perm {
		s[i] = old[p]
	}
}

// Close removes the files the summarizer spilled orders to, if any, and
// drops its customer ids (a [Summary] it returned keeps its own); Add and
// Summary return [ErrClosed] afterwards. A second Close returns nil.
func (s *Summarizer) Close() error {
	if s.closed {
		return nil
	}
	s.closed, s.ids, s.names = true, nil, nil
	return s.orders.close()
}

// Summarize reads every batch of r into a [Summary]. It neither retains nor
// releases the records r returns (they belong to r, as with
// [arrio.Copy]); it stops early when ctx is done.
func Summarize(ctx context.Context, r arrio.Reader, cfg Config) (*Summary, error) {
	s, err := NewSummarizer(cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("summarize orders: %w", err)
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("summarize orders: read: %w", err)
		}
		if err := s.Add(rec); err != nil {
			return nil, fmt.Errorf("summarize orders: %w", err)
		}
	}
	return s.Summary()
}
