package clv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York on machines without a zone database

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func newYork(tb testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// rfm is one expected summary row.
type rfm struct {
	id             string
	x              int
	tx, T, m       float64
	orders         int
	revenue, gm    float64
	holdout        int
	holdoutRevenue float64
}

// customerA buys twice on 1 January (merged into one occasion), then on
// 11 and 31 January, on 10 February (two orders) and 1 March 2024.
var customerA = []order{
	{"a1", "A", at("2024-01-01T10:00:00Z"), 10, 4},
	{"a2", "A", at("2024-01-01T18:00:00Z"), 5, nan}, // margin 0.5 × 5
	{"a3", "A", at("2024-01-11T09:00:00Z"), 20, 15},
	{"a4", "A", at("2024-01-31T23:59:59Z"), 40, 10},
	{"a5", "A", at("2024-02-10T08:00:00Z"), 8, 4},
	{"a6", "A", at("2024-02-10T20:00:00Z"), 2, 1},
	{"a7", "A", at("2024-03-01T12:00:00Z"), 5, nan},
}

var summaryCases = []struct {
	name        string
	cfg         Config
	orders      []order
	want        []rfm
	late        int64
	holdoutOnly int
}{
	{
		name: "days, no holdout",
		cfg:  Config{End: date("2024-03-31"), AverageMargin: 0.5},
		orders: append(append([]order{}, customerA...),
			order{"b1", "B", at("2024-03-31T23:59:59Z"), 7, 7},
			order{"late", "A", at("2024-04-01T00:00:00Z"), 100, 0},
		),
		// A: days 1 Jan, 11 Jan, 31 Jan, 10 Feb, 1 Mar; 2024 is a leap year.
		want: []rfm{
			{id: "A", x: 4, tx: 60, T: 90, m: (20 + 40 + 10 + 5) / 4.0, orders: 7, revenue: 90, gm: 6 + 2.5 + 5 + 30 + 4 + 1 + 2.5},
			{id: "B", x: 0, tx: 0, T: 0, m: 0, orders: 1, revenue: 7, gm: 0},
		},
		late: 1,
	},
	{
		name: "weeks, holdout",
		cfg:  Config{End: date("2024-03-31"), CalibrationEnd: date("2024-01-31"), Unit: Weeks, AverageMargin: 0.5},
		orders: append(append([]order{}, customerA...),
			order{"b1", "B", at("2024-02-05T12:00:00Z"), 7, 7},
		),
		want: []rfm{
			{id: "A", x: 2, tx: 30.0 / 7, T: 30.0 / 7, m: 30, orders: 4, revenue: 75, gm: 43.5, holdout: 2, holdoutRevenue: 15},
		},
		holdoutOnly: 1,
	},
	{
		name: "UTC days",
		cfg:  Config{End: date("2024-01-10"), AverageMargin: 0.3},
		orders: []order{
			{"n1", "N", at("2024-01-01T15:00:00Z"), 10, nan},
			{"n2", "N", at("2024-01-02T03:00:00Z"), 30, nan},
		},
		want: []rfm{{id: "N", x: 1, tx: 1, T: 9, m: 30, orders: 2, revenue: 40, gm: 12}},
	},
	{
		name: "New York days",
		cfg:  Config{End: date("2024-01-10"), AverageMargin: 0.3},
		orders: []order{
			{"n1", "N", at("2024-01-01T15:00:00Z"), 10, nan},
			{"n2", "N", at("2024-01-02T03:00:00Z"), 30, nan}, // 22:00 on 1 January in New York
		},
		want: []rfm{{id: "N", x: 0, tx: 0, T: 9, m: 0, orders: 2, revenue: 40, gm: 12}},
	},
}

func TestSummarize(t *testing.T) {
	for _, tc := range summaryCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			cfg := tc.cfg
			if tc.name == "New York days" {
				cfg.Location = newYork(t)
			}
			rs := batched(t, mem, tc.orders, 3)
			defer rs.Release()
			s, err := Summarize(context.Background(), rs, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Late != tc.late || s.HoldoutOnly != tc.holdoutOnly {
				t.Errorf("late, holdout-only: got %d, %d, want %d, %d", s.Late, s.HoldoutOnly, tc.late, tc.holdoutOnly)
			}
			var got []rfm
			for i, id := range s.Customers {
				got = append(got, rfm{id, s.Frequency[i], s.Recency[i], s.Age[i], s.Monetary[i], s.Orders[i],
					s.Revenue[i], s.GrossMargin[i], s.Holdout[i], s.HoldoutRevenue[i]})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d customers %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if !rfmEqual(got[i], tc.want[i]) {
					t.Errorf("got  %+v\nwant %+v", got[i], tc.want[i])
				}
			}
		})
	}
}

