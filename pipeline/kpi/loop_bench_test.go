package kpi

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// The survey KPIs by the engine and by the plainest single-pass loop over
// the same record batches: what the engine's generality (observers, one
// grid per metric and dimension, the tidy table) costs over a loop that
// computes only csat, csat_mean, nps and ces per month for dimension "all".

const loopRows = 1_000_000

// loopMetrics are the metrics the plain loop computes.
var loopMetrics = []string{"csat", "csat_mean", "nps", "ces"}

// surveyAnswers builds n survey answers with no ticket links, in batches
// of 64Ki rows: CSAT on 1–5 (and one in five on 1–10), NPS on 0–10, CES on
// 1–7, every score of its scale equally likely, answered at random
// instants of 2026 (UTC), in random order.
func surveyAnswers(b *testing.B, mem memory.Allocator, n int) []arrow.Record {
	spec, err := ingest.SpecOf(ingest.Surveys)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	year := int64(365 * 24 * time.Hour / time.Microsecond)
	bld := array.NewRecordBuilder(mem, spec.Schema())
	defer bld.Release()
	var out []arrow.Record
	for i := range n {
		kind, lo, hi := "csat", int64(1), int64(5)
		switch k := rng.IntN(15); {
		case k < 4:
		case k < 5:
			hi = 10
		case k < 10:
			kind, lo, hi = "nps", 0, 10
		default:
			kind, hi = "ces", 7
		}
		for j, c := range spec.Columns {
			f := bld.Field(j)
			switch c.Name {
			case "response_id":
				f.(*array.StringBuilder).Append("r" + strconv.Itoa(i))
			case "customer_id":
				f.(*array.StringBuilder).Append("c" + strconv.Itoa(rng.IntN(n/10+1)))
			case "kind":
				f.(*array.StringBuilder).Append(kind)
			case "score":
				f.(*array.Float64Builder).Append(float64(lo + rng.Int64N(hi-lo+1)))
			case "scale_min":
				f.(*array.Int64Builder).Append(lo)
			case "scale_max":
				f.(*array.Int64Builder).Append(hi)
			case "responded_at":
				f.(*array.TimestampBuilder).Append(arrow.Timestamp(start + rng.Int64N(year)))
			default: // ticket_id
				f.AppendNull()
			}
		}
		if bld.Field(0).Len() == 1<<16 || i == n-1 {
			out = append(out, bld.NewRecord())
		}
	}
	return out
}

// surveyMonth is what the loop accumulates for one calendar month.
type surveyMonth struct {
	csatN, csatPos, csatSum float64 // answers, positive answers, Σ answer on 1–5
	npsN, npsNet            float64 // answers, promoters − detractors
	cesN, cesSum            float64 // answers, Σ answer on 1–7
}

// surveyMonths holds the months the loop has seen: months[i] is month
// first+i, numbered (year − 1970) × 12 + month − 1.
type surveyMonths struct {
	first  int
	months []surveyMonth
}

// at returns the accumulator of month m, growing the span to hold it.
func (s *surveyMonths) at(m int) *surveyMonth {
	switch {
	case len(s.months) == 0:
		s.first = m
		s.months = make([]surveyMonth, 1)
	case m < s.first:
		s.months = append(make([]surveyMonth, s.first-m), s.months...)
		s.first = m
	case m >= s.first+len(s.months):
		s.months = append(s.months, make([]surveyMonth, m-s.first-len(s.months)+1)...)
	}
	return &s.months[m-s.first]
}

// surveyLoop computes csat, csat_mean, nps and ces per UTC month in one
// pass over the batches, with the definitions of docs/metrics.md at the
// default options (CSAT positive from 75% of the scale, CES higher is
// easier). It checks nothing: the batches follow the contract.
func surveyLoop(recs []arrow.Record) *surveyMonths {
	s := &surveyMonths{}
	for _, rec := range recs {
		col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
		at := col("responded_at").(*array.Timestamp).TimestampValues()
		kind := col("kind").(*array.String)
		score := col("score").(*array.Float64).Float64Values()
		lo := col("scale_min").(*array.Int64).Int64Values()
		hi := col("scale_max").(*array.Int64).Int64Values()
		for i, us := range at {
			y, mo, _ := time.UnixMicro(int64(us)).UTC().Date()
			m := s.at((y-1970)*12 + int(mo) - 1)
			x, l, r := score[i], float64(lo[i]), float64(hi[i]-lo[i])
			switch kind.Value(i) {
			case "csat":
				m.csatN++
				if x >= l+0.75*r {
					m.csatPos++
				}
				m.csatSum += 1 + 4*(x-l)/r
			case "nps":
				m.npsN++
				switch {
				case x >= 9:
					m.npsNet++
				case x <= 6:
					m.npsNet--
				}
			case "ces":
				m.cesN++
				m.cesSum += 1 + 6*(x-l)/r
			}
		}
	}
	return s
}

