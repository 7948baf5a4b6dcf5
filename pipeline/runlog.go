package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/bucket"
)

// RunLogFile is the append-only log of runs, in the output directory: one
// JSON line per run, whatever its outcome, never rewritten. Its name
// matches no glob of the period directories.
const RunLogFile = "runs.jsonl"

// RunLogPrefix is the run log in a bucket, which cannot append: one
// object per run under it, <finished>-<run_id>.json, each one JSON line.
const RunLogPrefix = "run_log"

// Run outcomes in the run log.
const (
	RunOK     = "ok"     // published (and mailed, when delivery is set)
	RunGated  = "gated"  // a data gate failed: nothing was published
	RunFailed = "failed" // an error: what was published before stays
)

// RunRecord is one line of [RunLogFile]. Every key is always present:
// lists are empty, never null, and values not known when a run failed
// early are zero ("" and 0; times as 0001-01-01T00:00:00Z).
type RunRecord struct {
	RunID        string    `json:"run_id"`
	Status       string    `json:"status"` // RunOK, RunGated or RunFailed
	Error        string    `json:"error"`  // "" when ok
	GatesFailed  []string  `json:"gates_failed"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Input        string    `json:"input"`
	Preset       string    `json:"preset"`
	Grain        string    `json:"grain"`
	TimeZone     string    `json:"time_zone"`
	AsOf         time.Time `json:"as_of"`
	Period       string    `json:"period"`
	Dir          string    `json:"dir"` // the period directory published; "" unless ok
	RowsRead     int64     `json:"rows_read"`
	RowsSkipped  int64     `json:"rows_skipped"`
	RowsRejected int64     `json:"rows_rejected"`
	KPIRows      int       `json:"kpi_rows"`
	Alerts       int       `json:"alerts"`   // alerts the period raised
	Delivery     string    `json:"delivery"` // sent, failed or none
	Version      string    `json:"version"`
}

// runRecord describes a run that ended with err; sum may be nil for a
// run that failed before it knew its period.
func runRecord(sum *Manifest, err error, now time.Time) RunRecord {
	r := RunRecord{Status: RunOK, GatesFailed: []string{}, Finished: now.UTC(), Delivery: "none"}
	var ge *GateError
	switch {
	case errors.As(err, &ge):
		r.Status = RunGated
		for _, f := range ge.Failures {
			r.GatesFailed = append(r.GatesFailed, f.Gate)
		}
	case err != nil:
		r.Status = RunFailed
	}
	if err != nil {
		r.Error = err.Error()
	}
	if sum == nil {
		return r
	}
	r.RunID, r.Started, r.Input, r.Preset = sum.RunID, sum.Started, sum.Input, sum.Preset
	r.Grain, r.TimeZone, r.AsOf, r.Period = string(sum.Grain), sum.TimeZone, sum.AsOf, sum.Period
	if err == nil || sum.Delivery != nil { // published; the delivery may have failed after
		r.Dir = sum.Dir
	}
	r.RowsRead, r.RowsSkipped, r.RowsRejected, r.KPIRows = sum.Read(), sum.Skipped(), sum.Rejected(), sum.KPIRows
	r.Alerts = len(sum.Alerts)
	if d := sum.Delivery; d != nil {
		r.Delivery = "failed"
		if d.Sent {
			r.Delivery = "sent"
		}
	}
	r.Version = sum.Versions.Cxkpi
	return r
}

// appendRunLog appends rec to the run log of outDir, as one write of one
// line, and syncs it.
func appendRunLog(outDir string, rec RunRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("run log: %w", err)
	}
	path := filepath.Join(outDir, RunLogFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("run log: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("run log: append to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("run log: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("run log: close %s: %w", path, err)
	}
	return nil
}

// logRun records rec in the run log of out: appended to RunLogFile in a
// directory, one object under RunLogPrefix in a bucket. The record is
// written even when the run's context has ended, within a minute.
func logRun(ctx context.Context, out string, rec RunRecord) error {
	if !bucket.IsURL(out) {
		return appendRunLog(out, rec)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("run log: %w", err)
	}
	b, err := bucket.Open(ctx, out)
	if err != nil {
		return fmt.Errorf("run log: %w", err)
	}
	defer b.Close()
	key := path.Join(RunLogPrefix, rec.Finished.Format("20060102T150405.000000000Z")+"-"+cmp.Or(rec.RunID, "norun")+".json")
	if err := b.WriteAll(ctx, key, append(line, '\n'), nil); err != nil {
		return fmt.Errorf("run log: write %s: %w", bucket.Join(out, key), err)
	}
	return nil
}
