package cohort

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// benchOrders returns n orders of n/10 customers over three years, in
// batches of 64Ki rows, in time order as exports usually are.
func benchOrders(b *testing.B, mem memory.Allocator, n int) []arrow.Record {
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	span := int64(3 * 365 * 24 * time.Hour / time.Microsecond)
	schema := schemaOf(b, ingest.Orders)
	var recs []arrow.Record
	const size = 1 << 16
	for lo := 0; lo < n; lo += size {
		rb := array.NewRecordBuilder(mem, schema)
		for i := lo; i < min(lo+size, n); i++ {
			rb.Field(0).(*array.StringBuilder).Append("o" + strconv.Itoa(i))
			rb.Field(1).(*array.StringBuilder).Append("c" + strconv.Itoa(rng.IntN(n/10)))
			rb.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(base + span*int64(i)/int64(n)))
			rb.Field(3).(*array.Float64Builder).Append(float64(rng.IntN(10000)) / 100)
			rb.Field(4).AppendNull()
		}
		recs = append(recs, rb.NewRecord())
		rb.Release()
	}
	return recs
}

// BenchmarkGrid adds the orders and computes the monthly first-order grid
// in New York time, with the orders in memory and spilled to a file from
// the first full chunk on.
func BenchmarkGrid(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Skip(err)
	}
	for _, n := range []int{1e5, 1e6} {
		for _, spill := range []bool{false, true} {
			name := fmt.Sprintf("rows=%.0e", float64(n))
			if spill {
				name += "/spill"
			}
			b.Run(name, func(b *testing.B) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(b, 0)
				recs := benchOrders(b, mem, n)
				defer func() {
					for _, r := range recs {
						r.Release()
					}
				}()
				cfg := Config{Location: ny, AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, ny)}
				if spill {
					cfg.SpillDir = b.TempDir()
				}
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := benchGrid(cfg, recs, ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// benchGrid computes the grid of recs; with a SpillDir, the builder
// spills from its first full chunk on.
func benchGrid(cfg Config, recs []arrow.Record, ctx context.Context) (*Grid, error) {
	bl, err := NewBuilder(cfg)
	if err != nil {
		return nil, err
	}
	defer bl.Close()
	bl.orders.after = 1
	for _, r := range recs {
		if err := bl.Add(ingest.Orders, r); err != nil {
			return nil, err
		}
	}
	return bl.Grid(ctx)
}
