package pipeline

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/alert"

	"go.yaml.in/yaml/v3"

	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/pipeline/cohort"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/pipeline/schedule"
	"github.com/cxkpi/cxkpi/reports/mail"
	"github.com/cxkpi/cxkpi/templates"
)

// File is the YAML configuration file: everything a scheduled run needs in
// one place (docs/configuration.md). Relative paths are read from the
// file's directory.
type File struct {
	Input     string `yaml:"input"`   // directory or bucket URL of exports; empty means the embedded sample
	Mapping   string `yaml:"mapping"` // mapping file; laid over Preset's when both are set
	Preset    string `yaml:"preset"`  // embedded mapping to start from (ingest.Presets)
	Output    string `yaml:"output"`  // directory or bucket URL; default "out"
	Grain     string `yaml:"grain"`
	TimeZone  string `yaml:"time_zone"`
	Strict    bool   `yaml:"strict"`
	BatchSize int    `yaml:"batch_size"`
	// AllowSymlinksOutside lets symbolic links in the input lead out of
	// the input directory; by default they are refused.
	AllowSymlinksOutside bool              `yaml:"allow_symlinks_outside"`
	TimeWindow           TimeWindowSection `yaml:"time_window"`
	MaxPeriods           int               `yaml:"max_periods"`
	Gates                GatesSection      `yaml:"gates"`
	Metrics              MetricsSection    `yaml:"metrics"`
	Models               ModelsSection     `yaml:"models"`
	Cohorts              CohortsSection    `yaml:"cohorts"`
	BusinessHours        *HoursSection     `yaml:"business_hours"`
	Report               ReportSection     `yaml:"report"`
	Schedule             ScheduleSection   `yaml:"schedule"`
	Delivery             *DeliverySection  `yaml:"delivery"`
	Targets              []TargetSection   `yaml:"targets"`
	Alerts               AlertsSection     `yaml:"alerts"`
	Pull                 *PullSection      `yaml:"pull"` // cxkpi pull, and a pull before each scheduled run
	dir                  string            // the file's directory
	loc                  *time.Location    // TimeZone, loaded by Check
}

// MetricsSection holds the metric options.
type MetricsSection struct {
	CSATPositive float64            `yaml:"csat_positive"`
	CESEasier    map[string]string  `yaml:"ces_easier"` // scale "min-max" → higher or lower
	QAWeights    map[string]float64 `yaml:"qa_weights"`
	Engagement   struct {
		Loyalty   float64 `yaml:"loyalty"`
		Education float64 `yaml:"education"`
		Usage     float64 `yaml:"usage"`
	} `yaml:"engagement"`
}

// ModelsSection holds the business settings of the CLV models; an unset
// key keeps its default ([clv.DefaultSettings]).
type ModelsSection struct {
	// Margin is the gross margin ratio of orders without cost; unset
	// values them at the margin ratio of the orders with a cost.
	Margin             *float64 `yaml:"margin"`
	HorizonMonths      *int     `yaml:"horizon_months"`
	AnnualDiscountRate *float64 `yaml:"annual_discount_rate"`
	// PurchaseModels are the purchase models fitted and chosen from;
	// unset means all of them.
	PurchaseModels []string `yaml:"purchase_models"`
	IntervalMethod string   `yaml:"interval_method"`
	IntervalLevel  *float64 `yaml:"interval_level"`
	IntervalDraws  *int     `yaml:"interval_draws"`
}

// settings overlays the section on the defaults.
func (m ModelsSection) settings() clv.Settings {
	s := clv.DefaultSettings()
	if m.Margin != nil {
		s.UncostedMargin = *m.Margin
	}
	if m.HorizonMonths != nil {
		s.HorizonMonths = *m.HorizonMonths
	}
	if m.AnnualDiscountRate != nil {
		s.AnnualDiscountRate = *m.AnnualDiscountRate
	}
	s.PurchaseModels = m.PurchaseModels
	if m.IntervalMethod != "" {
		s.IntervalMethod = m.IntervalMethod
	}
	if m.IntervalLevel != nil {
		s.IntervalLevel = *m.IntervalLevel
	}
	if m.IntervalDraws != nil {
		s.IntervalDraws = *m.IntervalDraws
	}
	return s
}

