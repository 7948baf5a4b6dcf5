package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/sample"
)

func genCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		seed      = fs.Uint64("seed", 1, "random seed; the same seed and flags give the same files")
		customers = fs.Int("customers", 400, "number of customers")
		months    = fs.Int("months", 6, "months of history")
		end       = fs.String("end", "2026-11-01", "exclusive end date of the data (UTC)")
		badRows   = fs.Int("bad-rows", 0, "deliberately malformed rows per table, to exercise the quarantine")
		format    = fs.String("format", "csv", "file format: csv or parquet")
		out       = fs.String("out", "", "output directory (required)")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cxkpi gen -out DIR [flags]\n\nWrites one export file per table of the contract.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: -out is required", errUsage)
	}
	endAt, err := time.Parse("2006-01-02", *end)
	if err != nil {
		return fmt.Errorf("-end: want a date like 2026-11-01: %w", err)
	}
	cfg := sample.Config{Seed: *seed, Customers: *customers, Months: *months, End: endAt, BadRows: *badRows, Format: *format}
	start := time.Now()
	rows, err := sample.Generate(ctx, *out, cfg, func(table string, n int64) {
		fmt.Fprintf(stderr, "gen: %s %d rows\n", table, n)
	})
	if err != nil {
		return err
	}
	tables := make([]string, 0, len(rows))
	var total int64
	for t, n := range rows {
		tables = append(tables, t)
		total += n
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(stdout, "%-16s %10d\n", t, rows[t])
	}
	fmt.Fprintf(stdout, "ok %d rows in %s -> %s\n", total, time.Since(start).Round(time.Millisecond), *out)
	return nil
}
