package reports

import (
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

var (
	jan = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	feb = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	mar = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
)

// row returns a KPI row of the month starting at start.
func row(start time.Time, metric, unit, dim, val string, v kpi.Num, n int64) kpi.Row {
	return kpi.Row{
		PeriodStart: start, PeriodEnd: start.AddDate(0, 1, 0),
		Metric: metric, Unit: unit, Dimension: dim, DimensionValue: val,
		Value: v, N: n,
	}
}

// ratio returns a row whose value is num/den × 100.
func ratio(start time.Time, metric, dim, val string, num, den float64) kpi.Row {
	r := row(start, metric, "%", dim, val, kpi.Some(num/den*100), int64(den))
	r.Numerator, r.Denominator = kpi.Some(num), kpi.Some(den)
	return r
}

var none kpi.Num

// fixtureRows is two months of KPIs, January and February 2024, with
// nulls: NPS has no data in February, neither has CSAT for channel
// "unknown".
func fixtureRows() []kpi.Row {
	return []kpi.Row{
		ratio(jan, "csat", "all", "all", 40, 50),
		row(jan, "nps", "points", "all", "all", kpi.Some(20), 35),
		row(jan, "ces", "score", "all", "all", kpi.Some(5), 10),
		row(jan, "tickets", "count", "all", "all", kpi.Some(1200), 1200),
		row(jan, "first_reply_time", "seconds", "all", "all", kpi.Some(3600), 1100),
		ratio(jan, "csat", "channel", "email", 20, 25),

		ratio(feb, "csat", "all", "all", 33, 40),
		row(feb, "nps", "points", "all", "all", none, 0),
		row(feb, "ces", "score", "all", "all", kpi.Some(5.254), 12),
		row(feb, "tickets", "count", "all", "all", kpi.Some(1234), 1234),
		row(feb, "first_reply_time", "seconds", "all", "all", kpi.Some(11520), 1200),
		row(feb, "first_reply_time_median", "seconds", "all", "all", kpi.Some(2700), 1200),
		row(feb, "brand_new_metric", "score", "all", "all", kpi.Some(1.5), 3),
		ratio(feb, "csat", "channel", "email", 15, 20),
		ratio(feb, "csat", "channel", "chat", 18, 20),
		row(feb, "csat", "%", "channel", "unknown", none, 0),
		row(feb, "tickets", "count", "channel", "email", kpi.Some(400), 400),
		row(feb, "tickets", "count", "channel", "chat", kpi.Some(834), 834),
		row(feb, "nps", "points", "channel", "chat", none, 0),
	}
}

// sliceReader is an array.RecordReader over fixed records that fails
// with err at the end, when err is set. Unlike array.NewRecordReader it
// does not check that the records match its schema.
type sliceReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	recs   []arrow.Record
	cur    arrow.Record
	err    error
}

func newSliceReader(schema *arrow.Schema, err error, recs ...arrow.Record) *sliceReader {
	r := &sliceReader{schema: schema, recs: recs, err: err}
	r.refs.Store(1)
	return r
}

func (r *sliceReader) Retain()               { r.refs.Add(1) }
func (r *sliceReader) Release()              { r.refs.Add(-1) }
func (r *sliceReader) Schema() *arrow.Schema { return r.schema }
func (r *sliceReader) Record() arrow.Record  { return r.cur }

func (r *sliceReader) Next() bool {
	if len(r.recs) == 0 {
		r.cur = nil
		return false
	}
	r.cur, r.recs = r.recs[0], r.recs[1:]
	return true
}

func (r *sliceReader) Err() error {
	if len(r.recs) == 0 {
		return r.err
	}
	return nil
}
