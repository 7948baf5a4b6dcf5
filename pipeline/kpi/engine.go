package kpi

import (
	"fmt"
	"slices"
	"sort"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Engine computes the KPIs of a stream of record batches. Feed it with
// [Engine.Add], dimension tables first (tickets before messages and
// surveys: the order of [ingest.Tables]), then call [Engine.Rows].
//
// An Engine is not safe for concurrent use.
type Engine struct {
	opt      Options
	cal      *Calendar
	present  map[ingest.Table]bool
	channels dict
	tickets  ticketStore
	notes    map[noteKey]int64

	surveyObs []series[surveyView]
	ticketObs []series[ticketView]

	// scratch buffers, reused across batches
	period, zero []int32
	x, w         []float64
	surveys      surveyView
}

// series is one metric with one grid per dimension: [0] is "all", [1] is
// "channel".
type series[V any] struct {
	observer[V]
	grids [2]grid
}

// dimChannel names the channel dimension in the tidy table.
const dimChannel = "channel"

// Note counts input rows that the KPIs could not use, with the reason.
type Note struct {
	Table ingest.Table
	Text  string
	Rows  int64
}

type noteKey struct {
	table ingest.Table
	text  string
}

// New returns an engine with the given options.
func New(opt Options) (*Engine, error) {
	opt.ensureDefaults()
	if opt.CSATPositive <= 0 || opt.CSATPositive > 1 {
		return nil, fmt.Errorf("kpi: CSATPositive %v outside (0, 1]", opt.CSATPositive)
	}
	cal, err := NewCalendar(opt.Grain, opt.Location)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		opt:      opt,
		cal:      cal,
		present:  map[ingest.Table]bool{},
		channels: dict{codes: map[string]int32{}},
		tickets:  ticketStore{index: map[string]int32{}},
		notes:    map[noteKey]int64{},
	}
	for _, o := range surveyMetrics(opt) {
		e.surveyObs = append(e.surveyObs, series[surveyView]{observer: o})
	}
	for _, o := range ticketMetrics() {
		e.ticketObs = append(e.ticketObs, series[ticketView]{observer: o})
	}
	return e, nil
}

// Calendar returns the engine's period calendar.
func (e *Engine) Calendar() *Calendar { return e.cal }

// Begin declares that table t is part of the input, even if it turns out
// to hold no rows: its metrics are then reported as missing rather than
// skipped. [Engine.Add] calls it too.
func (e *Engine) Begin(t ingest.Table) { e.present[t] = true }

// Add folds one record batch of table t into the KPIs. The batch must
// follow the table's contract schema. Tables the KPIs do not use are
// accepted and ignored.
func (e *Engine) Add(t ingest.Table, rec arrow.Record) error {
	e.Begin(t)
	switch t {
	case ingest.Tickets:
		return e.addTickets(rec)
	case ingest.Messages:
		return e.addMessages(rec)
	case ingest.Surveys:
		if err := e.decodeSurveys(rec, &e.surveys); err != nil {
			return err
		}
		observe(e, e.surveyObs, &e.surveys, e.surveys.at, e.surveys.channel)
	}
	return nil
}

// observe folds one view of n rows into every series of obs.
func observe[V any](e *Engine, obs []series[V], v *V, at []arrow.Timestamp, channel []int32) {
	n := len(at)
	e.period, e.zero = grow(e.period, n), grow(e.zero, n)
	e.x, e.w = grow(e.x, n), grow(e.w, n)
	clear(e.zero)
	e.cal.Assign(at, nil, e.period)
	codes := [2][]int32{e.zero, channel}
	for k := range obs {
		s := &obs[k]
		s.observe(v, e.x, e.w)
		for d := range s.grids {
			s.grids[d].add(e.period, codes[d], e.x, e.w, s.Stat == Quantile)
		}
	}
}

// Notes returns the counts of rows the KPIs could not use, by table and
// reason, in a stable order.
func (e *Engine) Notes() []Note {
	out := make([]Note, 0, len(e.notes))
	for k, n := range e.notes {
		out = append(out, Note{Table: k.table, Text: k.text, Rows: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Text < out[j].Text
	})
	return out
}

func (e *Engine) note(t ingest.Table, text string) { e.notes[noteKey{t, text}]++ }

// Rows finishes the computation and returns the tidy KPI table: for every
// metric whose inputs are present, every period from the first to the last
// one holding any data, dimension "all" and every channel seen. A metric
// with no observations in a period has a null value and n = 0. Rows
// consumes the engine's state; call it once.
func (e *Engine) Rows() []Row {
	e.observeTickets()
	type metricGrids struct {
		m     *Metric
		grids *[2]grid
	}
	var all []metricGrids
	for k := range e.surveyObs {
		all = append(all, metricGrids{&e.surveyObs[k].Metric, &e.surveyObs[k].grids})
	}
	for k := range e.ticketObs {
		all = append(all, metricGrids{&e.ticketObs[k].Metric, &e.ticketObs[k].grids})
	}
	// The reported span: every period any usable metric has data for.
	var lo, hi int32
	found := false
	var usable []metricGrids
	for _, s := range all {
		if !e.usable(s.m) {
			continue
		}
		usable = append(usable, s)
		if l, h, ok := s.grids[0].span(); ok {
			if !found {
				lo, hi, found = l, h, true
			}
			lo, hi = min(lo, l), max(hi, h)
		}
	}
	if !found {
		return nil
	}
	chans := e.channels.sorted()
	var rows []Row
	for p := lo; p <= hi; p++ {
		start, end := e.cal.Start(p).UTC(), e.cal.Start(p+1).UTC()
		for _, s := range usable {
			r := Row{PeriodStart: start, PeriodEnd: end, Metric: s.m.Name, Unit: s.m.Unit, Dimension: "all", DimensionValue: "all"}
			rows = append(rows, s.m.row(r, s.grids[0].at(p, 0)))
			for _, c := range chans {
				r.Dimension, r.DimensionValue = dimChannel, c.name
				rows = append(rows, s.m.row(r, s.grids[1].at(p, c.code)))
			}
		}
	}
	return rows
}

// usable reports whether every input m needs is present, logging a note
// when it is not.
func (e *Engine) usable(m *Metric) bool {
	for _, t := range m.Needs {
		if !e.present[t] {
			e.opt.Logger.Info("metric skipped: input absent", "metric", m.Name, "missing", string(t))
			return false
		}
	}
	return true
}

// row fills the value columns of r from cell c (nil when empty).
func (m *Metric) row(r Row, c *cell) Row {
	if c == nil || c.n == 0 {
		return r
	}
	r.N = c.n
	switch m.Stat {
	case Count:
		r.Value = Some(float64(c.n))
	case Quantile:
		r.Value = Some(quantile(slices.Clone(c.vals), m.Q))
	default:
		scale := m.Scale
		if scale == 0 {
			scale = 1
		}
		r.Numerator, r.Denominator = Some(c.x), Some(c.w)
		r.Value = Some(c.x / c.w * scale)
	}
	return r
}

// dict interns the values of a dimension as small integer codes.
type dict struct {
	codes map[string]int32
	names []string
}

func (d *dict) code(s string) int32 {
	c, ok := d.codes[s]
	if !ok {
		c = int32(len(d.names))
		d.codes[s] = c
		d.names = append(d.names, s)
	}
	return c
}

type coded struct {
	name string
	code int32
}

func (d *dict) sorted() []coded {
	out := make([]coded, len(d.names))
	for i, n := range d.names {
		out[i] = coded{n, int32(i)}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
