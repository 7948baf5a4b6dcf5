package sample

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
	_ "time/tzdata" // the business zone must not depend on the host's zoneinfo

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// BusinessZone is the time zone whose office hours and weekly rhythm shape
// the generated times. Times are written in UTC.
const BusinessZone = "Europe/Lisbon"

// Positions of the tables in the generator, in the order of ingest.Tables.
const (
	tCustomers = iota
	tTickets
	tMessages
	tSurveys
	tQAReviews
	tCalls
	tFeedback
	tSocialMentions
	tOrders
	tReferrals
	numTables
)

// tables returns the tables the generator writes, at their positions.
func tables() [numTables]ingest.Table {
	return [numTables]ingest.Table{ingest.Customers, ingest.Tickets, ingest.Messages, ingest.Surveys, ingest.QAReviews,
		ingest.Calls, ingest.Feedback, ingest.SocialMentions, ingest.Orders, ingest.Referrals}
}

// Random streams: each part of the model draws from its own, so that a
// change in one part does not reshuffle the others.
const (
	streamCustomers uint64 = iota + 1
	streamAgents
	streamHistory
	streamMentions
	streamBadRows
)

// Generate writes one export per table of the contract ([ingest.Tables])
// into dir, created if needed: <table>.csv or <table>.parquet, and, when
// cfg.BadRows > 0, the list of malformed rows in BAD_ROWS.md (a stale one
// is removed otherwise). Each file is written under a temporary name and
// renamed into place. progress, if not nil, is called with a table's row
// count every million rows and once when its file is complete. Generate
// returns the number of data rows written per table, bad rows included.
// With volume targets in cfg, it first calibrates the model's rates by
// pilot runs that write nothing (see Volumes in the package documentation).
func Generate(ctx context.Context, dir string, cfg Config, progress func(table string, rows int64)) (map[string]int64, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(BusinessZone)
	if err != nil {
		return nil, fmt.Errorf("sample: business time zone: %w", err)
	}
	if want := tables(); !slices.Equal(ingest.Tables(), want[:]) {
		return nil, fmt.Errorf("sample: the contract's tables %v are not the generator's %v", ingest.Tables(), want)
	}
	var specs [numTables]ingest.Spec
	for i, name := range tables() {
		if specs[i], err = Spec(name); err != nil {
			return nil, err
		}
	}
	g := newGenerator(cfg, loc)
	if cfg.scaled() {
		if err := g.calibrate(ctx, specs); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	outs := make([]*atomicFile, 0, numTables)
	closed := false
	defer func() {
		if closed {
			return
		}
		for _, t := range g.tabs {
			if t != nil && t.enc != nil {
				t.enc.close()
			}
		}
		for _, o := range outs {
			o.abort()
		}
	}()
	for i, spec := range specs {
		out, err := createAtomic(dir, string(spec.Table)+"."+cfg.Format)
		if err != nil {
			return nil, fmt.Errorf("sample: %w", err)
		}
		outs = append(outs, out)
		var enc encoder
		if cfg.Format == Parquet {
			enc, err = newParquetEncoder(out.f, spec, cfg.Mem)
		} else {
			enc, err = newCSVEncoder(out.f, spec)
		}
		if err != nil {
			return nil, fmt.Errorf("sample: %s: %w", filepath.Base(out.final), err)
		}
		enc = newAsyncEncoder(enc, len(spec.Columns))
		g.tabs[i] = g.newTable(i, spec, filepath.Base(out.final), enc, progress)
	}

	if err := g.run(ctx); err != nil {
		return nil, err
	}
	var bad []BadRow
	for _, t := range g.tabs {
		t.finish()
		if t.err != nil {
			return nil, t.err
		}
		bad = append(bad, t.injected...)
	}
	closed = true
	var firstErr error
	for i, t := range g.tabs {
		err := t.enc.close()
		if err != nil {
			err = fmt.Errorf("sample: write %s: %w", t.file, err)
			outs[i].abort()
		} else {
			err = outs[i].commit()
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := writeBadRows(dir, cfg, bad); err != nil {
		return nil, err
	}
	rows := make(map[string]int64, numTables)
	for _, t := range g.tabs {
		rows[string(t.name)] = t.rows
		if progress != nil {
			progress(string(t.name), t.rows)
		}
	}
	return rows, nil
}

// writeBadRows writes BAD_ROWS.md, or removes a stale one when there are no
// bad rows.
func writeBadRows(dir string, cfg Config, bad []BadRow) error {
	if cfg.BadRows == 0 {
		if err := os.Remove(filepath.Join(dir, BadRowsFile)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("sample: %w", err)
		}
		return nil
	}
	out, err := createAtomic(dir, BadRowsFile)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	if _, err := out.f.Write(formatBadRows(cfg, bad)); err != nil {
		out.abort()
		return fmt.Errorf("sample: write %s: %w", BadRowsFile, err)
	}
	if err := out.commit(); err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	return nil
}

// customer is what the model keeps about every customer for the whole run.
type customer struct {
	signup int64 // Unix seconds
	churn  int64 // Unix seconds; never while active at the end
	flags  uint8
}

// Customer flags.
const (
	loyal uint8 = 1 << iota
	educated
	advocate
)

// never is the churn time of a customer who has not churned.
const never = math.MaxInt64

// generator holds the model and the open tables of one run.
type generator struct {
	cfg        Config
	clock      clock
	start, end int64 // the window of activity, Unix seconds
	cust       []customer
	active     float64 // customer-months of activity in the window
	agents     []agent
	tabs       [numTables]*table
	pcg        rand.PCG
	r          *rand.Rand // draws from pcg, reseeded per customer
	support    profile
	social     profile
	model      model
	times      []int64   // scratch
	msgs       []message // scratch
	offs       []int64   // scratch
	ticketIDs  []int64   // scratch of the sequencer ([generator.put])

	// For calibrating volumes ([generator.calibrate]): the optional
	// messages, NPS answers and orders at signup written, and the rows a
	// pilot run predicts for every table (zero without volume targets).
	optionalMessages, npsAnswers, signupOrders int64
	expected                                   [numTables]float64
}

func newGenerator(cfg Config, loc *time.Location) *generator {
	start, end := cfg.End.AddDate(0, -cfg.Months, 0).Unix(), cfg.End.Unix()
	g := &generator{
		cfg: cfg,
		// Signups go back a few years before the window; replies and
		// responses may fall a little after its end.
		clock:   newClock(loc, start-5*366*day, end+366*day),
		end:     end,
		start:   start,
		support: supportProfile(),
		social:  socialProfile(),
		model:   newModel(),
	}
	g.r = rand.New(&g.pcg)
	g.agents = newAgents(g.rng(streamAgents, 0))
	g.cust = g.customers()
	g.active = g.activeMonths()
	return g
}

// rng returns a generator of the given stream and index, independent of
// every other (stream, index) pair.
func (g *generator) rng(stream, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix64(g.cfg.Seed^mix64(stream)), mix64(index+mix64(stream<<32))))
}

// reseed points g.r at the stream of customer i's history.
func (g *generator) reseed(i int) {
	g.pcg.Seed(mix64(g.cfg.Seed^mix64(streamHistory)), mix64(uint64(i)+mix64(streamHistory<<32)))
}

func (g *generator) newTable(i int, spec ingest.Spec, file string, enc encoder, progress func(string, int64)) *table {
	t := &table{name: spec.Table, spec: spec, file: file, enc: enc, progress: progress,
		cells: make([]cell, 0, len(spec.Columns)), scratch: make([]cell, 0, len(spec.Columns))}
	if spec.Table == ingest.Customers {
		t.next = int64(g.cfg.Customers) // good customers are numbered 1..Customers
	}
	if g.cfg.Format == CSV {
		t.header = 1
	}
	t.bad = planBad(g.rng(streamBadRows, uint64(i)), spec, g.cfg.Format, g.cfg.BadRows, g.estimate(i, spec))
	return t
}

// estimate returns about how many good rows table i, of contract spec,
// will hold.
func (g *generator) estimate(i int, spec ingest.Spec) float64 {
	switch {
	case spec.Table == ingest.Customers:
		return float64(g.cfg.Customers)
	case g.cfg.scaled() && spec.Table != ingest.SocialMentions:
		return g.expected[i] // social mentions are not in a pilot run
	}
	return g.active * g.model.perCustomerMonth(spec.Table)
}

// customers draws every customer's signup, churn and flags, ordered by
// signup: about a third had signed up in the three years before the
// window, the rest sign up during it at a rate that doubles over it.
func (g *generator) customers() []customer {
	r := g.rng(streamCustomers, 0)
	m := &g.model
	cs := make([]customer, g.cfg.Customers)
	span := float64(g.end - g.start)
	for i := range cs {
		var t int64
		for range 16 {
			if chance(r, m.existingShare) {
				t = g.start - 1 - int64(r.Float64()*m.existingYears*365.25*day)
			} else {
				x := math.Log1p(r.Float64()*(math.Exp(m.signupGrowth)-1)) / m.signupGrowth
				t = g.start + int64(x*span)
			}
			t = min(max(t, 0), g.end-1)
			wd, h := g.clock.local(t)
			if r.Float64()*g.support.max < g.support.weekday[wd]*g.support.hour[h] {
				break
			}
		}
		cs[i].signup = t
	}
	slices.SortFunc(cs, func(a, b customer) int { return cmp.Compare(a.signup, b.signup) })
	for i := range cs {
		c := &cs[i]
		hazard := m.churnHazard
		if chance(r, m.loyaltyShare) {
			c.flags |= loyal
			hazard *= 0.5
		}
		if chance(r, m.educationShare) {
			c.flags |= educated
			hazard *= 0.8
		}
		if chance(r, m.advocateShare) {
			c.flags |= advocate
		}
		c.churn = c.signup + int64(expRand(r, month/hazard))
		if c.churn >= g.end {
			c.churn = never
		}
	}
	return cs
}

// activeMonths returns the customer-months of activity inside the window.
func (g *generator) activeMonths() float64 {
	total := 0.0
	for _, c := range g.cust {
		a, b := max(c.signup, g.start), min(c.churn, g.end)
		if a < b {
			total += float64(b-a) / month
		}
	}
	return total
}

// failed returns the first error of any table.
func (g *generator) failed() error {
	for _, t := range g.tabs {
		if err := t.failed(); err != nil {
			return err
		}
	}
	return nil
}

// sec rounds a duration in seconds to whole seconds, at least min.
func sec(d float64, least int64) int64 {
	return max(int64(math.Round(d)), least)
}

// Spec returns the contract of table t as the generator writes it: every
// column but the [ingest.Duration] ones, a helpdesk's own precomputed
// metrics, which generated tickets do without (their messages tell).
func Spec(t ingest.Table) (ingest.Spec, error) {
	spec, err := ingest.SpecOf(t)
	if err != nil {
		return spec, err
	}
	spec.Columns = slices.DeleteFunc(slices.Clone(spec.Columns), func(c ingest.Column) bool { return c.Kind == ingest.Duration })
	return spec, nil
}
