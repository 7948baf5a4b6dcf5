package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

const ticketsHead = "ticket_id,customer_id,channel,created_at,solved_at,status,priority,agent_id,team,is_complaint,reopens\n"

// tickets returns n good tickets created on day (a date of October 2026)
// and bad more with an unknown channel.
func tickets(n, bad int, day int) string {
	var b strings.Builder
	b.WriteString(ticketsHead)
	for i := range n {
		fmt.Fprintf(&b, "T%d,c1,email,2026-10-%02dT10:00:00Z,,open,,,,,\n", i, day)
	}
	for i := range bad {
		fmt.Fprintf(&b, "B%d,c1,fax,2026-10-%02dT10:00:00Z,,open,,,,,\n", i, day)
	}
	return b.String()
}

func input(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for n, d := range files {
		fsys[n] = &fstest.MapFile{Data: []byte(d)}
	}
	return fsys
}

var gateTests = []struct {
	name  string
	input fstest.MapFS // nil: the sample
	asOf  time.Time    // zero: 2026-10-31
	gates Gates
	want  string   // the gate that fails
	words []string // in the error
}{
	{"rejected share", input(map[string]string{"tickets.csv": tickets(180, 20, 30)}), time.Time{}, Gates{},
		"rejected_share", []string{"table tickets", "10.00% of 200 rows rejected (20)", "threshold 5.00%"}},
	{"small table, every row rejected", input(map[string]string{"tickets.csv": tickets(50, 0, 30), "surveys.csv": "response_id,customer_id,ticket_id,kind,score,scale_min,scale_max,responded_at\nS1,c1,T1,csat,9,1,5,2026-10-30T00:00:00Z\n"}), time.Time{}, Gates{},
		"rejected_share", []string{"table surveys", "100.00% of 1 rows rejected (1)"}},
	{"threshold from the config", nil, time.Time{}, Gates{MaxRejectedShare: 0.01},
		"rejected_share", []string{"table calls", "1.59% of 126 rows rejected (2)", "threshold 1.00%"}},
	{"no file", fstest.MapFS{}, time.Time{}, Gates{},
		"empty_input", []string{"no file that a table reads"}},
	{"only lookalikes", input(map[string]string{"Tickets.CSV": tickets(5, 0, 30), "tickets.tsv": "", "README.md": ""}), time.Time{}, Gates{},
		"empty_input", []string{"unrecognised: Tickets.CSV, tickets.tsv)"}},
	{"no row", input(map[string]string{"tickets.csv": ticketsHead}), time.Time{}, Gates{},
		"empty_input", []string{"0 rows read in 1 files", "threshold 1 row"}},
	{"empty period", nil, time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), Gates{AllowStale: true},
		"empty_period", []string{"period 2026-12", "0 events from 2026-12-01T00:00:00Z to 2027-01-01T00:00:00Z"}},
	{"stale", input(map[string]string{"tickets.csv": tickets(10, 0, 20)}), time.Time{}, Gates{},
		"stale_input", []string{"table tickets", "newest event 2026-10-20T10:00:00Z is 10.6 days before as-of 2026-10-31T00:00:00Z", "threshold 3.0 days"}},
	{"stale, own threshold", input(map[string]string{"tickets.csv": tickets(10, 0, 29)}), time.Time{}, Gates{MaxInputAge: 24 * time.Hour},
		"stale_input", []string{"1.6 days before", "threshold 1.0 days"}},
}

// Each gate stops a run whose data fails it, with one line naming the
// gate, what it judged, the value and the threshold, and nothing is
// published.
func TestGatesFire(t *testing.T) {
	for _, tc := range gateTests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, nil)
			if tc.input != nil {
				cfg.Input = tc.input
			}
			if !tc.asOf.IsZero() {
				cfg.AsOf = tc.asOf
			}
			cfg.Gates = tc.gates
			sum, err := Run(context.Background(), cfg)
			var ge *GateError
			if !errors.Is(err, ErrGate) || !errors.As(err, &ge) {
				t.Fatalf("err = %v, want a *GateError", err)
			}
			var gates []string
			for _, f := range ge.Failures {
				gates = append(gates, f.Gate)
			}
			if len(gates) == 0 || slices.ContainsFunc(gates, func(g string) bool { return g != tc.want }) {
				t.Errorf("failed gates %q, want only %q", gates, tc.want)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error on more than one line: %q", msg)
			}
			for _, w := range append(tc.words, tc.want+": ") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if sum == nil || sum.Dir != "" {
				t.Errorf("manifest %+v, want one not published", sum)
			}
			if entries := runDirs(t, cfg.OutDir); len(entries) != 0 {
				t.Errorf("output directory holds %v after a gated run, want only the run log", entries)
			}
		})
	}
}

