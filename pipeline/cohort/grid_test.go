package cohort

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

func utc(t testing.TB, s string) time.Time { return mustTime(t, s).UTC() }

func pct(v float64) Num { return Num{V: v, Valid: true} }

// nearNum says whether a and b are both missing, or both present and
// equal to a relative 1e-9.
func nearNum(a, b Num) bool {
	return a.Valid == b.Valid && math.Abs(a.V-b.V) <= 1e-9*max(1, math.Abs(a.V), math.Abs(b.V))
}

// checkRows compares rows field by field, floats to a relative 1e-9.
func checkRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\n%+v", len(got), len(want), got)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }
	for i, w := range want {
		g := got[i]
		if !g.CohortStart.Equal(w.CohortStart) || !g.CohortEnd.Equal(w.CohortEnd) || g.PeriodIndex != w.PeriodIndex ||
			g.Customers != w.Customers || g.Retained != w.Retained || g.RetentionPct.Valid != w.RetentionPct.Valid ||
			!near(g.RetentionPct.V, w.RetentionPct.V) || !near(g.Revenue, w.Revenue) ||
			!near(g.CumulativeRevenuePerCustomer, w.CumulativeRevenuePerCustomer) ||
			g.RetainedUnbounded != w.RetainedUnbounded || !nearNum(g.UnboundedRetentionPct, w.UnboundedRetentionPct) ||
			!nearNum(g.NetRevenueRetentionPct, w.NetRevenueRetentionPct) ||
			!nearNum(g.GrossRevenueRetentionPct, w.GrossRevenueRetentionPct) || g.Channel != w.Channel {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

// TestFirstOrderByHand checks a small first-order grid computed by hand.
//
// Months in UTC, as of 2024-04-01, so January, February and March are
// observed and April is not.
//
//	customer  orders (revenue)                          first order → cohort
//	a         Mar 02 (20), Jan 05 (10), Jan 20 (5)      Jan
//	b         Jan 31 23:59:59 (7), Feb 01 00:00 (3)     Jan
//	c         Feb 10 (8), Apr 01 00:00 (100)            Feb
//	d         Mar 15 (4)                                Mar
//	e         Apr 02 (50)                               Apr: not observed, no rows
//
// January cohort {a, b}, size 2:
//
//	k=0 Jan: a and b ordered → 2 retained, 100%; revenue 10+5+7 = 22; cum 22/2 = 11
//	k=1 Feb: b (3)          → 1, 50%;           revenue 3;          cum 25/2 = 12.5
//	k=2 Mar: a (20)         → 1, 50%;           revenue 20;         cum 45/2 = 22.5
//
// February cohort {c}: k=0 → 1, 100%, 8, cum 8; k=1 (March) → 0, 0%, 0,
// cum 8 (c's April order is in an unobserved period).
// March cohort {d}: k=0 → 1, 100%, 4, cum 4.
//
// The variants. Unbounded retention, active in k or later: January k=1
// counts a, who skipped February and came back in March, and b → 2
// (classic 1); k=2 a → 1. February k=1: c's April order is not observed
// → 0. Net revenue retention = revenue(k) / revenue(0): January 100,
// 3/22, 20/22. Gross: period-0 revenue a 15, b 7 (base 22); k=1 min(0,
// 15) + min(3, 7) = 3 → 3/22; k=2 min(20, 15) + 0 = 15 → 15/22 (a's
// growth is capped at their 15).
func TestFirstOrderByHand(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	orders := ordersRecord(t, mem, []order{
		{"a", "2024-03-02T10:00:00Z", 20},
		{"a", "2024-01-05T10:00:00Z", 10},
		{"b", "2024-01-31T23:59:59Z", 7},
		{"c", "2024-02-10T08:00:00Z", 8},
		{"a", "2024-01-20T10:00:00Z", 5},
		{"b", "2024-02-01T00:00:00Z", 3},
		{"d", "2024-03-15T12:00:00Z", 4},
		{"c", "2024-04-01T00:00:00Z", 100},
		{"e", "2024-04-02T00:00:00Z", 50},
	})
	defer orders.Release()
	jan, feb, mar, apr := utc(t, "2024-01-01T00:00:00Z"), utc(t, "2024-02-01T00:00:00Z"), utc(t, "2024-03-01T00:00:00Z"), utc(t, "2024-04-01T00:00:00Z")
	want := []Row{
		{jan, feb, 0, 2, 2, pct(100), 22, 11, 2, pct(100), pct(100), pct(100), ""},
		{jan, feb, 1, 2, 1, pct(50), 3, 12.5, 2, pct(100), pct(300.0 / 22), pct(300.0 / 22), ""},
		{jan, feb, 2, 2, 1, pct(50), 20, 22.5, 1, pct(50), pct(2000.0 / 22), pct(1500.0 / 22), ""},
		{feb, mar, 0, 1, 1, pct(100), 8, 8, 1, pct(100), pct(100), pct(100), ""},
		{feb, mar, 1, 1, 0, pct(0), 0, 8, 0, pct(0), pct(0), pct(0), ""},
		{mar, apr, 0, 1, 1, pct(100), 4, 4, 1, pct(100), pct(100), pct(100), ""},
	}
	for _, size := range []int{1, 2, 100} {
		g := grid(t, Config{AsOf: apr}, nil, orders, size)
		checkRows(t, g.Rows(), want)
	}

	// MaxPeriods cuts every cohort after period 1.
	g := grid(t, Config{AsOf: apr, MaxPeriods: 1}, nil, orders, 100)
	checkRows(t, g.Rows(), []Row{want[0], want[1], want[3], want[4], want[5]})

	// A zero AsOf means the latest order, April 2: March is the last
	// month fully observed, as above.
	g = grid(t, Config{}, nil, orders, 100)
	if want := utc(t, "2024-04-02T00:00:00Z"); !g.AsOf.Equal(want) {
		t.Errorf("AsOf = %v, want %v", g.AsOf, want)
	}
	checkRows(t, g.Rows(), want)

	// As of mid-March, March is not observed: the March cohort and every
	// period-2 cell are absent, and a's March order does not count as a
	// return: January's unbounded retention in February is b alone.
	g = grid(t, Config{AsOf: utc(t, "2024-03-15T00:00:00Z")}, nil, orders, 100)
	midJan1 := want[1]
	midJan1.RetainedUnbounded, midJan1.UnboundedRetentionPct = 1, pct(50)
	checkRows(t, g.Rows(), []Row{want[0], midJan1, want[3]})
}

// TestSignupByHand checks a small contractual grid computed by hand.
//
// Months in UTC, as of 2024-04-01.
//
//	customer  signup             churned                cohort
//	a         Jan 05             —                      Jan
//	b         Jan 31 23:59:59    Feb 01 00:00           Jan
//	c         Jan 10             Jan 25                 Jan
//	d         Feb 03             Mar 31 23:59:59        Feb
//	e         Feb 10             May 01 (after as-of)   Feb
//	f         Apr 03             —                      Apr: not observed
//
// Retained in period k means churned_at is empty or ≥ the end of period k.
//
//	Jan cohort, size 3: k=0 (end Feb 01): a, b (churned exactly at the end) → 2, 66.67%
//	                    k=1 (end Mar 01): a → 1, 33.33%
//	                    k=2 (end Apr 01): a → 1, 33.33%
//	Feb cohort, size 2: k=0 (end Mar 01): d, e → 2, 100%
//	                    k=1 (end Apr 01): e (d churned Mar 31) → 1, 50%
//
// Orders: a Jan 06 (10) → Jan k=0; b Feb 15 (2, after b churned: still the
// cohort's revenue) → Jan k=1; a Mar 01 (5) → Jan k=2; d Jan 20 (9) is
// before d's signup month → BeforeAcquisition; z has no customers row →
// Unmatched; e Apr 05 (6) is in an unobserved period.
// Cumulative revenue per customer, Jan cohort: 10/3, 12/3, 17/3.
//
// Unbounded retention equals retention under signup. Net revenue
// retention, Jan: 100, 2/10, 5/10. Gross: only a had period-0 revenue
// (10), so b's February 2 is outside it: 100, 0, 50. The February
// cohort has no period-0 revenue: both are null, not 0.
func TestSignupByHand(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	customers := customersRecord(t, mem, []customer{
		{"a", "2024-01-05T00:00:00Z", ""},
		{"b", "2024-01-31T23:59:59Z", "2024-02-01T00:00:00Z"},
		{"c", "2024-01-10T00:00:00Z", "2024-01-25T00:00:00Z"},
		{"d", "2024-02-03T00:00:00Z", "2024-03-31T23:59:59Z"},
		{"e", "2024-02-10T00:00:00Z", "2024-05-01T00:00:00Z"},
		{"f", "2024-04-03T00:00:00Z", ""},
	})
	defer customers.Release()
	orders := ordersRecord(t, mem, []order{
		{"a", "2024-01-06T00:00:00Z", 10},
		{"b", "2024-02-15T00:00:00Z", 2},
		{"a", "2024-03-01T00:00:00Z", 5},
		{"d", "2024-01-20T00:00:00Z", 9},
		{"z", "2024-02-01T00:00:00Z", 1},
		{"e", "2024-04-05T00:00:00Z", 6},
	})
	defer orders.Release()
	jan, feb, mar := utc(t, "2024-01-01T00:00:00Z"), utc(t, "2024-02-01T00:00:00Z"), utc(t, "2024-03-01T00:00:00Z")
	want := []Row{
		{jan, feb, 0, 3, 2, pct(200.0 / 3), 10, 10.0 / 3, 2, pct(200.0 / 3), pct(100), pct(100), ""},
		{jan, feb, 1, 3, 1, pct(100.0 / 3), 2, 12.0 / 3, 1, pct(100.0 / 3), pct(20), pct(0), ""},
		{jan, feb, 2, 3, 1, pct(100.0 / 3), 5, 17.0 / 3, 1, pct(100.0 / 3), pct(50), pct(50), ""},
		{feb, mar, 0, 2, 2, pct(100), 0, 0, 2, pct(100), Num{}, Num{}, ""},
		{feb, mar, 1, 2, 1, pct(50), 0, 0, 1, pct(50), Num{}, Num{}, ""},
	}
	cfg := Config{Basis: Signup, AsOf: utc(t, "2024-04-01T00:00:00Z")}
	for _, size := range []int{1, 4, 100} {
		g := grid(t, cfg, customers, orders, size)
		checkRows(t, g.Rows(), want)
		if g.Unmatched != 1 || g.BeforeAcquisition != 1 {
			t.Errorf("Unmatched, BeforeAcquisition = %d, %d, want 1, 1", g.Unmatched, g.BeforeAcquisition)
		}
		for i, w := range [][]int64{{3, 1, 1}, {2, 1}} {
			s, err := g.Survivors(i)
			if err != nil || !reflect.DeepEqual(s, w) {
				t.Errorf("Survivors(%d) = %v, %v, want %v", i, s, err, w)
			}
		}
	}

	// Under FirstOrder the same batches give no survivors.
	g := grid(t, Config{AsOf: cfg.AsOf}, customers, orders, 100)
	if _, err := g.Survivors(0); !errors.Is(err, ErrNotContractual) {
		t.Errorf("Survivors under first_order: err = %v, want ErrNotContractual", err)
	}
}

type dstCase struct {
	name       string
	zone       string
	grain      Grain
	at         string // an order instant
	start, end string // the cohort's boundaries, UTC
	hours      float64
}

// New York: EST (UTC−5) until 2024-03-10 02:00, EDT (UTC−4) until
// 2024-11-03 02:00. Havana: CST (UTC−5) until 2012-04-01 00:00, which
// became 01:00 CDT (UTC−4), so April 2012 began at 05:00Z, with no local
// midnight.
var dstCases = []dstCase{
	{"march starts in EST, ends in EDT", "America/New_York", Month, "2024-03-15T12:00:00Z", "2024-03-01T05:00:00Z", "2024-04-01T04:00:00Z", 31*24 - 1},
	{"last second of March local is 03:59:59Z", "America/New_York", Month, "2024-04-01T03:59:59Z", "2024-03-01T05:00:00Z", "2024-04-01T04:00:00Z", 31*24 - 1},
	{"April starts at 04:00Z", "America/New_York", Month, "2024-04-01T04:00:00Z", "2024-04-01T04:00:00Z", "2024-05-01T04:00:00Z", 30 * 24},
	{"first second of March local is 05:00Z", "America/New_York", Month, "2024-03-01T05:00:00Z", "2024-03-01T05:00:00Z", "2024-04-01T04:00:00Z", 31*24 - 1},
	{"February 29 evening local is March 01 UTC", "America/New_York", Month, "2024-03-01T04:59:59Z", "2024-02-01T05:00:00Z", "2024-03-01T05:00:00Z", 29 * 24},
	{"November gains an hour", "America/New_York", Month, "2024-11-20T00:00:00Z", "2024-11-01T04:00:00Z", "2024-12-01T05:00:00Z", 30*24 + 1},
	{"spring-forward week is 167 hours", "America/New_York", Week, "2024-03-10T12:00:00Z", "2024-03-04T05:00:00Z", "2024-03-11T04:00:00Z", 167},
	{"fall-back week is 169 hours", "America/New_York", Week, "2024-11-03T12:00:00Z", "2024-10-28T04:00:00Z", "2024-11-04T05:00:00Z", 169},
	{"Sunday night local belongs to the week before", "America/New_York", Week, "2024-03-11T03:59:59Z", "2024-03-04T05:00:00Z", "2024-03-11T04:00:00Z", 167},
	{"ISO week across the new year", "America/New_York", Week, "2025-01-01T12:00:00Z", "2024-12-30T05:00:00Z", "2025-01-06T05:00:00Z", 168},
	{"skipped midnight: 23:30 local is still March", "America/Havana", Month, "2012-04-01T04:30:00Z", "2012-03-01T05:00:00Z", "2012-04-01T05:00:00Z", 31 * 24},
	{"skipped midnight: April starts at 01:00 CDT", "America/Havana", Month, "2012-04-01T05:00:00Z", "2012-04-01T05:00:00Z", "2012-05-01T04:00:00Z", 30*24 - 1},
}

func TestDSTBoundaries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range dstCases {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Skipf("no time zone data: %v", err)
			}
			orders := ordersRecord(t, mem, []order{{"x", tc.at, 1}})
			defer orders.Release()
			g := grid(t, Config{Grain: tc.grain, Location: loc, AsOf: utc(t, "2030-01-01T00:00:00Z")}, nil, orders, 1)
			if len(g.Cohorts) != 1 {
				t.Fatalf("got %d cohorts, want 1", len(g.Cohorts))
			}
			c := g.Cohorts[0]
			if want := utc(t, tc.start); !c.Start.Equal(want) {
				t.Errorf("start = %v, want %v", c.Start, want)
			}
			if want := utc(t, tc.end); !c.End.Equal(want) {
				t.Errorf("end = %v, want %v", c.End, want)
			}
			if h := c.End.Sub(c.Start).Hours(); h != tc.hours {
				t.Errorf("length = %vh, want %vh", h, tc.hours)
			}
		})
	}
}

