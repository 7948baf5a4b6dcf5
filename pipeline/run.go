package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/alert"
	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/reports"
	"github.com/cxkpi/cxkpi/reports/mail"
)

// Output file names inside a run directory.
const (
	KPIFile           = "kpis.parquet"
	ReconcileFile     = "reconciliation.parquet"
	ReportFile        = "report.pdf"
	QuarantineFile    = "quarantine.csv"
	QuarantineParquet = "quarantine.parquet"
	ManifestFile      = "manifest.json"
)

// Manifest describes a finished run. It is written as manifest.json and,
// one row per input table, as run_manifest.parquet beside the outputs.
// RunID, Started, Finished, DurationMS and Dir differ between two runs of
// the same inputs; the data files (kpis.parquet and the model tables) do
// not.
type Manifest struct {
	RunID       string            `json:"run_id"`
	Input       string            `json:"input"`
	Preset      string            `json:"preset,omitempty"` // the preset the mapping started from, if any
	Inputs      []FileInfo        `json:"inputs"`
	Grain       kpi.Grain         `json:"grain"`
	TimeZone    string            `json:"time_zone"`
	AsOf        time.Time         `json:"as_of"`
	Period      string            `json:"period"`
	PeriodStart time.Time         `json:"period_start"`
	PeriodEnd   time.Time         `json:"period_end"`
	Observed    time.Time         `json:"observed_until"` // end of the models' observation: see observationEnd
	Dir         string            `json:"dir"`
	Tables      []TableCounts     `json:"tables"`
	Notes       []kpi.Note        `json:"notes,omitempty"`
	ModelNotes  []string          `json:"model_notes,omitempty"`
	CLV         *reports.CLVBasis `json:"clv,omitempty"`     // what the model lifetime values rest on; absent when not fitted
	KPIRows     int               `json:"kpi_rows"`          // the report period's, in kpis.parquet
	HistoryRows int               `json:"history_rows"`      // the whole series' up to the report period
	History     string            `json:"history,omitempty"` // where they went ([HistoryFile]); empty when a later period is published
	Outputs     []FileInfo        `json:"outputs"`           // every file of the run directory but manifest.json
	Versions    Versions          `json:"versions"`
	Stages      []Stage           `json:"stages"`
	PeakRSS     int64             `json:"peak_rss_bytes,omitempty"` // of the whole process, so far
	Delivery    *Delivery         `json:"delivery,omitempty"`
	Currency    string            `json:"currency,omitempty"` // ISO 4217 code of every amount, when configured
	// Alerts are the alerts the period raised (docs/metrics.md, "Targets
	// and alerts"); an empty list, never null, when none did.
	Alerts        []alert.Alert `json:"alerts"`
	AlertDelivery *Delivery     `json:"alert_delivery,omitempty"` // the alert email, when sent
	Started       time.Time     `json:"started"`
	Finished      time.Time     `json:"finished"`
	DurationMS    int64         `json:"duration_ms"`

	// Unrecognised are the files of the input that look like exports
	// (Tickets.CSV, tickets.tsv, ticket.csv) but that no table reads.
	// Inputs lists every file a table read, once, in name order; both
	// are empty lists, never null.
	Unrecognised []string `json:"unrecognised_files"`
}

