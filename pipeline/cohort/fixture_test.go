package cohort

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// order is one row of the orders fixture.
type order struct {
	customer string
	at       string // RFC 3339
	revenue  float64
}

// customer is one row of the customers fixture; churned "" is null.
type customer struct {
	id, signup, churned string
}

func schemaOf(t testing.TB, table ingest.Table) *arrow.Schema {
	t.Helper()
	spec, err := ingest.SpecOf(table)
	if err != nil {
		t.Fatal(err)
	}
	return spec.Schema()
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// ordersRecord builds an orders batch with the contract schema.
func ordersRecord(t testing.TB, mem memory.Allocator, rows []order) arrow.Record {
	t.Helper()
	times := make([]time.Time, len(rows))
	for i, r := range rows {
		times[i] = mustTime(t, r.at)
	}
	return ordersRecordTimes(t, mem, rows, times)
}

func ordersRecordTimes(t testing.TB, mem memory.Allocator, rows []order, times []time.Time) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(mem, schemaOf(t, ingest.Orders))
	defer b.Release()
	for i, r := range rows {
		b.Field(0).(*array.StringBuilder).Append("o" + strconv.Itoa(i))
		b.Field(1).(*array.StringBuilder).Append(r.customer)
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(times[i].UnixMicro()))
		b.Field(3).(*array.Float64Builder).Append(r.revenue)
		b.Field(4).AppendNull()
	}
	return b.NewRecord()
}

// customersRecord builds a customers batch with the contract schema.
func customersRecord(t testing.TB, mem memory.Allocator, rows []customer) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(mem, schemaOf(t, ingest.Customers))
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.id)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(mustTime(t, r.signup).UnixMicro()))
		if r.churned == "" {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(mustTime(t, r.churned).UnixMicro()))
		}
		for f := 3; f < b.Schema().NumFields(); f++ {
			b.Field(f).AppendNull()
		}
	}
	return b.NewRecord()
}

// addSplit adds rec to b in slices of at most size rows.
func addSplit(t testing.TB, b *Builder, table ingest.Table, rec arrow.Record, size int) {
	t.Helper()
	n := rec.NumRows()
	for lo := int64(0); lo < n; lo += int64(size) {
		part := rec.NewSlice(lo, min(lo+int64(size), n))
		err := b.Add(table, part)
		part.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// grid builds the grid of the given batches under cfg.
func grid(t testing.TB, cfg Config, customers, orders arrow.Record, size int) *Grid {
	t.Helper()
	b, err := NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if customers != nil {
		addSplit(t, b, ingest.Customers, customers, size)
	}
	if orders != nil {
		addSplit(t, b, ingest.Orders, orders, size)
	}
	g, err := b.Grid(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// synthetic returns n random orders and the customers who placed them,
// spread over 2023–2024 with some before signup and some of unknown
// customers, for invariance and reference checks.
func synthetic(seed uint64, customers, n int) ([]customer, []order, []time.Time) {
	rng := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(2 * 365 * 24 * time.Hour)
	cs := make([]customer, customers)
	signup := make([]time.Time, customers)
	for i := range cs {
		signup[i] = base.Add(time.Duration(rng.Int64N(span)))
		cs[i] = customer{id: "c" + strconv.Itoa(i), signup: signup[i].Format(time.RFC3339Nano)}
		if rng.IntN(3) > 0 {
			cs[i].churned = signup[i].Add(time.Duration(rng.Int64N(span / 2))).Format(time.RFC3339Nano)
		}
	}
	os := make([]order, n)
	times := make([]time.Time, n)
	for i := range os {
		c := rng.IntN(customers + customers/50) // a few unknown customers
		at := base.Add(time.Duration(rng.Int64N(span)))
		if c < customers && rng.IntN(4) > 0 {
			at = signup[c].Add(time.Duration(rng.Int64N(span / 3)))
		}
		os[i] = order{customer: "c" + strconv.Itoa(c), revenue: float64(rng.IntN(20000)) / 100}
		times[i] = at
	}
	return cs, os, times
}

func itoa(i int) string { return strconv.Itoa(i) }

// checkedAllocator returns an allocator that fails t if memory is left
// allocated when the test ends.
func checkedAllocator(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}
