package kpi

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// The backlog is a snapshot per period: the tickets open at the period's
// snapshot instant, which is its end, or the as-of instant for the
// period holding it (see [Engine.AsOf]). A ticket is open at instant s
// when it was created before s and not solved before s: it is in the
// backlog of the consecutive periods from the first whose snapshot
// comes after its creation to the last whose snapshot comes at or
// before its solution. Solved tickets are observed in those periods
// when the tickets are finished; unsolved ones, whose run of periods
// ends with the report, are kept (36 bytes each) until
// [Engine.Rows] knows the last period (see [ticketsTable.periods]).

// unsolvedStatus reports whether a ticket status of the contract says
// the ticket is not solved.
func unsolvedStatus(s string) bool {
	switch s {
	case "new", "open", "pending", "hold":
		return true
	}
	return false
}

// AsOf makes the backlog of the period holding t a snapshot at t rather
// than at the period's end, which lies in the future of a run made
// during the period: the end of the as-of day, typically. A t at a
// period's start changes nothing.
func (e *Engine) AsOf(t time.Time) { e.asOf = &t }

// snapshot returns the instant of period p's backlog snapshot, always
// after the period's start.
func (ts *ticketsTable) snapshot(p int32) arrow.Timestamp {
	if s, ok := ts.snaps[p]; ok {
		return s
	}
	e := ts.e
	end := e.cal.Start(p + 1)
	if e.asOf != nil && e.asOf.Before(end) && e.asOf.After(e.cal.Start(p)) {
		end = *e.asOf
	}
	if ts.snaps == nil {
		ts.snaps = map[int32]arrow.Timestamp{}
	}
	s := arrow.Timestamp(end.UnixMicro())
	ts.snaps[p] = s
	return s
}

// firstSnapshot returns the first period whose snapshot instant is at or
// after t.
func (ts *ticketsTable) firstSnapshot(t arrow.Timestamp) int32 {
	p := ts.e.cal.Number(instant(t - 1)) // the first period whose end is at or after t
	if ts.snapshot(p) < t {
		p++ // the as-of snapshot of p comes before t
	}
	return p
}

// openRun returns the periods lo..hi-1 whose backlog holds a ticket
// created at created and solved at solved (noTime: not solved); hi is
// meaningless when solved is noTime.
func (ts *ticketsTable) openRun(created, solved arrow.Timestamp) (lo, hi int32) {
	lo = ts.firstSnapshot(created + 1)
	if solved == noTime {
		return lo, lo
	}
	return lo, ts.firstSnapshot(solved + 1)
}

// openTicket is an unsolved ticket, kept until the last period is known.
type openTicket struct {
	created arrow.Timestamp
	from    int32 // the first period whose backlog holds it
	// last: the ticket was solved before and its status says it is open
	// again; it is in the backlog of the last period only (and of the
	// periods up to its solution, observed already).
	last  bool
	codes [dimPriority + 1]int32 // by dimension; dimAll unused
}

// snapshotView is a chunk of (ticket, period) pairs: a ticket in the
// backlog of a period, with its age at the period's snapshot.
type snapshotView struct {
	rows
	age []float64 // seconds from creation to the snapshot
}

const day = 24 * 60 * 60 // seconds

// ageBuckets are the age buckets of the backlog, in seconds: lower bound
// inclusive, upper exclusive.
var ageBuckets = []struct {
	name, doc string
	lo, hi    float64
}{
	{"backlog_age_lt_1d", "less than a day", 0, day},
	{"backlog_age_1d_3d", "from 1 to 3 days", day, 3 * day},
	{"backlog_age_3d_7d", "from 3 to 7 days", 3 * day, 7 * day},
	{"backlog_age_7d_30d", "from 7 to 30 days", 7 * day, 30 * day},
	{"backlog_age_gt_30d", "30 days or more", 30 * day, 1e300},
}

// backlogMetrics are observed per ticket and period whose backlog holds it.
func backlogMetrics() []observer[snapshotView] {
	tickets := []ingest.Table{ingest.Tickets}
	every := func(*snapshotView, int) bool { return true }
	one := func(*snapshotView, int) float64 { return 1 }
	age := func(v *snapshotView, i int) float64 { return v.age[i] }
	out := []observer[snapshotView]{
		{Metric{Name: "backlog", Unit: UnitCount, Better: Lower, Stat: Count, Needs: tickets,
			Doc: "tickets open at the period's end (at as-of for the current period): created before it and not solved by it"},
			mean(every, one)},
		{Metric{Name: "backlog_age_median", Unit: UnitSeconds, Better: Lower, Stat: Quantile, Q: 0.5, Needs: tickets,
			Doc: "median age of the open backlog at the period's end, from creation", family: "backlog_age"},
			mean(every, age)},
		{Metric{Name: "backlog_age_p90", Unit: UnitSeconds, Better: Lower, Stat: Quantile, Q: 0.9, Needs: tickets,
			Doc: "90th percentile of the age of the open backlog at the period's end, from creation", family: "backlog_age"},
			mean(every, age)},
	}
	for _, b := range ageBuckets {
		out = append(out, observer[snapshotView]{
			Metric{Name: b.name, Unit: UnitCount, Better: Lower, Stat: Count, Needs: tickets,
				Doc: "tickets of the open backlog at the period's end aged " + b.doc},
			mean(func(v *snapshotView, i int) bool { return v.age[i] >= b.lo && v.age[i] < b.hi }, one)})
	}
	return out
}

