package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodConfig = `
input: exports
output: reports
grain: week
time_zone: Europe/Lisbon
metrics:
  csat_positive: 0.8
  qa_weights: {tone: 2}
business_hours:
  monday: ["09:00-12:30", "13:30-18:00"]
  friday: ["09:00-15:00"]
  holidays: ["2026-12-25"]
report:
  title: Support KPIs
  company: Example Lda
schedule:
  cron: "30 2 * * *"
  catch_up: true
delivery:
  host: 127.0.0.1
  port: 2525
  security: none
  from: kpi@example.com
  to: [ops@example.com]
  password_env: CXKPI_TEST_SMTP_PASSWORD
  username: kpi
`

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "exports"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CXKPI_TEST_SMTP_PASSWORD", "s3cret")
	f, err := LoadFile(writeFile(t, dir, "cxkpi.yaml", goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OutDir != filepath.Join(dir, "reports") || cfg.InputName != filepath.Join(dir, "exports") {
		t.Errorf("paths not resolved from the file's directory: out %s, input %s", cfg.OutDir, cfg.InputName)
	}
	if cfg.KPI.Grain != "week" || cfg.KPI.Location.String() != "Europe/Lisbon" || cfg.KPI.CSATPositive != 0.8 || cfg.KPI.QAWeights["tone"] != 2 {
		t.Errorf("KPI options = %+v", cfg.KPI)
	}
	bh := cfg.KPI.BusinessHours
	if bh == nil || len(bh.Week[time.Monday]) != 2 || bh.Week[time.Monday][1].End != 18*time.Hour || !bh.Holidays["2026-12-25"] || bh.Location.String() != "Europe/Lisbon" {
		t.Errorf("business hours = %+v", bh)
	}
	if cfg.Mail == nil || cfg.Mail.Password != "s3cret" || cfg.Mail.Port != 2525 {
		t.Errorf("mail = %v", cfg.Mail)
	}
	if f.Schedule.Cron != "30 2 * * *" || !f.Schedule.CatchUp || cfg.Title != "Support KPIs" {
		t.Errorf("schedule %+v, title %q", f.Schedule, cfg.Title)
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // each in the error
	}{
		{"unknown key", "grian: month\n", []string{"line 1", "grian"}},
		{"bad values", `
grain: fortnight
time_zone: Mars/Olympus
batch_size: -1
metrics:
  csat_positive: 1.5
  qa_weights: {tone: -1}
business_hours:
  monday: ["9-17", "18:00-17:00"]
  holidays: ["25/12/2026"]
report:
  locale: xx
`, []string{
			`grain: "fortnight"`, `time_zone: unknown time zone "Mars/Olympus"`, "batch_size: batch size -1 is outside 1..1048576",
			"metrics.csat_positive: 1.5", "metrics.qa_weights.tone", "business_hours.monday[0]",
			"business_hours.monday[1]: \"18:00-17:00\" ends before it starts", "business_hours.holidays[0]", `report.locale: "xx"`,
		}},
		{"missing input", "input: no-such-dir\n", []string{"input:", "no-such-dir"}},
		{"huge batch size", "batch_size: 100000000000\n", []string{"batch_size: batch size 100000000000 is outside 1..1048576"}},
		{"bad cron", "schedule:\n  cron: \"61 * * * *\"\n", []string{"schedule.cron:", `cron "61 * * * *"`}},
		{"every", "schedule:\n  cron: \"@every 1h\"\n", []string{"schedule.cron:", "@every"}},
		{"gates and window", "gates:\n  max_rejected_share: -0.1\ntime_window:\n  from: 01/01/2000\n  future_tolerance: -1h\nmax_periods: -1\nschedule:\n  lock_retry: -1m\n",
			[]string{"gates: pipeline: max rejected share -0.1", `time_window.from: "01/01/2000"`, "time_window.future_tolerance", "max_periods", "schedule.lock_retry"}},
		{"ces scales", "metrics:\n  ces_easier: {\"1-5\": up, \"7\": lower}\n", []string{`metrics.ces_easier.1-5: "up", want higher or lower`, `metrics.ces_easier.7: "7" is not a scale`}},
		{"models", "models:\n  margin: 1.2\n", []string{"models: clv: margin for orders without cost 1.2 outside [0, 1]"}},
		{"horizon", "models:\n  horizon_months: 0\n", []string{"models: clv: horizon of 0 months"}},
		{"purchase model", "models:\n  purchase_models: [bgnbd, pareto]\n", []string{`models: clv: unknown purchase model "pareto"`}},
		{"discount", "models:\n  annual_discount_rate: -0.1\n", []string{"models: clv: annual discount rate -0.1"}},
		{"cohort brackets", "cohorts:\n  brackets: [\"0\", \"3-1\", quarter]\n", []string{`cohorts.brackets[1]: cohort: bracket 3-1 ends before it starts`, `cohorts.brackets[2]: cohort: bracket "quarter"`}},
		{"cohort brackets overlap", "cohorts:\n  brackets: [\"0-2\", \"2-5\"]\n", []string{"cohorts.brackets[1]: cohort: bracket 2-5 does not start after bracket 0-2 ends"}},
		{"delivery", "delivery:\n  host: mail.example.com\n  from: nobody\n  to: []\n", []string{"delivery:", "From", "To"}},
		{"password env not a name", "delivery:\n  host: 127.0.0.1\n  security: none\n  from: a@b.c\n  to: [d@e.f]\n  username: u\n  password_env: SMTP-PASSWORD\n", []string{"SMTP-PASSWORD", "not an environment variable name"}},
		{"password env and file", "delivery:\n  host: 127.0.0.1\n  security: none\n  from: a@b.c\n  to: [d@e.f]\n  username: u\n  password_env: P\n  password_file: p.txt\n", []string{"not both"}},
		{"targets", "targets:\n  - metric: csatt\n    min: 85\n  - metric: csat\n", []string{"targets[0]: alert: target of unknown metric \"csatt\"", "targets[1]: alert: target of csat: give exactly one of min and max"}},
		{"target amount", "targets:\n  - metric: first_reply_time_p90\n    max: soon\n", []string{`"soon" is neither a number nor a duration`}},
		{"alerts", "alerts:\n  metrics: [nps, nope]\n  email: true\n", []string{`alerts: alert: unknown metric "nope"`, "alerts.email: an alert email needs a delivery section"}},
		{"ca file missing", "delivery:\n  host: 127.0.0.1\n  from: a@b.c\n  to: [d@e.f]\n  ca_file: no-such-ca.pem\n", []string{"delivery:", "CA bundle", "no-such-ca.pem"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(writeFile(t, t.TempDir(), "cxkpi.yaml", tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	var fe *FieldError
	_, err := LoadFile(writeFile(t, t.TempDir(), "c.yaml", "grain: hourly\n"))
	if !errors.As(err, &fe) || fe.Key != "grain" {
		t.Errorf("err = %v, want a *FieldError for key grain", err)
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	f, err := LoadFile(writeFile(t, t.TempDir(), "empty.yaml", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config()
	if err != nil || cfg.Input != nil || cfg.Mail != nil {
		t.Errorf("config %+v, %v; want defaults with no input and no mail", cfg, err)
	}
}

// The example in docs/configuration.md is a valid configuration.
func TestDocumentedExample(t *testing.T) {
	b, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in docs/configuration.md")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "exports"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The mapping format is documented and tested in docs/inputs.md.
	example = strings.Replace(example, "mapping: mapping.yaml", "", 1)
	t.Setenv("CXKPI_SMTP_PASSWORD", "example")
	f, err := LoadFile(writeFile(t, dir, "cxkpi.yaml", example))
	if err != nil {
		t.Fatal(err)
	}
	if f.Delivery == nil || f.Schedule.Cron == "" || f.BusinessHours == nil || f.Pull == nil {
		t.Error("the example lost a section")
	}
}

// config check, run and schedule refuse the same settings with the same
// words: they share one check per setting.
func TestCheckAgreesWithRunAndSchedule(t *testing.T) {
	t.Run("cron", func(t *testing.T) {
		dir := t.TempDir()
		_, err := LoadFile(writeFile(t, dir, "c.yaml", "time_zone: Europe/Lisbon\nschedule:\n  cron: \"30 25 * * *\"\n"))
		sched := schedule.Config{Cron: "30 25 * * *", Location: mustLocation(t, "Europe/Lisbon"), StateDir: dir}.Validate()
		if err == nil || sched == nil || !strings.Contains(err.Error(), sched.Error()) {
			t.Errorf("config check: %v\nschedule: %v\nwant the schedule's error in the check's", err, sched)
		}
	})
	t.Run("batch size", func(t *testing.T) {
		_, err := LoadFile(writeFile(t, t.TempDir(), "c.yaml", "batch_size: 2000000\n"))
		cfg := testConfig(t, nil)
		cfg.BatchSize = 2000000
		_, runErr := Run(context.Background(), cfg)
		if err == nil || runErr == nil {
			t.Fatalf("config check: %v, run: %v; want both to fail", err, runErr)
		}
		want := ingest.CheckBatchSize(2000000).Error()
		if !strings.Contains(err.Error(), want) || !strings.Contains(runErr.Error(), want) {
			t.Errorf("config check: %v\nrun: %v\nwant both to say %q", err, runErr, want)
		}
	})
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A file whose password is in an environment variable or a file that this
// machine does not have passes the check; the run then fails naming it.
func TestCheckWithoutSecrets(t *testing.T) {
	for _, source := range []string{"password_env: CXKPI_TEST_UNSET_VARIABLE", "password_file: no-such-secret.txt"} {
		text := "delivery:\n  host: 127.0.0.1\n  security: none\n  from: a@b.c\n  to: [d@e.f]\n  username: u\n  " + source + "\n"
		f, err := LoadFile(writeFile(t, t.TempDir(), "cxkpi.yaml", text))
		if err != nil {
			t.Fatalf("%s: check: %v", source, err)
		}
		_, err = f.Config()
		if want := strings.Fields(strings.SplitN(source, ": ", 2)[1])[0]; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Config: %v, want an error naming %s", source, err, want)
		}
	}
}

// The configuration that compose.yaml mounts is a valid file, with
// delivery to the compose network's SMTP server.
func TestComposeConfig(t *testing.T) {
	f, err := LoadFile(filepath.Join("..", "docs", "compose", "cxkpi.yaml"))
	if err != nil {
		t.Fatalf("docs/compose/cxkpi.yaml: %v", err)
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if cfg.Mail == nil || cfg.Mail.Host != "mailpit" || cfg.Mail.Port != 1025 {
		t.Errorf("delivery %+v, want the mailpit service on port 1025", cfg.Mail)
	}
	if f.Schedule.Cron == "" {
		t.Error("no schedule")
	}
}

func TestTargetsAndAlertsFromTheFile(t *testing.T) {
	f, err := LoadFile(writeFile(t, t.TempDir(), "cxkpi.yaml", "targets:\n  - metric: csat\n    min: 85\n  - metric: first_reply_time_p90\n    dimension: channel\n    value: email\n    max: 4h\nalerts:\n  significant_deterioration: false\n  outside_range_periods: 6\n  exit_code: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Targets) != 2 || cfg.Targets[0].Min != kpi.Some(85) || cfg.Targets[1].Max != kpi.Some(4*3600) ||
		cfg.Targets[1].Dimension != "channel" || cfg.Targets[1].Value != "email" {
		t.Errorf("targets %+v", cfg.Targets)
	}
	if a := cfg.Alerts; a == nil || !a.TargetMissed || a.Deterioration || a.RangePeriods != 6 || !a.ExitCode || a.Email {
		t.Errorf("alerts %+v, want target_missed on by default, deterioration off, range 6, exit code", a)
	}
}
