// Package pipeline is the cxkpi job: it reads the exports into Arrow record
// batches, computes the KPIs and writes the reports of one run into an
// output directory, atomically.
package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/alert"
	"golang.org/x/text/currency"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/pipeline/cohort"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/reports/mail"
)

// Config configures one run. The zero value plus an Input is a usable
// configuration: monthly KPIs in UTC for the month of yesterday, written
// under ./out.
type Config struct {
	Input     fs.FS          // the exports, one or more files per table
	InputName string         // how the input is named in logs and the summary
	Mapping   ingest.Mapping // how the exports map onto the contract; laid over Preset's when Preset is set
	Strict    bool           // fail on the first malformed row instead of quarantining it
	BatchSize int            // rows per Arrow record batch; 0 means the reader's default

	// Preset names an embedded mapping ([ingest.Presets]) that Mapping
	// starts from: the run reads the preset's mapping with Mapping's keys
	// laid over it ([ingest.Mapping.Override]). Empty means Mapping alone.
	Preset string

	KPI kpi.Options // grain, time zone and metric options

	// AsOf selects the report period: the one containing AsOf. The zero
	// value means yesterday in the reporting time zone, the period a
	// nightly run reports. Periods after it are left out of the outputs.
	AsOf time.Time

	// OutDir is the parent of the run directories, default "out"; or
	// the URL of a bucket (s3://bucket/prefix?region=…, file:///dir) that
	// receives the outputs: see [RunsPrefix] and docs/operations.md,
	// "Object storage".
	OutDir  string
	Title   string // report title, default the locale's ("Customer experience report")
	Company string // shown on the report
	Locale  string // report language, a locale of package templates; default "en"
	// Currency is the ISO 4217 code of the amounts (EUR); "" for none: the
	// report shows plain numbers and kpis.parquet's currency is null.
	Currency string

	// Gates are the health checks of the data, judged before anything is
	// published; the zero value is every gate on with its defaults.
	Gates Gates
	// TimeFrom and FutureTolerance bound the plausible instants of the
	// input: a time before TimeFrom (default DefaultTimeFrom, 2000-01-01
	// UTC) or more than FutureTolerance (default DefaultFutureTolerance,
	// one day) after the run's clock is quarantined.
	TimeFrom        time.Time
	FutureTolerance time.Duration

	// Cohorts holds the variants of the cohort tables: the retention
	// brackets and the split by acquisition channel (docs/cohort.md).
	Cohorts CohortSettings

	// CLV holds the business settings of the CLV models (margin of orders
	// without cost, horizon, discount rate); nil means
	// clv.DefaultSettings().
	CLV *clv.Settings

	// Targets are the goals of the KPIs, marked met or missed in
	// kpis.parquet; Alerts the rules that raise alerts on the report
	// period, DefaultAlerts() when nil.
	Targets []alert.Target
	Alerts  *AlertSettings

	// Mail, when set, emails the report after the outputs are written.
	// A failed delivery leaves the outputs in place, is recorded in
	// manifest.json and makes Run return an error wrapping ErrDelivery.
	Mail *mail.Config

	Now    func() time.Time // clock, default time.Now
	Logger *slog.Logger     // default slog.Default()
	// Progress, if set, is told how far the reading of each table's
	// files is, for a person watching (cxkpi shows a bar on a terminal).
	Progress Progress
	Alloc    memory.Allocator // default memory.DefaultAllocator

	// externalKeysAbove is ingest.Options.ExternalKeysAbove for every
	// table: 0, the default threshold; tests set -1 to check every
	// table's keys through files.
	externalKeysAbove int64
	// failWrite, set by tests, is called before each write to an output
	// bucket; an error it returns fails that write.
	failWrite func(key string) error
}

// Defaults of the plausible time window ([Config.TimeFrom],
// [Config.FutureTolerance]): helpdesk, survey and shop exports hold no
// event before 2000, and the zero dates of spreadsheets and Unix
// (1899-12-30, 1900-01-01, 1970-01-01) fall before it; a day in the
// future covers clocks and zones that differ, not more.
func DefaultTimeFrom() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// DefaultFutureTolerance is the default [Config.FutureTolerance].
const DefaultFutureTolerance = 24 * time.Hour