// TestDSTRetention puts one customer's orders on both sides of local
// month ends in New York and checks which period each lands in.
func TestDSTRetention(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	orders := ordersRecord(t, mem, []order{
		{"x", "2024-03-01T05:00:00Z", 1},  // March 01 00:00 EST: period 0
		{"x", "2024-04-01T03:30:00Z", 2},  // March 31 23:30 EDT: still period 0 (UTC says April)
		{"x", "2024-05-01T04:00:00Z", 4},  // May 01 00:00 EDT: period 2; April (1) has none
		{"x", "2024-12-01T04:30:00Z", 8},  // November 30 23:30 EST: period 8 (UTC says December)
		{"x", "2024-12-01T05:00:00Z", 16}, // December 01 00:00 EST: period 9, not observed
	})
	defer orders.Release()
	// As of the local start of December: periods 0 … 8 (March … November).
	g := grid(t, Config{Location: ny, AsOf: utc(t, "2024-12-01T05:00:00Z")}, nil, orders, 1)
	c := g.Cohorts[0]
	wantRetained := []int64{1, 0, 1, 0, 0, 0, 0, 0, 1}
	wantRevenue := []float64{3, 0, 4, 0, 0, 0, 0, 0, 8}
	if !reflect.DeepEqual(c.Retained, wantRetained) || !reflect.DeepEqual(c.Revenue, wantRevenue) {
		t.Errorf("retained %v revenue %v, want %v %v", c.Retained, c.Revenue, wantRetained, wantRevenue)
	}
	// One microsecond earlier, November is not fully observed.
	g = grid(t, Config{Location: ny, AsOf: utc(t, "2024-12-01T04:59:59.999999Z")}, nil, orders, 1)
	if n := len(g.Cohorts[0].Retained); n != 8 {
		t.Errorf("got %d periods, want 8", n)
	}
}

