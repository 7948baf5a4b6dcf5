package kpi

import "github.com/apache/arrow/go/v17/arrow"

// aggregator folds the batches of one input table into the KPIs. Each
// kpi/<table>.go defines its table's aggregator: how a batch is decoded,
// and the metrics that observe it. [newEngine] lists them in one map and
// fixes their report order in one slice.
type aggregator interface {
	// add folds one batch of at least one row, following the table's
	// contract schema.
	add(rec arrow.Record) error
	// finish observes what the aggregator kept until the end of the
	// input. [Engine.Rows] calls it once every batch is in; calling it
	// again does nothing.
	finish() error
	// series returns the table's metrics with their grids, in report
	// order.
	series() []metricGrids
}

// perPeriod is an aggregator whose metrics are computed per period of the
// report from what it kept (the customer base), rather than observed
// from dated rows: [Engine.Rows] calls periods with the report's periods
// once it knows them.
type perPeriod interface {
	periods(lo, hi int32)
}

// view is a batch of rows decoded for the observers of one table: the
// rows it shares with every view, and the table's own columns.
type view interface{ base() *rows }

func (r *rows) base() *rows { return r }

// stream is the aggregator of a table whose batches are observed as they
// come: decode makes the view of a batch, and every metric observes it.
// P is *V.
type stream[V any, P interface {
	*V
	view
}] struct {
	e      *Engine
	view   V // reused across batches
	decode func(rec arrow.Record, v *V) error
	obs    []series[V]
}

// newStream returns the aggregator of a table observed batch by batch.
func newStream[V any, P interface {
	*V
	view
}](e *Engine, decode func(rec arrow.Record, v *V) error, obs []observer[V]) *stream[V, P] {
	return &stream[V, P]{e: e, decode: decode, obs: newSeries(obs)}
}

func (s *stream[V, P]) add(rec arrow.Record) error {
	if err := s.decode(rec, &s.view); err != nil {
		return err
	}
	observe(s.e, s.obs, &s.view, P(&s.view).base())
	return nil
}

func (s *stream[V, P]) finish() error { return nil }

func (s *stream[V, P]) series() []metricGrids { return gridsOf(s.obs) }

// gridsOf pairs each metric of obs with its grids.
func gridsOf[V any](obs []series[V]) []metricGrids {
	out := make([]metricGrids, len(obs))
	for i := range obs {
		out[i] = metricGrids{&obs[i].Metric, obs[i].grids}
	}
	return out
}

// series is one metric with one grid per dimension. The quantiles of one
// family (a duration's median and p90) share their grids: the same values,
// kept once; only the first of them observes.
type series[V any] struct {
	observer[V]
	grids   *[numDims]grid
	follows bool // shares the grids of an earlier series of its family
}

func newSeries[V any](obs []observer[V]) []series[V] {
	out := make([]series[V], len(obs))
	families := map[string]*[numDims]grid{}
	for i, o := range obs {
		out[i].observer = o
		if g, ok := families[o.family]; ok && o.family != "" {
			out[i].grids, out[i].follows = g, true
			continue
		}
		out[i].grids = new([numDims]grid)
		families[o.family] = out[i].grids
	}
	return out
}

// observe folds one view into every series of obs: the period of each row,
// then each metric's observations, then one grid per dimension.
func observe[V any](e *Engine, obs []series[V], v *V, r *rows) {
	n := len(r.at)
	e.period = grow(e.period, n)
	e.x, e.w = grow(e.x, n), grow(e.w, n)
	e.cal.Assign(r.at, nil, e.period)
	r.codes[dimAll] = zeros(r.codes[dimAll], n)
	for k := range obs {
		s := &obs[k]
		if s.follows {
			continue
		}
		s.observe(v, e.x, e.w)
		for d, codes := range r.codes {
			if codes != nil {
				s.grids[d].add(e.period, codes, e.x, e.w, s.Stat == Quantile)
			}
		}
	}
}

func zeros(s []int32, n int) []int32 {
	s = grow(s, n)
	clear(s)
	return s
}