// EnsureDefaults fills the unset fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.TimeFrom.IsZero() {
		c.TimeFrom = DefaultTimeFrom()
	}
	if c.FutureTolerance == 0 {
		c.FutureTolerance = DefaultFutureTolerance
	}
	c.Gates.ensureDefaults()
	if c.Alerts == nil {
		a := DefaultAlerts()
		c.Alerts = &a
	}
	if c.CLV == nil {
		s := clv.DefaultSettings()
		c.CLV = &s
	}
	if c.OutDir == "" {
		c.OutDir = "out"
	}
	if c.Locale == "" {
		c.Locale = "en"
	}
	if c.InputName == "" {
		c.InputName = "input"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Alloc == nil {
		c.Alloc = memory.DefaultAllocator
	}
	if c.KPI.Grain == "" {
		c.KPI.Grain = kpi.Month
	}
	if c.KPI.Location == nil {
		c.KPI.Location = time.UTC
	}
	if c.KPI.Logger == nil {
		c.KPI.Logger = c.Logger
	}
	if c.AsOf.IsZero() {
		c.AsOf = c.Now().In(c.KPI.Location).AddDate(0, 0, -1)
	}
}

// Validate reports the first problem of the configuration.
func (c *Config) Validate() error {
	if c.Input == nil {
		return errors.New("pipeline: no input")
	}
	if _, err := kpi.ParseGrain(string(c.KPI.Grain)); err != nil {
		return err
	}
	if err := ingest.CheckBatchSize(c.BatchSize); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if c.FutureTolerance < 0 {
		return fmt.Errorf("pipeline: future tolerance %s is negative", c.FutureTolerance)
	}
	if !c.TimeFrom.Before(c.Now().Add(c.FutureTolerance)) {
		return fmt.Errorf("pipeline: plausible times from %s are all in the future", c.TimeFrom.Format(time.RFC3339))
	}
	if _, err := c.mapping(); err != nil {
		return err
	}
	if c.CLV != nil {
		if err := c.CLV.Validate(); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	return c.Gates.validate()
}

// window is the range of plausible instants of a run started at now.
func (c *Config) window(now time.Time) ingest.Window {
	return ingest.Window{From: c.TimeFrom, To: now.Add(c.FutureTolerance)}
}

// mapping returns the mapping the run reads with: Mapping, laid over
// Preset's when Preset is set, checked.
func (c *Config) mapping() (ingest.Mapping, error) {
	return PresetMapping(c.Preset, c.Mapping, "the mapping")
}

// PresetMapping returns the named preset's mapping with user laid over it
// ([ingest.Mapping.Override]), checked; userName names user in errors.
// An empty preset gives user as it is.
func PresetMapping(preset string, user ingest.Mapping, userName string) (ingest.Mapping, error) {
	if preset == "" {
		return user, nil
	}
	m, err := ingest.Preset(preset)
	if err != nil {
		return ingest.Mapping{}, fmt.Errorf("pipeline: %w", err)
	}
	if len(user.Tables) == 0 {
		return m, nil
	}
	m = m.Override(user)
	if err := ingest.CheckMapping(m, fmt.Sprintf("preset %s with %s", preset, userName)); err != nil {
		return ingest.Mapping{}, err
	}
	return m, nil
}

// AlertSettings are the alert rules of a run and what an alert does
// besides being reported.
type AlertSettings struct {
	alert.Rules
	Email    bool // mail a short alert of its own, besides the report
	ExitCode bool // cxkpi run exits with code 4 when an alert fires
}

// DefaultAlerts returns the default rules: a target missed and a
// significant deterioration raise an alert; no email of its own, exit 0.
func DefaultAlerts() AlertSettings {
	return AlertSettings{Rules: alert.Rules{TargetMissed: true, Deterioration: true}}
}

// ParseCurrency returns the ISO 4217 code s names, in capitals ("eur"
// is EUR), or an error when s is not one; "" stays "".
func ParseCurrency(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	unit, err := currency.ParseISO(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an ISO 4217 currency code (EUR, USD, …)", s)
	}
	return unit.String(), nil
}

// CohortSettings are the variants of the cohort tables.
type CohortSettings struct {
	// Brackets are the ranges of periods since acquisition of
	// cohort_brackets.parquet; nil means cohort.DefaultBrackets().
	Brackets []cohort.Bracket
	// ByChannel writes cohort_channels.parquet: the cohort table split by
	// the customers' acquisition_channel.
	ByChannel bool
}
