package kpi

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// noTime marks a ticket fact that has not happened (yet).
const noTime = arrow.Timestamp(math.MaxInt64)

// Message authors, as codes.
const (
	authorCustomer int8 = iota
	authorAgent
	authorInternal
)

// ticketStore keeps the per-ticket facts the ticket metrics need, indexed
// by the order tickets were read, and the messages until the tickets are
// finished, when they are sorted by ticket and time to pair every reply
// with what it answers (see [messageStore]). The surveys and the replies
// take their dimensions from their ticket, so the dimension codes stay in
// memory (16 bytes a ticket, and an index entry of about 17); the
// creation and solution instants and the flags, which only finishing
// reads (19 bytes more), go to spill files with the messages when these
// spill (see [factStore]).
type ticketStore struct {
	index    ingest.KeyIndex // by digest of the ticket id; sealed at the first lookup
	channel  []int32
	agent    []int32 // -1 when unassigned
	team     []int32
	priority []int32

	facts  factStore
	msgs   messageStore
	vendor vendorStore // the vendor metrics, once a ticket has one

	finished bool // the ticket metrics are observed and the state above freed
}

// ticket returns the index of the ticket with the given id. The index
// must be sealed (see [Engine.sealTickets]).
func (e *Engine) ticket(id string) (int32, bool) {
	return e.tickets.index.Get(e.hasher.String(id))
}

// sealTickets sorts the ticket index before its first lookup, and drops
// the tickets whose id an earlier ticket already had (the first copy is
// kept): they leave the facts, and the tickets after them move up.
func (e *Engine) sealTickets() error {
	s := &e.tickets
	repeated := s.index.Seal() // nil once sealed
	if len(repeated) == 0 {
		return nil
	}
	for range repeated {
		e.note(ingest.Tickets, "tickets repeat an id already read; the later copy is ignored")
	}
	s.channel, s.agent = dropRows(s.channel, repeated), dropRows(s.agent, repeated)
	s.team, s.priority = dropRows(s.team, repeated), dropRows(s.priority, repeated)
	s.vendor.drop(repeated)
	if err := s.facts.drop(repeated); err != nil {
		return err
	}
	s.index.Renumber(renumber(repeated))
	return nil
}

// dropRows removes the rows at the given increasing positions from s.
func dropRows[T any](s []T, drop []int32) []T {
	out := s[:0]
	for i, v := range s {
		if len(drop) > 0 && int(drop[0]) == i {
			drop = drop[1:]
			continue
		}
		out = append(out, v)
	}
	return out
}

// renumber maps a row number to its number once the rows at the given
// increasing positions are dropped; false for the dropped ones.
func renumber(drop []int32) func(int32) (int32, bool) {
	return func(v int32) (int32, bool) {
		k, found := slices.BinarySearch(drop, v)
		return v - int32(k), !found
	}
}

// ticketsTable is the aggregator of the tickets: it keeps them in the
// engine's ticket store until they are finished (see [Engine.Done]), then
// observes the ticket metrics, at creation and at solution, and the reply
// metrics of their messages.
type ticketsTable struct {
	e          *Engine
	opened     []series[ticketView] // per ticket, at creation
	firstReply []series[ticketView] // per ticket, at creation
	solved     []series[ticketView] // per solved ticket, at solution
	replies    []series[replyView]  // per agent reply
	vendorOnly []series[ticketView] // per ticket with a vendor value, at creation
	// vendorCounts count the first replies taken from the vendor, at
	// creation; they are no metrics of the output.
	vendorCounts []series[ticketView]
	recon        []Reconciled // see [Engine.Reconciliation]

	// The flow and the backlog (backlog.go): flowSolved per solved
	// ticket at solution (tickets_solved, and the −1 of the net flow,
	// which is not reported twice); netIn per ticket at creation (its
	// +1); backlog per ticket and period whose snapshot finds it open.
	flowSolved []series[ticketView]
	netIn      []series[ticketView]
	backlog    []series[snapshotView]
	snap       snapshotView              // the backlog chunk being filled
	open       []openTicket              // unsolved tickets, until the last period is known
	snaps      map[int32]arrow.Timestamp // period → its snapshot instant
	effort     []series[ticketView]      // per solved ticket, at solution
}