// TestCalendarAssign checks the cached, vectorised numbering against the
// direct one for random instants in zones with unusual daylight saving
// (Lord Howe moves by 30 minutes; São Paulo moved at midnight).
func TestCalendarAssign(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, os, times := synthetic(7, 10, 5000)
	// Add far-out instants so the cache must fall back.
	times = append(times, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC))
	// And instants around a skipped midnight (Havana, 2012-04-01).
	times = append(times, time.Date(2012, 4, 1, 4, 30, 0, 0, time.UTC), time.Date(2012, 4, 1, 5, 0, 0, 0, time.UTC))
	os = append(os, order{"x", "", 1}, order{"y", "", 1}, order{"x", "", 1}, order{"y", "", 1})
	rec := ordersRecordTimes(t, mem, os, times)
	defer rec.Release()
	col, err := timeColumn(rec, ingest.Orders, "ordered_at")
	if err != nil {
		t.Fatal(err)
	}
	for _, zone := range []string{"UTC", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "America/Havana", "Asia/Kathmandu"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("no time zone data: %v", err)
		}
		for _, g := range []Grain{Week, Month} {
			cal, err := newCalendar(g, loc)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]int32, len(times))
			cal.assign(col, out)
			for i, ts := range times {
				p := out[i]
				if want := cal.number(ts); p != want {
					t.Fatalf("%s %s: %v → %d, want %d", zone, g, ts, p, want)
				}
				if s, e := cal.start(p), cal.start(p+1); ts.Before(s) || !ts.Before(e) {
					t.Fatalf("%s %s: %v not in period %d [%v, %v)", zone, g, ts, p, s, e)
				}
			}
		}
	}
}