func rfmEqual(a, b rfm) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(y)) }
	return a.id == b.id && a.x == b.x && near(a.tx, b.tx) && near(a.T, b.T) && near(a.m, b.m) &&
		a.orders == b.orders && near(a.revenue, b.revenue) && near(a.gm, b.gm) &&
		a.holdout == b.holdout && near(a.holdoutRevenue, b.holdoutRevenue)
}

// randomOrders returns n orders of m customers in random time order, some
// on the same day, some without cost, some after the end day.
func randomOrders(seed uint64, n, m int) []order {
	rng := rand.New(rand.NewPCG(seed, 1))
	start := at("2023-01-01T00:00:00Z")
	rows := make([]order, n)
	for i := range rows {
		cost := math.Round(rng.Float64()*50*100) / 100
		if rng.IntN(4) == 0 {
			cost = nan
		}
		rows[i] = order{
			id:       fmt.Sprintf("o%d", i),
			customer: fmt.Sprintf("c%04d", rng.IntN(m)),
			at:       start.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour)))),
			revenue:  math.Round(rng.Float64()*100*100) / 100,
			cost:     cost,
		}
	}
	return rows
}

// Property: the summary does not depend on how the rows are split into
// batches.
func TestSummaryBatchSplitInvariant(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := randomOrders(11, 4000, 1500)
	for _, loc := range []*time.Location{time.UTC, newYork(t)} {
		cfg := Config{End: date("2023-12-31"), CalibrationEnd: date("2023-09-30"), Unit: Weeks, Location: loc, AverageMargin: 0.4}
		var first *Summary
		for _, size := range []int{1, 7, 10000} {
			rs := batched(t, mem, rows, size)
			s, err := Summarize(context.Background(), rs, cfg)
			rs.Release()
			if err != nil {
				t.Fatal(err)
			}
			if s.Late == 0 || s.HoldoutOnly == 0 || s.Len() < 1000 {
				t.Fatalf("fixture too tame: late %d, holdout-only %d, customers %d", s.Late, s.HoldoutOnly, s.Len())
			}
			if first == nil {
				first = s
				continue
			}
			if !reflect.DeepEqual(s, first) {
				t.Errorf("%v: batches of %d give a different summary than batches of 1", loc, size)
			}
		}
	}
}