func newTickets(e *Engine) *ticketsTable {
	ts := &ticketsTable{
		e:          e,
		opened:     newSeries(openedMetrics()),
		firstReply: newSeries(firstReplyMetrics(e.bh)),
		solved:     newSeries(solvedMetrics(e.bh)),
		replies:    newSeries(replyMetrics(e.bh)),
		vendorOnly: newSeries(vendorOnlyMetrics()),
	}
	solved, netIn, netOut := flowMetrics()
	ts.flowSolved, ts.netIn = newSeries([]observer[ticketView]{solved, netOut}), newSeries([]observer[ticketView]{netIn})
	ts.flowSolved[1].grids = ts.netIn[0].grids
	ts.backlog = newSeries(backlogMetrics())
	ts.effort = newSeries(effortMetrics())
	ts.vendorCounts = newSeries(vendorCountMetrics(e.bh))
	e.vendorCounts = map[string]*[numDims]grid{}
	for _, c := range ts.vendorCounts {
		e.vendorCounts[c.Name] = c.grids
	}
	return ts
}

func (ts *ticketsTable) add(rec arrow.Record) error { return ts.e.addTickets(rec) }

func (ts *ticketsTable) series() []metricGrids {
	out := gridsOf(ts.opened)
	out = append(out, gridsOf(ts.firstReply)...)
	out = append(out, gridsOf(ts.solved)...)
	out = append(out, gridsOf(ts.replies)...)
	out = append(out, gridsOf(ts.vendorOnly)...)
	out = append(out, gridsOf(ts.flowSolved[:1])...) // [1] is the net flow's −1
	out = append(out, gridsOf(ts.netIn)...)
	out = append(out, gridsOf(ts.backlog)...)
	return append(out, gridsOf(ts.effort)...)
}

// messagesTable is the aggregator of the messages: it keeps them in the
// ticket store, where finishing the tickets reads them. Their metrics are
// the tickets'.
type messagesTable struct{ e *Engine }

func newMessages(e *Engine) messagesTable { return messagesTable{e} }

func (t messagesTable) add(rec arrow.Record) error { return t.e.addMessages(rec) }
func (t messagesTable) finish() error              { return nil }
func (t messagesTable) series() []metricGrids      { return nil }

// ticketView is a chunk of tickets with what their messages tell.
type ticketView struct {
	rows
	created    []arrow.Timestamp
	solved     []arrow.Timestamp
	firstReply []arrow.Timestamp // noTime if never replied
	replies    []int32           // public agent replies
	followUp   []bool            // the customer wrote again after the first reply
	complaint  []bool
	reopened   []bool

	frt, frtBH []float64 // first reply time, seconds: cxkpi's, or the vendor's where the ticket has no message
	res, resBH []float64 // resolution time, seconds

	frtIn, frtBHIn         []bool               // the ticket has a first reply time (calendar, business hours)
	frtVendor, frtBHVendor []bool               // it is the vendor's
	vendor                 [numVendor][]float64 // vendor metrics, seconds; NaN where missing
}

// replyView is a chunk of agent replies, each with the instant of the
// customer message (or ticket opening) it answers.
type replyView struct {
	rows
	asked    []arrow.Timestamp
	rt, rtBH []float64 // reply time, seconds
}

func seconds(a, b arrow.Timestamp) float64 { return float64(b-a) / 1e6 }

func instant(t arrow.Timestamp) time.Time { return time.UnixMicro(int64(t)) }

