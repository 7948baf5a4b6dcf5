package reports

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/cohort"
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
		PeriodStart: start, PeriodEnd: start.AddDate(0, 1, 0), Period: start.Format("2006-01"),
		Metric: metric, Unit: kpi.Unit(unit), Dimension: dim, DimensionValue: val,
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

// fixtureCohorts is the retention of monthly cohorts from January 2023
// to February 2024, each observed up to February 2024; the cohort of
// June 2023 has no customers, so its retention is missing.
func fixtureCohorts() []cohort.Row {
	var rows []cohort.Row
	for c := range 14 {
		start := time.Date(2023, time.Month(1+c), 1, 0, 0, 0, 0, time.UTC)
		customers := int64(80 + (c*37)%120)
		if c == 5 {
			customers = 0
		}
		for k := 0; !start.AddDate(0, k, 0).After(feb); k++ {
			r := cohort.Row{CohortStart: start, CohortEnd: start.AddDate(0, 1, 0), PeriodIndex: int64(k), Customers: customers}
			if customers > 0 {
				kept := customers
				if k > 0 {
					kept = int64(float64(customers) * (0.30 + 0.42/float64(k+1) + 0.01*float64(c%4)))
				}
				r.Retained = kept
				r.RetentionPct = cohort.Num{V: 100 * float64(kept) / float64(customers), Valid: true}
				// Revenue retention: every fourth cohort's customers spend
				// more as they stay, past its first period's revenue.
				grow := 1.0
				if c%4 == 0 {
					grow = 1.5
				}
				net := 100.0
				if k > 0 {
					net = 100 * grow * (0.35 + 0.9/float64(k+1))
				}
				r.NetRevenueRetentionPct = cohort.Num{V: net, Valid: true}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// fixtureCLV is ten deciles of lifetime value, the eighth at risk.
func fixtureCLV() []CLVSegment {
	var segs []CLVSegment
	mean := 40.0
	for i := range 10 {
		n := int64(120 + i)
		segs = append(segs, CLVSegment{Label: fmt.Sprintf("D%d", i+1), Customers: n,
			MeanCLV: mean, TotalCLV: mean * float64(n), AtRisk: i == 7})
		mean *= 1.55
	}
	return segs
}

// fixtureAtRisk is 18 customers at risk, in no particular order.
func fixtureAtRisk() []AtRiskCustomer {
	var out []AtRiskCustomer
	for i := range 18 {
		out = append(out, AtRiskCustomer{ID: fmt.Sprintf("C-%05d", 10007*(i+3)%99991),
			CLV: float64(500 + (i*7919)%4000), PAlive: 0.05 + float64(i%7)*0.04})
	}
	return out
}

// fixtureDiagnostics are the checks of a purchase model calibrated on 26
// weeks and checked on 13 more, shaped like CDNOW's.
func fixtureDiagnostics() *CLVDiagnostics {
	start := time.Date(2023, 3, 6, 0, 0, 0, 0, time.UTC)
	d := &CLVDiagnostics{Model: "bgnbd", Start: start, CalibrationEnd: start.AddDate(0, 0, 26*7-1), End: start.AddDate(0, 0, 39*7-1)}
	customers := []int64{1411, 439, 214, 100, 62, 38, 29, 64}
	for x, n := range customers {
		label := fmt.Sprint(x)
		if x == 7 {
			label = "7+"
		}
		d.Holdout = append(d.Holdout, DiagnosticBar{Label: label, Customers: n, Actual: 0.2 + 0.8*float64(x), Predicted: 0.15 + 0.75*float64(x)})
		d.Histogram = append(d.Histogram, DiagnosticBar{Label: label, Customers: n, Actual: float64(n), Predicted: float64(n) * (1 + 0.05*float64(x%3-1))})
	}
	for w := range 39 {
		f := float64(w)
		d.Tracking = append(d.Tracking, TrackingPoint{Start: start.AddDate(0, 0, 7*w), Actual: 60 + 3*f - 0.05*f*f, Predicted: 58 + 3.1*f - 0.06*f*f})
	}
	d.HoldoutActual, d.HoldoutPredicted = 1882, 1653
	return d
}

// sampleChannels are the channels of sampleRows, "unknown" included.
var sampleChannels = []string{"email", "chat", "phone", "web", "unknown"}

// sampleRows is fifteen months of KPIs, December 2022 to February 2024,
// for all channels and per channel, shaped like the sample data: the
// headline metrics, the NPS split, ticket volumes and shares, reply and
// resolution times, and customer-base metrics. Some values are missing:
// CES in July 2023, NPS on the phone and CSAT of "unknown" in February
// 2024.
func sampleRows() []kpi.Row {
	var rows []kpi.Row
	for m := range 15 {
		start := time.Date(2022, time.Month(12+m), 1, 0, 0, 0, 0, time.UTC)
		last := m == 14
		f := float64(m)
		all := func(metric, unit string, v kpi.Num, n int64) {
			rows = append(rows, row(start, metric, unit, "all", "all", v, n))
		}
		total := 0.0
		var perChannel []float64
		for i, ch := range sampleChannels {
			fi := float64(i)
			tickets := 40 + 10*fi + f*3 + float64((m*7+i*3)%11)
			if ch == "unknown" {
				tickets = 5 + float64(m%3)
			}
			total += tickets
			perChannel = append(perChannel, tickets)
			rows = append(rows, row(start, "tickets", "count", "channel", ch, kpi.Some(tickets), int64(tickets)))
			csat := kpi.Some(60 + 5*fi + float64((m*5+i)%9))
			if ch == "unknown" && last {
				csat = none
			}
			rows = append(rows, row(start, "csat", "%", "channel", ch, csat, 30))
			nps := kpi.Some(-10 + 12*fi + float64((m*3+i)%13))
			if ch == "phone" && last {
				nps = none
			}
			rows = append(rows, row(start, "nps", "points", "channel", ch, nps, 20))
			promoters := 30 + 8*fi + float64(m%5)
			detractors := 25 - 4*fi + float64(m%3)
			for _, part := range []struct {
				metric string
				v      float64
			}{{"nps_promoters", promoters}, {"nps_passives", 100 - promoters - detractors}, {"nps_detractors", detractors}} {
				v := kpi.Some(part.v)
				if ch == "phone" && last {
					v = none
				}
				rows = append(rows, row(start, part.metric, "%", "channel", ch, v, 20))
			}
			rows = append(rows, row(start, "ces", "score", "channel", ch, kpi.Some(4+0.4*fi+0.05*f), 12))
			rows = append(rows, row(start, "first_reply_time_median", "seconds", "channel", ch, kpi.Some(600+1800*fi+60*f), 30))
			rows = append(rows, row(start, "first_reply_time_p90", "seconds", "channel", ch, kpi.Some(3600+7200*fi+300*f), 30))
			rows = append(rows, row(start, "resolution_time_median", "seconds", "channel", ch, kpi.Some(3*3600+6*3600*fi+600*f), 30))
			rows = append(rows, row(start, "resolution_time_p90", "seconds", "channel", ch, kpi.Some(20*3600+30*3600*fi+1800*f), 30))
		}
		for i, ch := range sampleChannels {
			rows = append(rows, ratio(start, "channel_share", "channel", ch, perChannel[i], total))
		}
		all("tickets", "count", kpi.Some(total), int64(total))
		all("channel_share", "%", kpi.Some(100), int64(total))
		all("csat", "%", kpi.Some(70+float64((m*7)%11)), 150)
		all("nps", "points", kpi.Some(20+float64((m*11)%17)), 90)
		all("nps_promoters", "%", kpi.Some(45+float64(m%6)), 90)
		all("nps_passives", "%", kpi.Some(30-float64(m%4)), 90)
		all("nps_detractors", "%", kpi.Some(25-float64(m%6)+float64(m%4)), 90)
		ces := kpi.Some(4.5 + 0.1*float64(m%5))
		if start.Month() == time.July {
			ces = none
		}
		all("ces", "score", ces, 40)
		all("first_reply_time_median", "seconds", kpi.Some(2*3600+float64((m*900)%3600)), 700)
		all("first_reply_time_p90", "seconds", kpi.Some(18*3600+float64((m*1800)%7200)), 700)
		all("resolution_time_median", "seconds", kpi.Some(17*3600+float64((m*1200)%5400)), 680)
		all("resolution_time_p90", "seconds", kpi.Some(3*86400+float64((m*3600)%20000)), 680)
		all("retention_rate", "%", kpi.Some(96+float64(m%4)*0.8), 300+int64(m)*10)
		all("churn_rate", "%", kpi.Some(4-float64(m%4)*0.8), 300+int64(m)*10)
		all("clv_basic", "currency", kpi.Some(2500+float64(m)*350), 150)
		solved := total - 6 + float64(m%5)*3
		all("tickets_solved", "count", kpi.Some(solved), int64(solved))
		buckets := []float64{20 + f, 18 + float64(m%4), 12, 9 + float64(m%3), 4 + float64(m%2)}
		backlog := 0.0
		for i, name := range []string{"backlog_age_lt_1d", "backlog_age_1d_3d", "backlog_age_3d_7d", "backlog_age_7d_30d", "backlog_age_gt_30d"} {
			all(name, "count", kpi.Some(buckets[i]), int64(buckets[i]))
			backlog += buckets[i]
		}
		all("backlog", "count", kpi.Some(backlog), int64(backlog))
	}
	return rows
}

// sampleReport is the February 2024 report of sampleRows with cohorts,
// lifetime values and data quality.
func sampleReport() Report {
	r := fixtureReport()
	r.KPIs = sampleRows()
	// The sample has no mapping: nothing is skipped or caught all.
	r.Quality = slices.Clone(r.Quality)
	for i := range r.Quality {
		q := &r.Quality[i]
		q.Read -= q.Skipped
		q.Skipped, q.SkipReasons, q.Unmapped = 0, nil, nil
	}
	r.Cohorts, r.CLV, r.AtRisk = fixtureCohorts(), fixtureCLV(), fixtureAtRisk()
	r.CLVDiagnostics = fixtureDiagnostics()
	return r
}
