package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/pipeline/schedule"
	"github.com/cxkpi/cxkpi/templates"
)

// sampleName names the embedded sample as the run's input.
const sampleName = "embedded sample"

// runFlags are the flags of run that override the configuration file.
type runFlags struct {
	config, input, mapping, preset, grain, tz, out, asOf, from string
	to                                                         string
	title, company, locale, logFormat, cpuProfile, memProfile  string
	strict, allowEmpty, allowStale, allowSymlinksOutside       bool
	batch, memLimitMiB                                         int
	maxRejectedShare                                           float64
	maxInputAge                                                time.Duration

	progress  string
	alertExit bool
	currency  string

	file *pipeline.File // the configuration file, when -config is set
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "YAML configuration file (docs/configuration.md); flags override it")
	fs.StringVar(&f.input, "input", "", "directory of exports, or a bucket URL: s3://BUCKET/PREFIX?region=R, file:///DIR (default: the embedded sample data)")
	fs.StringVar(&f.mapping, "mapping", "", "YAML file mapping export columns and time layouts onto the contract; with -preset, keys laid over the preset's")
	fs.StringVar(&f.preset, "preset", "", "embedded mapping of a helpdesk's or survey tool's export, such as zendesk-csv (docs/presets.md); \"list\" lists them")
	fs.StringVar(&f.grain, "grain", "month", "period grain: day, week, month, quarter or year")
	fs.StringVar(&f.tz, "tz", "UTC", "reporting time zone (IANA name, e.g. Europe/Lisbon)")
	fs.StringVar(&f.out, "out", "out", "output directory, or a bucket URL (s3://BUCKET/PREFIX?region=R); each run writes <out>/<grain>=<period>/")
	fs.StringVar(&f.asOf, "as-of", "", "report the period containing this date (YYYY-MM-DD, in -tz); default: yesterday (for the embedded sample, its last day)")
	fs.StringVar(&f.from, "from", "", "backfill: first date of a range of periods to report (with -to)")
	fs.StringVar(&f.to, "to", "", "backfill: last date of the range (with -from)")
	fs.BoolVar(&f.strict, "strict", false, "fail on the first malformed row instead of quarantining it")
	fs.IntVar(&f.batch, "batch-size", 0, fmt.Sprintf("rows per Arrow record batch (default %d, at most %d)", ingest.DefaultBatchSize, ingest.MaxBatchSize))
	fs.BoolVar(&f.allowEmpty, "allow-empty", false, "publish even when the input has no file or row, or the report period no event (gates empty_input and empty_period off)")
	fs.BoolVar(&f.allowStale, "allow-stale", false, "publish even when the newest event is older than the as-of date minus -max-input-age (gate stale_input off)")
	fs.Float64Var(&f.maxRejectedShare, "max-rejected-share", pipeline.DefaultMaxRejectedShare, "fail when a table rejects more than this share of its rows; 1 turns the gate off")
	fs.DurationVar(&f.maxInputAge, "max-input-age", pipeline.DefaultMaxInputAge, "fail when the newest event is older than the as-of date minus this")
	fs.BoolVar(&f.allowSymlinksOutside, "allow-symlinks-outside", false, "follow symbolic links that lead out of the -input directory")
	fs.StringVar(&f.title, "title", "", "report title")
	fs.StringVar(&f.company, "company", "", "company name shown on the report")
	fs.StringVar(&f.currency, "currency", "", "ISO 4217 code of the exports' amounts, such as EUR: shown with its symbol in the report, and in kpis.parquet")
	fs.StringVar(&f.locale, "locale", "en", "language of the report: "+strings.Join(templates.Locales(), ", "))
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&f.alertExit, "alert-exit", false, "exit with code 4 when an alert fires (alerts.exit_code); the outputs are published all the same")
	fs.StringVar(&f.progress, "progress", "auto", "progress bars of the tables read, on standard error: auto (on a terminal only), always or never")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	fs.StringVar(&f.memProfile, "memprofile", "", "write the heap profile taken at the peak of the live heap to this file")
	fs.IntVar(&f.memLimitMiB, "memory-limit", defaultMemoryLimitMiB, "soft limit of the Go heap in MiB, 0 for none (GOMEMLIMIT, when set, takes precedence over the default)")
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	var f runFlags
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi run [flags]\n\nReads the exports, computes the KPIs and writes kpis.parquet, report.pdf,\nquarantine.csv and manifest.json into <out>/<grain>=<period>/. With -from and\n-to it reports every period of the range, one after the other.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if f.preset == "list" {
		return listPresets(stdout)
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	logOut, progress, err := progressOutput(f.progress, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(logOut, f.logFormat)
	if err != nil {
		return err
	}
	defer func() { err = logFailure(logger, "run", err) }()
	cfg, err := f.build(ctx, set)
	if err != nil {
		return err
	}
	cfg.Logger = logger
	if progress != nil {
		cfg.Progress = progress
	}
	cal, err := kpi.NewCalendar(cfg.KPI.Grain, cfg.KPI.Location)
	if err != nil {
		return err
	}
	asOf, err := date("-as-of", f.asOf, cfg.KPI.Location)
	if err != nil {
		return err
	}
	from, err := date("-from", f.from, cfg.KPI.Location)
	if err != nil {
		return err
	}
	to, err := date("-to", f.to, cfg.KPI.Location)
	if err != nil {
		return err
	}
	backfill := !from.IsZero() || !to.IsZero()
	if backfill && (from.IsZero() || to.IsZero() || !asOf.IsZero()) {
		return fmt.Errorf("%w: a backfill needs both -from and -to, and no -as-of", errUsage)
	}

	setMemoryLimit(fs, f.memLimitMiB)
	stopProfiles, err := startProfiles(f.cpuProfile, f.memProfile)
	if err != nil {
		return err
	}
	defer stopProfiles()

	// One run at a time per output directory, scheduled or by hand. A
	// bucket holds no lock: one writer per output prefix is assumed
	// (docs/operations.md, "Object storage"), and a run there cleans up
	// after killed runs itself.
	toBucket := bucket.IsURL(cfg.OutDir)
	if !toBucket {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return fmt.Errorf("create output directory: %w", err)
		}
		// A stale lock taken over is logged with its old holder.
		locker := schedule.Locker{Dir: cfg.OutDir, Now: time.Now, Logger: logger}
		if f.file != nil {
			locker.StaleAge = f.file.Schedule.LockStaleAge
		}
		lock, err := locker.Acquire()
		if err != nil {
			return err
		}
		defer lock.Release()
	}

	once := func(ctx context.Context, asOf time.Time) error {
		c := cfg
		c.AsOf = asOf
		// Holding the lock, clean up after runs that were killed.
		if !toBucket {
			if err := pipeline.Recover(c.OutDir, logger); err != nil {
				return err
			}
		}
		sum, err := pipeline.Run(ctx, c)
		if sum != nil && sum.Dir != "" { // a run stopped by a gate publishes nothing
			skipped := ""
			if n := sum.Skipped(); n > 0 {
				skipped = fmt.Sprintf(", %d skipped", n)
			}
			alerts := ""
			if n := len(sum.Alerts); n > 0 {
				alerts = fmt.Sprintf(", %d %s", n, plural(n, "alert", "alerts"))
			}
			fmt.Fprintf(stdout, "%s %s %s: %d rows read%s, %d rejected, %d KPI rows%s -> %s\n",
				status(err), sum.Grain, sum.Period, sum.Read(), skipped, sum.Rejected(), sum.KPIRows, alerts, sum.Dir)
		}
		if err == nil && sum != nil && c.Alerts.ExitCode && len(sum.Alerts) > 0 {
			return fmt.Errorf("%w: %d in period %s (see manifest.json, alerts)", errAlert, len(sum.Alerts), sum.Period)
		}
		return err
	}
	if !backfill {
		if asOf.IsZero() && cfg.InputName == sampleName {
			// The sample is history: report its last month, not yesterday's.
			l := cxkpi.SampleLastDay()
			asOf = time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, cfg.KPI.Location)
		}
		return once(ctx, asOf)
	}
	next := func(t time.Time) time.Time { return cal.Start(cal.Number(t) + 1) }
	return schedule.Backfill(ctx, cal.Start(cal.Number(from)), to, next, once)
}