// CohortsSection holds the variants of the cohort tables.
type CohortsSection struct {
	// Brackets are ranges of periods since acquisition, "FROM-TO" or "K";
	// unset means cohort.DefaultBrackets().
	Brackets []string `yaml:"brackets"`
	// ByChannel writes cohort_channels.parquet.
	ByChannel bool `yaml:"by_channel"`
}

// settings parses the section; bad is told of each invalid key.
func (c CohortsSection) settings(bad func(key, format string, args ...any)) CohortSettings {
	s := CohortSettings{ByChannel: c.ByChannel}
	if c.Brackets == nil {
		return s
	}
	s.Brackets = []cohort.Bracket{}
	for i, b := range c.Brackets {
		br, err := cohort.ParseBracket(b)
		if err != nil {
			bad(fmt.Sprintf("cohorts.brackets[%d]", i), "%v", err)
			continue
		}
		s.Brackets = append(s.Brackets, br)
	}
	var be *cohort.BracketError
	if err := cohort.ValidateBrackets(s.Brackets); errors.As(err, &be) && len(s.Brackets) == len(c.Brackets) {
		bad(fmt.Sprintf("cohorts.brackets[%d]", be.Index), "%v", be.Err)
	}
	return s
}

// TimeWindowSection bounds the plausible times of the input.
type TimeWindowSection struct {
	From            string        `yaml:"from"`             // YYYY-MM-DD, UTC; default 2000-01-01
	FutureTolerance time.Duration `yaml:"future_tolerance"` // beyond the run's clock; default 24h
}

// GatesSection holds the data gates ([Gates]).
type GatesSection struct {
	MaxRejectedShare float64       `yaml:"max_rejected_share"`
	RejectedMinRows  int64         `yaml:"rejected_min_rows"`
	AllowEmptyInput  bool          `yaml:"allow_empty_input"`
	AllowEmptyPeriod bool          `yaml:"allow_empty_period"`
	MaxInputAge      time.Duration `yaml:"max_input_age"`
	AllowStale       bool          `yaml:"allow_stale"`
}

func (g GatesSection) gates() Gates { return Gates(g) }

// HoursSection is the business-hours schedule: per weekday a list of
// "HH:MM-HH:MM" intervals, and holidays as dates.
type HoursSection struct {
	TimeZone  string   `yaml:"time_zone"` // default: the reporting time zone
	Monday    []string `yaml:"monday"`
	Tuesday   []string `yaml:"tuesday"`
	Wednesday []string `yaml:"wednesday"`
	Thursday  []string `yaml:"thursday"`
	Friday    []string `yaml:"friday"`
	Saturday  []string `yaml:"saturday"`
	Sunday    []string `yaml:"sunday"`
	Holidays  []string `yaml:"holidays"`
}

// ReportSection holds the report's branding.
type ReportSection struct {
	Title   string `yaml:"title"`
	Company string `yaml:"company"`
	Locale  string `yaml:"locale"`
	// Currency is the ISO 4217 code of the exports' amounts (EUR): shown
	// with its symbol in the report, and in kpis.parquet's currency column.
	Currency string `yaml:"currency"`
}

// ScheduleSection holds the schedule of `cxkpi schedule`.
type ScheduleSection struct {
	Cron         string        `yaml:"cron"`           // in the reporting time zone
	CatchUp      bool          `yaml:"catch_up"`       // run once at start if a scheduled run was missed
	LockStaleAge time.Duration `yaml:"lock_stale_age"` // default schedule.DefaultStaleAge
	LockRetry    time.Duration `yaml:"lock_retry"`     // default schedule.DefaultLockRetry
}

// DeliverySection holds the email delivery of the report. The password is
// never in the file: PasswordEnv or PasswordFile say where to read it.
type DeliverySection struct {
	Host          string        `yaml:"host"`
	Port          int           `yaml:"port"`
	Security      string        `yaml:"security"`
	AllowInsecure bool          `yaml:"allow_insecure"`
	Username      string        `yaml:"username"`
	PasswordEnv   string        `yaml:"password_env"`
	PasswordFile  string        `yaml:"password_file"`
	CAFile        string        `yaml:"ca_file"` // PEM bundle of the CA that signed the server's certificate; default: the system's
	From          string        `yaml:"from"`
	To            []string      `yaml:"to"`
	Cc            []string      `yaml:"cc"`
	SubjectPrefix string        `yaml:"subject_prefix"`
	Timeout       time.Duration `yaml:"timeout"`
	Retries       int           `yaml:"retries"`
	Backoff       time.Duration `yaml:"backoff"`
}