// Delivery records the emailing of the report.
type Delivery struct {
	Sent      bool   `json:"sent"`
	Attempts  int    `json:"attempts"`
	MessageID string `json:"message_id,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ErrDelivery is wrapped by the error of a run whose outputs were written
// but whose report could not be emailed.
var ErrDelivery = errors.New("pipeline: report not delivered")

// TableCounts reconciles one input table: Read = Accepted + Skipped +
// Rejected. EventsInPeriod and NewestEvent are what the data gates judge:
// the accepted rows whose event time is in the report period, and the
// latest event time (none for customers, see [Gates]).
type TableCounts struct {
	Table          ingest.Table          `json:"table"`
	Present        bool                  `json:"present"`
	Read           int64                 `json:"read"`
	Accepted       int64                 `json:"accepted"`
	Skipped        int64                 `json:"skipped"`
	Rejected       int64                 `json:"rejected"`
	Reasons        []reports.ReasonCount `json:"reasons,omitempty"`
	SkipReasons    []reports.ReasonCount `json:"skip_reasons,omitempty"`
	Unmapped       []reports.Unmapped    `json:"unmapped,omitempty"`
	EventsInPeriod int64                 `json:"events_in_period"`
	NewestEvent    time.Time             `json:"newest_event,omitzero"`

	files []string // the files read
}

// unmappedRows returns the rows kept with a catch-all value.
func (t TableCounts) unmappedRows() int64 {
	var n int64
	for _, u := range t.Unmapped {
		n += u.Rows
	}
	return n
}

// Read returns the number of rows read over all tables.
func (s *Manifest) Read() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Read
	}
	return n
}

// Rejected returns the number of rejected rows over all tables.
func (s *Manifest) Rejected() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rejected
	}
	return n
}

// Skipped returns the number of skipped rows over all tables.
func (s *Manifest) Skipped() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Skipped
	}
	return n
}

// Run executes the job once: read every table, compute the KPIs and write
// kpis.parquet, report.pdf, quarantine.csv and manifest.json into
// OutDir/grain=<grain>/period=<period> ([PeriodDir]), and the grain's
// [HistoryFile] when the period is its latest. The directory is assembled
// under a temporary name and renamed into place, so a reader sees the
// previous run's complete outputs or this run's, never a mix; a failed or
// cancelled run leaves the previous outputs untouched. When OutDir is a bucket URL the run is
// assembled in a local temporary directory and published to the bucket
// with its period manifest written last ([RunsPrefix]).
//
// Once every table is read, and before anything is written, the data must
// pass cfg.Gates: a run that fails one publishes nothing and returns its
// unpublished manifest (Dir empty) with a [*GateError].
func Run(ctx context.Context, cfg Config) (_ *Manifest, err error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Whatever the outcome, the run is a line of the run log.
	var sum *Manifest
	defer func() {
		if lerr := logRun(ctx, cfg.OutDir, runRecord(sum, err, cfg.Now())); lerr != nil {
			cfg.Logger.Error("run not recorded in the run log", "error", lerr)
			err = errors.Join(err, lerr)
		}
	}()
	mapping, err := cfg.mapping()
	if err != nil {
		return nil, err
	}
	cfg.Mapping = mapping // the preset's, if any, with cfg.Mapping's keys laid over it
	if in, ok := cfg.Input.(contextFS); ok {
		cfg.Input = in.WithContext(ctx) // a bucket's requests end with the run
	}
	sum = &Manifest{RunID: newRunID(), Alerts: []alert.Alert{}, Currency: cfg.Currency, Input: cfg.InputName, Preset: cfg.Preset, Grain: cfg.KPI.Grain, TimeZone: cfg.KPI.Location.String(),
		Started: cfg.Now().UTC(), Versions: BuildVersions()}
	log := cfg.Logger
	sw := newStopwatch()

	// A run to a bucket is assembled in the system's temporary directory
	// (TMPDIR), under names that say whose it is.
	work, tmp := cfg.OutDir, ""
	var out *bucketOut
	if bucket.IsURL(cfg.OutDir) {
		if out, err = openOut(ctx, cfg); err != nil {
			return nil, err
		}
		defer out.close()
		work, tmp = "", "cxkpi"
	} else if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	stage, err := os.MkdirTemp(work, tmp+stagingPrefix)
	if err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	defer os.RemoveAll(stage) // after a successful rename there is nothing left here

	// Large inputs spill the messages of their tickets, the orders of the
	// models and the keys of large tables next to the staging directory,
	// never into it: nothing there is published.
	spill, err := os.MkdirTemp(work, tmp+spillPrefix)
	if err != nil {
		return nil, fmt.Errorf("create spill directory: %w", err)
	}
	defer os.RemoveAll(spill)
	fault("start")
	kcfg := cfg.KPI
	kcfg.SpillDir = spill
	engine, err := kpi.New(kcfg)
	if err != nil {
		return nil, err
	}
	// The report period is the one containing AsOf; KPIs run up to its end
	// and the models observe the customers until then.
	cal := engine.Calendar()
	p := cal.Number(cfg.AsOf)
	end := cal.Start(p + 1)
	sum.AsOf = cfg.AsOf
	sum.Period, sum.PeriodStart, sum.PeriodEnd = cal.Label(p), cal.Start(p).UTC(), end.UTC()
	window := cfg.window(sum.Started)
	engine.Until(end)
	observed, err := observationEnd(cfg.AsOf, cfg.KPI.Location, end)
	if err != nil {
		return nil, err
	}
	sum.Observed = observed.UTC()
	// The report period's backlog is a snapshot at its end once that has
	// passed (a backfill, a rerun), at the end of the as-of day before.
	if end.After(sum.Started) {
		engine.AsOf(observed)
	}
	mdl, err := newModels(cfg, observed, spill)
	if err != nil {
		return nil, err
	}
	defer mdl.close()
	q, err := newQuarantine(filepath.Join(stage, QuarantineFile), filepath.Join(stage, QuarantineParquet), cfg.Alloc)
	if err != nil {
		return nil, err
	}
	defer q.close()
	// The derive rules of a table may compare with a column of a table
	// read before it (the messages' authors with the tickets'
	// customers): those columns are kept as the earlier table is read.
	lookups, err := ingest.NewLookups(cfg.Mapping)
	if err != nil {
		return nil, err
	}
	for _, t := range ingest.Tables() {
		ts, err := readTable(ctx, cfg, t, window, newEvents(t, sum.PeriodStart, sum.PeriodEnd), spill, engine, mdl, q, sw, lookups)
		if err != nil {
			return nil, err
		}
		sum.Tables = append(sum.Tables, ts)
		fault("read." + string(t))
		// The engine may finish the ticket metrics now and free what it
		// kept per ticket before the next tables are read.
		at := time.Now()
		if err := engine.Done(t); err != nil {
			return nil, err
		}
		sw.since("kpi", at)
	}
	if sum.Unrecognised, err = unrecognised(ctx, cfg, sum.Tables); err != nil {
		return nil, err
	}
	if err := cfg.Gates.check(sum, cfg.InputName); err != nil {
		var ge *GateError
		if errors.As(err, &ge) {
			for _, f := range ge.Failures {
				log.Error("data gate failed; nothing is published and the previous outputs stay",
					"gate", f.Gate, "subject", f.Subject, "value", f.Value, "threshold", f.Threshold, "period", sum.Period)
			}
		}
		return sum, err
	}
	if err := q.commit(); err != nil {
		return nil, err
	}

	at := time.Now()
	rows, err := engine.Rows()
	if err != nil {
		return nil, err
	}
	sw.since("kpi", at)
	sw.count("kpi", int64(len(rows)))
	fault("kpi")
	sum.Notes = engine.Notes()
	for _, n := range sum.Notes {
		log.Warn("rows not usable for KPIs", "table", string(n.Table), "rows", n.Rows, "reason", n.Text)
	}
	if cfg.Currency != "" {
		for i := range rows {
			if rows[i].Unit == kpi.UnitCurrency {
				rows[i].Currency = cfg.Currency
			}
		}
	}
	alert.Apply(rows, cfg.Targets)
	if a := alert.Evaluate(rows, sum.PeriodStart, cfg.Alerts.Rules, cfg.Targets); a != nil {
		sum.Alerts = a
	}
	for _, a := range sum.Alerts {
		log.Warn("alert", "rule", a.Rule, "metric", a.Metric, "dimension", a.Dimension, "dimension_value", a.DimensionValue,
			"value", a.Value, "threshold", a.Threshold)
	}
	present := map[ingest.Table]bool{}
	for _, t := range sum.Tables {
		present[t.Table] = t.Present
	}
	at = time.Now()
	results, err := mdl.write(ctx, stage, cfg.Alloc, present[ingest.Orders], present[ingest.Customers])
	sw.since("models", at)
	sum.ModelNotes, sum.CLV = results.notes, results.basis
	if err != nil {
		return nil, err
	}
	for _, n := range sum.ModelNotes {
		log.Warn("model not fitted", "note", n)
	}
	fault("models")

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	at = time.Now()
	// kpis.parquet holds the report period's rows only, so that every
	// period's rows are written once over all runs; the whole series goes
	// to the grain's history file if this is its latest period.
	current := periodRows(rows, sum.PeriodStart)
	sum.KPIRows, sum.HistoryRows = len(current), len(rows)
	if err := writeRecord(filepath.Join(stage, KPIFile), kpi.Record(cfg.Alloc, current)); err != nil {
		return nil, err
	}
	recon := engine.Reconciliation()
	if err := writeRecord(filepath.Join(stage, ReconcileFile), kpi.ReconciliationRecord(cfg.Alloc, recon)); err != nil {
		return nil, err
	}
	report := reports.Report{
		Title: cfg.Title, Company: cfg.Company, Locale: cfg.Locale, Grain: string(cfg.KPI.Grain),
		PeriodStart: sum.PeriodStart, PeriodEnd: sum.PeriodEnd, Location: cfg.KPI.Location,
		Generated: sum.Started, KPIs: rows, Quality: quality(sum.Tables), Reconciliation: reconcileCounts(recon),
		Cohorts: results.cohorts, CLV: results.clv, AtRisk: results.atRisk, CLVBasis: results.basis,
		Alerts: sum.Alerts, Targets: cfg.Targets, Currency: cfg.Currency,
		CLVDiagnostics: results.diagnostics,
	}
	if err := reports.WritePDF(filepath.Join(stage, ReportFile), report); err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}

	period := PeriodDir(cfg.KPI.Grain, sum.Period)
	dir := filepath.Join(cfg.OutDir, filepath.FromSlash(period))
	grainDir := filepath.Join(cfg.OutDir, GrainDir(cfg.KPI.Grain))
	var labels []string
	if out != nil {
		dir = bucket.Join(cfg.OutDir, runKey(period, sum.RunID))
		labels, err = out.periodLabels(ctx, GrainDir(cfg.KPI.Grain))
	} else {
		labels, err = periodLabels(grainDir)
	}
	if err != nil {
		return nil, err
	}
	sum.Dir = dir
	history := ""
	if latestOf(labels, sum.Period) {
		// A rerun of an earlier period leaves the later history as it is.
		history = filepath.Join(spill, HistoryFile)
		if err := writeRecord(history, kpi.Record(cfg.Alloc, rows)); err != nil {
			return nil, err
		}
		sum.History = filepath.Join(grainDir, HistoryFile)
		if out != nil {
			sum.History = bucket.Join(cfg.OutDir, GrainDir(cfg.KPI.Grain)+"/"+HistoryFile)
		}
	}
	sw.since("render", at)
	fault("render")
	at = time.Now()
	if sum.Inputs, err = inputFiles(ctx, cfg.Input, sum.Tables); err != nil {
		return nil, err
	}
	sw.since("checksums", at)
	sum.Stages, sum.PeakRSS = sw.stages(), peakRSS()
	for _, st := range sum.Stages {
		log.Info("stage", "name", st.Name, "seconds", st.Seconds, "rows", st.Rows, "rows_per_sec", int64(st.RowsPerSec))
	}
	sum.Finished = cfg.Now().UTC()
	sum.DurationMS = sum.Finished.Sub(sum.Started).Milliseconds()
	if err := writeRecord(filepath.Join(stage, RunManifestFile), manifestRecord(cfg.Alloc, sum)); err != nil {
		return nil, err
	}
	if sum.Outputs, err = outputFiles(stage); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(stage, ManifestFile), sum); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fault("manifest")
	// Where the published report is read from for delivery, and how the
	// delivery is recorded in the published manifest.
	pdf, record := filepath.Join(dir, ReportFile), func() error { return writeJSON(filepath.Join(dir, ManifestFile), sum) }
	if out != nil {
		if err := out.publish(ctx, stage, period, sum.RunID, history); err != nil {
			return nil, err
		}
		manifest := filepath.Join(stage, ManifestFile)
		pdf, record = filepath.Join(stage, ReportFile), func() error {
			if err := writeJSON(manifest, sum); err != nil {
				return err
			}
			return out.record(ctx, manifest, period, sum.RunID)
		}
	} else {
		if err := replaceDir(stage, dir, exchanger()); err != nil {
			return nil, err
		}
		if history != "" {
			if err := publishHistory(history, grainDir); err != nil {
				return nil, err
			}
		}
	}
	log.Info("run finished", "dir", dir, "period", sum.Period, "kpi_rows", sum.KPIRows, "rejected", sum.Rejected())
	if cfg.Mail != nil {
		if err := deliver(ctx, cfg, report, sum, pdf, record); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// observationEnd returns the instant the models observe the customers
// until: the local midnight that ends the as-of day, or the end of the
// report period if that comes first. A nightly run in the middle of a
// month so reports no cohort cell and counts no customer age past the
// last day of data.
func observationEnd(asOf time.Time, loc *time.Location, periodEnd time.Time) (time.Time, error) {
	days, err := kpi.NewCalendar(kpi.Day, loc)
	if err != nil {
		return time.Time{}, err
	}
	dayEnd := days.Start(days.Number(asOf) + 1)
	if dayEnd.After(periodEnd) {
		return periodEnd, nil
	}
	return dayEnd, nil
}

// deliver emails the published report, read from the file pdfPath, and
// records the outcome in the published manifest.json with record.
func deliver(ctx context.Context, cfg Config, report reports.Report, sum *Manifest, pdfPath string, record func() error) error {
	pdf, err := os.ReadFile(pdfPath)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	text, err := reports.Summarize(report)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	msg := mail.Message{
		Subject: text.Subject, Text: text.Text, HTML: text.HTML,
		Attachments: []mail.Attachment{{Name: ReportFile, ContentType: "application/pdf", Data: pdf}},
	}
	mc := *cfg.Mail
	if mc.Now == nil {
		mc.Now = cfg.Now
	}
	res, sendErr := mail.Send(ctx, mc, msg, cfg.Logger)
	sum.Delivery = &Delivery{Sent: sendErr == nil, Attempts: res.Attempts, MessageID: res.MessageID}
	if sendErr != nil {
		sum.Delivery.Error = sendErr.Error()
		cfg.Logger.Error("report not delivered; it stays in the output directory", "dir", sum.Dir, "err", sendErr)
	}
	if err := record(); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	if sendErr != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, sendErr)
	}
	cfg.Logger.Info("report delivered", "to", cfg.Mail.To, "attempts", res.Attempts)
	if cfg.Alerts.Email && len(sum.Alerts) > 0 {
		return deliverAlerts(ctx, cfg, report, sum, mc, record)
	}
	return nil
}

// deliverAlerts mails the short alert message of the period, recorded in
// the manifest as the alert delivery.
func deliverAlerts(ctx context.Context, cfg Config, report reports.Report, sum *Manifest, mc mail.Config, record func() error) error {
	text, err := reports.AlertSummary(report)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	res, sendErr := mail.Send(ctx, mc, mail.Message{Subject: text.Subject, Text: text.Text, HTML: text.HTML}, cfg.Logger)
	sum.AlertDelivery = &Delivery{Sent: sendErr == nil, Attempts: res.Attempts, MessageID: res.MessageID}
	if sendErr != nil {
		sum.AlertDelivery.Error = sendErr.Error()
		cfg.Logger.Error("alert not delivered", "alerts", len(sum.Alerts), "err", sendErr)
	}
	if err := record(); err != nil {
		return fmt.Errorf("record alert delivery: %w", err)
	}
	if sendErr != nil {
		return fmt.Errorf("%w: alert: %w", ErrDelivery, sendErr)
	}
	cfg.Logger.Info("alert delivered", "to", cfg.Mail.To, "alerts", len(sum.Alerts))
	return nil
}

// inParallel runs fs on goroutines of their own and returns their errors
// joined. Each consumer of the batches keeps its own state and sees the
// batches in order, so running them side by side changes no result.
func inParallel(fs ...func() error) error {
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i+1] = f()
		}()
	}
	errs[0] = fs[0]()
	wg.Wait()
	return errors.Join(errs...)
}

// readTable streams table t into the KPI engine and the models,
// quarantining bad rows. A large table checks its keys for duplicates
// through temporary files in spill.
func readTable(ctx context.Context, cfg Config, t ingest.Table, window ingest.Window, ev *events, spill string, engine *kpi.Engine, mdl *models, q *quarantine, sw *stopwatch, lookups *ingest.Lookups) (TableCounts, error) {
	ts := TableCounts{Table: t}
	reasons := map[string]int64{}
	examples := map[string]string{} // per reason, the first value it quoted
	opt := ingest.Options{
		BatchSize: cfg.BatchSize,
		Location:  cfg.KPI.Location,
		Strict:    cfg.Strict,
		Mapping:   cfg.Mapping.Tables[t],
		SpillDir:  spill,
		Logger:    cfg.Logger,
		Window:    window,
		Lookups:   lookups,

		ExternalKeysAbove: cfg.externalKeysAbove,
		Reject: func(r ingest.Rejection) error {
			class := reasonClass(r)
			reasons[class]++
			if _, ok := examples[class]; !ok {
				examples[class] = offendingValue(r.Reason)
			}
			return q.write(r)
		},
	}
	start := time.Now()
	input := cfg.Input
	if cfg.Progress != nil {
		input = progressFS{FS: cfg.Input, p: cfg.Progress}
	}
	r, err := ingest.Open(ctx, input, t, cfg.Alloc, opt)
	sw.since("read", start)
	if errors.Is(err, ingest.ErrNoInput) {
		cfg.Logger.Info("table absent from the input; its metrics are skipped", "table", string(t))
		return ts, nil
	}
	if err != nil {
		return ts, err
	}
	defer r.Close()
	ts.Present, ts.files = true, r.Files()
	if cfg.Progress != nil {
		cfg.Progress.Table(t, len(ts.files), tableSize(cfg.Input, ts.files))
		defer cfg.Progress.Done(t)
	}
	engine.Begin(t)
	for {
		at := time.Now()
		rec, err := r.Read()
		sw.since("read", at)
		if err == io.EOF {
			break
		}
		if err != nil {
			return ts, err
		}
		at = time.Now()
		ev.add(rec)
		err = inParallel(func() error { return engine.Add(t, rec) }, func() error { return mdl.add(t, rec) })
		if lookups.Needs(t) {
			lookups.Add(t, rec)
		}
		sw.since("aggregate", at)
		sw.count("aggregate", rec.NumRows())
		rec.Release()
		if err != nil {
			return ts, err
		}
	}
	lookups.Read(t)
	c := r.Counts()
	ts.Read, ts.Accepted, ts.Skipped, ts.Rejected = c.Read, c.Accepted, c.Skipped, c.Rejected
	ev.record(&ts)
	sw.count("read", c.Read)
	for _, s := range r.Skips() {
		ts.SkipReasons = append(ts.SkipReasons, reports.ReasonCount{Reason: s.Reason, N: s.N})
	}
	for _, u := range r.Unmapped() {
		ru := reports.Unmapped{Column: u.Column, As: u.As, Rows: u.Rows, Others: u.Others, Values: []reports.ValueCount{}}
		for _, v := range u.Values {
			ru.Values = append(ru.Values, reports.ValueCount{Value: v.Value, N: v.N})
		}
		ts.Unmapped = append(ts.Unmapped, ru)
	}
	for reason, n := range reasons {
		ts.Reasons = append(ts.Reasons, reports.ReasonCount{Reason: reason, N: n, Example: examples[reason]})
	}
	sort.Slice(ts.Reasons, func(i, j int) bool {
		if ts.Reasons[i].N != ts.Reasons[j].N {
			return ts.Reasons[i].N > ts.Reasons[j].N
		}
		return ts.Reasons[i].Reason < ts.Reasons[j].Reason
	})
	cfg.Logger.Info("table read", "table", string(t), "read", c.Read, "accepted", c.Accepted, "skipped", c.Skipped, "rejected", c.Rejected,
		"elapsed", time.Since(start).Round(time.Millisecond).String())
	return ts, nil
}

// quoted matches the quoted values inside a rejection reason.
var quoted = regexp.MustCompile(`"[^"]*"`)

