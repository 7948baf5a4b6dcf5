package pipeline

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/reports"
)

// DiagnosticsFile is the table of the purchase model's diagnostics.
const DiagnosticsFile = "model_diagnostics.parquet"

// diagnosticBuckets is the number of single frequencies of the
// calibration/holdout comparison and the histogram: 0 to 6, then "7 or
// more", as in Fader, Hardie and Lee's figures.
const diagnosticBuckets = 7

// Kinds of rows of model_diagnostics.parquet.
const (
	diagHoldout   = "calibration_holdout"
	diagTracking  = "tracking"
	diagHistogram = "period_histogram"
)

// DiagnosticsSchema is the schema of model_diagnostics.parquet.
func DiagnosticsSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "model", Type: arrow.BinaryTypes.String},
		{Name: "diagnostic", Type: arrow.BinaryTypes.String},
		{Name: "bucket", Type: arrow.PrimitiveTypes.Int64},
		{Name: "label", Type: arrow.BinaryTypes.String},
		{Name: "week_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "holdout", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "customers", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "actual", Type: arrow.PrimitiveTypes.Float64},
		{Name: "predicted", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
}

// holdoutSplit returns the calibration end of a run's diagnostics: the
// holdout lasts as long as the CLV horizon (the forecast it checks;
// months of 365.25/12 days, rounded to whole days), but
// at most half of the observation window from the first purchase, so
// that the model is fitted on at least as much time as it is checked on.
// ok is false when the window is shorter than two weeks.
func holdoutSplit(s *clv.Summary, horizonMonths int) (calEnd time.Time, ok bool) {
	start, end := dayOf(s.Start), dayOf(s.End)
	window := int(end.Sub(start).Hours()/24) + 1
	if window < 14 {
		return time.Time{}, false
	}
	horizon := int(math.Round(float64(horizonMonths) * 365.25 / 12)) // the CLV horizon's months, in days
	holdout := min(horizon, window/2)
	return end.AddDate(0, 0, -holdout), true
}

// dayOf is t's calendar date as a UTC midnight.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// diagnose checks the chosen purchase model (clv.Diagnose). It fits the
// model again on the calibration period of a holdout split of the same
// orders (holdoutSplit) and checks that fit against the holdout. When
// the orders are too short to split, or the model does not fit their
// calibration period, it checks the model fitted on all the orders
// in-sample instead, without a holdout comparison, and says why in
// note.
func (m *models) diagnose(ctx context.Context, s *clv.Summary, chosen clv.Candidate) (d *clv.Diagnostics, note string, err error) {
	calEnd, ok := holdoutSplit(s, m.settings.HorizonMonths)
	if !ok {
		note = "clv: diagnostics in-sample: the orders span less than two weeks, too short for a holdout period"
	} else {
		cal, err := m.clv.SummaryUntil(calEnd)
		if err != nil && !clvExpected(err) {
			return nil, "", fmt.Errorf("clv: diagnostics: %w", err)
		}
		var cands []clv.Candidate
		if err == nil {
			cands, err = clv.FitCustomers(ctx, cal, chosen.Name)
		}
		if err != nil && !clvExpected(err) {
			return nil, "", fmt.Errorf("clv: diagnostics: %w", err)
		}
		if err == nil {
			d, err := clv.Diagnose(ctx, cal, cands[0].Model, diagnosticBuckets)
			if err != nil {
				return nil, "", fmt.Errorf("clv: diagnostics: %w", err)
			}
			return d, "", nil
		}
		note = fmt.Sprintf("clv: diagnostics in-sample: %s does not fit the calibration period to %s: %v", chosen.Name, calEnd.Format(time.DateOnly), err)
	}
	d, err = clv.Diagnose(ctx, s, chosen.Model, diagnosticBuckets)
	if err != nil {
		return nil, "", fmt.Errorf("clv: diagnostics: %w", err)
	}
	return d, note, nil
}

// diagnosticsRecord is the table of d (no rows when d is nil).
func diagnosticsRecord(mem memory.Allocator, d *clv.Diagnostics) arrow.Record {
	b := array.NewRecordBuilder(mem, DiagnosticsSchema())
	defer b.Release()
	if d == nil {
		return b.NewRecord()
	}
	row := func(kind string, bucket int, label string, week time.Time, holdout bool, customers int64, actual, predicted float64) {
		b.Field(0).(*array.StringBuilder).Append(d.Model)
		b.Field(1).(*array.StringBuilder).Append(kind)
		b.Field(2).(*array.Int64Builder).Append(int64(bucket))
		b.Field(3).(*array.StringBuilder).Append(label)
		if week.IsZero() {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(week.UnixMicro()))
		}
		b.Field(5).(*array.BooleanBuilder).Append(holdout)
		if customers < 0 {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.Int64Builder).Append(customers)
		}
		b.Field(7).(*array.Float64Builder).Append(actual)
		b.Field(8).(*array.Float64Builder).Append(predicted)
	}
	if d.Holdout != nil {
		last := len(d.Holdout.Buckets) - 1
		for _, h := range d.Holdout.Buckets {
			row(diagHoldout, h.Frequency, bucketLabel(h.Frequency, last), time.Time{}, true, int64(h.Customers), h.Actual, h.Predicted)
		}
	}
	for i, w := range d.Tracking {
		row(diagTracking, i, w.Start.Format(time.DateOnly), w.Start, w.Start.After(d.CalibrationEnd), -1, w.Actual, w.Predicted)
	}
	last := len(d.Histogram) - 1
	for _, h := range d.Histogram {
		row(diagHistogram, h.Frequency, bucketLabel(h.Frequency, last), time.Time{}, false, -1, float64(h.Actual), h.Predicted)
	}
	return b.NewRecord()
}