// FieldError is a problem with one key of the configuration file.
type FieldError struct {
	File string
	Key  string // path of the key, like business_hours.monday[1]
	Err  error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s: %v", e.File, e.Key, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// LoadFile reads and checks a configuration file. Unknown keys are errors
// (with their line); every other problem is reported with its key path,
// all of them at once.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	f := &File{dir: filepath.Dir(path)}
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) { // an empty file is all defaults
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Check(path); err != nil {
		return nil, err
	}
	return f, nil
}

// Check validates the file, naming each bad key; name is the file's name
// in the messages.
func (f *File) Check(name string) error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, &FieldError{File: name, Key: key, Err: fmt.Errorf(format, args...)})
	}
	if f.Grain != "" {
		if _, err := kpi.ParseGrain(f.Grain); err != nil {
			bad("grain", "%q is not day, week, month, quarter or year", f.Grain)
		}
	}
	f.loc = time.UTC
	if f.TimeZone != "" {
		loc, err := time.LoadLocation(f.TimeZone)
		if err != nil {
			bad("time_zone", "unknown time zone %q", f.TimeZone)
		} else {
			f.loc = loc
		}
	}
	if err := ingest.CheckBatchSize(f.BatchSize); err != nil {
		bad("batch_size", "%v", err)
	}
	if _, err := f.timeFrom(); err != nil {
		bad("time_window.from", "%v", err)
	}
	if f.TimeWindow.FutureTolerance < 0 {
		bad("time_window.future_tolerance", "%s is negative", f.TimeWindow.FutureTolerance)
	}
	if f.MaxPeriods < 0 {
		bad("max_periods", "%d is negative", f.MaxPeriods)
	}
	if g := f.Gates.gates(); g.validate() != nil {
		bad("gates", "%v", g.validate())
	}
	if err := f.Models.settings().Validate(); err != nil {
		bad("models", "%v", err)
	}
	f.Cohorts.settings(bad)
	if f.Schedule.LockStaleAge < 0 {
		bad("schedule.lock_stale_age", "%s is negative", f.Schedule.LockStaleAge)
	}
	if f.Schedule.LockRetry < 0 {
		bad("schedule.lock_retry", "%s is negative", f.Schedule.LockRetry)
	}
	if f.Schedule.Cron != "" {
		// The very check cxkpi schedule makes before it starts.
		if err := f.ScheduleConfig(nil).Validate(); err != nil {
			bad("schedule.cron", "%v", err)
		}
	}
	for _, l := range []struct{ key, url string }{{"input", f.Input}, {"output", f.Output}} {
		if !bucket.IsURL(l.url) {
			continue
		}
		// Opening a bucket reads its settings only: no request is made.
		b, err := bucket.Open(context.Background(), l.url)
		if err != nil {
			bad(l.key, "%v", err)
			continue
		}
		b.Close()
	}
	if f.Input != "" && !bucket.IsURL(f.Input) {
		if st, err := os.Stat(f.path(f.Input)); err != nil || !st.IsDir() {
			bad("input", "%s is not a readable directory", f.path(f.Input))
		}
	}
	var user ingest.Mapping
	if f.Mapping != "" {
		m, err := f.mapping()
		if err != nil {
			bad("mapping", "%v", err)
		}
		user = m
	}
	if f.Preset != "" {
		if _, err := PresetMapping(f.Preset, user, f.Mapping); err != nil {
			bad("preset", "%v", err)
		}
	}
	for _, scale := range sortedKeys(f.Metrics.CESEasier) {
		if _, _, err := kpi.ParseScale(scale); err != nil {
			bad("metrics.ces_easier."+scale, "%v", err)
		} else if end := f.Metrics.CESEasier[scale]; end != "higher" && end != "lower" {
			bad("metrics.ces_easier."+scale, "%q, want higher or lower", end)
		}
	}
	if c := f.Metrics.CSATPositive; c < 0 || c > 1 {
		bad("metrics.csat_positive", "%v is outside 0..1", c)
	}
	for _, k := range sortedKeys(f.Metrics.QAWeights) {
		if w := f.Metrics.QAWeights[k]; w < 0 {
			bad("metrics.qa_weights."+k, "weight %v is negative", w)
		}
	}
	if e := f.Metrics.Engagement; e.Loyalty < 0 || e.Education < 0 || e.Usage < 0 {
		bad("metrics.engagement", "weights must not be negative")
	}
	if f.BusinessHours != nil {
		if _, err := f.hours(bad); err != nil {
			bad("business_hours", "%v", err)
		}
	}
	if _, err := ParseCurrency(f.Report.Currency); err != nil {
		bad("report.currency", "%v", err)
	}
	if f.Report.Locale != "" {
		if _, err := templates.Load(f.Report.Locale); err != nil {
			bad("report.locale", "%q is not one of %s", f.Report.Locale, strings.Join(templates.Locales(), ", "))
		}
	}
	for i, t := range f.Targets {
		if err := t.target().Validate(); err != nil {
			bad(fmt.Sprintf("targets[%d]", i), "%v", err)
		}
	}
	if err := f.Alerts.settings().Validate(); err != nil {
		bad("alerts", "%v", err)
	}
	if f.Alerts.Email && f.Delivery == nil {
		bad("alerts.email", "an alert email needs a delivery section")
	}
	if f.Delivery != nil {
		// The password's source is checked, not read: the check passes on a
		// machine without the secret, and the run reads it.
		if _, err := f.mail(false); err != nil {
			bad("delivery", "%v", err)
		}
	}
	if f.Pull != nil {
		f.checkPull(bad)
	}
	return errors.Join(errs...)
}

