package cohort

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

type configCase struct {
	name string
	cfg  Config
	ok   bool
}

var configCases = []configCase{
	{"zero value", Config{}, true},
	{"signup weeks", Config{Basis: Signup, Grain: Week, MaxPeriods: 12}, true},
	{"unknown basis", Config{Basis: "tenure"}, false},
	{"unknown grain", Config{Grain: Grain("day")}, false},
	{"negative max periods", Config{MaxPeriods: -1}, false},
}

func TestConfig(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok = %v", err, tc.ok)
			}
			if tc.ok {
				c := b.Config()
				if c.Basis == "" || c.Grain == "" || c.Location == nil {
					t.Errorf("defaults not filled: %+v", c)
				}
			}
		})
	}
	if _, err := ParseBasis("signup"); err != nil {
		t.Error(err)
	}
	if _, err := ParseGrain("fortnight"); err == nil {
		t.Error("ParseGrain(fortnight): no error")
	}
}

// batch builds a one-row record with the given fields, each a builder
// callback, for schema errors.
func batch(mem memory.Allocator, fields []arrow.Field, fill func(b *array.RecordBuilder)) arrow.Record {
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	fill(b)
	return b.NewRecord()
}

func TestAddErrors(t *testing.T) {
	mem := checkedAllocator(t)
	ts := ingest.TimeType()
	// Orders without a revenue column.
	noRevenue := batch(mem, []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "ordered_at", Type: ts}},
		func(b *array.RecordBuilder) {
			b.Field(0).(*array.StringBuilder).Append("a")
			b.Field(1).(*array.TimestampBuilder).Append(1)
		})
	defer noRevenue.Release()
	// ordered_at in milliseconds.
	millis := batch(mem, []arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "ordered_at", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64},
	}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).Append("a")
		b.Field(1).(*array.TimestampBuilder).Append(1)
		b.Field(2).(*array.Float64Builder).Append(1)
	})
	defer millis.Release()
	// revenue as a string.
	textRevenue := batch(mem, []arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "ordered_at", Type: ts},
		{Name: "revenue", Type: arrow.BinaryTypes.String},
	}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).Append("a")
		b.Field(1).(*array.TimestampBuilder).Append(1)
		b.Field(2).(*array.StringBuilder).Append("1")
	})
	defer textRevenue.Release()
	// A null customer_id in row 1.
	nullID := batch(mem, schemaOf(t, ingest.Orders).Fields(), func(b *array.RecordBuilder) {
		for i, id := range []string{"a", ""} {
			if id == "" {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(id)
			}
			b.Field(0).(*array.StringBuilder).Append("o" + itoa(i))
			b.Field(2).(*array.TimestampBuilder).Append(1)
			b.Field(3).(*array.Float64Builder).Append(1)
			b.Field(4).AppendNull()
		}
	})
	defer nullID.Release()
	dup := customersRecord(t, mem, []customer{
		{"a", "2024-01-01T00:00:00Z", ""}, {"b", "2024-01-01T00:00:00Z", ""}, {"a", "2024-02-01T00:00:00Z", ""},
	})
	defer dup.Release()

	for _, tc := range []struct {
		name   string
		basis  Basis
		table  ingest.Table
		rec    arrow.Record
		err    error
		substr string
	}{
		{"missing column", FirstOrder, ingest.Orders, noRevenue, ErrSchema, "no column revenue"},
		{"milliseconds", FirstOrder, ingest.Orders, millis, ErrSchema, "want microseconds"},
		{"wrong type", FirstOrder, ingest.Orders, textRevenue, ErrSchema, "orders.revenue is utf8"},
		{"null customer", FirstOrder, ingest.Orders, nullID, ErrMissingValue, "orders batch 1 row 1: customer_id"},
		{"duplicate customer", Signup, ingest.Customers, dup, ErrDuplicateCustomer, `customers batch 1 row 2: customer_id: duplicate customer_id "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder(Config{Basis: tc.basis})
			if err != nil {
				t.Fatal(err)
			}
			err = b.Add(tc.table, tc.rec)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("err = %q, want it to contain %q", err, tc.substr)
			}
		})
	}

	// Under FirstOrder customers batches are ignored, even malformed ones;
	// so are other tables.
	b, _ := NewBuilder(Config{})
	if err := b.Add(ingest.Customers, noRevenue); err != nil {
		t.Errorf("customers under first_order: %v", err)
	}
	if err := b.Add(ingest.Tickets, noRevenue); err != nil {
		t.Errorf("tickets: %v", err)
	}
}

func TestEmptyGrid(t *testing.T) {
	for _, cfg := range []Config{{}, {Basis: Signup, AsOf: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		b, _ := NewBuilder(cfg)
		g, err := b.Grid(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Cohorts) != 0 || len(g.Rows()) != 0 || !g.AsOf.Equal(cfg.AsOf) {
			t.Errorf("empty input: %+v", g)
		}
	}
	// Orders without customers under Signup: no cohorts, all unmatched.
	mem := checkedAllocator(t)
	orders := ordersRecord(t, mem, []order{{"a", "2024-01-05T00:00:00Z", 1}, {"b", "2024-01-06T00:00:00Z", 2}})
	defer orders.Release()
	g := grid(t, Config{Basis: Signup}, nil, orders, 1)
	if len(g.Cohorts) != 0 || g.Unmatched != 2 {
		t.Errorf("orders only: %d cohorts, %d unmatched, want 0, 2", len(g.Cohorts), g.Unmatched)
	}
}

// TestDuplicateLeavesBuilder checks that a rejected customers batch
// changes nothing, and that a canceled context stops Grid.
func TestDuplicateLeavesBuilder(t *testing.T) {
	mem := checkedAllocator(t)
	good := customersRecord(t, mem, []customer{{"a", "2024-01-05T00:00:00Z", ""}})
	defer good.Release()
	bad := customersRecord(t, mem, []customer{{"b", "2024-01-06T00:00:00Z", ""}, {"a", "2024-01-07T00:00:00Z", ""}})
	defer bad.Release()
	retry := customersRecord(t, mem, []customer{{"b", "2024-02-06T00:00:00Z", ""}})
	defer retry.Release()
	b, _ := NewBuilder(Config{Basis: Signup, AsOf: mustTime(t, "2024-03-01T00:00:00Z")})
	if err := b.Add(ingest.Customers, good); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ingest.Customers, bad); !errors.Is(err, ErrDuplicateCustomer) {
		t.Fatalf("err = %v, want ErrDuplicateCustomer", err)
	}
	// b was rolled back with the bad batch, so it can come again.
	if err := b.Add(ingest.Customers, retry); err != nil {
		t.Fatalf("b after the rejected batch: %v", err)
	}
	g, err := b.Grid(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Cohorts) != 2 || g.Cohorts[0].Customers != 1 || g.Cohorts[1].Customers != 1 {
		t.Errorf("cohorts %+v, want a in January and b in February", g.Cohorts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Grid(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Grid: err = %v", err)
	}
}

func TestRecord(t *testing.T) {
	mem := checkedAllocator(t)
	jan, feb := mustTime(t, "2024-01-01T05:00:00Z"), mustTime(t, "2024-02-01T05:00:00Z")
	rows := []Row{
		{jan, feb, 0, 4, 3, pct(75), 120.5, 30.125, 4, pct(100), pct(100), pct(100), ""},
		{jan, feb, 1, 0, 0, Num{}, 0, 0, 0, Num{}, Num{}, Num{}, ""},
	}
	rec := Record(mem, rows)
	defer rec.Release()
	if !rec.Schema().Equal(Schema()) || rec.NumRows() != 2 {
		t.Fatalf("schema %v, %d rows", rec.Schema(), rec.NumRows())
	}
	start := rec.Column(0).(*array.Timestamp).TimestampValues()
	if start[0] != arrow.Timestamp(jan.UnixMicro()) {
		t.Errorf("cohort_start = %v, want %v", start[0], jan.UnixMicro())
	}
	if p := rec.Column(2).(*array.Int64).Int64Values(); p[1] != 1 {
		t.Errorf("period_index = %v", p)
	}
	pctCol := rec.Column(5).(*array.Float64)
	if pctCol.Value(0) != 75 || !pctCol.IsNull(1) {
		t.Errorf("retention_pct = %v, want [75 null]", pctCol)
	}
	if v := rec.Column(7).(*array.Float64).Value(0); v != 30.125 {
		t.Errorf("cumulative_revenue_per_customer = %v, want 30.125", v)
	}
	for i, want := range []string{"cohort_start", "cohort_end", "period_index", "customers", "retained", "retention_pct", "revenue", "cumulative_revenue_per_customer",
		"retained_unbounded", "unbounded_retention_pct", "net_revenue_retention_pct", "gross_revenue_retention_pct"} {
		if got := rec.ColumnName(i); got != want {
			t.Errorf("column %d = %s, want %s", i, got, want)
		}
	}
}
