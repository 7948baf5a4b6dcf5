package kpi

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// benchBatches builds n rows of table t in batches of 64Ki rows, with
// values drawn like the sample data: a year of timestamps, every channel,
// 50 agents.
func benchBatches(b *testing.B, mem memory.Allocator, t ingest.Table, n, tickets int) []arrow.Record {
	spec, err := ingest.SpecOf(t)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	year := int64(365 * 24 * time.Hour / time.Microsecond)
	chans := ingest.Channels()
	var out []arrow.Record
	bld := array.NewRecordBuilder(mem, spec.Schema())
	defer bld.Release()
	// Ticket k is created at base + k·step; messages and answers come
	// within two days of it, solutions within four.
	step := year / int64(tickets)
	for i := range n {
		k := i
		if t != ingest.Tickets {
			k = rng.IntN(tickets)
		}
		created := base + int64(k)*step
		for j, c := range spec.Columns {
			f := bld.Field(j)
			switch {
			case c.Name == "ticket_id" && t != ingest.Tickets:
				f.(*array.StringBuilder).Append("t" + strconv.Itoa(k))
			case c.Name == "ticket_id" || c.Name == "message_id" || c.Name == "response_id":
				f.(*array.StringBuilder).Append(c.Name[:1] + strconv.Itoa(i))
			case c.Name == "channel":
				f.(*array.StringBuilder).Append(chans[rng.IntN(len(chans))])
			case c.Name == "author":
				f.(*array.StringBuilder).Append([]string{"customer", "agent", "agent", "internal"}[rng.IntN(4)])
			case c.Name == "kind":
				f.(*array.StringBuilder).Append([]string{"csat", "nps", "ces"}[rng.IntN(3)])
			case c.Name == "score":
				f.(*array.Float64Builder).Append(float64(rng.IntN(6)))
			case c.Name == "scale_min":
				f.(*array.Int64Builder).Append(0)
			case c.Name == "scale_max":
				f.(*array.Int64Builder).Append(10)
			case c.Name == "agent_id":
				f.(*array.StringBuilder).Append("agent" + strconv.Itoa(rng.IntN(50)))
			case c.Name == "created_at" && t == ingest.Tickets:
				f.(*array.TimestampBuilder).Append(arrow.Timestamp(created))
			case c.Kind == ingest.Time:
				f.(*array.TimestampBuilder).Append(arrow.Timestamp(created + rng.Int64N(int64(48*time.Hour/time.Microsecond))))
			case c.Kind == ingest.Bool:
				f.(*array.BooleanBuilder).Append(rng.IntN(10) == 0)
			case c.Kind == ingest.Int:
				f.(*array.Int64Builder).Append(0)
			case c.Required:
				f.(*array.StringBuilder).Append("x")
			default:
				f.AppendNull()
			}
		}
		if bld.Field(0).Len() == 1<<16 || i == n-1 {
			out = append(out, bld.NewRecord())
		}
	}
	return out
}

func benchmarkEngine(b *testing.B, tables []ingest.Table, rows int) {
	mem := memory.NewGoAllocator()
	batches := map[ingest.Table][]arrow.Record{}
	for _, t := range tables {
		batches[t] = benchBatches(b, mem, t, rows, rows)
	}
	defer func() {
		for _, recs := range batches {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tables {
			for _, rec := range batches[t] {
				if err := e.Add(t, rec); err != nil {
					b.Fatal(err)
				}
			}
		}
		rows, err := e.Rows()
		if err != nil || len(rows) == 0 {
			b.Fatal("no rows", err)
		}
	}
	b.ReportMetric(float64(rows*len(tables))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSurveys aggregates survey answers (CSAT, NPS, CES) with no
// ticket links to resolve.
func BenchmarkSurveys(b *testing.B) {
	for _, n := range []int{1e5, 1e6} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchmarkEngine(b, []ingest.Table{ingest.Surveys}, n) })
	}
}

// BenchmarkTickets loads tickets and as many messages, pairs replies and
// computes every ticket, reply and survey metric.
func BenchmarkTickets(b *testing.B) {
	for _, n := range []int{1e5, 1e6} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			benchmarkEngine(b, []ingest.Table{ingest.Tickets, ingest.Messages, ingest.Surveys}, n)
		})
	}
}
