package kpi

import (
	"cmp"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Engine computes the KPIs of a stream of record batches. Feed it with
// [Engine.Add] in the order of [ingest.Tables] (customers and tickets
// before the tables that refer to them), calling [Engine.Done] after each
// table so that it can free what it keeps per ticket early, then call
// [Engine.Rows].
//
// An Engine is not safe for concurrent use.
type Engine struct {
	opt     Options
	cal     *Calendar
	bh      *BusinessHours
	present map[ingest.Table]bool
	done    map[ingest.Table]bool // see Done
	dicts   [numDims]dict
	notes   map[noteKey]int64
	until   *time.Time       // see Until
	asOf    *time.Time       // see AsOf
	hasher  ingest.KeyHasher // digests of ticket, customer and review ids

	// tables holds the aggregator of every input table; order is the
	// order of their metrics in the report.
	tables map[ingest.Table]aggregator
	order  []ingest.Table

	// What several tables read: the surveys and the messages take their
	// dimensions from their ticket, the orders mark their customers.
	tickets   ticketStore
	customers customerStore

	// vendorSeen says which vendor metrics some ticket held;
	// vendorCounts holds, per first-reply variant, the grids counting the
	// observations taken from the vendor (see [Engine.sourceOf]).
	vendorSeen   vendorSeen
	vendorCounts map[string]*[numDims]grid

	// scratch buffers, reused across batches
	period []int32
	x, w   []float64
}

// Note counts input rows that the KPIs could not use, with the reason.
type Note struct {
	Table ingest.Table `json:"table"`
	Text  string       `json:"text"`
	Rows  int64        `json:"rows"`
}

type noteKey struct {
	table ingest.Table
	text  string
}

// New returns an engine with the given options.
func New(opt Options) (*Engine, error) {
	opt.ensureDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	return newEngine(opt), nil
}

// newEngine returns an engine for valid options. Adding a table is one
// entry in tables, its place in order, and its kpi/<table>.go.
func newEngine(opt Options) *Engine {
	e := &Engine{
		opt:     opt,
		cal:     &Calendar{grain: opt.Grain, loc: opt.Location},
		bh:      opt.BusinessHours,
		present: map[ingest.Table]bool{},
		done:    map[ingest.Table]bool{},
		notes:   map[noteKey]int64{},
	}
	for d := range e.dicts {
		e.dicts[d].codes = map[string]int32{}
	}
	e.dicts[dimAll].code("all")
	e.hasher = ingest.NewKeyHasher()
	perFile := cmp.Or(opt.ticketsPerSpill, ticketsPerSpill)
	e.tickets.facts = factStore{dir: opt.SpillDir, perFile: perFile}
	e.tickets.msgs = messageStore{dir: opt.SpillDir, perFile: perFile}
	e.tables = map[ingest.Table]aggregator{
		ingest.Customers:      newCustomers(e),
		ingest.Tickets:        newTickets(e),
		ingest.Messages:       newMessages(e),
		ingest.Surveys:        newSurveys(e),
		ingest.QAReviews:      newReviews(e),
		ingest.Calls:          newCalls(e),
		ingest.Feedback:       newFeedback(e),
		ingest.SocialMentions: newSocial(e),
		ingest.Orders:         newOrders(e),
		ingest.Referrals:      newReferrals(e),
	}
	e.order = []ingest.Table{
		ingest.Surveys, ingest.Tickets, ingest.Messages, ingest.QAReviews, ingest.Calls,
		ingest.Feedback, ingest.SocialMentions, ingest.Orders, ingest.Referrals, ingest.Customers,
	}
	return e
}

// Until makes [Engine.Rows] report the periods up to the one ending at
// end (exclusive) and no later, whether or not they hold data: the
// periods of a report that ends at end.
func (e *Engine) Until(end time.Time) { e.until = &end }

// Calendar returns the engine's period calendar.
func (e *Engine) Calendar() *Calendar { return e.cal }

// Begin declares that table t is part of the input, even if it turns out
// to hold no rows: its metrics are then reported as missing rather than
// skipped. [Engine.Add] calls it too.
func (e *Engine) Begin(t ingest.Table) { e.present[t] = true }

// Done declares that no more batches of table t will come. Once the
// tickets, their messages and the surveys (which take their dimensions
// from the tickets) are all done, the engine pairs the messages and
// observes the ticket metrics at once, and frees the per-ticket state
// before the tables that follow are read; otherwise [Engine.Rows] does it.
// The results are the same either way. Adding a batch of a table after
// its Done is an error.
func (e *Engine) Done(t ingest.Table) error {
	e.done[t] = true
	if e.tickets.finished || !e.done[ingest.Tickets] || !e.done[ingest.Messages] || !e.done[ingest.Surveys] {
		return nil
	}
	return e.tables[ingest.Tickets].finish()
}

// Add folds one record batch of table t into the KPIs. The batch must
// follow the table's contract schema.
func (e *Engine) Add(t ingest.Table, rec arrow.Record) error {
	a, ok := e.tables[t]
	if !ok {
		return fmt.Errorf("kpi: unknown table %q", string(t))
	}
	if e.done[t] {
		return fmt.Errorf("kpi: a %s batch after Done(%s)", t, t)
	}
	e.Begin(t)
	if rec.NumRows() == 0 {
		return nil
	}
	return a.add(rec)
}

// Notes returns the counts of rows the KPIs could not use, by table and
// reason, in a stable order. The messages are checked against their
// ticket when the tickets are finished (see [Engine.Done]): the notes are
// complete once [Engine.Rows] has run.
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

// usable reports whether every input m needs is present, noting the
// metrics skipped for want of an input.
func (e *Engine) usable(m *Metric, skipped map[ingest.Table][]string) bool {
	if m.vendor != 0 && e.present[ingest.Tickets] && (m.vendorOnly || e.vendorSeen[m.vendor-1]) {
		return e.vendorSeen[m.vendor-1]
	}
	for _, t := range m.Needs {
		if !e.present[t] {
			skipped[t] = append(skipped[t], m.Name)
			return false
		}
	}
	return true
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

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