func TestGatesPassTheSample(t *testing.T) {
	sum, err := Run(context.Background(), testConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	var events int64
	for _, tb := range sum.Tables {
		events += tb.EventsInPeriod
		if tb.Table == ingest.Tickets && (tb.EventsInPeriod != 295 || !tb.NewestEvent.Equal(time.Date(2026, 10, 31, 20, 8, 13, 0, time.UTC))) {
			t.Errorf("tickets: %d events in the period, newest %s; want 295, 2026-10-31T20:08:13Z", tb.EventsInPeriod, tb.NewestEvent)
		}
	}
	if events == 0 {
		t.Error("no event counted in the sample's period")
	}
}

// A gated run leaves the period's previous outputs byte for byte, and no
// staging or spill directory.
func TestGatedRunKeepsPreviousOutputs(t *testing.T) {
	cfg := testConfig(t, nil)
	first, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := readDir(t, first.Dir)
	cfg.Gates.MaxRejectedShare = 0.001 // the sample's tables reject more
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrGate) {
		t.Fatalf("err = %v, want ErrGate", err)
	}
	if after := readDir(t, first.Dir); !mapsEqual(before, after) {
		t.Error("the previous outputs changed after a gated run")
	}
	entries := runDirs(t, cfg.OutDir)
	if len(entries) != 1 {
		t.Errorf("output directory holds %d entries, want only the previous run", len(entries))
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func mapsEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// The allow settings let the data through, and the run publishes.
func TestGatesAllow(t *testing.T) {
	tests := []struct {
		name  string
		input fstest.MapFS
		asOf  time.Time
		gates Gates
	}{
		{"empty input", fstest.MapFS{}, time.Time{}, Gates{AllowEmptyInput: true, AllowEmptyPeriod: true}},
		{"empty period", nil, time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), Gates{AllowEmptyPeriod: true, AllowStale: true}},
		{"stale", input(map[string]string{"tickets.csv": tickets(10, 0, 20)}), time.Time{}, Gates{AllowStale: true}},
		{"rejected share off", input(map[string]string{"tickets.csv": tickets(180, 20, 30)}), time.Time{}, Gates{MaxRejectedShare: 1}},
		{"rejected share raised", input(map[string]string{"tickets.csv": tickets(180, 20, 30)}), time.Time{}, Gates{MaxRejectedShare: 0.2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, nil)
			if tc.input != nil {
				cfg.Input = tc.input
			}
			if !tc.asOf.IsZero() {
				cfg.AsOf = tc.asOf
			}
			cfg.Gates = tc.gates
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(sum.Dir, ManifestFile)); err != nil {
				t.Errorf("not published: %v", err)
			}
			if sum.Inputs == nil || sum.Unrecognised == nil {
				t.Errorf("inputs %v, unrecognised %v: want lists, never null", sum.Inputs, sum.Unrecognised)
			}
		})
	}
}

// Files that look like exports but that no table reads are warned about
// and listed in the manifest.
func TestLookalikesReported(t *testing.T) {
	fsys := input(map[string]string{
		"tickets.csv": tickets(10, 0, 30), "Tickets.CSV": "", "tickets.ndjson.gz": "", "tickets.tsv": "",
		"tickets.csv.bz2": "", "ticket.csv": "", "README.md": "",
	})
	var logs bytes.Buffer
	cfg := testConfig(t, fsys)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Tickets.CSV", "ticket.csv", "tickets.csv.bz2", "tickets.ndjson.gz", "tickets.tsv"}
	if !slices.Equal(sum.Unrecognised, want) {
		t.Errorf("unrecognised %q, want %q", sum.Unrecognised, want)
	}
	for _, n := range want {
		if !strings.Contains(logs.String(), "level=WARN msg=\"file looks like an export but no table reads it") ||
			!strings.Contains(logs.String(), "file="+n) {
			t.Errorf("no WARN line for %s", n)
		}
	}
	b, err := os.ReadFile(filepath.Join(sum.Dir, ManifestFile))
	if err != nil || !strings.Contains(string(b), `"unrecognised_files": [`) {
		t.Errorf("manifest.json lacks unrecognised_files: %v", err)
	}
}

