package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xitongsys/parquet-go-source/buffer"
	xreader "github.com/xitongsys/parquet-go/reader"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// readOtherColumns reads the named columns of the Parquet file path with
// xitongsys/parquet-go, a reader independent of the pqarrow writer; a
// null is "".
func readOtherColumns(t *testing.T, path string, names ...string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := xreader.NewParquetColumnReader(buffer.NewBufferFileFromBytes(b), 1)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer pr.ReadStop()
	n := pr.GetNumRows()
	cols := make([][]string, len(names))
	for c, name := range names {
		idx := -1
		for i := range len(pr.Footer.GetSchema()) - 1 {
			if pr.SchemaHandler.GetExName(i+1) == name {
				idx = i
			}
		}
		if idx < 0 {
			t.Fatalf("%s: no column %s", path, name)
		}
		vals, _, _, err := pr.ReadColumnByIndex(int64(idx), n)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		for _, v := range vals {
			s := ""
			if v != nil {
				s = fmt.Sprint(v)
			}
			cols[c] = append(cols[c], s)
		}
	}
	return cols
}

// A three-month backfill at two grains, in a zone far from UTC, read
// back through one glob over every run and grain by a second Parquet
// reader: every (grain, period, metric, dimension, dimension value)
// appears exactly once, each period label is the reporting zone's, and
// each run wrote its own period's rows only, as many as the history
// holds for it.
func TestBackfillGlobReadsEachRowOnce(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip(err)
	}
	out := t.TempDir()
	runs := map[string]int{} // period directory → the rows its run wrote
	for _, grain := range []kpi.Grain{kpi.Month, kpi.Week} {
		step := 7
		if grain == kpi.Month {
			step = 30
		}
		for d := time.Date(2026, 8, 3, 12, 0, 0, 0, la); d.Before(time.Date(2026, 11, 1, 0, 0, 0, 0, la)); d = d.AddDate(0, 0, step) {
			cfg := testConfig(t, nil)
			cfg.OutDir, cfg.AsOf = out, d
			cfg.KPI.Grain, cfg.KPI.Location = grain, la
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("%s as of %s: %v", grain, d.Format(time.DateOnly), err)
			}
			runs[PeriodDir(grain, sum.Period)] = sum.KPIRows
		}
	}
	files, err := filepath.Glob(filepath.Join(out, "grain=*", "period=*", KPIFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(runs) || len(runs) < 3+12 {
		t.Fatalf("the glob finds %d files for %d runs, want one per run of 3 months and 13 weeks", len(files), len(runs))
	}
	seen := map[string]string{}
	for _, f := range files {
		rel, _ := filepath.Rel(out, filepath.Dir(f))
		grain, label, _ := strings.Cut(filepath.ToSlash(rel), "/")
		grain, label = strings.TrimPrefix(grain, "grain="), strings.TrimPrefix(label, "period=")
		cal, err := kpi.NewCalendar(kpi.Grain(grain), la)
		if err != nil {
			t.Fatal(err)
		}
		cols := readOtherColumns(t, f, "period", "period_start", "metric", "dimension", "dimension_value")
		if got, want := len(cols[0]), runs[filepath.ToSlash(rel)]; got != want || got == 0 {
			t.Errorf("%s: %d rows, want the run's %d", rel, got, want)
		}
		for i := range cols[0] {
			us, err := parseMicros(cols[1][i])
			if err != nil {
				t.Fatalf("%s: period_start %q: %v", rel, cols[1][i], err)
			}
			if want := cal.Label(cal.Number(time.UnixMicro(us))); cols[0][i] != want || cols[0][i] != label {
				t.Errorf("%s row %d: period %q, want %q in the reporting zone and the directory's %q", rel, i, cols[0][i], want, label)
			}
			key := strings.Join([]string{grain, cols[0][i], cols[2][i], cols[3][i], cols[4][i]}, "|")
			if prev, ok := seen[key]; ok {
				t.Errorf("%s appears twice: in %s and %s", key, prev, rel)
			}
			seen[key] = rel
		}
	}
	// The history holds the whole series: as many rows as the partitions
	// of its grain together, and no more (nothing is written twice).
	for _, grain := range []kpi.Grain{kpi.Month, kpi.Week} {
		h := readOtherColumns(t, filepath.Join(out, GrainDir(grain), HistoryFile), "period")
		n := 0
		for dir, rows := range runs {
			if strings.HasPrefix(dir, GrainDir(grain)+"/") {
				n += rows
			}
		}
		if len(h[0]) < n {
			t.Errorf("%s: the history holds %d rows, fewer than the %d of its partitions", grain, len(h[0]), n)
		}
	}
}

// parseMicros reads a timestamp column's value as the reader gives it.
func parseMicros(s string) (int64, error) {
	var us int64
	_, err := fmt.Sscan(s, &us)
	return us, err
}