// timeFrom returns time_window.from, the zero time when unset.
func (f *File) timeFrom() (time.Time, error) {
	if f.TimeWindow.From == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", f.TimeWindow.From)
	if err != nil {
		return t, fmt.Errorf("%q is not a date like 2000-01-01", f.TimeWindow.From)
	}
	if t.IsZero() {
		return t, fmt.Errorf("%q is the zero time, which means the default; write 0001-01-02 or later", f.TimeWindow.From)
	}
	return t, nil
}

// ScheduleConfig returns the schedule the file describes, for
// [schedule.Run]: its cron expression and lock settings in the reporting
// time zone, with the output directory as state directory.
func (f *File) ScheduleConfig(logger *slog.Logger) schedule.Config {
	out := "out"
	if f.Output != "" {
		out = f.path(f.Output)
	}
	return schedule.Config{
		Cron: f.Schedule.Cron, Location: f.loc, CatchUp: f.Schedule.CatchUp, StateDir: out,
		LockStaleAge: f.Schedule.LockStaleAge, LockRetry: f.Schedule.LockRetry, Logger: logger,
	}
}

func (f *File) path(p string) string {
	if filepath.IsAbs(p) || bucket.IsURL(p) {
		return p
	}
	return filepath.Join(f.dir, p)
}

func (f *File) mapping() (ingest.Mapping, error) {
	r, err := os.Open(f.path(f.Mapping))
	if err != nil {
		return ingest.Mapping{}, err
	}
	defer r.Close()
	return ingest.LoadMapping(r, f.Mapping)
}