// A ticket dated year 1 is quarantined, naming the value and the window,
// and makes no period of its own.
func TestImplausibleTimeQuarantined(t *testing.T) {
	good := tickets(10, 0, 31) // in the report period at the day grain too
	for _, grain := range []kpi.Grain{kpi.Day, kpi.Month} {
		cfg := testConfig(t, input(map[string]string{"tickets.csv": good}))
		cfg.KPI.Grain = grain
		base, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range []string{"Y1,c1,email,0001-01-01T00:00:00Z,,open,,,,,", "F1,c1,email,2027-06-01T00:00:00Z,,open,,,,,"} {
			cfg := testConfig(t, input(map[string]string{"tickets.csv": good + row + "\n"}))
			cfg.KPI.Grain = grain
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if sum.KPIRows != base.KPIRows || sum.Rejected() != 1 {
				t.Errorf("%s %s: %d KPI rows, %d rejected; want %d rows and the row rejected", grain, row, sum.KPIRows, sum.Rejected(), base.KPIRows)
			}
			q, err := os.ReadFile(filepath.Join(sum.Dir, QuarantineFile))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(q), "implausible time") || !strings.Contains(string(q), "outside the window 2000-01-01T00:00:00Z to 2026-11-24T06:00:00Z") {
				t.Errorf("%s: quarantine lacks the reason with the window:\n%s", row, q)
			}
		}
	}
}

// With the window opened, a year-1 ticket meets the cap on periods.
func TestTooManyPeriods(t *testing.T) {
	cfg := testConfig(t, input(map[string]string{"tickets.csv": tickets(10, 0, 30) + "Y1,c1,email,0001-01-01T00:00:00Z,,open,,,,,\n"}))
	cfg.TimeFrom = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := Run(context.Background(), cfg)
	if !errors.Is(err, kpi.ErrTooManyPeriods) || !strings.Contains(err.Error(), "more than the limit of 5000") {
		t.Errorf("err = %v, want ErrTooManyPeriods naming the limit", err)
	}
}

// manifest.json lists every file the tables read, and only those, with
// size and checksum, links included.
func TestManifestInputsAreTheFilesRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "real-tickets"), []byte(tickets(10, 0, 30)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real-tickets", filepath.Join(dir, "tickets.csv")); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "surveys.csv"), []byte(surveysCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, nil)
	cfg.Input, cfg.Gates.AllowStale = ingest.DirFS(dir, false), true
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range sum.Inputs {
		names = append(names, f.Name)
		if f.Bytes == 0 || len(f.SHA256) != 64 {
			t.Errorf("input %+v lacks its size or checksum", f)
		}
	}
	if !slices.Equal(names, []string{"surveys.csv", "tickets.csv"}) {
		t.Errorf("inputs %q, want surveys.csv and tickets.csv", names)
	}

	sample, err := Run(context.Background(), testConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, f := range sample.Inputs {
		names = append(names, f.Name)
	}
	var want []string
	for _, tb := range ingest.Tables() {
		want = append(want, string(tb)+".csv")
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("sample inputs %q, want %q", names, want)
	}
}

// A named pipe in the input is refused without being opened, and a link
// out of the input directory is refused unless allowed.
func TestInputDirectorySafety(t *testing.T) {
	t.Run("fifo", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, "tickets.csv"), 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		cfg := testConfig(t, nil)
		cfg.Input = ingest.DirFS(dir, false)
		done := make(chan error, 1)
		go func() {
			_, err := Run(context.Background(), cfg)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ingest.ErrSpecialFile) {
				t.Errorf("err = %v, want ErrSpecialFile", err)
			}
		case <-time.After(time.Minute): // a deadlock guard, not a timing threshold
			t.Fatal("the run blocked on a named pipe")
		}
	})
	t.Run("symlink outside", func(t *testing.T) {
		outside := t.TempDir()
		if err := os.WriteFile(filepath.Join(outside, "tickets.csv"), []byte(tickets(10, 0, 30)), 0o600); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.Symlink(filepath.Join(outside, "tickets.csv"), filepath.Join(dir, "tickets.csv")); err != nil {
			t.Skipf("symlink: %v", err)
		}
		cfg := testConfig(t, nil)
		cfg.Input = ingest.DirFS(dir, false)
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ingest.ErrOutsideInput) {
			t.Errorf("err = %v, want ErrOutsideInput", err)
		}
		cfg.Input = ingest.DirFS(dir, true)
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Errorf("allowed: %v", err)
		}
	})
}
