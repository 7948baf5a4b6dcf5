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

const genUsage = `Usage: cxkpi gen -out DIR [flags]

Writes one export file per table of the contract, the same files for the
same flags.

Volumes follow -customers and -months at the model's own rates unless
volume targets are set: -tickets, -messages, -surveys, -orders, or -rows
for all four in the proportions 1:3:1:2. The generator then scales its
rates (tickets per customer-month, messages per ticket, survey responses,
purchases) until a pilot run over a sample of the customers predicts the
targets; the volumes come out within a few percent of them. Without
-customers, the number of customers follows the first target, at about
5 tickets (20 messages, 2.5 survey answers, 2.5 orders) a customer a year.
The other tables (calls, QA reviews, feedback, …) follow the model.

  cxkpi gen -rows 70000000 -out big/    about 10M tickets, 30M messages,
                                        10M surveys, 20M orders

Flags:
`

func genCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, out, err := genConfig(args, flagOutput(args, stdout, stderr))
	if err != nil {
		return err
	}
	start := time.Now()
	rows, err := sample.Generate(ctx, out, cfg, func(table string, n int64) {
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
	fmt.Fprintf(stdout, "ok %d rows in %s -> %s\n", total, time.Since(start).Round(time.Millisecond), out)
	return nil
}

// genConfig parses the flags of gen into the generator's configuration
// and the output directory.
func genConfig(args []string, output io.Writer) (sample.Config, string, error) {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(output)
	var (
		seed      = fs.Uint64("seed", 1, "random seed; the same seed and flags give the same files")
		customers = fs.Int("customers", 0, "number of customers (0: 400, or as many as the volume targets need)")
		months    = fs.Int("months", 6, "months of history")
		end       = fs.String("end", "2026-11-01", "exclusive end date of the data (UTC)")
		badRows   = fs.Int("bad-rows", 0, "deliberately malformed rows per table, to exercise the quarantine")
		format    = fs.String("format", "csv", "file format: csv or parquet")
		out       = fs.String("out", "", "output directory (required)")
		rows      = fs.Int64("rows", 0, "about `N` rows of tickets, messages, surveys and orders together: N/7, 3N/7, N/7 and 2N/7; the flags of each override it")
		volumes   = [...]*int64{
			fs.Int64("tickets", 0, "about `N` tickets (0: as the model gives)"),
			fs.Int64("messages", 0, "about `N` messages (0: as the model gives)"),
			fs.Int64("surveys", 0, "about `N` survey answers (0: as the model gives)"),
			fs.Int64("orders", 0, "about `N` orders (0: as the model gives)"),
		}
	)
	fs.Usage = func() {
		fmt.Fprint(output, genUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return sample.Config{}, "", err
	}
	if *out == "" {
		fs.Usage()
		return sample.Config{}, "", fmt.Errorf("%w: -out is required", errUsage)
	}
	if *rows < 0 {
		return sample.Config{}, "", fmt.Errorf("%w: -rows %d is negative", errUsage, *rows)
	}
	endAt, err := time.Parse("2006-01-02", *end)
	if err != nil {
		return sample.Config{}, "", fmt.Errorf("-end: want a date like 2026-11-01: %w", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for i, name := range [...]string{"tickets", "messages", "surveys", "orders"} {
		if !set[name] {
			*volumes[i] = [...]int64{*rows / 7, 3 * *rows / 7, *rows / 7, 2 * *rows / 7}[i]
		}
	}
	cfg := sample.Config{Seed: *seed, Customers: *customers, Months: *months, End: endAt, BadRows: *badRows, Format: *format,
		Tickets: *volumes[0], Messages: *volumes[1], Surveys: *volumes[2], Orders: *volumes[3]}
	return cfg, *out, nil
}
