package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Every run, published, gated or failed, appends one line to the run log,
// and no line is ever rewritten.
func TestRunLogRecordsEveryOutcome(t *testing.T) {
	cfg := testConfig(t, nil)
	path := filepath.Join(cfg.OutDir, RunLogFile)

	ok, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	gated := cfg
	gated.AsOf = time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC) // no event in December
	gated.Gates.AllowStale = true
	if _, err := Run(context.Background(), gated); !errors.Is(err, ErrGate) {
		t.Fatalf("December: %v, want a gate", err)
	}

	failed := cfg
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, failed); err == nil {
		t.Fatal("cancelled run succeeded")
	}

	all, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(all, first) {
		t.Fatal("the first run's line was rewritten")
	}
	lines := bytes.Split(bytes.TrimSuffix(all, []byte("\n")), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d lines in the run log, want 3:\n%s", len(lines), all)
	}
	var recs []RunRecord
	for i, l := range lines {
		var keys map[string]any
		if err := json.Unmarshal(l, &keys); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, k := range []string{"run_id", "status", "error", "gates_failed", "period", "rows_read", "delivery"} {
			if v, ok := keys[k]; !ok || v == nil {
				t.Errorf("line %d: key %s absent or null", i+1, k)
			}
		}
		var r RunRecord
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if r := recs[0]; r.Status != RunOK || r.RunID != ok.RunID || r.Period != "2026-10" || r.Dir != ok.Dir ||
		r.RowsRead != ok.Read() || r.RowsRejected != ok.Rejected() || r.KPIRows != ok.KPIRows || r.Error != "" {
		t.Errorf("published run: %+v, want ok with the manifest's id, period, dir and counts", r)
	}
	if r := recs[1]; r.Status != RunGated || !slices.Equal(r.GatesFailed, []string{"empty_period"}) || r.Period != "2026-12" || r.Dir != "" || r.Error == "" {
		t.Errorf("gated run: %+v, want gated by empty_period, nothing published", r)
	}
	if r := recs[2]; r.Status != RunFailed || r.Error == "" || r.Dir != "" {
		t.Errorf("cancelled run: %+v, want failed with its error", r)
	}
	if recs[0].RunID == recs[1].RunID {
		t.Error("two runs share an id")
	}
}

// runDirs lists what a run left in the output directory but the run log.
func runDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != RunLogFile {
			names = append(names, e.Name())
		}
	}
	return names
}