// TestBatchSplit checks that the grid depends on the rows only, not on how
// they are split into batches or in which order the tables come.
func TestBatchSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs, os, times := synthetic(1, 2000, chunkLen+5000) // more orders than one chunk
	customers := customersRecord(t, mem, cs)
	defer customers.Release()
	orders := ordersRecordTimes(t, mem, os, times)
	defer orders.Release()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.UTC
	}
	asOf := time.Date(2024, 9, 15, 0, 0, 0, 0, time.UTC)
	for _, cfg := range []Config{
		{Basis: FirstOrder, Grain: Month, Location: ny, AsOf: asOf},
		{Basis: FirstOrder, Grain: Week, Location: ny, AsOf: asOf},
		{Basis: Signup, Grain: Month, Location: ny, AsOf: asOf},
		{Basis: Signup, Grain: Week, AsOf: asOf, MaxPeriods: 20},
	} {
		whole := grid(t, cfg, customers, orders, 1<<30)
		if len(whole.Rows()) < 10 {
			t.Fatalf("%s/%s: only %d rows", cfg.Basis, cfg.Grain, len(whole.Rows()))
		}
		for _, size := range []int{1, 7, 10000} {
			got := grid(t, cfg, customers, orders, size)
			if !reflect.DeepEqual(got.Rows(), whole.Rows()) || got.Unmatched != whole.Unmatched || got.BeforeAcquisition != whole.BeforeAcquisition {
				t.Errorf("%s/%s: batches of %d give a different grid", cfg.Basis, cfg.Grain, size)
			}
		}
		// Orders before customers.
		b, err := NewBuilder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		addSplit(t, b, ingest.Orders, orders, 999)
		addSplit(t, b, ingest.Customers, customers, 999)
		got, err := b.Grid(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Rows(), whole.Rows()) {
			t.Errorf("%s/%s: orders before customers give a different grid", cfg.Basis, cfg.Grain)
		}
	}
}