// durationMetrics defines the mean, median and 90th percentile of one
// duration in seconds, in calendar time (cal) and, when biz is not nil, in
// business hours (metric names with the suffix _bh). Views compute the
// durations once per row; the six metrics read them.
func durationMetrics[V any](name, doc string, needs []ingest.Table, in func(v *V, i int) bool,
	cal, biz func(v *V, i int) float64) []observer[V] {
	var out []observer[V]
	for _, variant := range []struct {
		suffix, doc string
		val         func(v *V, i int) float64
	}{{"", "", cal}, {"_bh", " in business hours", biz}} {
		if variant.val == nil {
			continue
		}
		n := name + variant.suffix
		d := doc + variant.doc
		out = append(out,
			observer[V]{Metric{Name: n, Unit: UnitSeconds, Better: Lower, Needs: needs, Doc: "mean " + d}, mean(in, variant.val)},
			observer[V]{Metric{Name: n + "_median", Unit: UnitSeconds, Better: Lower, Stat: Quantile, Q: 0.5, Needs: needs, Doc: "median " + d, family: n}, mean(in, variant.val)},
			observer[V]{Metric{Name: n + "_p90", Unit: UnitSeconds, Better: Lower, Stat: Quantile, Q: 0.9, Needs: needs, Doc: "90th percentile of " + d, family: n}, mean(in, variant.val)},
		)
	}
	return out
}

// durations computes the calendar and business-hours seconds from a[i] to
// b[i] for the rows where both are set, into cal and biz (grown to fit).
// Business hours take a calendar walk per row, so long inputs are split
// across all cores; each row's result is the same whoever computes it.
func durations(bh *BusinessHours, a, b []arrow.Timestamp, cal, biz []float64) ([]float64, []float64) {
	cal, biz = grow(cal, len(a)), grow(biz, len(a))
	part := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			cal[i], biz[i] = 0, 0
			if a[i] == noTime || b[i] == noTime {
				continue
			}
			cal[i] = seconds(a[i], b[i])
			if bh != nil {
				biz[i] = bh.Duration(instant(a[i]), instant(b[i])).Seconds()
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if bh == nil || workers == 1 || len(a) < 4096 {
		part(0, len(a))
		return cal, biz
	}
	var wg sync.WaitGroup
	step := (len(a) + workers - 1) / workers
	for lo := 0; lo < len(a); lo += step {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part(lo, min(lo+step, len(a)))
		}()
	}
	wg.Wait()
	return cal, biz
}

// openedMetrics are observed per ticket at its creation.
func openedMetrics() []observer[ticketView] {
	every := func(*ticketView, int) bool { return true }
	return []observer[ticketView]{
		{Metric{Name: "tickets", Unit: UnitCount, Better: Neither, Stat: Count, Needs: []ingest.Table{ingest.Tickets},
			Doc: "tickets created in the period"},
			mean(every, func(*ticketView, int) float64 { return 1 })},
		{Metric{Name: "channel_share", Unit: UnitPercent, Better: Neither, Stat: Share, Scale: 100, Needs: []ingest.Table{ingest.Tickets},
			Doc: "share of the period's tickets created through each channel"},
			mean(every, func(*ticketView, int) float64 { return 1 })},
		{Metric{Name: "reopen_rate", Unit: UnitPercent, Better: Lower, Scale: 100, Needs: []ingest.Table{ingest.Tickets},
			Doc: "share of the solved tickets created in the period that were reopened (reopens > 0)"},
			share(func(v *ticketView, i int) bool { return v.solved[i] != noTime }, func(v *ticketView, i int) bool { return v.reopened[i] })},
	}
}

// solvedMetrics are observed per solved ticket at its (last) solution.
func solvedMetrics(bh *BusinessHours) []observer[ticketView] {
	solved := func(v *ticketView, i int) bool { return v.solved[i] != noTime }
	complaint := func(v *ticketView, i int) bool { return v.solved[i] != noTime && v.complaint[i] }
	cal := func(v *ticketView, i int) float64 { return v.res[i] }
	biz := func(v *ticketView, i int) float64 { return v.resBH[i] }
	if bh == nil {
		biz = nil
	}
	tickets := []ingest.Table{ingest.Tickets}
	out := durationMetrics("resolution_time", "time from ticket creation to solution", tickets, solved, cal, biz)
	out = append(out, durationMetrics("complaint_resolution_time", "time from creation to solution of complaint tickets", tickets, complaint, cal, biz)...)
	return append(out, observer[ticketView]{
		Metric{Name: "first_contact_resolution", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Tickets, ingest.Messages},
			Doc: "share of solved tickets solved with at most one agent reply, no reopening and no customer follow-up"},
		share(solved, func(v *ticketView, i int) bool { return v.replies[i] <= 1 && !v.reopened[i] && !v.followUp[i] }),
	})
}