// Property: spilling the orders to files, a range of customers a file,
// does not change the summary, and Summarize removes the files.
func TestSummarySpillInvariant(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := randomOrders(12, 4000, 1500)
	cfg := Config{End: date("2023-12-31"), CalibrationEnd: date("2023-09-30"), Location: newYork(t), AverageMargin: 0.4}
	rs := batched(t, mem, rows, 500)
	defer rs.Release()
	want, err := Summarize(context.Background(), rs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, per := range []int32{1, 37, 1000} {
		dir := t.TempDir()
		cfg := cfg
		cfg.SpillDir, cfg.customersPerSpill = dir, per
		s, err := NewSummarizer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range rs.recs {
			if err := s.Add(rec); err != nil {
				t.Fatal(err)
			}
		}
		if files, _ := os.ReadDir(dir); len(files) == 0 {
			t.Fatalf("%d customers a file: nothing spilled", per)
		}
		for range 2 { // Summary may be called again
			got, err := s.Summary()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%d customers a file: the summary differs from the one in memory", per)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if files, _ := os.ReadDir(dir); len(files) > 0 {
			t.Errorf("%d customers a file: %d spill files left", per, len(files))
		}
		// The summarizer refuses work once closed.
		if _, err := s.Summary(); !errors.Is(err, ErrClosed) {
			t.Errorf("Summary after Close: %v, want ErrClosed", err)
		}
		if err := s.Add(rs.recs[0]); !errors.Is(err, ErrClosed) {
			t.Errorf("Add after Close: %v, want ErrClosed", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

// Timestamps in seconds or nanoseconds give the same days as the
// contract's microseconds.
func TestSummaryTimestampUnits(t *testing.T) {
	rows := randomOrders(5, 200, 20)
	cfg := Config{End: date("2024-12-31"), AverageMargin: 0.4}
	var want *Summary
	for _, unit := range []arrow.TimeUnit{arrow.Microsecond, arrow.Second, arrow.Nanosecond, arrow.Millisecond} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rec := buildOrdersUnit(t, mem, rows, unit)
		s, err := NewSummarizer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		mem.AssertSize(t, 0)
		got, err := s.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("%v: summary differs from microseconds", unit)
		}
	}
}

// buildOrdersUnit builds the orders columns with ordered_at in unit (the
// seconds are whole, as the fixtures are).
func buildOrdersUnit(tb testing.TB, mem memory.Allocator, rows []order, unit arrow.TimeUnit) arrow.Record {
	tb.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ordered_at", Type: &arrow.TimestampType{Unit: unit, TimeZone: "UTC"}},
		{Name: "cost", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.customer)
		b.Field(1).(*array.Float64Builder).Append(r.revenue)
		v, err := arrow.TimestampFromTime(r.at, unit)
		if err != nil {
			tb.Fatal(err)
		}
		b.Field(2).(*array.TimestampBuilder).Append(v)
		if math.IsNaN(r.cost) {
			b.Field(3).(*array.Float64Builder).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(r.cost)
		}
	}
	return b.NewRecord()
}

var inputErrorCases = []struct {
	name   string
	cfg    Config
	rows   []order
	row    int64 // within the second batch
	column string
	is     error
}{
	{"NaN revenue", Config{End: date("2024-12-31"), AverageMargin: 0.3},
		[]order{{"x", "X", at("2024-05-01T00:00:00Z"), 1, 0}, {"y", "Y", at("2024-05-01T00:00:00Z"), nan, 0}}, 2, "revenue", nil},
	{"infinite cost", Config{End: date("2024-12-31"), AverageMargin: 0.3},
		[]order{{"x", "X", at("2024-05-01T00:00:00Z"), 1, math.Inf(1)}}, 1, "cost", nil},
}

// Without a configured margin, orders without cost are valued at the
// margin ratio of those with one; with no cost at all there is nothing to
// take it from.
func TestSummaryMarginForOrdersWithoutCost(t *testing.T) {
	orders := []order{
		{"p1", "P", at("2024-01-01T10:00:00Z"), 100, 60},
		{"p2", "P", at("2024-01-02T10:00:00Z"), 50, nan},
		{"q1", "Q", at("2024-01-03T10:00:00Z"), 20, 15},
		{"late", "Q", at("2024-02-01T10:00:00Z"), 1000, nan}, // after End: not observed
	}
	for _, tc := range []struct {
		name   string
		margin float64
		want   MarginSource
		gmP    float64
	}{
		// Costed: revenue 120, margin 40 + 5 = 45: ratio 0.375.
		{"derived", 0, MarginSource{Uncosted: 0.375, Derived: true, Orders: 3, UncostedOrders: 1}, 40 + 50*0.375},
		{"configured", 0.3, MarginSource{Uncosted: 0.3, Orders: 3, UncostedOrders: 1}, 40 + 50*0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s, err := NewSummarizer(Config{End: date("2024-01-10"), AverageMargin: tc.margin})
			if err != nil {
				t.Fatal(err)
			}
			rec := buildOrders(t, mem, orders)
			defer rec.Release()
			if err := s.Add(rec); err != nil {
				t.Fatal(err)
			}
			sum, err := s.Summary()
			if err != nil {
				t.Fatal(err)
			}
			if sum.Margin != tc.want {
				t.Errorf("margin source %+v, want %+v", sum.Margin, tc.want)
			}
			if got := sum.GrossMargin; math.Abs(got[0]-tc.gmP) > 1e-9 || math.Abs(got[1]-5) > 1e-9 {
				t.Errorf("gross margins %v, want P %v, Q 5", got, tc.gmP)
			}
		})
	}
	t.Run("no cost anywhere", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		s, err := NewSummarizer(Config{End: date("2024-01-10")})
		if err != nil {
			t.Fatal(err)
		}
		rec := buildOrders(t, mem, []order{{"x", "X", at("2024-01-01T00:00:00Z"), 1, nan}})
		defer rec.Release()
		if err := s.Add(rec); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Summary(); !errors.Is(err, ErrNoCost) {
			t.Errorf("Summary: got %v, want ErrNoCost", err)
		}
	})
}

func TestSummarizerInputErrors(t *testing.T) {
	good := []order{{"g1", "G", at("2024-01-01T00:00:00Z"), 5, 1}, {"g2", "G", at("2024-02-01T00:00:00Z"), 6, 1}}
	for _, tc := range inputErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s, err := NewSummarizer(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			first := buildOrders(t, mem, good)
			defer first.Release()
			if err := s.Add(first); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Summary()
			bad := buildOrders(t, mem, tc.rows)
			defer bad.Release()
			err = s.Add(bad)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *InputError", err)
			}
			if want := int64(len(good)) + tc.row; ie.Row != want || ie.Column != tc.column {
				t.Errorf("got row %d column %s, want row %d column %s (%v)", ie.Row, ie.Column, want, tc.column, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want it to wrap %v", err, tc.is)
			}
			after, _ := s.Summary()
			if !reflect.DeepEqual(before, after) {
				t.Errorf("a rejected batch changed the summary")
			}
		})
	}
}