func status(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

// build builds the run configuration: the file's, if any, then the
// flags that were set.
func (f *runFlags) build(ctx context.Context, set map[string]bool) (pipeline.Config, error) {
	var cfg pipeline.Config
	if f.config != "" {
		file, err := pipeline.LoadFile(f.config)
		if err != nil {
			return cfg, err
		}
		if cfg, err = file.Config(); err != nil {
			return cfg, err
		}
		f.file = file
	}
	if set["grain"] || cfg.KPI.Grain == "" {
		g, err := kpi.ParseGrain(f.grain)
		if err != nil {
			return cfg, err
		}
		cfg.KPI.Grain = g
	}
	if set["tz"] || cfg.KPI.Location == nil {
		loc, err := time.LoadLocation(f.tz)
		if err != nil {
			return cfg, fmt.Errorf("-tz: %w", err)
		}
		cfg.KPI.Location = loc
	}
	if set["out"] || cfg.OutDir == "" {
		cfg.OutDir = f.out
	}
	if set["strict"] {
		cfg.Strict = f.strict
	}
	if set["batch-size"] {
		cfg.BatchSize = f.batch
	}
	if set["allow-empty"] {
		cfg.Gates.AllowEmptyInput, cfg.Gates.AllowEmptyPeriod = f.allowEmpty, f.allowEmpty
	}
	if set["allow-stale"] {
		cfg.Gates.AllowStale = f.allowStale
	}
	if set["max-rejected-share"] {
		cfg.Gates.MaxRejectedShare = f.maxRejectedShare
	}
	if set["max-input-age"] {
		cfg.Gates.MaxInputAge = f.maxInputAge
	}
	if set["title"] {
		cfg.Title = f.title
	}
	if set["company"] {
		cfg.Company = f.company
	}
	if set["currency"] {
		c, err := pipeline.ParseCurrency(f.currency)
		if err != nil {
			return cfg, fmt.Errorf("%w: -currency: %w", errUsage, err)
		}
		cfg.Currency = c
	}
	if set["locale"] || cfg.Locale == "" {
		if _, err := templates.Load(f.locale); err != nil {
			return cfg, fmt.Errorf("-locale: %w", err)
		}
		cfg.Locale = f.locale
	}
	if bucket.IsURL(f.input) {
		b, err := bucket.Open(ctx, f.input)
		if err != nil {
			return cfg, fmt.Errorf("-input: %w", err)
		}
		cfg.Input, cfg.InputName = bucket.FS(ctx, b), bucket.Name(f.input)
	} else if f.input != "" {
		st, err := os.Stat(f.input)
		if err != nil {
			return cfg, fmt.Errorf("-input: %w", err)
		}
		if !st.IsDir() {
			return cfg, fmt.Errorf("-input: %s is not a directory", f.input)
		}
		outside := f.allowSymlinksOutside || (f.file != nil && f.file.AllowSymlinksOutside)
		cfg.Input, cfg.InputName = ingest.DirFS(f.input, outside), f.input
	}
	if cfg.Input == nil {
		cfg.Input, cfg.InputName = cxkpi.Sample(), sampleName
	}
	if f.mapping != "" {
		r, err := os.Open(f.mapping)
		if err != nil {
			return cfg, fmt.Errorf("-mapping: %w", err)
		}
		defer r.Close()
		if cfg.Mapping, err = ingest.LoadMapping(r, f.mapping); err != nil {
			return cfg, err
		}
	}
	if set["preset"] {
		cfg.Preset = f.preset
	}
	if cfg.Alerts == nil {
		a := pipeline.DefaultAlerts()
		cfg.Alerts = &a
	}
	if set["alert-exit"] {
		a := *cfg.Alerts
		a.ExitCode = f.alertExit
		cfg.Alerts = &a
	}
	if cfg.Preset != "" {
		// Check the preset with the mapping laid over it now, naming the file.
		name := f.mapping
		if name == "" && f.file != nil {
			name = f.file.Mapping
		}
		if _, err := pipeline.PresetMapping(cfg.Preset, cfg.Mapping, name); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// date parses a YYYY-MM-DD flag value in loc; empty gives the zero time.
func date(name, s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return t, fmt.Errorf("%s: want a date like 2026-10-31: %w", name, err)
	}
	return t, nil
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