// firstReplyMetrics are observed per ticket at its creation.
// A ticket without messages takes the vendor's first reply time, if any
// (see [ticketsTable.blendFirstReply]).
func firstReplyMetrics(bh *BusinessHours) []observer[ticketView] {
	const name, doc = "first_reply_time", "time from ticket creation to the first public agent reply"
	needs := []ingest.Table{ingest.Tickets, ingest.Messages}
	out := durationMetrics(name, doc, needs,
		func(v *ticketView, i int) bool { return v.frtIn[i] },
		func(v *ticketView, i int) float64 { return v.frt[i] }, nil)
	for i := range out {
		out[i].vendor = vFirstReply + 1
	}
	if bh == nil {
		return out
	}
	biz := durationMetrics(name+"_bh", doc+" in business hours", needs,
		func(v *ticketView, i int) bool { return v.frtBHIn[i] },
		func(v *ticketView, i int) float64 { return v.frtBH[i] }, nil)
	for i := range biz {
		biz[i].vendor = vFirstReplyBH + 1
	}
	return append(out, biz...)
}

// replyMetrics are observed per agent reply at the reply.
func replyMetrics(bh *BusinessHours) []observer[replyView] {
	biz := func(v *replyView, i int) float64 { return v.rtBH[i] }
	if bh == nil {
		biz = nil
	}
	return durationMetrics("reply_time", "time from a customer message (or the ticket's creation) to the agent reply that answers it",
		[]ingest.Table{ingest.Tickets, ingest.Messages},
		func(*replyView, int) bool { return true },
		func(v *replyView, i int) float64 { return v.rt[i] }, biz)
}

// addTickets appends a tickets batch to the store.
func (e *Engine) addTickets(rec arrow.Record) error {
	cols, err := columns(rec, ingest.Tickets, "ticket_id", "created_at", "solved_at", "channel", "agent_id", "team", "priority", "is_complaint", "reopens", "status")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	created := cols[1].(*array.Timestamp).TimestampValues()
	solved := cols[2].(*array.Timestamp)
	complaint := cols[7].(*array.Boolean)
	reopens := cols[8].(*array.Int64)
	status := cols[9].(*array.String)
	vendor, keepVendor, err := e.vendorBatch(rec)
	if err != nil {
		return err
	}
	s := &e.tickets
	for i := range int(rec.NumRows()) {
		if !s.index.Put(e.hasher.String(ids.Value(i)), int32(len(s.channel))) {
			// A repeat found at once: the index was sealed already.
			e.note(ingest.Tickets, "tickets repeat an id already read; the later copy is ignored")
			continue
		}
		s.channel = append(s.channel, e.codeOf(dimChannel, cols[3], i))
		s.agent = append(s.agent, e.codeOf(dimAgent, cols[4], i))
		s.team = append(s.team, e.codeOf(dimTeam, cols[5], i))
		s.priority = append(s.priority, e.codeOf(dimPriority, cols[6], i))
		if keepVendor {
			s.vendor.add(ids.Value(i), &vendor, i)
		}
		at := noTime
		if solved.IsValid(i) {
			at = solved.Value(i)
		}
		openNow := at != noTime && status.IsValid(i) && unsolvedStatus(status.Value(i))
		if err := s.facts.add(created[i], at, complaint.IsValid(i) && complaint.Value(i), reopens.IsValid(i) && reopens.Value(i) != 0, openNow); err != nil {
			return err
		}
		// The messages spill with the facts, by the same ranges of tickets.
		if s.facts.spilled() && s.msgs.files == nil {
			if err := s.msgs.startSpill(); err != nil {
				return err
			}
		}
	}
	return nil
}

// codeOf returns the code of row i of a string column in dimension d, or -1
// when the value is null.
func (e *Engine) codeOf(d dim, col arrow.Array, i int) int32 {
	s := col.(*array.String)
	if s.IsNull(i) {
		return -1
	}
	return e.dicts[d].code(s.Value(i))
}