// hours builds the business-hours schedule, reporting bad intervals and
// dates through bad.
func (f *File) hours(bad func(key, format string, args ...any)) (*kpi.BusinessHours, error) {
	h := f.BusinessHours
	loc := f.loc
	if h.TimeZone != "" {
		l, err := time.LoadLocation(h.TimeZone)
		if err != nil {
			bad("business_hours.time_zone", "unknown time zone %q", h.TimeZone)
		} else {
			loc = l
		}
	}
	bh := &kpi.BusinessHours{Location: loc, Holidays: map[string]bool{}}
	days := []struct {
		name string
		day  time.Weekday
		ivs  []string
	}{
		{"monday", time.Monday, h.Monday}, {"tuesday", time.Tuesday, h.Tuesday}, {"wednesday", time.Wednesday, h.Wednesday},
		{"thursday", time.Thursday, h.Thursday}, {"friday", time.Friday, h.Friday}, {"saturday", time.Saturday, h.Saturday},
		{"sunday", time.Sunday, h.Sunday},
	}
	for _, d := range days {
		for i, s := range d.ivs {
			iv, err := parseInterval(s)
			if err != nil {
				bad(fmt.Sprintf("business_hours.%s[%d]", d.name, i), "%v", err)
				continue
			}
			bh.Week[d.day] = append(bh.Week[d.day], iv)
		}
	}
	for i, s := range h.Holidays {
		if _, err := time.Parse("2006-01-02", s); err != nil {
			bad(fmt.Sprintf("business_hours.holidays[%d]", i), "%q is not a date like 2026-12-25", s)
			continue
		}
		bh.Holidays[s] = true
	}
	return bh, bh.Validate()
}

// parseInterval reads "HH:MM-HH:MM" (the end may be 24:00).
func parseInterval(s string) (kpi.Interval, error) {
	from, to, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "-")
	if !ok {
		return kpi.Interval{}, fmt.Errorf("%q is not an interval like 09:00-17:00", s)
	}
	var iv kpi.Interval
	for k, part := range []string{from, to} {
		var h, m int
		if n, err := fmt.Sscanf(part, "%d:%d", &h, &m); n != 2 || err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
			return kpi.Interval{}, fmt.Errorf("%q is not an interval like 09:00-17:00", s)
		}
		d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
		if k == 0 {
			iv.Start = d
		} else {
			iv.End = d
		}
	}
	if iv.End <= iv.Start {
		return kpi.Interval{}, fmt.Errorf("%q ends before it starts", s)
	}
	return iv, nil
}

