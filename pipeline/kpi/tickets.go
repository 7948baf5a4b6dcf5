package kpi

import (
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// noTime marks a ticket fact that has not happened (yet).
const noTime = arrow.Timestamp(math.MaxInt64)

// ticketStore keeps the per-ticket facts the ticket metrics need, in
// columns indexed by the order tickets were read. It grows with the number
// of tickets (about 40 bytes and one map entry each).
type ticketStore struct {
	index      map[string]int32
	created    []arrow.Timestamp
	channel    []int32
	firstReply []arrow.Timestamp // earliest agent reply at or after created, noTime if none
}

// ticketView is a slice of the ticket store, for the observers.
type ticketView struct {
	at         []arrow.Timestamp // created_at
	channel    []int32
	firstReply []arrow.Timestamp
}

// ticketMetrics defines the KPIs observed per ticket, in the period of the
// ticket's creation.
func ticketMetrics() []observer[ticketView] {
	replied := func(v *ticketView, i int) bool { return v.firstReply[i] != noTime }
	frt := func(v *ticketView, i int) float64 { return float64(v.firstReply[i]-v.at[i]) / 1e6 }
	needs := []ingest.Table{ingest.Tickets, ingest.Messages}
	return []observer[ticketView]{
		{Metric{Name: "tickets", Unit: "count", Stat: Count, Needs: []ingest.Table{ingest.Tickets},
			Doc: "tickets created in the period"},
			mean(func(*ticketView, int) bool { return true }, func(*ticketView, int) float64 { return 1 })},
		{Metric{Name: "first_reply_time", Unit: "seconds", Needs: needs,
			Doc: "mean time from ticket creation to the first public agent reply, over replied tickets"},
			mean(replied, frt)},
		{Metric{Name: "first_reply_time_median", Unit: "seconds", Stat: Quantile, Q: 0.5, Needs: needs,
			Doc: "median time from ticket creation to the first public agent reply"},
			mean(replied, frt)},
		{Metric{Name: "first_reply_time_p90", Unit: "seconds", Stat: Quantile, Q: 0.9, Needs: needs,
			Doc: "90th percentile of the time from ticket creation to the first public agent reply"},
			mean(replied, frt)},
	}
}

// addTickets appends a tickets batch to the store.
func (e *Engine) addTickets(rec arrow.Record) error {
	cols, err := columns(rec, ingest.Tickets, "ticket_id", "created_at", "channel")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	created := cols[1].(*array.Timestamp).TimestampValues()
	channels := cols[2].(*array.String)
	s := &e.tickets
	for i := range int(rec.NumRows()) {
		id := ids.Value(i)
		if _, dup := s.index[id]; dup {
			e.note(ingest.Tickets, "tickets repeat an id already read; the later copy is ignored")
			continue
		}
		s.index[id] = int32(len(s.created))
		s.created = append(s.created, created[i])
		s.channel = append(s.channel, e.channels.code(channels.Value(i)))
		s.firstReply = append(s.firstReply, noTime)
	}
	return nil
}

// addMessages records the first agent reply of each ticket. Taking the
// minimum is order-independent, so batches may come in any order.
func (e *Engine) addMessages(rec arrow.Record) error {
	cols, err := columns(rec, ingest.Messages, "ticket_id", "author", "created_at")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	authors := cols[1].(*array.String)
	at := cols[2].(*array.Timestamp).TimestampValues()
	s := &e.tickets
	for i := range int(rec.NumRows()) {
		if authors.Value(i) != "agent" {
			continue
		}
		t, ok := s.index[ids.Value(i)]
		switch {
		case !ok:
			e.note(ingest.Messages, "agent replies refer to a ticket missing from the tickets export; ignored")
		case at[i] < s.created[t]:
			e.note(ingest.Messages, "agent replies are dated before their ticket was created; ignored")
		case at[i] < s.firstReply[t]:
			s.firstReply[t] = at[i]
		}
	}
	return nil
}

// observeTickets feeds the ticket metrics, a chunk of tickets at a time.
func (e *Engine) observeTickets() {
	const chunk = 1 << 16
	s := &e.tickets
	var v ticketView
	for lo := 0; lo < len(s.created); lo += chunk {
		hi := min(lo+chunk, len(s.created))
		v.at, v.channel, v.firstReply = s.created[lo:hi], s.channel[lo:hi], s.firstReply[lo:hi]
		observe(e, e.ticketObs, &v, v.at, v.channel)
	}
}
