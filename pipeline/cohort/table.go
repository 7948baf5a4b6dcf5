package cohort

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Num is a number that may be missing; a missing number is written as
// null, never as 0.
type Num struct {
	V     float64 // the value, when Valid
	Valid bool    // false: missing
}

// Row is one line of the tidy cohort table: one cohort in one period since
// its acquisition. Periods not yet fully observed have no row.
type Row struct {
	CohortStart time.Time // inclusive, local midnight in the reporting zone, as UTC
	CohortEnd   time.Time // exclusive
	PeriodIndex int64     // periods since acquisition; 0 is the acquisition period
	Customers   int64     // cohort size
	Retained    int64     // customers retained in the period
	// RetentionPct is Retained / Customers × 100; null for a cohort
	// without customers.
	RetentionPct Num
	// Revenue is the revenue of the cohort's orders placed in the period.
	Revenue float64
	// CumulativeRevenuePerCustomer is the revenue of periods 0 … PeriodIndex
	// divided by the cohort size (0 for a cohort without customers).
	CumulativeRevenuePerCustomer float64
}

// Rows flattens the grid into table rows, by cohort start and then period
// index.
func (g *Grid) Rows() []Row {
	n := 0
	for _, c := range g.Cohorts {
		n += len(c.Retained)
	}
	rows := make([]Row, 0, n)
	for _, c := range g.Cohorts {
		cum := 0.0
		for k, kept := range c.Retained {
			cum += c.Revenue[k]
			r := Row{
				CohortStart: c.Start,
				CohortEnd:   c.End,
				PeriodIndex: int64(k),
				Customers:   c.Customers,
				Retained:    kept,
				Revenue:     c.Revenue[k],
			}
			if c.Customers > 0 {
				r.RetentionPct = Num{V: 100 * float64(kept) / float64(c.Customers), Valid: true}
				r.CumulativeRevenuePerCustomer = cum / float64(c.Customers)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// Schema is the Arrow schema of the tidy cohort table (docs/cohort.md).
func Schema() *arrow.Schema {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	return arrow.NewSchema([]arrow.Field{
		{Name: "cohort_start", Type: ts},
		{Name: "cohort_end", Type: ts},
		{Name: "period_index", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customers", Type: arrow.PrimitiveTypes.Int64},
		{Name: "retained", Type: arrow.PrimitiveTypes.Int64},
		{Name: "retention_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64},
		{Name: "cumulative_revenue_per_customer", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
}

// Record builds one Arrow record holding rows, in order. The caller
// releases it.
func Record(mem memory.Allocator, rows []Row) arrow.Record {
	b := array.NewRecordBuilder(mem, Schema())
	defer b.Release()
	for _, f := range b.Fields() {
		f.Reserve(len(rows))
	}
	start := b.Field(0).(*array.TimestampBuilder)
	end := b.Field(1).(*array.TimestampBuilder)
	period := b.Field(2).(*array.Int64Builder)
	customers := b.Field(3).(*array.Int64Builder)
	retained := b.Field(4).(*array.Int64Builder)
	pct := b.Field(5).(*array.Float64Builder)
	revenue := b.Field(6).(*array.Float64Builder)
	cum := b.Field(7).(*array.Float64Builder)
	for _, r := range rows {
		start.Append(arrow.Timestamp(r.CohortStart.UnixMicro()))
		end.Append(arrow.Timestamp(r.CohortEnd.UnixMicro()))
		period.Append(r.PeriodIndex)
		customers.Append(r.Customers)
		retained.Append(r.Retained)
		if r.RetentionPct.Valid {
			pct.Append(r.RetentionPct.V)
		} else {
			pct.AppendNull()
		}
		revenue.Append(r.Revenue)
		cum.Append(r.CumulativeRevenuePerCustomer)
	}
	return b.NewRecord()
}

// Survivors returns the survivor curve of cohort i for [FitSBG]: the cohort
// size, then the customers retained at the end of periods 1, 2, … (every
// customer is counted as present at acquisition, so one who churned within
// the acquisition period is lost at the first renewal). Only a [Signup]
// grid has survivors; any other gives [ErrNotContractual]. i indexes
// g.Cohorts.
func (g *Grid) Survivors(i int) ([]int64, error) {
	if g.Basis != Signup {
		return nil, ErrNotContractual
	}
	c := g.Cohorts[i] // a cohort has at least its acquisition period
	return append([]int64{c.Customers}, c.Retained[1:]...), nil
}
