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

	// RetainedUnbounded is the number of customers active in the period
	// or any later fully observed one ([Cohort.Active]).
	RetainedUnbounded int64
	// UnboundedRetentionPct is RetainedUnbounded / Customers × 100; null
	// for a cohort without customers.
	UnboundedRetentionPct Num
	// NetRevenueRetentionPct is the cohort's revenue in the period over
	// its revenue in period 0, × 100; null when that is not positive.
	NetRevenueRetentionPct Num
	// GrossRevenueRetentionPct is [Cohort.CappedRevenue] of the period
	// over [Cohort.BaseRevenue], × 100; null when no customer had a
	// positive period-0 revenue.
	GrossRevenueRetentionPct Num

	// Channel is the acquisition channel of a grid by channel; "" (null)
	// for none.
	Channel string
}

// ratio returns 100 × num / den, missing unless den is positive.
func ratio(num, den float64) Num {
	if den > 0 {
		return Num{V: 100 * num / den, Valid: true}
	}
	return Num{}
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

				RetainedUnbounded:        c.Active[k],
				NetRevenueRetentionPct:   ratio(c.Revenue[k], c.Revenue[0]),
				GrossRevenueRetentionPct: ratio(c.CappedRevenue[k], c.BaseRevenue),
				Channel:                  c.Channel,
			}
			if c.Customers > 0 {
				r.RetentionPct = Num{V: 100 * float64(kept) / float64(c.Customers), Valid: true}
				r.CumulativeRevenuePerCustomer = cum / float64(c.Customers)
				r.UnboundedRetentionPct = Num{V: 100 * float64(c.Active[k]) / float64(c.Customers), Valid: true}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// Schema is the Arrow schema of the tidy cohort table (docs/cohort.md).
func Schema() *arrow.Schema { return arrow.NewSchema(rowFields(), nil) }

// ChannelSchema is the schema of the cohort table by acquisition channel:
// acquisition_channel (null for none), then the columns of [Schema].
func ChannelSchema() *arrow.Schema {
	return arrow.NewSchema(append([]arrow.Field{channelField}, rowFields()...), nil)
}

var channelField = arrow.Field{Name: "acquisition_channel", Type: arrow.BinaryTypes.String, Nullable: true}

func rowFields() []arrow.Field {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	return []arrow.Field{
		{Name: "cohort_start", Type: ts},
		{Name: "cohort_end", Type: ts},
		{Name: "period_index", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customers", Type: arrow.PrimitiveTypes.Int64},
		{Name: "retained", Type: arrow.PrimitiveTypes.Int64},
		{Name: "retention_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64},
		{Name: "cumulative_revenue_per_customer", Type: arrow.PrimitiveTypes.Float64},
		{Name: "retained_unbounded", Type: arrow.PrimitiveTypes.Int64},
		{Name: "unbounded_retention_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "net_revenue_retention_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "gross_revenue_retention_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}
}

// Record builds one Arrow record of [Schema] holding rows, in order. The
// caller releases it.
func Record(mem memory.Allocator, rows []Row) arrow.Record {
	return record(mem, Schema(), rows, false)
}

// ChannelRecord builds one Arrow record of [ChannelSchema] holding rows,
// in order. The caller releases it.
func ChannelRecord(mem memory.Allocator, rows []Row) arrow.Record {
	return record(mem, ChannelSchema(), rows, true)
}

func record(mem memory.Allocator, schema *arrow.Schema, rows []Row, withChannel bool) arrow.Record {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, f := range b.Fields() {
		f.Reserve(len(rows))
	}
	fields := b.Fields()
	if withChannel {
		ch := fields[0].(*array.StringBuilder)
		for _, r := range rows {
			if r.Channel == "" {
				ch.AppendNull()
			} else {
				ch.Append(r.Channel)
			}
		}
		fields = fields[1:]
	}
	start := fields[0].(*array.TimestampBuilder)
	end := fields[1].(*array.TimestampBuilder)
	period := fields[2].(*array.Int64Builder)
	customers := fields[3].(*array.Int64Builder)
	retained := fields[4].(*array.Int64Builder)
	pct := fields[5].(*array.Float64Builder)
	revenue := fields[6].(*array.Float64Builder)
	cum := fields[7].(*array.Float64Builder)
	unbounded := fields[8].(*array.Int64Builder)
	unboundedPct := fields[9].(*array.Float64Builder)
	net := fields[10].(*array.Float64Builder)
	gross := fields[11].(*array.Float64Builder)
	for _, r := range rows {
		start.Append(arrow.Timestamp(r.CohortStart.UnixMicro()))
		end.Append(arrow.Timestamp(r.CohortEnd.UnixMicro()))
		period.Append(r.PeriodIndex)
		customers.Append(r.Customers)
		retained.Append(r.Retained)
		appendNum(pct, r.RetentionPct)
		revenue.Append(r.Revenue)
		cum.Append(r.CumulativeRevenuePerCustomer)
		unbounded.Append(r.RetainedUnbounded)
		appendNum(unboundedPct, r.UnboundedRetentionPct)
		appendNum(net, r.NetRevenueRetentionPct)
		appendNum(gross, r.GrossRevenueRetentionPct)
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

// BracketRow is one line of the bracket retention table: one cohort in
// one bracket of periods since acquisition, present once every period of
// the bracket has a row in the cohort table.
type BracketRow struct {
	CohortStart time.Time // inclusive, as in [Row]
	CohortEnd   time.Time // exclusive
	Bracket     Bracket   // periods since acquisition, both ends included
	Customers   int64     // cohort size
	Retained    int64     // customers retained in the bracket ([BracketCount])
	// RetentionPct is Retained / Customers × 100; null for a cohort
	// without customers.
	RetentionPct Num
}

// BracketRows flattens the grid's brackets into table rows, by cohort
// start and then bracket.
func (g *Grid) BracketRows() []BracketRow {
	var rows []BracketRow
	for _, c := range g.Cohorts {
		for _, bc := range c.Brackets {
			r := BracketRow{CohortStart: c.Start, CohortEnd: c.End, Bracket: bc.Bracket, Customers: c.Customers, Retained: bc.Retained}
			if c.Customers > 0 {
				r.RetentionPct = Num{V: 100 * float64(bc.Retained) / float64(c.Customers), Valid: true}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// BracketSchema is the Arrow schema of the bracket retention table.
func BracketSchema() *arrow.Schema {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	return arrow.NewSchema([]arrow.Field{
		{Name: "cohort_start", Type: ts},
		{Name: "cohort_end", Type: ts},
		{Name: "bracket", Type: arrow.BinaryTypes.String},
		{Name: "period_from", Type: arrow.PrimitiveTypes.Int64},
		{Name: "period_to", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customers", Type: arrow.PrimitiveTypes.Int64},
		{Name: "retained", Type: arrow.PrimitiveTypes.Int64},
		{Name: "retention_pct", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
}

// BracketRecord builds one Arrow record of [BracketSchema] holding rows,
// in order. The caller releases it.
func BracketRecord(mem memory.Allocator, rows []BracketRow) arrow.Record {
	b := array.NewRecordBuilder(mem, BracketSchema())
	defer b.Release()
	for _, f := range b.Fields() {
		f.Reserve(len(rows))
	}
	for _, r := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.CohortStart.UnixMicro()))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.CohortEnd.UnixMicro()))
		b.Field(2).(*array.StringBuilder).Append(r.Bracket.String())
		b.Field(3).(*array.Int64Builder).Append(int64(r.Bracket.From))
		b.Field(4).(*array.Int64Builder).Append(int64(r.Bracket.To))
		b.Field(5).(*array.Int64Builder).Append(r.Customers)
		b.Field(6).(*array.Int64Builder).Append(r.Retained)
		appendNum(b.Field(7).(*array.Float64Builder), r.RetentionPct)
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
