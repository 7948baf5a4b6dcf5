package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each flag not on the command line takes its environment variable; the
// command line wins.
func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("CXKPI_BATCH_SIZE", "512")
	t.Setenv("CXKPI_GRAIN", "week")
	t.Setenv("CXKPI_ALLOW_STALE", "true")
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var f runFlags
	f.register(fs)
	if err := parseFlags(fs, []string{"-grain", "quarter"}); err != nil {
		t.Fatal(err)
	}
	if f.batch != 512 || !f.allowStale {
		t.Errorf("batch %d, allow-stale %v: want 512 and true from the environment", f.batch, f.allowStale)
	}
	if f.grain != "quarter" {
		t.Errorf("grain %q, want the command line's quarter over CXKPI_GRAIN", f.grain)
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["batch-size"] || !set["allow-stale"] || set["tz"] {
		t.Errorf("flags counted as set: %v; want batch-size and allow-stale, not tz", set)
	}
}

// The environment overrides the configuration file, which overrides the
// defaults.
func TestEnvironmentOverridesFile(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "cxkpi.yaml")
	if err := os.WriteFile(config, []byte("grain: quarter\ntime_zone: Europe/Lisbon\nbatch_size: 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CXKPI_CONFIG", config)
	t.Setenv("CXKPI_GRAIN", "week")
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var f runFlags
	f.register(fs)
	if err := parseFlags(fs, nil); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := f.build(t.Context(), set)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.KPI.Grain); got != "week" {
		t.Errorf("grain %q, want week from CXKPI_GRAIN over the file's quarter", got)
	}
	if cfg.KPI.Location.String() != "Europe/Lisbon" || cfg.BatchSize != 100 {
		t.Errorf("zone %v, batch %d: want the file's Europe/Lisbon and 100", cfg.KPI.Location, cfg.BatchSize)
	}
}

func TestBadEnvironmentValueIsAUsageError(t *testing.T) {
	t.Setenv("CXKPI_BATCH_SIZE", "lots")
	err := run(t.Context(), []string{"run"}, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) || exitCode(err) != exitUsage {
		t.Fatalf("got %v (exit %d), want a usage error", err, exitCode(err))
	}
	for _, w := range []string{"CXKPI_BATCH_SIZE", `"lots"`, "-batch-size"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %s", err, w)
		}
	}
}

// With -log-format json the failure is the log's last record, in JSON,
// and main does not print it again in another format.
func TestFailureIsTheLastLogRecord(t *testing.T) {
	var stderr strings.Builder
	err := run(t.Context(), []string{"run", "-log-format", "json", "-input", filepath.Join(t.TempDir(), "absent")}, io.Discard, &stderr)
	var logged loggedError
	if !errors.As(err, &logged) || exitCode(err) != exitError {
		t.Fatalf("got %v (exit %d), want a logged error with exit 1", err, exitCode(err))
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var rec struct {
		Level, Msg, Error string
		ExitCode          int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("last line %q is not JSON: %v", lines[len(lines)-1], err)
	}
	if rec.Level != "ERROR" || !strings.Contains(rec.Error, "absent") || rec.ExitCode != 1 {
		t.Errorf("last record %+v, want an ERROR naming the input, exit_code 1", rec)
	}
}

// A published run that raises alerts exits 0, or 4 when asked to, after
// publishing either way; the summary line counts the alerts.
func TestAlertExitCode(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "cxkpi.yaml")
	if err := os.WriteFile(config, []byte("targets:\n  - metric: csat\n    min: 85\n  - metric: first_reply_time_p90\n    max: 4h\nalerts:\n  significant_deterioration: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 0},
		{[]string{"-alert-exit"}, exitAlert},
	} {
		var stdout strings.Builder
		out := t.TempDir()
		err := run(t.Context(), append([]string{"run", "-config", config, "-out", out}, tc.args...), &stdout, io.Discard)
		code := 0
		if err != nil {
			code = exitCode(err)
		}
		if code != tc.code {
			t.Errorf("%v: %v (exit %d), want exit %d", tc.args, err, code, tc.code)
		}
		if !strings.Contains(stdout.String(), "alert") {
			t.Errorf("%v: summary line %q does not count the alerts", tc.args, stdout.String())
		}
		if _, err := os.Stat(filepath.Join(out, "grain=month", "period=2026-10", "kpis.parquet")); err != nil {
			t.Errorf("%v: not published: %v", tc.args, err)
		}
	}
}
