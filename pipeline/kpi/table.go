package kpi

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Num is a number that may be missing. A metric with no data has
// Valid == false and is written as null, never as 0.
type Num struct {
	V     float64
	Valid bool
}

// Some returns a present number.
func Some(v float64) Num { return Num{V: v, Valid: true} }

// Row is one line of the tidy KPI table: one metric, for one period and one
// value of one dimension. Dimension "all" with value "all" is the total.
type Row struct {
	PeriodStart    time.Time // inclusive, an instant (UTC) at local midnight of the reporting zone
	PeriodEnd      time.Time // exclusive
	Metric         string
	Unit           Unit
	Dimension      string
	DimensionValue string
	Value          Num
	Numerator      Num
	Denominator    Num
	N              int64 // observations behind the value
	Previous       Num   // the value of the previous period, same metric and dimension value
	Change         Num   // Value − Previous
	ChangePct      Num   // (Value − Previous) / |Previous| × 100; null when Previous is 0
	// Source says whose computation Value is: [SourceCXKPI], [SourceVendor]
	// (a helpdesk's precomputed values) or [SourceMixed]; "" (null) when
	// Value is null.
	Source string
	// CILow and CIHigh bound the 95% confidence interval of Value, by the
	// metric's [Metric.Method]; null where the method gives none.
	CILow, CIHigh Num
	// Significant says whether Change is significant at the 5% level by
	// the method's test; null where there is no test (no previous value,
	// a count, too few observations).
	Significant Flag
	// Target is the goal the configuration sets for the cell, and
	// TargetMet whether Value meets it; both null without a target
	// (package alert sets them).
	Target    Num
	TargetMet Flag
	// Currency is the ISO 4217 code of an amount (unit currency), when the
	// run has one; "" (null) otherwise.
	Currency string
	// Period names the period in the reporting zone, as the run
	// directories do: "2026-10", "2026-W44", "2026-Q4", "2026", or the day
	// "2026-10-31"; BI tools showing instants in UTC would otherwise label
	// a month by the day before it.
	Period string
}

// Flag is a boolean that may be missing (null).
type Flag struct {
	V, Valid bool
}

// Schema is the Arrow schema of the tidy KPI table (docs/outputs.md).
func Schema() *arrow.Schema {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	return arrow.NewSchema([]arrow.Field{
		{Name: "period_start", Type: ts},
		{Name: "period_end", Type: ts},
		{Name: "metric", Type: arrow.BinaryTypes.String},
		{Name: "unit", Type: arrow.BinaryTypes.String},
		{Name: "dimension", Type: arrow.BinaryTypes.String},
		{Name: "dimension_value", Type: arrow.BinaryTypes.String},
		{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "numerator", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "denominator", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
		{Name: "previous_value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "change", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "change_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "source", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ci_low", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ci_high", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "change_significant", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "target", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "target_met", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "currency", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "period", Type: arrow.BinaryTypes.String},
	}, nil)
}

// Record builds one Arrow record holding rows, in order. The caller
// releases it.
func Record(mem memory.Allocator, rows []Row) arrow.Record {
	b := array.NewRecordBuilder(mem, Schema())
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.PeriodStart.UnixMicro()))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.PeriodEnd.UnixMicro()))
		b.Field(2).(*array.StringBuilder).Append(r.Metric)
		b.Field(3).(*array.StringBuilder).Append(string(r.Unit))
		b.Field(4).(*array.StringBuilder).Append(r.Dimension)
		b.Field(5).(*array.StringBuilder).Append(r.DimensionValue)
		for i, n := range []Num{r.Value, r.Numerator, r.Denominator} {
			appendNum(b.Field(6+i).(*array.Float64Builder), n)
		}
		b.Field(9).(*array.Int64Builder).Append(r.N)
		for i, n := range []Num{r.Previous, r.Change, r.ChangePct} {
			appendNum(b.Field(10+i).(*array.Float64Builder), n)
		}
		if src := b.Field(13).(*array.StringBuilder); r.Source != "" {
			src.Append(r.Source)
		} else {
			src.AppendNull()
		}
		appendNum(b.Field(14).(*array.Float64Builder), r.CILow)
		appendNum(b.Field(15).(*array.Float64Builder), r.CIHigh)
		appendFlag(b.Field(16).(*array.BooleanBuilder), r.Significant)
		appendNum(b.Field(17).(*array.Float64Builder), r.Target)
		appendFlag(b.Field(18).(*array.BooleanBuilder), r.TargetMet)
		if cur := b.Field(19).(*array.StringBuilder); r.Currency != "" {
			cur.Append(r.Currency)
		} else {
			cur.AppendNull()
		}
		b.Field(20).(*array.StringBuilder).Append(r.Period)
	}
	return b.NewRecord()
}

func appendNum(b *array.Float64Builder, n Num) {
	if n.Valid {
		b.Append(n.V)
	} else {
		b.AppendNull()
	}
}

func appendFlag(b *array.BooleanBuilder, f Flag) {
	if f.Valid {
		b.Append(f.V)
	} else {
		b.AppendNull()
	}
}
