package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// HistoryFile is the latest full history of a grain's KPIs: the whole
// series, from the first period with data up to the latest period run,
// kept beside the period directories as <grain dir>/_kpis_history.parquet.
// It is named so that no glob of the partitions (grain=*/period=*/...,
// **/kpis.parquet) picks it up, and Spark, Hive and Arrow datasets skip
// it by its leading underscore (docs/outputs.md, "Reading every run").
const HistoryFile = "_kpis_history.parquet"

// GrainDir returns the directory, relative to the output and
// slash-separated, that holds the runs of grain g: grain=month.
func GrainDir(g kpi.Grain) string { return "grain=" + string(g) }

// PeriodDir returns the directory, relative to the output and
// slash-separated, of the run of period (a label of [kpi.Calendar.Label])
// at grain g: grain=month/period=2026-10. Each period's KPI rows are
// written once, there, so that a folder connector reads the partitions
// grain=*/period=*/kpis.parquet as one fact table.
func PeriodDir(g kpi.Grain, period string) string {
	return GrainDir(g) + "/period=" + period
}

// periodRows returns the rows of rows whose period starts at start: those
// of the report period, which kpis.parquet holds. Their previous values
// and changes were computed over the whole series.
func periodRows(rows []kpi.Row, start time.Time) []kpi.Row {
	var out []kpi.Row
	for _, r := range rows {
		if r.PeriodStart.Equal(start) {
			out = append(out, r)
		}
	}
	return out
}

// latestOf reports whether period is the latest of the period labels
// labels, or later than all of them. The labels of one grain sort in the
// order of their periods (2026-09 < 2026-10, 2026-W09 < 2026-W10).
func latestOf(labels []string, period string) bool {
	for _, l := range labels {
		if l > period {
			return false
		}
	}
	return true
}

// periodLabels returns the labels of the period directories
// (period=<label>) in the grain directory dir; none if dir is missing.
func periodLabels(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the periods of %s: %w", dir, err)
	}
	var labels []string
	for _, e := range es {
		if l, ok := strings.CutPrefix(e.Name(), "period="); ok && e.IsDir() {
			labels = append(labels, l)
		}
	}
	return labels, nil
}

// publishHistory moves the history file written at tmp to the grain
// directory grainDir, replacing the previous one in one rename. tmp must
// be on the same file system (the spill directory is).
func publishHistory(tmp, grainDir string) error {
	dst := filepath.Join(grainDir, HistoryFile)
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("publish %s: %w", dst, err)
	}
	return syncDir(grainDir)
}