// addMessages keeps the messages of known tickets for [ticketsTable.finish].
func (e *Engine) addMessages(rec arrow.Record) error {
	cols, err := columns(rec, ingest.Messages, "ticket_id", "author", "agent_id", "created_at")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	authors := cols[1].(*array.String)
	at := cols[3].(*array.Timestamp).TimestampValues()
	s := &e.tickets
	if err := e.sealTickets(); err != nil {
		return err
	}
	for i := range int(rec.NumRows()) {
		t, ok := e.ticket(ids.Value(i))
		if !ok {
			e.note(ingest.Messages, "messages refer to a ticket missing from the tickets export; ignored")
			continue
		}
		var a int8
		switch authors.Value(i) {
		case "customer":
			a = authorCustomer
		case "agent":
			a = authorAgent
		default:
			a = authorInternal
		}
		if err := s.msgs.add(t, at[i], a, e.codeOf(dimAgent, cols[2], i)); err != nil {
			return err
		}
	}
	return nil
}

// finish pairs replies with the messages they answer and feeds the
// ticket, first-reply and reply metrics, a range of tickets at a time.
//
// Within a ticket, in time order: the ticket's creation opens a request;
// a customer message opens one when none is open; an agent reply answers
// the open request (its reply time is measured from the request) and closes
// it. Agent replies with no open request (a second reply in a row) count as
// replies but have no reply time. Agent replies dated before their ticket
// was created are ignored (and noted). Internal notes are ignored.
func (ts *ticketsTable) finish() error {
	e := ts.e
	s := &e.tickets
	if s.finished {
		return nil
	}
	if err := e.sealTickets(); err != nil {
		return err
	}
	if n := s.msgs.spilled; n > 0 {
		e.opt.Logger.Info("kpi: pairing messages spilled to disk", "files", n, "tickets_per_file", s.msgs.perFile)
	}
	var f ticketFacts
	var rv replyView
	err := s.msgs.ranges(len(s.channel), func(lo, hi int32, m *messages, order []int32) error {
		fc, err := s.facts.load(lo, hi)
		if err != nil {
			return err
		}
		f.reset(int(hi - lo))
		ts.pairReplies(lo, m, order, fc, &f, &rv)
		ts.observeTickets(lo, hi, fc, &f)
		return nil
	})
	if cerr := s.facts.close(); err == nil {
		err = cerr
	}
	// Nothing reads the tickets any more: free them.
	*s = ticketStore{finished: true}
	return err
}

// ticketFacts are what the messages of a range of tickets tell about each.
type ticketFacts struct {
	firstReply []arrow.Timestamp // noTime if never replied
	replies    []int32
	followUp   []bool
	messaged   []bool // the ticket has a message
	early      []bool // an agent reply is dated before the ticket's creation
	agentFirst []bool // the ticket's first message is an agent's
}

func (f *ticketFacts) reset(n int) {
	f.firstReply, f.replies, f.followUp = grow(f.firstReply, n), zeros(f.replies, n), grow(f.followUp, n)
	f.messaged, f.early, f.agentFirst = grow(f.messaged, n), grow(f.early, n), grow(f.agentFirst, n)
	clear(f.followUp)
	clear(f.messaged)
	clear(f.early)
	clear(f.agentFirst)
	for i := range f.firstReply {
		f.firstReply[i] = noTime
	}
}

// chunk is the number of rows observed at a time when finishing.
const chunk = 1 << 16

