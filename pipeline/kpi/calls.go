package kpi

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// callView is a batch of calls, observed when the caller entered the queue.
type callView struct {
	rows      // agent, team
	answered  []arrow.Timestamp
	abandoned []bool
}

func callMetrics() []observer[callView] {
	calls := []ingest.Table{ingest.Calls}
	every := func(*callView, int) bool { return true }
	out := []observer[callView]{
		{Metric{Name: "calls", Unit: UnitCount, Better: Neither, Stat: Count, Needs: calls, Doc: "calls that entered the queue in the period"},
			mean(every, func(*callView, int) float64 { return 1 })},
		{Metric{Name: "abandonment_rate", Unit: UnitPercent, Better: Lower, Scale: 100, Needs: calls,
			Doc: "share of calls where the caller hung up before reaching an agent"},
			share(every, func(v *callView, i int) bool { return v.abandoned[i] })},
	}
	return append(out, durationMetrics("wait_time", "time answered callers waited in the queue", calls,
		func(v *callView, i int) bool { return v.answered[i] != noTime },
		func(v *callView, i int) float64 { return seconds(v.at[i], v.answered[i]) }, nil)...)
}

func newCalls(e *Engine) aggregator { return newStream(e, e.decodeCalls, callMetrics()) }

func (e *Engine) decodeCalls(rec arrow.Record, v *callView) error {
	cols, err := columns(rec, ingest.Calls, "queued_at", "answered_at", "abandoned", "agent_id", "team")
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	v.at = cols[0].(*array.Timestamp).TimestampValues()
	answered := cols[1].(*array.Timestamp)
	abandoned := cols[2].(*array.Boolean)
	v.answered, v.abandoned = grow(v.answered, n), grow(v.abandoned, n)
	v.codes[dimAgent], v.codes[dimTeam] = grow(v.codes[dimAgent], n), grow(v.codes[dimTeam], n)
	for i := range n {
		v.answered[i] = noTime
		if answered.IsValid(i) {
			v.answered[i] = answered.Value(i)
		}
		v.abandoned[i] = abandoned.Value(i)
		v.codes[dimAgent][i] = e.codeOf(dimAgent, cols[3], i)
		v.codes[dimTeam][i] = e.codeOf(dimTeam, cols[4], i)
	}
	return nil
}
