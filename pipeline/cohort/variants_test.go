package cohort

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// channelCustomersRecord builds a customers batch whose
// acquisition_channel is channel[i] ("" null).
func channelCustomersRecord(t testing.TB, mem memory.Allocator, rows []customer, channel []string) arrow.Record {
	t.Helper()
	rec := customersRecord(t, mem, rows)
	defer rec.Release()
	idx := rec.Schema().FieldIndices("acquisition_channel")
	if len(idx) == 0 {
		t.Fatal("customers contract has no acquisition_channel")
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, c := range channel {
		if c == "" {
			b.AppendNull()
		} else {
			b.Append(c)
		}
	}
	ch := b.NewArray()
	defer ch.Release()
	cols := make([]arrow.Array, rec.NumCols())
	copy(cols, rec.Columns())
	cols[idx[0]] = ch
	return array.NewRecord(rec.Schema(), cols, rec.NumRows())
}

// TestRevenueRetentionByHand checks net and gross revenue retention on a
// cohort whose revenue grows, one that shrinks and one without period-0
// revenue.
//
// Months in UTC, as of 2024-04-01; first-order cohorts.
//
//	customer  Jan   Feb   Mar
//	g         10    30    5     grows, then shrinks
//	s         20    5     0     shrinks, then leaves
//	r         (Feb cohort) 0-revenue first order in Feb, 7 in Mar
//
// January cohort {g, s}: revenue 30, 35, 5.
//
//	net:   100, 35/30 = 116.67 (above 100: g's growth), 5/30 = 16.67
//	gross: base 10 + 20 = 30; Feb min(30,10) + min(5,20) = 15 → 50;
//	       Mar min(5,10) + 0 = 5 → 16.67; never above 100
//
// February cohort {r}: period-0 revenue 0, so both are null at every k,
// never 0, though r spent 7 in March.
func TestRevenueRetentionByHand(t *testing.T) {
	mem := checkedAllocator(t)
	orders := ordersRecord(t, mem, []order{
		{"g", "2024-01-10T00:00:00Z", 10},
		{"s", "2024-01-11T00:00:00Z", 20},
		{"g", "2024-02-03T00:00:00Z", 12},
		{"s", "2024-02-04T00:00:00Z", 5},
		{"g", "2024-02-20T00:00:00Z", 18}, // g's February: 30, above their 10
		{"r", "2024-02-21T00:00:00Z", 0},
		{"g", "2024-03-05T00:00:00Z", 5},
		{"r", "2024-03-06T00:00:00Z", 7},
	})
	defer orders.Release()
	jan, feb, mar := utc(t, "2024-01-01T00:00:00Z"), utc(t, "2024-02-01T00:00:00Z"), utc(t, "2024-03-01T00:00:00Z")
	want := []Row{
		{jan, feb, 0, 2, 2, pct(100), 30, 15, 2, pct(100), pct(100), pct(100), ""},
		{jan, feb, 1, 2, 2, pct(100), 35, 32.5, 2, pct(100), pct(3500.0 / 30), pct(50), ""},
		{jan, feb, 2, 2, 1, pct(50), 5, 35, 1, pct(50), pct(500.0 / 30), pct(500.0 / 30), ""},
		{feb, mar, 0, 1, 1, pct(100), 0, 0, 1, pct(100), Num{}, Num{}, ""},
		{feb, mar, 1, 1, 1, pct(100), 7, 7, 1, pct(100), Num{}, Num{}, ""},
	}
	for _, size := range []int{1, 3, 100} {
		g := grid(t, Config{AsOf: utc(t, "2024-04-01T00:00:00Z")}, nil, orders, size)
		checkRows(t, g.Rows(), want)
		if c := g.Cohorts[0]; c.BaseRevenue != 30 || !reflect.DeepEqual(c.CappedRevenue, []float64{30, 15, 5}) {
			t.Errorf("January base %v, capped %v, want 30, [30 15 5]", c.BaseRevenue, c.CappedRevenue)
		}
	}
}

// TestBracketsByHand checks bracket retention: the default brackets on
// the fixture of TestFirstOrderByHand, and configured ones.
//
// January {a: Jan, Mar; b: Jan, Feb}: "0" → 2; "1-2" → a (Mar) and b
// (Feb) → 2. February {c}: only periods 0 and 1 observed, so "0" → 1 and
// "1-2" is absent (not 0). March {d}: "0" → 1.
// Brackets 1 and 2-2: January 1 (b) and 1 (a); February 0 and absent.
func TestBracketsByHand(t *testing.T) {
	mem := checkedAllocator(t)
	orders := ordersRecord(t, mem, []order{
		{"a", "2024-03-02T10:00:00Z", 20},
		{"a", "2024-01-05T10:00:00Z", 10},
		{"b", "2024-01-31T23:59:59Z", 7},
		{"c", "2024-02-10T08:00:00Z", 8},
		{"a", "2024-01-20T10:00:00Z", 5},
		{"b", "2024-02-01T00:00:00Z", 3},
		{"d", "2024-03-15T12:00:00Z", 4},
		{"c", "2024-04-01T00:00:00Z", 100},
	})
	defer orders.Release()
	jan, feb, mar, apr := utc(t, "2024-01-01T00:00:00Z"), utc(t, "2024-02-01T00:00:00Z"), utc(t, "2024-03-01T00:00:00Z"), utc(t, "2024-04-01T00:00:00Z")
	cases := []struct {
		name     string
		brackets []Bracket
		want     []BracketRow
	}{
		{"default", nil, []BracketRow{
			{jan, feb, Bracket{0, 0}, 2, 2, pct(100)},
			{jan, feb, Bracket{1, 2}, 2, 2, pct(100)},
			{feb, mar, Bracket{0, 0}, 1, 1, pct(100)},
			{mar, apr, Bracket{0, 0}, 1, 1, pct(100)},
		}},
		{"single periods", []Bracket{{1, 1}, {2, 2}}, []BracketRow{
			{jan, feb, Bracket{1, 1}, 2, 1, pct(50)},
			{jan, feb, Bracket{2, 2}, 2, 1, pct(50)},
			{feb, mar, Bracket{1, 1}, 1, 0, pct(0)},
		}},
		{"none", []Bracket{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := grid(t, Config{AsOf: apr, Brackets: tc.brackets}, nil, orders, 2)
			if got := g.BracketRows(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	// MaxPeriods 1 leaves period 2 out of the table, and with it "1-2".
	g := grid(t, Config{AsOf: apr, MaxPeriods: 1}, nil, orders, 2)
	for _, r := range g.BracketRows() {
		if r.Bracket.To > 1 {
			t.Errorf("bracket %s beyond MaxPeriods 1: %+v", r.Bracket, r)
		}
	}
}

var bracketCases = []struct {
	in   string
	want Bracket
	ok   bool
}{
	{"0", Bracket{0, 0}, true},
	{"3-5", Bracket{3, 5}, true},
	{" 6 - 11 ", Bracket{6, 11}, true},
	{"5-3", Bracket{}, false},
	{"-1", Bracket{}, false},
	{"a-b", Bracket{}, false},
	{"", Bracket{}, false},
}

func TestParseBracket(t *testing.T) {
	for _, tc := range bracketCases {
		got, err := ParseBracket(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseBracket(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != strconv.Itoa(got.From) && got.String() != fmt.Sprintf("%d-%d", got.From, got.To) {
			t.Errorf("String of %v = %q", got, got.String())
		}
	}
	for _, brs := range [][]Bracket{{{0, 2}, {2, 3}}, {{3, 4}, {0, 1}}, {{0, 0}, {2, 1}}} {
		err := ValidateBrackets(brs)
		var be *BracketError
		if !errorsAs(err, &be) || be.Index != 1 {
			t.Errorf("Validate(%v) = %v, want a BracketError at index 1", brs, err)
		}
	}
}

// TestChannelGrid checks cohorts split by acquisition channel: each
// channel's cohorts, the customers without a channel last, and counts
// that add up to the grid of all customers.
//
// January: a (ads), b (ads), c (no channel), d (referral); February: e
// (referral). Orders: a Jan, Feb; b Jan; c Jan, Feb; d Jan; e Feb.
func TestChannelGrid(t *testing.T) {
	mem := checkedAllocator(t)
	customers := channelCustomersRecord(t, mem, []customer{
		{"a", "2024-01-01T00:00:00Z", ""}, {"b", "2024-01-01T00:00:00Z", ""}, {"c", "2024-01-01T00:00:00Z", ""},
		{"d", "2024-01-01T00:00:00Z", ""}, {"e", "2024-02-01T00:00:00Z", ""}, {"x", "2024-01-01T00:00:00Z", ""},
	}, []string{"ads", "ads", "", "referral", "referral", "ads"}) // x never orders
	defer customers.Release()
	orders := ordersRecord(t, mem, []order{
		{"a", "2024-01-02T00:00:00Z", 10}, {"b", "2024-01-03T00:00:00Z", 5}, {"c", "2024-01-04T00:00:00Z", 1},
		{"d", "2024-01-05T00:00:00Z", 2}, {"a", "2024-02-02T00:00:00Z", 20}, {"c", "2024-02-03T00:00:00Z", 1},
		{"e", "2024-02-04T00:00:00Z", 3},
	})
	defer orders.Release()
	jan, feb, mar := utc(t, "2024-01-01T00:00:00Z"), utc(t, "2024-02-01T00:00:00Z"), utc(t, "2024-03-01T00:00:00Z")
	want := []Row{
		{jan, feb, 0, 2, 2, pct(100), 15, 7.5, 2, pct(100), pct(100), pct(100), "ads"},
		{jan, feb, 1, 2, 1, pct(50), 20, 17.5, 1, pct(50), pct(2000.0 / 15), pct(1000.0 / 15), "ads"},
		{jan, feb, 0, 1, 1, pct(100), 2, 2, 1, pct(100), pct(100), pct(100), "referral"},
		{jan, feb, 1, 1, 0, pct(0), 0, 2, 0, pct(0), pct(0), pct(0), "referral"},
		{feb, mar, 0, 1, 1, pct(100), 3, 3, 1, pct(100), pct(100), pct(100), "referral"},
		{jan, feb, 0, 1, 1, pct(100), 1, 1, 1, pct(100), pct(100), pct(100), ""},
		{jan, feb, 1, 1, 1, pct(100), 1, 2, 1, pct(100), pct(100), pct(100), ""},
	}
	for _, basis := range []Basis{FirstOrder, Signup} {
		for _, ordersFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/orders first %v", basis, ordersFirst), func(t *testing.T) {
				b, err := NewBuilder(Config{Basis: basis, AsOf: mar})
				if err != nil {
					t.Fatal(err)
				}
				if ordersFirst {
					addSplit(t, b, ingest.Orders, orders, 2)
				}
				addSplit(t, b, ingest.Customers, customers, 2)
				if !ordersFirst {
					addSplit(t, b, ingest.Orders, orders, 2)
				}
				cg, err := b.ChannelGrid(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				got := cg.Rows()
				if basis == Signup {
					// x signed up in January without ordering: one more
					// ads customer, retained (never churned), no revenue.
					if len(got) != len(want) || got[0].Customers != 3 || got[0].Retained != 3 {
						t.Fatalf("signup ads January: %+v", got)
					}
					return
				}
				checkRows(t, got, want)
				all, err := b.Grid(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				// The channels add up to all customers.
				type key struct {
					start int64
					k     int64
				}
				sum := map[key][3]float64{}
				for _, r := range got {
					s := sum[key{r.CohortStart.UnixMicro(), r.PeriodIndex}]
					sum[key{r.CohortStart.UnixMicro(), r.PeriodIndex}] = [3]float64{s[0] + float64(r.Customers), s[1] + float64(r.Retained), s[2] + r.Revenue}
				}
				for _, r := range all.Rows() {
					if s := sum[key{r.CohortStart.UnixMicro(), r.PeriodIndex}]; s != [3]float64{float64(r.Customers), float64(r.Retained), r.Revenue} {
						t.Errorf("cohort %s k=%d: channels add up to %v, all customers %d %d %v", r.CohortStart, r.PeriodIndex, s, r.Customers, r.Retained, r.Revenue)
					}
				}
			})
		}
	}
	rec := ChannelRecord(mem, want)
	defer rec.Release()
	if ch := rec.Column(0).(*array.String); rec.ColumnName(0) != "acquisition_channel" || ch.Value(0) != "ads" || !ch.IsNull(6) {
		t.Errorf("acquisition_channel column %v", rec.Column(0))
	}
}

// TestVariantsInvariant checks that neither batch splits, nor spilling,
// nor the budget of revenue sums (one customer a block, or all) change
// any variant.
func TestVariantsInvariant(t *testing.T) {
	mem := checkedAllocator(t)
	cs, os, times := synthetic(9, 800, 12000)
	channels := make([]string, len(cs))
	rng := rand.New(rand.NewPCG(9, 2))
	for i := range channels {
		channels[i] = []string{"", "ads", "referral", "organic"}[rng.IntN(4)]
	}
	customers := channelCustomersRecord(t, mem, cs, channels)
	defer customers.Release()
	orders := ordersRecordTimes(t, mem, os, times)
	defer orders.Release()
	asOf := utc(t, "2024-09-15T00:00:00Z")
	for _, cfg := range []Config{
		{Basis: FirstOrder, Grain: Month, AsOf: asOf},
		{Basis: FirstOrder, Grain: Week, AsOf: asOf, MaxPeriods: 30},
		{Basis: Signup, Grain: Month, AsOf: asOf},
	} {
		build := func(batch, sums int, spill bool, ordersFirst bool) (*Grid, *Grid) {
			c := cfg
			if spill {
				c.SpillDir = t.TempDir()
			}
			b, err := NewBuilder(c)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.sums = sums
			if spill {
				b.orders.size, b.orders.after = 500, 1
			}
			if ordersFirst {
				addSplit(t, b, ingest.Orders, orders, batch)
			}
			addSplit(t, b, ingest.Customers, customers, batch)
			if !ordersFirst {
				addSplit(t, b, ingest.Orders, orders, batch)
			}
			g, err := b.Grid(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			cg, err := b.ChannelGrid(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return g, cg
		}
		want, wantCh := build(1<<30, 0, false, false)
		if len(want.Rows()) < 20 || len(wantCh.Rows()) <= len(want.Rows()) {
			t.Fatalf("%s/%s: %d rows, %d by channel", cfg.Basis, cfg.Grain, len(want.Rows()), len(wantCh.Rows()))
		}
		for _, v := range []struct {
			batch, sums        int
			spill, ordersFirst bool
		}{{7, 0, false, false}, {1000, 1, false, false}, {333, 50, true, false}, {1000, 0, true, true}, {64, 7, false, true}} {
			g, cg := build(v.batch, v.sums, v.spill, v.ordersFirst)
			if !reflect.DeepEqual(g.Rows(), want.Rows()) || !reflect.DeepEqual(g.BracketRows(), want.BracketRows()) {
				t.Errorf("%s/%s %+v: a different grid", cfg.Basis, cfg.Grain, v)
			}
			if !reflect.DeepEqual(cg.Rows(), wantCh.Rows()) || !reflect.DeepEqual(cg.BracketRows(), wantCh.BracketRows()) {
				t.Errorf("%s/%s %+v: a different grid by channel", cfg.Basis, cfg.Grain, v)
			}
		}
	}
}

// TestExactSum checks that the sum is exact and independent of order,
// where plain addition is neither.
func TestExactSum(t *testing.T) {
	xs := []float64{1e16, 1, -1e16, 0.1, 0.2, 0.3, -0.6, 1e-300, 3.5}
	want := 1 + 0.1 + 0.2 + 0.3 - 0.6 + 3.5 // close; the exact value is below
	rng := rand.New(rand.NewPCG(1, 1))
	var first float64
	for i := range 50 {
		rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		var s exactSum
		for _, x := range xs {
			s.add(x)
		}
		v := s.value()
		if i == 0 {
			first = v
		}
		if v != first {
			t.Fatalf("order %v: %v, first order %v", xs, v, first)
		}
	}
	if math.Abs(first-want) > 1e-15 {
		t.Errorf("sum %v, want about %v", first, want)
	}
	var s exactSum
	for range 10 {
		s.add(0.1)
	}
	if s.value() != 1 {
		t.Errorf("ten times 0.1 = %v, want 1 (correctly rounded)", s.value())
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
