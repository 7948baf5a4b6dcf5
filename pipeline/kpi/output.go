package kpi

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// dim is a dimension a metric can be broken down by.
type dim int

const (
	dimAll      dim = iota // the total: one value, "all"
	dimChannel             // contact channel of the ticket (or feedback)
	dimAgent               // agent: the ticket's assignee, the replying agent, the reviewed agent, the answering agent
	dimTeam                // team of that agent
	dimPriority            // ticket priority
	dimPlatform            // social network
	dimHour                // hour of day in the reporting time zone, "00" to "23"
	dimWeekday             // ISO weekday in the reporting time zone, "1-Mon" to "7-Sun"
	numDims
)

func (d dim) String() string {
	return [...]string{"all", "channel", "agent", "team", "priority", "platform", "hour", "weekday"}[d]
}

// rows is what every view shares: the instant that places each row in a
// period, and the row's code in each dimension (nil where the dimension does
// not apply to the view; a code of -1 where the row has no value).
type rows struct {
	at    []arrow.Timestamp
	codes [numDims][]int32
}

// metricGrids pairs a metric with its accumulated grids, for the output.
type metricGrids struct {
	m     *Metric
	grids *[numDims]grid
}

// all returns every series of the engine in report order.
func (e *Engine) all() []metricGrids {
	var out []metricGrids
	for _, t := range e.order {
		out = append(out, e.tables[t].series()...)
	}
	return out
}

// grids returns the grids of the named metric, empty ones if the engine
// has no such metric.
func (e *Engine) grids(metric string) *[numDims]grid {
	for _, s := range e.all() {
		if s.m.Name == metric {
			return s.grids
		}
	}
	return new([numDims]grid)
}

