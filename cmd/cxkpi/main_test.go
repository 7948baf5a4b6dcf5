package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline"
)

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"missing input", []string{"run", "-input", "no/such/dir"}, "no/such/dir"},
		{"bad zone", []string{"run", "-tz", "Mars/Olympus"}, "Mars/Olympus"},
		{"bad grain", []string{"run", "-grain", "fortnight"}, "fortnight"},
		{"bad as-of", []string{"run", "-as-of", "31/10/2026"}, "-as-of"},
		{"missing mapping", []string{"run", "-mapping", "no-such-mapping.yaml"}, "no-such-mapping.yaml"},
		{"gen without out", []string{"gen"}, "-out is required"},
		{"unknown locale", []string{"run", "-locale", "tlh"}, "tlh"},
		{"unknown preset", []string{"run", "-preset", "zendesk"}, `unknown preset "zendesk", want one of zendesk-csv`},
		{"presets: unknown preset", []string{"presets", "zendesk"}, `unknown preset "zendesk"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if exitCode(err) == 0 {
				t.Error("exit code 0 for an error")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "-h"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-input", "-mapping", "-preset", "-grain", "-tz", "-out", "-strict"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("run -h does not mention %s on standard output", want)
		}
	}
}

// Help asked for goes to standard output and exits 0; help after a
// mistake goes to standard error and exits 2.
func TestHelpExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		toStdout   bool
		mentioning string
	}{
		{[]string{"-h"}, 0, true, "Commands:"},
		{[]string{"--help"}, 0, true, "version"},
		{[]string{"help"}, 0, true, "Commands:"},
		{[]string{}, 2, false, "Commands:"},
		{[]string{"frobnicate"}, 2, false, "Commands:"},
		{[]string{"run", "-h"}, 0, true, "-as-of"},
		{[]string{"gen", "-help"}, 0, true, "-seed"},
		{[]string{"schedule", "-h"}, 0, true, "-config"},
		{[]string{"config", "-h"}, 0, true, "config check FILE"},
		{[]string{"bench", "-h"}, 0, true, "-rows"},
		{[]string{"version", "-h"}, 0, true, "cxkpi version"},
		{[]string{"presets", "-h"}, 0, true, "cxkpi presets"},
		{[]string{"run", "-no-such-flag"}, 2, false, "-as-of"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if got := exitCode(err); err == nil || got != tc.code {
				t.Fatalf("err %v, exit code %d, want %d", err, got, tc.code)
			}
			out, other := stdout.String(), stderr.String()
			if !tc.toStdout {
				out, other = other, out
			}
			if !strings.Contains(out, tc.mentioning) || other != "" {
				t.Errorf("output %q, other stream %q: want %q on the %s only", out, other, tc.mentioning,
					map[bool]string{true: "standard output", false: "standard error"}[tc.toStdout])
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		line := stdout.String()
		if !strings.HasPrefix(line, "cxkpi ") || !strings.Contains(line, runtime.Version()) || strings.Count(line, "\n") != 1 {
			t.Errorf("%v printed %q, want one line: cxkpi VERSION ... %s", args, line, runtime.Version())
		}
	}
	v := pipeline.Versions{Cxkpi: "v1.2.0", Revision: "abc123", Modified: true, Go: "go1.26.8"}
	if got, want := versionLine(v), "cxkpi v1.2.0 (commit abc123, modified) go1.26.8"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	if got, want := versionLine(pipeline.Versions{Cxkpi: "(devel)", Go: "go1.26.8"}), "cxkpi (devel) go1.26.8"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
}

// gen writes exports that run reads back, end to end.
func TestGenThenRun(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"gen", "-seed", "3", "-customers", "40", "-months", "2", "-out", in}, &stdout, &stderr); err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(in, "tickets.csv")); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	err := run(context.Background(), []string{"run", "-input", in, "-out", out, "-grain", "week", "-tz", "Europe/Lisbon", "-as-of", "2026-10-31", "-log-format", "json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	line := stdout.String()
	if !strings.HasPrefix(line, "ok week ") || !strings.Contains(line, " 0 rejected") || strings.Count(line, "\n") != 1 {
		t.Errorf("summary line = %q, want one line starting with \"ok week\" and 0 rejected", line)
	}
	matches, _ := filepath.Glob(filepath.Join(out, "grain=week", "period=2026-W44", "kpis.parquet"))
	if len(matches) != 1 {
		t.Errorf("found %v, want one grain=week/period=*/kpis.parquet", matches)
	}
}

// TestGenFlags checks how gen's volume flags become targets: -rows in the
// proportions 1:3:1:2, each table's flag overriding it.
func TestGenFlags(t *testing.T) {
	for _, tc := range genFlagTests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, out, err := genConfig(append(tc.args, "-out", "x"), &stderr)
			if err != nil {
				t.Fatalf("genConfig(%q): %v", tc.args, err)
			}
			if out != "x" {
				t.Errorf("out = %q, want x", out)
			}
			if got := [...]int64{cfg.Tickets, cfg.Messages, cfg.Surveys, cfg.Orders}; got != tc.want {
				t.Errorf("tickets, messages, surveys, orders = %v, want %v", got, tc.want)
			}
			if cfg.Customers != tc.customers {
				t.Errorf("customers = %d, want %d", cfg.Customers, tc.customers)
			}
		})
	}
	var stderr bytes.Buffer
	if _, _, err := genConfig([]string{"-rows", "-7", "-out", "x"}, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("-rows -7: err = %v, want a usage error", err)
	}
	if err := run(context.Background(), []string{"gen", "-h"}, &stderr, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("gen -h: err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-rows", "-tickets", "-messages", "-surveys", "-orders", "within a few percent"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("gen -h does not mention %s", want)
		}
	}
}

var genFlagTests = []struct {
	name      string
	args      []string
	want      [4]int64 // tickets, messages, surveys, orders
	customers int
}{
	{"no targets", nil, [4]int64{}, 0},
	{"rows", []string{"-rows", "70000000"}, [4]int64{10_000_000, 30_000_000, 10_000_000, 20_000_000}, 0},
	{"rows not a multiple of 7", []string{"-rows", "1000000"}, [4]int64{142857, 428571, 142857, 285714}, 0},
	{"tickets override rows", []string{"-rows", "700", "-tickets", "5", "-customers", "30"}, [4]int64{5, 300, 100, 200}, 30},
	{"zero overrides rows", []string{"-orders", "0", "-rows", "700"}, [4]int64{100, 300, 100, 0}, 0},
	{"one table", []string{"-surveys", "1234"}, [4]int64{0, 0, 1234, 0}, 0},
}

// gen with -rows writes about the volumes asked for.
func TestGenRows(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"gen", "-rows", "14000", "-months", "3", "-out", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr.String())
	}
	for table, want := range map[string]float64{"tickets": 2000, "messages": 6000, "surveys": 2000, "orders": 4000} {
		var got float64
		for _, line := range strings.Split(stdout.String(), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == table {
				fmt.Sscan(f[1], &got)
			}
		}
		if got < 0.95*want || got > 1.05*want {
			t.Errorf("%s: %v rows, want %v ±5%%\n%s", table, got, want, stdout.String())
		}
	}
}

// A backfill of three months writes three period directories, and
// rerunning one of them gives byte-identical KPI files.
func TestBackfill(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"run", "-out", out, "-from", "2026-08-01", "-to", "2026-10-31", "-log-format", "json"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("backfill: %v\n%s", err, stderr.String())
	}
	if n := strings.Count("\n"+stdout.String(), "\nok month "); n != 3 {
		t.Errorf("backfill printed %d ok lines, want 3:\n%s", n, stdout.String())
	}
	var kpis [][]byte
	for _, p := range []string{"2026-08", "2026-09", "2026-10"} {
		b, err := os.ReadFile(filepath.Join(out, "grain=month", "period="+p, "kpis.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		kpis = append(kpis, b)
	}
	if bytes.Equal(kpis[0], kpis[1]) {
		t.Error("August and September KPI files are identical")
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"run", "-out", out, "-as-of", "2026-09-15", "-log-format", "json"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(filepath.Join(out, "grain=month", "period=2026-09", "kpis.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, kpis[1]) {
		t.Error("rerunning September changed its KPI file")
	}
}

func TestRunRefusesWhileLocked(t *testing.T) {
	out := t.TempDir()
	// A lock held by this (live) process.
	lock := fmt.Sprintf(`{"pid": %d, "host": %q, "started": "2026-11-23T00:00:00Z"}`, os.Getpid(), hostname(t))
	if err := os.WriteFile(filepath.Join(out, ".cxkpi.lock"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "-out", out}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("err = %v, want a lock error", err)
	}
}

// A stale lock is taken over with a warning naming its holder, and the
// leftovers of the crashed run are removed, each logged.
func TestRunTakesOverAndRecovers(t *testing.T) {
	out := t.TempDir()
	lock := `{"pid": 4242, "host": "etl-gone", "started": "2026-11-01T03:30:00Z"}`
	path := filepath.Join(out, ".cxkpi.lock")
	if err := os.WriteFile(path, []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-13 * time.Hour) // older than the default stale age
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{".run-123", ".spill-456"} {
		if err := os.Mkdir(filepath.Join(out, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"run", "-out", out, "-log-format", "json"}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var tookOver, recovered int
	for _, line := range strings.Split(stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec["msg"] {
		case "took over stale run lock":
			tookOver++
			if rec["level"] != "WARN" || rec["host"] != "etl-gone" || rec["pid"] != float64(4242) || rec["reason"] == nil {
				t.Errorf("takeover logged as %v, want a warning with the old holder and the reason", rec)
			}
		case "recovered: removed what an interrupted run left":
			recovered++
		}
	}
	if tookOver != 1 || recovered != 2 {
		t.Errorf("logged %d takeovers and %d recoveries, want 1 and 2; log:\n%s", tookOver, recovered, stderr.String())
	}
	es, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if len(es) != 2 || es[0].Name() != "grain=month" || es[1].Name() != pipeline.RunLogFile {
		t.Errorf("output directory holds %q, want only grain=month and the run log", names)
	}
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("grain: week\ntime_zone: Europe/Lisbon\n"), 0o644)
	os.WriteFile(bad, []byte("grain: week\nbusiness_hours:\n  monday: [\"nine to five\"]\n"), 0o644)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", good}, &stdout, &stderr); err != nil || !strings.HasPrefix(stdout.String(), "ok ") {
		t.Errorf("check good: %v, %q", err, stdout.String())
	}
	err := run(context.Background(), []string{"config", "check", bad}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "business_hours.monday[0]") {
		t.Errorf("check bad: %v, want the key business_hours.monday[0]", err)
	}
}

// The scheduler, on a seconds-level schedule and the sample data, completes
// at least two runs without overlap and stops cleanly when cancelled.
func TestScheduleRunsTwice(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cxkpi.yaml")
	// The sample is history: nightly runs on it find no event in the
	// period of yesterday, and none recent, so those gates are off here.
	os.WriteFile(cfg, []byte("output: out\ngates:\n  allow_empty_period: true\n  allow_stale: true\nschedule:\n  cron: \"*/2 * * * * *\"\n"), 0o644)
	// What a killed run left; the first scheduled run removes it.
	for _, d := range []string{".run-1", ".spill-2"} {
		if err := os.MkdirAll(filepath.Join(dir, "out", d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"schedule", "-config", cfg}, &stdout, logs) }()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(logs.String(), `"msg":"run finished"`) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("schedule: %v\n%s", err, logs.String())
	}
	if n := strings.Count(logs.String(), `"msg":"run finished"`); n < 2 {
		t.Fatalf("%d runs finished, want at least 2:\n%s", n, logs.String())
	}
	// Runs never overlap: starts and finishes alternate in the log.
	var open int
	for _, line := range strings.Split(logs.String(), "\n") {
		switch {
		case strings.Contains(line, `"msg":"table read"`) && strings.Contains(line, `"table":"customers"`):
			open++
		case strings.Contains(line, `"msg":"run finished"`):
			open--
		}
		if open > 1 {
			t.Fatalf("two runs at once:\n%s", logs.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), `"msg":"recovered: removed what an interrupted run left"`); n != 2 {
		t.Errorf("%d leftovers recovered, want 2:\n%s", n, logs.String())
	}
	for _, d := range []string{".run-1", ".spill-2"} {
		if _, err := os.Stat(filepath.Join(dir, "out", d)); err == nil {
			t.Errorf("%s left in the output directory", d)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger writing from another
// goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bench generates data into -data, runs the job and prints every stage;
// a second bench reuses the data.
func TestBench(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, want := range []string{"generated ", "reusing "} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"bench", "-rows", "20000", "-data", data, "-memory-limit", "0"}, &stdout, &stderr); err != nil {
			t.Fatalf("bench: %v\n%s", err, stderr.String())
		}
		out := stdout.String()
		if !strings.HasPrefix(out, want) {
			t.Errorf("bench output starts %q, want %q", out, want)
		}
		for _, stage := range []string{"read", "aggregate", "kpi", "models", "render", "total (wall)", "peak resident memory"} {
			if !strings.Contains(out, stage) {
				t.Errorf("bench output lacks %q:\n%s", stage, out)
			}
		}
	}
}

// A run stopped by a data gate exits 3, prints no summary line and
// publishes nothing; -allow-empty and -allow-stale let it through.
func TestGateExitCode(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"period without data", []string{"-as-of", "2026-12-20"}, exitGate},
		{"allowed", []string{"-as-of", "2026-12-20", "-allow-empty", "-allow-stale"}, 0},
		{"rejected share", []string{"-max-rejected-share", "0.001"}, exitGate},
		{"bad batch size", []string{"-batch-size", "100000000"}, exitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"run", "-out", out, "-log-format", "json"}, tc.args...), &stdout, &stderr)
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tc.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tc.wantCode)
			}
			published, _ := filepath.Glob(filepath.Join(out, "grain=month", "period=*"))
			if tc.wantCode == 0 {
				if !strings.HasPrefix(stdout.String(), "ok ") || len(published) != 1 {
					t.Errorf("stdout %q, published %q; want an ok line and one period", stdout.String(), published)
				}
				return
			}
			if stdout.Len() != 0 || len(published) != 0 {
				t.Errorf("stdout %q, published %q after a failed run", stdout.String(), published)
			}
		})
	}
}

// config check refuses what schedule then refuses.
func TestConfigCheckCron(t *testing.T) {
	for _, text := range []string{"schedule:\n  cron: \"61 * * * *\"\n", "batch_size: 100000000\n"} {
		cfg := filepath.Join(t.TempDir(), "cxkpi.yaml")
		os.WriteFile(cfg, []byte(text), 0o644)
		var stdout, stderr bytes.Buffer
		checkErr := run(context.Background(), []string{"config", "check", cfg}, &stdout, &stderr)
		schedErr := run(context.Background(), []string{"schedule", "-config", cfg}, &stdout, &stderr)
		if checkErr == nil || schedErr == nil || checkErr.Error() != schedErr.Error() {
			t.Errorf("%q: config check %v, schedule %v; want the same error", text, checkErr, schedErr)
		}
	}
}
