package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/pipeline/sample"
)

// benchCmd measures the job at a given scale: it generates a data set (or
// reuses one), runs the job on it once and prints the seconds and rows/s of
// every stage and the peak resident memory.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	var (
		rows      = fs.Int64("rows", 1_000_000, "about how many rows to generate, in the proportions of cxkpi gen -rows")
		format    = fs.String("format", "csv", "file format of the generated data: csv or parquet")
		seed      = fs.Uint64("seed", 7, "random seed of the generated data")
		progress  = fs.String("progress", "auto", "progress bars of the tables read: auto (on a terminal only), always or never")
		data      = fs.String("data", "", "data directory: reused when it holds files, else generated into and kept (default: a temporary directory, removed)")
		cpu       = fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
		mem       = fs.String("memprofile", "", "write the heap profile taken at the peak of the live heap to this file")
		memLimMiB = fs.Int("memory-limit", defaultMemoryLimitMiB, "soft limit of the Go heap in MiB, 0 for none")
	)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi bench [flags]\n\nGenerates a data set, runs the job on it and prints the time, rows/s and\npeak memory of every stage (docs/performance.md).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cxkpi-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if entries, _ := os.ReadDir(dir); len(entries) == 0 {
		start := time.Now()
		genArgs := []string{"-rows", strconv.FormatInt(*rows, 10), "-format", *format,
			"-seed", strconv.FormatUint(*seed, 10), "-out", dir}
		if err := genCmd(ctx, genArgs, io.Discard, stderr); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		fmt.Fprintf(stdout, "generated %s in %.1f s\n", dir, time.Since(start).Seconds())
	} else {
		fmt.Fprintf(stdout, "reusing %s\n", dir)
	}

	out, err := os.MkdirTemp("", "cxkpi-bench-out-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	logOut, bars, err := progressOutput(*progress, stderr)
	if err != nil {
		return err
	}
	cfg := pipeline.Config{
		Input: os.DirFS(dir), InputName: dir, OutDir: out,
		AsOf:   sample.DefaultEnd().AddDate(0, 0, -1),
		KPI:    kpi.Options{Grain: kpi.Month},
		Logger: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if bars != nil {
		cfg.Progress = bars
	}
	setMemoryLimit(fs, *memLimMiB)
	stop, err := startProfiles(*cpu, *mem)
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := pipeline.Run(ctx, cfg)
	wall := time.Since(start)
	stop()
	if err != nil {
		return err
	}
	printBench(stdout, sum, wall)
	return nil
}

// printBench prints the stages of a run, its wall time and peak memory.
func printBench(w io.Writer, sum *pipeline.Manifest, wall time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tseconds\trows\trows/s\t")
	for _, st := range sum.Stages {
		rate := "-"
		if st.RowsPerSec > 0 {
			rate = fmt.Sprintf("%.0f", st.RowsPerSec)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%d\t%s\t\n", st.Name, st.Seconds, st.Rows, rate)
	}
	read := sum.Read()
	fmt.Fprintf(tw, "total (wall)\t%.2f\t%d\t%.0f\t\n", wall.Seconds(), read, float64(read)/wall.Seconds())
	tw.Flush()
	fmt.Fprintf(w, "peak resident memory: %.0f MiB\n", float64(sum.PeakRSS)/(1<<20))
}
