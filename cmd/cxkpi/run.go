package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		input     = fs.String("input", "", "directory of exports (default: the embedded sample data)")
		mapping   = fs.String("mapping", "", "YAML file mapping export columns and time layouts onto the contract")
		grain     = fs.String("grain", "month", "period grain: day, week, month, quarter or year")
		tz        = fs.String("tz", "UTC", "reporting time zone (IANA name, e.g. Europe/Lisbon)")
		out       = fs.String("out", "out", "output directory; each run writes <out>/<grain>=<period>/")
		asOf      = fs.String("as-of", "", "report the period containing this date (YYYY-MM-DD, in -tz); default: the latest period with data")
		strict    = fs.Bool("strict", false, "fail on the first malformed row instead of quarantining it")
		batch     = fs.Int("batch-size", 0, "rows per Arrow record batch (default 8192)")
		title     = fs.String("title", "", "report title")
		company   = fs.String("company", "", "company name shown on the report")
		logFormat = fs.String("log-format", "text", "log format: text or json")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cxkpi run [flags]\n\nReads the exports, computes the KPIs and writes kpis.parquet, report.pdf,\nquarantine.csv and summary.json into <out>/<grain>=<period>/.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	logger, err := newLogger(stderr, *logFormat)
	if err != nil {
		return err
	}
	g, err := kpi.ParseGrain(*grain)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz: %w", err)
	}
	cfg := pipeline.Config{
		Strict: *strict, BatchSize: *batch, OutDir: *out, Title: *title, Company: *company, Logger: logger,
		KPI: kpi.Options{Grain: g, Location: loc},
	}
	if *asOf != "" {
		if cfg.AsOf, err = time.ParseInLocation("2006-01-02", *asOf, loc); err != nil {
			return fmt.Errorf("-as-of: want a date like 2026-10-31: %w", err)
		}
	}
	if *input == "" {
		cfg.Input, cfg.InputName = cxkpi.Sample(), "embedded sample"
	} else {
		st, err := os.Stat(*input)
		if err != nil {
			return fmt.Errorf("-input: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("-input: %s is not a directory", *input)
		}
		cfg.Input, cfg.InputName = os.DirFS(*input), *input
	}
	if *mapping != "" {
		f, err := os.Open(*mapping)
		if err != nil {
			return fmt.Errorf("-mapping: %w", err)
		}
		cfg.Mapping, err = ingest.LoadMapping(f, *mapping)
		f.Close()
		if err != nil {
			return err
		}
	}
	sum, err := pipeline.Run(ctx, cfg)
	if err != nil {
		return err
	}
	var read int64
	for _, t := range sum.Tables {
		read += t.Read
	}
	fmt.Fprintf(stdout, "ok %s %s: %d rows read, %d rejected, %d KPI rows -> %s\n",
		sum.Grain, sum.Period, read, sum.Rejected(), sum.KPIRows, sum.Dir)
	return nil
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("%w: -log-format %q, want text or json", errUsage, format)
}