// Rows finishes the computation and returns the tidy KPI table: for every
// metric whose inputs are present and every period from the first to the
// last one holding any data, the total (dimension "all") and every value of
// every dimension the metric was observed with. A metric with no
// observations in a period has a null value and n = 0. Each row also
// carries the previous period's value and the change from it. Rows consumes
// the engine's state; call it once. It fails only when the messages
// spilled to [Options.SpillDir] cannot be read back.
func (e *Engine) Rows() ([]Row, error) {
	for _, t := range e.order {
		if err := e.tables[t].finish(); err != nil {
			return nil, err
		}
	}

	series := e.all()
	var usable []metricGrids
	skipped := map[ingest.Table][]string{}
	lo, hi, found := int32(0), int32(0), false
	for _, s := range series {
		if !e.usable(s.m, skipped) {
			continue
		}
		usable = append(usable, s)
		if l, h, ok := s.grids[dimAll].span(); ok {
			if !found {
				lo, hi, found = l, h, true
			}
			lo, hi = min(lo, l), max(hi, h)
		}
	}
	for _, t := range ingest.Tables() {
		if ms := skipped[t]; len(ms) > 0 {
			e.opt.Logger.Info("metrics skipped: input absent", "table", string(t), "metrics", ms)
		}
	}
	if l, h, ok := e.customers.span(e.cal); ok && !found {
		lo, hi, found = l, h, true
	}
	if e.until != nil {
		// Report up to the period ending at until, even without data there.
		last := e.cal.Number(e.until.Add(-time.Nanosecond))
		if !found {
			lo, found = last, true
		}
		hi = last
		if lo > hi {
			return nil, nil
		}
	}
	if !found {
		return nil, nil
	}
	if n := int64(hi) - int64(lo) + 1; n > int64(e.opt.MaxPeriods) {
		return nil, fmt.Errorf("%w: %d %s periods from %s to %s, more than the limit of %d (max_periods)",
			ErrTooManyPeriods, n, e.opt.Grain, e.cal.Label(lo), e.cal.Label(hi), e.opt.MaxPeriods)
	}
	for _, t := range e.order {
		if p, ok := e.tables[t].(perPeriod); ok {
			p.periods(lo, hi)
		}
	}
	sortQuantiles(usable)

	var out []Row
	for _, s := range usable {
		for d := range numDims {
			for _, v := range e.observed(s.grids, d) {
				var prev Num
				var prevCell, prevTotal *cell
				for p := lo; p <= hi; p++ {
					r := Row{
						PeriodStart: e.cal.Start(p).UTC(), PeriodEnd: e.cal.Start(p + 1).UTC(), Period: e.cal.Label(p),
						Metric: s.m.Name, Unit: s.m.Unit, Dimension: d.String(), DimensionValue: v.name,
					}
					c, total := s.grids[d].at(p, v.code), s.grids[dimAll].at(p, 0)
					r = s.m.row(r, c, total)
					if r.Value.Valid {
						r.Source = e.sourceOf(s.m, d, p, v.code, r.N)
						if lo, hi, ok := s.m.interval(c, total); ok {
							r.CILow, r.CIHigh = Some(lo), Some(hi)
						}
					}
					r.Previous = prev
					if prev.Valid && r.Value.Valid {
						r.Change = Some(r.Value.V - prev.V)
						if prev.V != 0 {
							r.ChangePct = Some((r.Value.V - prev.V) / math.Abs(prev.V) * 100)
						}
						if sig, ok := s.m.significant(c, total, prevCell, prevTotal); ok {
							r.Significant = Flag{V: sig, Valid: true}
						}
					}
					prev, prevCell, prevTotal = r.Value, c, total
					out = append(out, r)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PeriodStart.Before(out[j].PeriodStart) })
	return out, nil
}

type coded struct {
	name string
	code int32
}

// observed returns the values of dimension d that the grids hold data for,
// sorted by name.
func (e *Engine) observed(g *[numDims]grid, d dim) []coded {
	if d == dimAll {
		return []coded{{"all", 0}} // the total is reported even without data
	}
	seen := map[int32]bool{}
	for _, row := range g[d].cells {
		for c := range row {
			if row[c].n > 0 {
				seen[int32(c)] = true
			}
		}
	}
	out := make([]coded, 0, len(seen))
	for c := range seen {
		out = append(out, coded{e.dicts[d].names[c], c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// row fills the value columns of r from cell c (nil when empty); total is
// the cell of the same period for dimension "all", for shares.
func (m *Metric) row(r Row, c, total *cell) Row {
	if c == nil || c.n == 0 {
		return r
	}
	r.N = c.n
	scale := m.Scale
	if scale == 0 {
		scale = 1
	}
	switch m.Stat {
	case Count:
		r.Value = Some(float64(c.n))
	case Sum:
		r.Value = Some(c.x * scale)
	case Quantile:
		r.Value = Some(c.quantile(m.Q)) // sorts the cell's values in place: Rows consumes the state
	case Share:
		r.Numerator, r.Denominator = Some(c.w), Some(total.w)
		r.Value = Some(c.w / total.w * scale)
	default:
		if c.w == 0 {
			return r
		}
		r.Numerator, r.Denominator = Some(c.x), Some(c.w)
		r.Value = Some(c.x / c.w * scale)
	}
	return r
}

// sortQuantiles sorts the values of every quantile cell, on all cores.
// Each cell is sorted by one goroutine, so the result does not depend on
// the scheduling.
func sortQuantiles(series []metricGrids) {
	cells := make(chan []float64)
	seen := map[*[numDims]grid]bool{} // a family's quantiles share grids
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for vals := range cells {
				slices.Sort(vals)
			}
		}()
	}
	for _, s := range series {
		if s.m.Stat != Quantile || seen[s.grids] {
			continue
		}
		seen[s.grids] = true
		for d := range s.grids {
			for _, row := range s.grids[d].cells {
				for i := range row {
					if len(row[i].vals) > 1 {
						cells <- row[i].vals
					}
				}
			}
		}
	}
	close(cells)
	wg.Wait()
}