// reportDiagnostics is what the report shows of d.
func reportDiagnostics(d *clv.Diagnostics) *reports.CLVDiagnostics {
	if d == nil {
		return nil
	}
	out := &reports.CLVDiagnostics{Model: d.Model, Start: d.Start, CalibrationEnd: d.CalibrationEnd, End: d.End}
	if d.Holdout != nil {
		out.HoldoutActual, out.HoldoutPredicted = d.Holdout.Actual, d.Holdout.Predicted
		last := len(d.Holdout.Buckets) - 1
		for _, h := range d.Holdout.Buckets {
			out.Holdout = append(out.Holdout, reports.DiagnosticBar{Label: bucketLabel(h.Frequency, last), Customers: int64(h.Customers), Actual: h.Actual, Predicted: h.Predicted})
		}
	}
	for _, w := range d.Tracking {
		out.Tracking = append(out.Tracking, reports.TrackingPoint{Start: w.Start, Actual: w.Actual, Predicted: w.Predicted})
	}
	last := len(d.Histogram) - 1
	for _, h := range d.Histogram {
		out.Histogram = append(out.Histogram, reports.DiagnosticBar{Label: bucketLabel(h.Frequency, last), Customers: int64(h.Actual), Actual: float64(h.Actual), Predicted: h.Predicted})
	}
	return out
}

// bucketLabel is "3", or "7+" for the last bucket.
func bucketLabel(x, last int) string {
	if x == last {
		return strconv.Itoa(x) + "+"
	}
	return strconv.Itoa(x)
}

// intervalRows are the model_fit.parquet rows of the intervals: how they
// were drawn and the totals with their ends.
func intervalRows(iv *clv.Intervals, n int64) []FitRow {
	if iv == nil {
		return nil
	}
	nan := math.NaN()
	r := func(name string, v float64) FitRow { return FitRow{"clv", "all", name, v, nan, n, nan} }
	// The method is in customer_clv's metadata and manifest.json; here
	// the draws are 0 for the delta method.
	return []FitRow{
		r("interval_level", iv.Level),
		r("interval_draws", float64(iv.Draws)),
		r("interval_seed", float64(iv.Seed)),
		r("total_expected_purchases", iv.TotalPurchases.Estimate),
		r("total_expected_purchases_low", iv.TotalPurchases.Low),
		r("total_expected_purchases_high", iv.TotalPurchases.High),
		r("total_clv", iv.TotalCLV.Estimate),
		r("total_clv_low", iv.TotalCLV.Low),
		r("total_clv_high", iv.TotalCLV.High),
	}
}