// flowMetrics are the volumes of the flow of tickets: solved is observed
// at the solution; the net flow at the creation (+1, netIn) and at the
// solution (−1, netOut, which shares the grids of netIn).
func flowMetrics() (solved, netIn, netOut observer[ticketView]) {
	tickets := []ingest.Table{ingest.Tickets}
	isSolved := func(v *ticketView, i int) bool { return v.solved[i] != noTime }
	net := Metric{Name: "tickets_net_flow", Unit: UnitCount, Better: Neither, Stat: Sum, Needs: tickets,
		Doc: "tickets created in the period minus tickets solved in it: the backlog's growth"}
	solved = observer[ticketView]{Metric{Name: "tickets_solved", Unit: UnitCount, Better: Neither, Stat: Count, Needs: tickets,
		Doc: "tickets solved in the period (at their last solution)"},
		mean(isSolved, func(*ticketView, int) float64 { return 1 })}
	netIn = observer[ticketView]{net, mean(func(*ticketView, int) bool { return true }, func(*ticketView, int) float64 { return 1 })}
	netOut = observer[ticketView]{net, mean(isSolved, func(*ticketView, int) float64 { return -1 })}
	return solved, netIn, netOut
}

// effortMetrics are observed per solved ticket at its (last) solution.
func effortMetrics() []observer[ticketView] {
	needs := []ingest.Table{ingest.Tickets, ingest.Messages}
	solved := func(v *ticketView, i int) bool { return v.solved[i] != noTime }
	replies := func(v *ticketView, i int) float64 { return float64(v.replies[i]) }
	touches := func(k int32, more bool) func(v *ticketView, i int) bool {
		return func(v *ticketView, i int) bool { return v.replies[i] == k || more && v.replies[i] > k }
	}
	return []observer[ticketView]{
		{Metric{Name: "replies_per_ticket", Unit: UnitScore, Better: Lower, Needs: needs,
			Doc: "mean number of public agent replies per solved ticket"},
			mean(solved, replies)},
		{Metric{Name: "replies_per_ticket_median", Unit: UnitScore, Better: Lower, Stat: Quantile, Q: 0.5, Needs: needs,
			Doc: "median number of public agent replies per solved ticket", family: "replies_per_ticket"},
			mean(solved, replies)},
		{Metric{Name: "one_touch_resolution", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: needs,
			Doc: "share of solved tickets solved with exactly one public agent reply"},
			share(solved, touches(1, false))},
		{Metric{Name: "two_touch_resolution", Unit: UnitPercent, Better: Neither, Scale: 100, Needs: needs,
			Doc: "share of solved tickets solved with exactly two public agent replies"},
			share(solved, touches(2, false))},
		{Metric{Name: "multi_touch_resolution", Unit: UnitPercent, Better: Lower, Scale: 100, Needs: needs,
			Doc: "share of solved tickets solved with three or more public agent replies"},
			share(solved, touches(3, true))},
	}
}

// observeBacklog observes the tickets of v in the backlog of the periods
// whose snapshot finds them open, and keeps the unsolved ones for
// [ticketsTable.periods].
func (ts *ticketsTable) observeBacklog(v *ticketView, openNow []bool) {
	for i, created := range v.created {
		lo, hi := ts.openRun(created, v.solved[i])
		if v.solved[i] == noTime || openNow[i] {
			o := openTicket{created: created, from: lo, last: v.solved[i] != noTime}
			if o.last {
				o.from = hi // the periods before are observed below
			}
			for d := dimChannel; d <= dimPriority; d++ {
				o.codes[d] = v.codes[d][i]
			}
			ts.open = append(ts.open, o)
		}
		if v.solved[i] == noTime {
			continue
		}
		for p := lo; p < hi; p++ {
			ts.addSnapshot(p, created, func(d dim) int32 { return v.codes[d][i] })
		}
	}
}

// addSnapshot adds ticket created at created, of the codes code, to the
// backlog of period p, observing the chunk when it is full.
func (ts *ticketsTable) addSnapshot(p int32, created arrow.Timestamp, code func(dim) int32) {
	sv := &ts.snap
	s := ts.snapshot(p)
	sv.at = append(sv.at, s-1) // within p
	sv.age = append(sv.age, seconds(created, s))
	for d := dimChannel; d <= dimPriority; d++ {
		sv.codes[d] = append(sv.codes[d], code(d))
	}
	if len(sv.at) == chunk {
		ts.flushSnapshots()
	}
}

// flushSnapshots observes the backlog chunk kept so far.
func (ts *ticketsTable) flushSnapshots() {
	sv := &ts.snap
	if len(sv.at) > 0 {
		observe(ts.e, ts.backlog, sv, &sv.rows)
	}
	sv.at, sv.age = sv.at[:0], sv.age[:0]
	for d := dimChannel; d <= dimPriority; d++ {
		sv.codes[d] = sv.codes[d][:0]
	}
}

// periods observes the unsolved tickets in the backlog of the report's
// periods lo..hi: each from the first period whose snapshot finds it
// open; one reopened after its last solution in period hi only.
func (ts *ticketsTable) periods(lo, hi int32) {
	for k := range ts.open {
		o := &ts.open[k]
		code := func(d dim) int32 { return o.codes[d] }
		if o.last {
			if o.from <= hi {
				ts.addSnapshot(hi, o.created, code)
			}
			continue
		}
		for p := max(o.from, lo); p <= hi; p++ {
			ts.addSnapshot(p, o.created, code)
		}
	}
	ts.flushSnapshots()
	ts.open = nil
}