// value returns the loop's value and number of answers of one metric in
// month m; ok is false when the month has no answers for it.
func (s *surveyMonths) value(metric string, m int) (v float64, n int64, ok bool) {
	if m < s.first || m >= s.first+len(s.months) {
		return 0, 0, false
	}
	a := &s.months[m-s.first]
	var x, w, scale float64
	switch metric {
	case "csat":
		x, w, scale = a.csatPos, a.csatN, 100
	case "csat_mean":
		x, w, scale = a.csatSum, a.csatN, 1
	case "nps":
		x, w, scale = a.npsNet, a.npsN, 100
	case "ces":
		x, w, scale = a.cesSum, a.cesN, 1
	}
	if w == 0 {
		return 0, 0, false
	}
	return x / w * scale, int64(w), true
}

// surveyEngine runs the engine over the batches and returns its rows.
// With only, the engine observes just those survey metrics.
func surveyEngine(recs []arrow.Record, only []string) ([]Row, error) {
	e, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	if only != nil {
		surveys := e.tables[ingest.Surveys].(*stream[surveyView, *surveyView])
		surveys.obs = slices.DeleteFunc(surveys.obs, func(s series[surveyView]) bool {
			return !slices.Contains(only, s.Name)
		})
	}
	for _, rec := range recs {
		if err := e.Add(ingest.Surveys, rec); err != nil {
			return nil, err
		}
	}
	return e.Rows()
}

// checkSurveyLoop fails the benchmark unless the loop and the engine agree
// within 1e-9 on every month of the four metrics, dimension "all", and the
// months where each has data.
func checkSurveyLoop(b *testing.B, recs []arrow.Record, only []string) {
	rows, err := surveyEngine(recs, only)
	if err != nil {
		b.Fatal(err)
	}
	s := surveyLoop(recs)
	seen := map[string]int{}
	for _, r := range rows {
		if r.Dimension != "all" || !slices.Contains(loopMetrics, r.Metric) {
			continue
		}
		y, mo, _ := r.PeriodStart.Date()
		m := (y-1970)*12 + int(mo) - 1
		v, n, ok := s.value(r.Metric, m)
		switch {
		case ok != r.Value.Valid:
			b.Fatalf("%s %s: loop has data %v, engine %v", r.Metric, r.PeriodStart.Format("2006-01"), ok, r.Value.Valid)
		case ok && (math.Abs(v-r.Value.V) > 1e-9 || n != r.N):
			b.Fatalf("%s %s: loop %v over %d answers, engine %v over %d", r.Metric, r.PeriodStart.Format("2006-01"), v, n, r.Value.V, r.N)
		}
		if ok {
			seen[r.Metric]++
		}
	}
	for _, name := range loopMetrics {
		want := 0
		for m := s.first; m < s.first+len(s.months); m++ {
			if _, _, ok := s.value(name, m); ok {
				want++
			}
		}
		if seen[name] != want || want == 0 {
			b.Fatalf("%s: engine reports %d months with data, loop %d", name, seen[name], want)
		}
	}
}

// withSurveyAnswers builds the 1M answers, checks that the loop and the
// engine (restricted to only, when not nil) agree on them, and runs f.
func withSurveyAnswers(b *testing.B, only []string, f func(b *testing.B, recs []arrow.Record)) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	recs := surveyAnswers(b, mem, loopRows)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	checkSurveyLoop(b, recs, only)
	b.Run(fmt.Sprintf("rows=%d", loopRows), func(b *testing.B) {
		b.ReportAllocs()
		f(b, recs)
		b.ReportMetric(float64(loopRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// loopSink keeps the loop's result alive.
var loopSink *surveyMonths

// BenchmarkSurveyLoop is the baseline: csat, csat_mean, nps and ces per
// month, dimension "all" only, in one pass over 1M answers.
func BenchmarkSurveyLoop(b *testing.B) {
	withSurveyAnswers(b, nil, func(b *testing.B, recs []arrow.Record) {
		for b.Loop() {
			loopSink = surveyLoop(recs)
		}
	})
}

// BenchmarkSurveyEngine runs the engine over the same 1M answers, with
// only the surveys table: New, Add of every batch, Rows.
//
// With metrics=catalog it computes the whole survey catalogue (the loop's
// four metrics and nps_promoters, nps_passives, nps_detractors,
// ces_low_effort), each for dimension "all" and for the channel, agent,
// team and priority of the linked ticket: with no ticket links every
// answer falls under channel "unknown" and has no agent, team or priority,
// but the engine still makes its passes over those grids. With metrics=4
// it observes only the loop's four metrics; the options cannot turn the
// dimensions off, so it still keeps those five grids per metric and
// reports the channel "unknown" rows beside "all".
func BenchmarkSurveyEngine(b *testing.B) {
	for _, tc := range []struct {
		name string
		only []string
	}{
		{"catalog", nil},
		{"4", loopMetrics},
	} {
		b.Run("metrics="+tc.name, func(b *testing.B) {
			withSurveyAnswers(b, tc.only, func(b *testing.B, recs []arrow.Record) {
				for b.Loop() {
					rows, err := surveyEngine(recs, tc.only)
					if err != nil || len(rows) == 0 {
						b.Fatal("no rows", err)
					}
				}
			})
		})
	}
}