// pairReplies walks the messages of the tickets from lo on in order,
// filling f and observing the reply metrics; fc holds the tickets' facts.
func (ts *ticketsTable) pairReplies(lo int32, m *messages, order []int32, fc *factCols, f *ticketFacts, rv *replyView) {
	e := ts.e
	s := &e.tickets
	flush := func() {
		if len(rv.at) > 0 {
			rv.rt, rv.rtBH = durations(e.bh, rv.asked, rv.at, rv.rt, rv.rtBH)
			observe(e, ts.replies, rv, &rv.rows)
		}
		rv.at, rv.asked = rv.at[:0], rv.asked[:0]
		for d := dimChannel; d <= dimPriority; d++ {
			rv.codes[d] = rv.codes[d][:0]
		}
	}
	open := noTime
	prev := int32(-1)
	for _, k := range order {
		t := m.ticket[k]
		i := t - lo
		if t != prev {
			prev, open = t, fc.created[i]
			f.messaged[i], f.agentFirst[i] = true, m.author[k] == authorAgent
		}
		at := m.at[k]
		switch m.author[k] {
		case authorCustomer:
			if f.firstReply[i] != noTime && at > f.firstReply[i] {
				f.followUp[i] = true
			}
			if open == noTime {
				open = at
			}
		case authorAgent:
			if at < fc.created[i] {
				e.note(ingest.Messages, "agent replies are dated before their ticket was created; ignored")
				f.early[i] = true
				continue
			}
			f.replies[i]++
			if f.firstReply[i] == noTime {
				f.firstReply[i] = at
			}
			if open == noTime {
				continue
			}
			agent := m.agent[k]
			if agent < 0 {
				agent = s.agent[t]
			}
			rv.at, rv.asked = append(rv.at, at), append(rv.asked, min(open, at))
			rv.codes[dimChannel] = append(rv.codes[dimChannel], s.channel[t])
			rv.codes[dimAgent] = append(rv.codes[dimAgent], agent)
			rv.codes[dimTeam] = append(rv.codes[dimTeam], s.team[t])
			rv.codes[dimPriority] = append(rv.codes[dimPriority], s.priority[t])
			open = noTime
			if len(rv.at) == chunk {
				flush()
			}
		}
	}
	flush()
}

// observeTickets feeds the tickets lo..hi to the ticket and first-reply
// metrics, a chunk at a time; fc holds their facts and f what their
// messages told.
func (ts *ticketsTable) observeTickets(lo, hi int32, fc *factCols, f *ticketFacts) {
	e := ts.e
	s := &e.tickets
	var v ticketView
	var solvedAt []arrow.Timestamp
	var ownFRT, ownFRTBH []float64 // cxkpi's first reply times, for reconciliation
	for a := lo; a < hi; a += chunk {
		b := min(a+chunk, hi)
		v.created, v.solved = fc.created[a-lo:b-lo], fc.solved[a-lo:b-lo]
		v.firstReply, v.replies, v.followUp = f.firstReply[a-lo:b-lo], f.replies[a-lo:b-lo], f.followUp[a-lo:b-lo]
		v.complaint, v.reopened = fc.complaint[a-lo:b-lo], fc.reopened[a-lo:b-lo]
		v.codes[dimChannel], v.codes[dimAgent] = s.channel[a:b], s.agent[a:b]
		v.codes[dimTeam], v.codes[dimPriority] = s.team[a:b], s.priority[a:b]
		v.frt, v.frtBH = durations(e.bh, v.created, v.firstReply, v.frt, v.frtBH)
		v.res, v.resBH = durations(e.bh, v.created, v.solved, v.res, v.resBH)
		if s.vendor.on {
			ownFRT, ownFRTBH = append(ownFRT[:0], v.frt...), append(ownFRTBH[:0], v.frtBH...)
		}
		ts.blendFirstReply(&v, a, f, lo)
		ts.reconcile(&v, a, f, lo, ownFRT, ownFRTBH)
		v.at = v.created
		observe(e, ts.opened, &v, &v.rows)
		observe(e, ts.netIn, &v, &v.rows)
		observe(e, ts.firstReply, &v, &v.rows)
		if s.vendor.on {
			observe(e, ts.vendorOnly, &v, &v.rows)
			observe(e, ts.vendorCounts, &v, &v.rows)
		}
		// Solved tickets are observed at their solution; unsolved ones get
		// any instant (their observations have w = 0).
		solvedAt = grow(solvedAt, int(b-a))
		v.at = solvedAt
		for i, at := range v.solved {
			v.at[i] = at
			if at == noTime {
				v.at[i] = v.created[i]
			}
		}
		observe(e, ts.solved, &v, &v.rows)
		observe(e, ts.flowSolved, &v, &v.rows)
		observe(e, ts.effort, &v, &v.rows)
		ts.observeBacklog(&v, fc.openNow[a-lo:b-lo])
	}
	ts.flushSnapshots()
}