func TestSummarizerNullCustomer(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, ordersSchema(t))
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"o1", "o2"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"C", ""}, []bool{true, false})
	b.Field(2).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{0, 0}, nil)
	b.Field(3).(*array.Float64Builder).AppendValues([]float64{1, 2}, nil)
	b.Field(4).(*array.Float64Builder).AppendValues([]float64{0, 0}, nil)
	rec := b.NewRecord()
	defer rec.Release()
	s, _ := NewSummarizer(Config{End: date("2024-01-01")})
	err := s.Add(rec)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Row != 2 || ie.Column != "customer_id" {
		t.Errorf("got %v, want an *InputError at row 2, customer_id", err)
	}
	if want := "orders row 2: customer_id: null value"; err == nil || err.Error() != want {
		t.Errorf("got message %v, want %q", err, want)
	}
}

var schemaCases = []struct {
	name   string
	fields []arrow.Field
}{
	{"no revenue", []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "ordered_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}}}},
	{"integer customer", []arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "ordered_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}}, {Name: "revenue", Type: arrow.PrimitiveTypes.Float64}}},
	{"date ordered_at", []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "ordered_at", Type: arrow.FixedWidthTypes.Date32}, {Name: "revenue", Type: arrow.PrimitiveTypes.Float64}}},
	{"string cost", []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "ordered_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}}, {Name: "revenue", Type: arrow.PrimitiveTypes.Float64}, {Name: "cost", Type: arrow.BinaryTypes.String}}},
}

func TestSummarizerSchemaErrors(t *testing.T) {
	for _, tc := range schemaCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			b := array.NewRecordBuilder(mem, arrow.NewSchema(tc.fields, nil))
			defer b.Release()
			rec := b.NewRecord()
			defer rec.Release()
			s, _ := NewSummarizer(Config{End: date("2024-01-01"), AverageMargin: 0.2})
			if err := s.Add(rec); !errors.Is(err, ErrSchema) {
				t.Errorf("got %v, want ErrSchema", err)
			}
		})
	}
}

var configCases = []struct {
	name string
	cfg  Config
}{
	{"no end", Config{}},
	{"calibration after end", Config{End: date("2024-01-01"), CalibrationEnd: date("2024-02-01")}},
	{"margin above one", Config{End: date("2024-01-01"), AverageMargin: 1.5}},
	{"negative margin", Config{End: date("2024-01-01"), AverageMargin: -0.1}},
	{"unknown unit", Config{End: date("2024-01-01"), Unit: Unit(9)}},
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSummarizer(tc.cfg); err == nil {
				t.Error("got no error")
			}
		})
	}
}

func TestSummarizeEmpty(t *testing.T) {
	_, err := Summarize(context.Background(), &recordSlice{}, Config{End: date("2024-01-01")})
	if !errors.Is(err, ErrNoData) {
		t.Errorf("got %v, want ErrNoData", err)
	}
}

// Free orders are purchase occasions with no value: the summary keeps
// them, the spend model has nothing to fit and says so.
func TestSummaryZeroValueOrders(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := []order{
		{"1", "Z", at("2024-01-01T00:00:00Z"), 0, 0},
		{"2", "Z", at("2024-01-05T00:00:00Z"), 0, 0},
		{"3", "Y", at("2024-01-02T00:00:00Z"), 0, nan},
	}
	rs := batched(t, mem, rows, 10)
	defer rs.Release()
	s, err := Summarize(context.Background(), rs, Config{End: date("2024-01-31"), AverageMargin: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Frequency[1] != 1 || s.Monetary[1] != 0 {
		t.Errorf("customer Z: got x=%d m=%v, want x=1 m=0", s.Frequency[1], s.Monetary[1])
	}
	if _, _, err := FitGammaGamma(context.Background(), s); !errors.Is(err, ErrNoRepeat) {
		t.Errorf("Gamma-Gamma on free orders: got %v, want ErrNoRepeat", err)
	}
	bg := BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	gg := GammaGamma{P: 6, Q: 4, Gamma: 15}
	if _, err := Predict(context.Background(), s, bg, gg, ValueConfig{}); err == nil {
		t.Error("Predict took a margin from zero revenue")
	}
	p, err := Predict(context.Background(), s, bg, gg, ValueConfig{Margin: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range p.CLV {
		if math.IsNaN(v) || v <= 0 {
			t.Errorf("customer %s: CLV %v", s.Customers[i], v)
		}
	}
}

func TestSummarizeCancelled(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rs := batched(t, mem, randomOrders(1, 10, 3), 5)
	defer rs.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Summarize(ctx, rs, Config{End: date("2024-12-31"), AverageMargin: 0.3}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