// offendingValue returns the first value a rejection reason quotes (the
// value that broke the contract), without its quotes; "" if none.
func offendingValue(reason string) string {
	v := quoted.FindString(reason)
	if len(v) < 2 {
		return ""
	}
	return v[1 : len(v)-1]
}

// reasonClass groups rejections whose reasons differ only in the values
// they quote, or in the element of a JSON document they name, for the
// data-quality summary.
func reasonClass(r ingest.Rejection) string {
	s := r.Reason
	if r.Record != "" {
		s = strings.TrimPrefix(s, r.Record+": ")
	}
	s = quoted.ReplaceAllString(s, `"…"`)
	if errors.Is(r.Err, ingest.ErrDuplicateKey) {
		s = "duplicate key" // the reason names the key and where it was first seen
	}
	if r.Field != "" {
		s = r.Field + ": " + s
	}
	return s
}

func quality(tables []TableCounts) []reports.TableQuality {
	var out []reports.TableQuality
	for _, t := range tables {
		if t.Present {
			out = append(out, reports.TableQuality{Table: string(t.Table), Read: t.Read, Accepted: t.Accepted, Skipped: t.Skipped,
				Rejected: t.Rejected, Reasons: t.Reasons, SkipReasons: t.SkipReasons, Unmapped: t.Unmapped})
		}
	}
	return out
}