// mail returns the delivery configuration with its password read from the
// environment or a file.
func (f *File) mail(readPassword bool) (*mail.Config, error) {
	d := f.Delivery
	c := &mail.Config{
		Host: d.Host, Port: d.Port, Security: d.Security, AllowInsecure: d.AllowInsecure, Username: d.Username,
		From: d.From, To: d.To, Cc: d.Cc, SubjectPrefix: d.SubjectPrefix, Timeout: d.Timeout, Retries: d.Retries, Backoff: d.Backoff,
	}
	if d.PasswordEnv != "" || d.PasswordFile != "" {
		file := d.PasswordFile
		if file != "" {
			file = f.path(file)
		}
		if !readPassword {
			if err := mail.CheckPasswordSource(d.PasswordEnv, file); err != nil {
				return nil, err
			}
			c.Password = "(read at run time)" // for Validate, which wants a password with a user
		} else {
			p, err := mail.PasswordFrom(d.PasswordEnv, file)
			if err != nil {
				return nil, err
			}
			c.Password = p
		}
	}
	if d.CAFile != "" {
		pool, err := mail.LoadCAFile(f.path(d.CAFile))
		if err != nil {
			return nil, err
		}
		c.TLSConfig = &tls.Config{RootCAs: pool}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Config returns the run configuration the file describes; input is nil
// when the file names no input directory (the caller supplies the sample).
func (f *File) Config() (Config, error) {
	cfg := Config{
		Preset: f.Preset,
		Strict: f.Strict, BatchSize: f.BatchSize, OutDir: f.Output,
		Gates: f.Gates.gates(), FutureTolerance: f.TimeWindow.FutureTolerance,
		Title: f.Report.Title, Company: f.Report.Company, Locale: f.Report.Locale,
		KPI: kpi.Options{
			Location: f.loc, CSATPositive: f.Metrics.CSATPositive, CESEasier: f.Metrics.CESEasier,
			QAWeights: f.Metrics.QAWeights, MaxPeriods: f.MaxPeriods,
			Engagement: kpi.EngagementWeights{
				Loyalty: f.Metrics.Engagement.Loyalty, Education: f.Metrics.Engagement.Education, Usage: f.Metrics.Engagement.Usage,
			},
		},
	}
	settings := f.Models.settings()
	cfg.CLV = &settings
	var cohortErr error
	cfg.Cohorts = f.Cohorts.settings(func(key, format string, args ...any) {
		cohortErr = errors.Join(cohortErr, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	})
	if cohortErr != nil {
		return cfg, cohortErr
	}
	cur, err := ParseCurrency(f.Report.Currency)
	if err != nil {
		return cfg, err
	}
	cfg.Currency = cur
	for _, t := range f.Targets {
		cfg.Targets = append(cfg.Targets, t.target())
	}
	alerts := f.Alerts.settings()
	cfg.Alerts = &alerts
	if f.Output != "" {
		cfg.OutDir = f.path(f.Output)
	}
	if f.Grain != "" {
		cfg.KPI.Grain = kpi.Grain(f.Grain)
	}
	if bucket.IsURL(f.Input) {
		b, err := bucket.Open(context.Background(), f.Input)
		if err != nil {
			return cfg, fmt.Errorf("input: %w", err)
		}
		cfg.Input, cfg.InputName = bucket.FS(context.Background(), b), bucket.Name(f.Input)
	} else if f.Input != "" {
		cfg.Input, cfg.InputName = ingest.DirFS(f.path(f.Input), f.AllowSymlinksOutside), f.path(f.Input)
	}
	if cfg.TimeFrom, err = f.timeFrom(); err != nil {
		return cfg, err
	}
	if f.Mapping != "" {
		if cfg.Mapping, err = f.mapping(); err != nil {
			return cfg, err
		}
	}
	if f.BusinessHours != nil {
		if cfg.KPI.BusinessHours, err = f.hours(func(string, string, ...any) {}); err != nil {
			return cfg, err
		}
	}
	if f.Delivery != nil {
		if cfg.Mail, err = f.mail(true); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// Location returns the reporting time zone.
func (f *File) Location() *time.Location { return f.loc }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TargetSection is one target of the configuration file: at least min or
// at most max of a metric, in its unit, for a dimension (default all) and
// optionally one of its values. A duration is written as one ("4h",
// "90m") or in seconds.
type TargetSection struct {
	Metric    string  `yaml:"metric"`
	Dimension string  `yaml:"dimension"`
	Value     string  `yaml:"value"`
	Min       *amount `yaml:"min"`
	Max       *amount `yaml:"max"`
}

// amount is a number, or a duration written as Go writes one, read as
// seconds.
type amount float64

func (a *amount) UnmarshalYAML(n *yaml.Node) error {
	var f float64
	if err := n.Decode(&f); err == nil {
		*a = amount(f)
		return nil
	}
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a number or a duration such as 4h", n.Line)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is neither a number nor a duration such as 4h", n.Line, s)
	}
	*a = amount(d.Seconds())
	return nil
}

func (t TargetSection) target() alert.Target {
	out := alert.Target{Metric: t.Metric, Dimension: t.Dimension, Value: t.Value}
	if t.Min != nil {
		out.Min = kpi.Some(float64(*t.Min))
	}
	if t.Max != nil {
		out.Max = kpi.Some(float64(*t.Max))
	}
	return out
}

// AlertsSection holds the alert rules (docs/metrics.md, "Targets and
// alerts"); unset keys keep their defaults.
type AlertsSection struct {
	TargetMissed  *bool    `yaml:"target_missed"`             // default true
	Deterioration *bool    `yaml:"significant_deterioration"` // default true
	RangePeriods  int      `yaml:"outside_range_periods"`     // default 0: off
	Metrics       []string `yaml:"metrics"`                   // watched by the two rules above; default every metric with a direction
	Email         bool     `yaml:"email"`                     // mail a short alert of its own when any rule fires
	ExitCode      bool     `yaml:"exit_code"`                 // cxkpi run exits 4 when any rule fires
}

func (a AlertsSection) settings() AlertSettings {
	s := DefaultAlerts()
	if a.TargetMissed != nil {
		s.TargetMissed = *a.TargetMissed
	}
	if a.Deterioration != nil {
		s.Deterioration = *a.Deterioration
	}
	s.RangePeriods, s.Metrics, s.Email, s.ExitCode = a.RangePeriods, a.Metrics, a.Email, a.ExitCode
	return s
}
