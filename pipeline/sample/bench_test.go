package sample

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkGenerate measures generation speed over a grid of sizes and
// formats; rows/s counts every row of every table.
func BenchmarkGenerate(b *testing.B) {
	for _, format := range []string{CSV, Parquet} {
		for _, n := range []int{1_000, 10_000} {
			b.Run(fmt.Sprintf("format=%s/customers=%d", format, n), func(b *testing.B) {
				benchmarkGenerate(b, Config{Seed: 1, Customers: n, Months: 12, Format: format})
			})
		}
	}
}

// BenchmarkGenerateRows measures generation with the volume targets of
// `cxkpi gen -rows N`, calibration included; rows/s counts every row of
// every table.
func BenchmarkGenerateRows(b *testing.B) {
	for _, format := range []string{CSV, Parquet} {
		for _, n := range []struct {
			name string
			rows int64
		}{{"1e5", 100_000}, {"1e6", 1_000_000}} {
			b.Run(fmt.Sprintf("format=%s/rows=%s", format, n.name), func(b *testing.B) {
				benchmarkGenerate(b, Config{Seed: 1, Format: format,
					Tickets: n.rows / 7, Messages: 3 * n.rows / 7, Surveys: n.rows / 7, Orders: 2 * n.rows / 7})
			})
		}
	}
}

func benchmarkGenerate(b *testing.B, cfg Config) {
	dir := b.TempDir()
	var rows int64
	b.ReportAllocs()
	for b.Loop() {
		counts, err := Generate(context.Background(), dir, cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, n := range counts {
			rows += n
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows), "rows/op")
}