// reconcileCounts counts the reconciliation rows per metric and reason,
// most tickets first, then by metric and reason.
func reconcileCounts(rows []kpi.Reconciled) []reports.ReconcileCount {
	type key struct{ metric, reason string }
	n := map[key]int64{}
	for _, r := range rows {
		n[key{r.Metric, r.Reason}]++
	}
	out := make([]reports.ReconcileCount, 0, len(n))
	for k, c := range n {
		out = append(out, reports.ReconcileCount{Metric: k.metric, Reason: k.reason, Tickets: c})
	}
	slices.SortFunc(out, func(a, b reports.ReconcileCount) int {
		return cmp.Or(cmp.Compare(b.Tickets, a.Tickets), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

func writeJSON(path string, v any) error {
	if err := reports.WriteAtomic(path, func(w io.Writer) error { return encodeJSON(w, v) }); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// unrecognised lists the files of the input that look like exports but
// that no table read, with a warning each.
func unrecognised(ctx context.Context, cfg Config, tables []TableCounts) ([]string, error) {
	var read []string
	for _, t := range tables {
		read = append(read, t.files...)
	}
	names, err := ingest.Unrecognised(ctx, cfg.Input, read)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		cfg.Logger.Warn("file looks like an export but no table reads it: tables read <table>.csv, .csv.gz, .jsonl, .ndjson, .jsonl.gz or .parquet in lower case, or the mapping's files",
			"file", n, "input", cfg.InputName)
	}
	return names, nil
}
