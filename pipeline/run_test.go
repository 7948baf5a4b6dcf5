package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

var fixedNow = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)

func testConfig(t *testing.T, input fstest.MapFS) Config {
	t.Helper()
	cfg := Config{
		Input:  input,
		OutDir: t.TempDir(),
		AsOf:   time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), // the fixtures' and the sample's last month
		Now:    func() time.Time { return fixedNow },
		Logger: slog.New(slog.DiscardHandler),
	}
	if input == nil {
		cfg.Input = cxkpi.Sample()
	} else {
		// The small fixtures end early in October: stale by the gate's
		// measure, which has tests of its own (gates_test.go).
		cfg.Gates.AllowStale = true
	}
	return cfg
}

// A small export with known bad rows: line numbers count the header as 1.
const ticketsCSV = `ticket_id,customer_id,channel,created_at,solved_at,status,priority,agent_id,team,is_complaint,reopens
T1,c1,email,2026-10-05T10:00:00Z,,open,,,,,
T2,c1,fax,2026-10-05T10:00:00Z,,open,,,,,
T3,c1,chat,2026-13-45T10:00:00Z,,open,,,,,
T1,c1,chat,2026-10-06T10:00:00Z,,open,,,,,
T4,c1,chat,2026-10-06T10:00:00Z,,open,,,,,
`

const surveysCSV = `response_id,customer_id,ticket_id,kind,score,scale_min,scale_max,responded_at
S1,c1,T1,csat,5,1,5,2026-10-10T00:00:00Z
S2,c1,T1,csat,7,1,5,2026-10-10T00:00:00Z
S3,c1,T4,csat,2,1,5,2026-10-10T00:00:00Z
,c1,T4,csat,2,1,5,2026-10-10T00:00:00Z
`

func badInput() fstest.MapFS {
	return fstest.MapFS{
		"tickets.csv": {Data: []byte(ticketsCSV)},
		"surveys.csv": {Data: []byte(surveysCSV)},
	}
}

func TestQuarantineAndReconcile(t *testing.T) {
	cfg := testConfig(t, badInput())
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range sum.Tables {
		if ts.Read != ts.Accepted+ts.Skipped+ts.Rejected {
			t.Errorf("%s: read %d != accepted %d + skipped %d + rejected %d", ts.Table, ts.Read, ts.Accepted, ts.Skipped, ts.Rejected)
		}
	}
	got := map[ingest.Table][3]int64{}
	for _, ts := range sum.Tables {
		got[ts.Table] = [3]int64{ts.Read, ts.Accepted, ts.Rejected}
	}
	if got[ingest.Tickets] != [3]int64{5, 2, 3} || got[ingest.Surveys] != [3]int64{4, 2, 2} {
		t.Errorf("counts = %v, want tickets 5/2/3 and surveys 4/2/2", got)
	}

	f, err := os.Open(filepath.Join(sum.Dir, QuarantineFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type q struct{ table, file, line, column, field, reason string }
	want := []q{
		{"tickets", "tickets.csv", "3", "3", "channel", `"fax"`},
		{"tickets", "tickets.csv", "4", "4", "created_at", `"2026-13-45T10:00:00Z"`},
		{"tickets", "tickets.csv", "5", "0", "", "duplicate"},
		{"surveys", "surveys.csv", "3", "5", "score", "outside"},
		{"surveys", "surveys.csv", "5", "1", "response_id", "missing"},
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("quarantine has %d rows, want %d:\n%v", len(recs)-1, len(want), recs)
	}
	for i, w := range want {
		r := recs[i+1]
		if r[0] != w.table || r[1] != w.file || r[2] != w.line || r[3] != w.column || r[4] != w.field || !strings.Contains(r[5], w.reason) {
			t.Errorf("quarantine row %d = %q, want %+v", i+1, r, w)
		}
		if r[6] == "" {
			t.Errorf("quarantine row %d has no raw text", i+1)
		}
	}

	// The accepted rows reach the KPIs: CSAT on S1 (5) and S3 (2) = 50 %.
	rows := readKPIs(t, filepath.Join(sum.Dir, KPIFile))
	found := false
	for _, r := range rows {
		if r.metric == "csat" && r.dimension == "all" && r.period.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
			found = true
			if r.value == nil || *r.value != 50 || r.n != 2 {
				t.Errorf("csat = %v (n=%d), want 50 (n=2)", r.value, r.n)
			}
		}
	}
	if !found {
		t.Error("no csat row in kpis.parquet")
	}
}

func TestStrictFailsWithPosition(t *testing.T) {
	cfg := testConfig(t, badInput())
	cfg.Strict = true
	_, err := Run(context.Background(), cfg)
	var pe *ingest.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ingest.ParseError", err)
	}
	if pe.File != "tickets.csv" || pe.Line != 3 || pe.Field != "channel" {
		t.Errorf("error at %s:%d %s, want tickets.csv:3 channel (%v)", pe.File, pe.Line, pe.Field, err)
	}
	if entries := runDirs(t, cfg.OutDir); len(entries) != 0 {
		t.Errorf("a failed run left %d entries in the output directory", len(entries))
	}
}

type kpiRow struct {
	period            time.Time
	metric, dimension string
	dimValue          string
	value             *float64
	n                 int64
	source            string // "" for null
}

// readParquet reads a whole Parquet file with pqarrow; the table is
// released when the test ends.
func readParquet(t *testing.T, path string) arrow.Table {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tbl.Release)
	return tbl
}

// readKPIs reads a KPI Parquet file back with pqarrow.
func readKPIs(t *testing.T, path string) []kpiRow {
	t.Helper()
	tbl := readParquet(t, path)
	got, want := tbl.Schema(), kpi.Schema()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("schema read back:\n%s\nwant:\n%s", got, want)
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) || g.Nullable != f.Nullable {
			t.Errorf("field %d read back as %s %s (nullable %v), want %s %s (nullable %v)", i, g.Name, g.Type, g.Nullable, f.Name, f.Type, f.Nullable)
		}
	}
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	var out []kpiRow
	for tr.Next() {
		rec := tr.Record()
		start := rec.Column(0).(*array.Timestamp)
		metric, dim, dimValue := rec.Column(2).(*array.String), rec.Column(4).(*array.String), rec.Column(5).(*array.String)
		value, n := rec.Column(6).(*array.Float64), rec.Column(9).(*array.Int64)
		source := rec.Column(13).(*array.String)
		for i := range int(rec.NumRows()) {
			r := kpiRow{period: time.UnixMicro(int64(start.Value(i))).UTC(), metric: metric.Value(i), dimension: dim.Value(i), dimValue: dimValue.Value(i), n: n.Value(i)}
			if source.IsValid(i) {
				r.source = source.Value(i)
			}
			if value.IsValid(i) {
				v := value.Value(i)
				r.value = &v
			}
			out = append(out, r)
		}
	}
	return out
}

// readReconciliation reads reconciliation.parquet as text rows: ticket,
// metric, cxkpi and vendor seconds ("null" when missing), reason.
func readReconciliation(t *testing.T, path string) []string {
	t.Helper()
	tbl := readParquet(t, path)
	got, want := tbl.Schema(), kpi.ReconciliationSchema()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("schema read back:\n%s\nwant:\n%s", got, want)
	}
	for i, f := range want.Fields() {
		if g := got.Field(i); g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) || g.Nullable != f.Nullable {
			t.Errorf("field %d read back as %s %s (nullable %v), want %s %s (nullable %v)", i, g.Name, g.Type, g.Nullable, f.Name, f.Type, f.Nullable)
		}
	}
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	num := func(a *array.Float64, i int) string {
		if a.IsNull(i) {
			return "null"
		}
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	}
	var out []string
	for tr.Next() {
		rec := tr.Record()
		id, metric, reason := rec.Column(0).(*array.String), rec.Column(2).(*array.String), rec.Column(6).(*array.String)
		cx, vendor, diff := rec.Column(3).(*array.Float64), rec.Column(4).(*array.Float64), rec.Column(5).(*array.Float64)
		for i := range int(rec.NumRows()) {
			out = append(out, strings.Join([]string{id.Value(i), metric.Value(i), num(cx, i), num(vendor, i), num(diff, i), reason.Value(i)}, " "))
		}
	}
	return out
}

func TestSampleRunEndToEnd(t *testing.T) {
	cfg := testConfig(t, nil)
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfg.OutDir, "grain=month", "period=2026-10"); sum.Period != "2026-10" || sum.Dir != want {
		t.Errorf("period %s in %s, want 2026-10 in %s", sum.Period, sum.Dir, want)
	}
	var rejected int64
	for _, ts := range sum.Tables {
		if !ts.Present || ts.Read == 0 {
			t.Errorf("sample table %s is empty or absent", ts.Table)
		}
		if ts.Read != ts.Accepted+ts.Skipped+ts.Rejected {
			t.Errorf("%s: read %d != accepted %d + skipped %d + rejected %d", ts.Table, ts.Read, ts.Accepted, ts.Skipped, ts.Rejected)
		}
		rejected += ts.Rejected
	}
	if rejected == 0 {
		t.Error("the sample's deliberately bad rows were not rejected")
	}
	b, err := os.ReadFile(filepath.Join(sum.Dir, QuarantineFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := int64(bytes.Count(b, []byte("\n"))) - 1; lines < rejected {
		t.Errorf("quarantine.csv has %d lines for %d rejected rows", lines, rejected)
	}
	for _, name := range []string{CohortFile, CustomerFile, ModelFitFile, QuarantineParquet} {
		n, bad := scanParquet(t, filepath.Join(sum.Dir, name))
		if n == 0 || bad != 0 {
			t.Errorf("%s: %d rows, %d NaN or infinite values; want rows and no NaN", name, n, bad)
		}
	}
	if n, _ := scanParquet(t, filepath.Join(sum.Dir, RunManifestFile)); n != int64(len(ingest.Tables())) {
		t.Errorf("run_manifest.parquet has %d rows, want one per table", n)
	}
	checkFiles(t, sum)
	checkReportText(t, filepath.Join(sum.Dir, ReportFile))
	// The CLV models are fitted on the sample; some signup cohorts are too
	// young or lost nobody, and the notes say how many. Its six months
	// are too few orders to fit the purchase model on a calibration
	// period, so the diagnostics are in-sample, and a note says why.
	for _, n := range sum.ModelNotes {
		if !strings.HasPrefix(n, "sbg: ") && !strings.HasPrefix(n, "clv: diagnostics in-sample: ") {
			t.Errorf("model not fitted on the sample: %s", n)
		}
	}
	for _, name := range []string{KPIFile, ReportFile, ManifestFile} {
		if st, err := os.Stat(filepath.Join(sum.Dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	var back Manifest
	b, err = os.ReadFile(filepath.Join(sum.Dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.KPIRows != sum.KPIRows {
		t.Errorf("manifest.json: %v, kpi_rows %d want %d", err, back.KPIRows, sum.KPIRows)
	}
	rows := readKPIs(t, filepath.Join(sum.Dir, KPIFile))
	if len(rows) != sum.KPIRows {
		t.Errorf("kpis.parquet has %d rows, summary says %d", len(rows), sum.KPIRows)
	}
	for _, r := range rows {
		if r.value != nil && (math.IsNaN(*r.value) || math.IsInf(*r.value, 0)) {
			t.Errorf("%s %s %s = %v", r.metric, r.period, r.dimension, *r.value)
		}
		if r.n == 0 && r.value != nil {
			t.Errorf("%s %s has a value with n = 0", r.metric, r.period)
		}
	}
}

// Rerunning the same input replaces the period's directory with
// byte-identical KPI and report files.
func TestRerunIsIdentical(t *testing.T) {
	cfg := testConfig(t, nil)
	first, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(first.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kpis, pdf := read(KPIFile), read(ReportFile)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(KPIFile), kpis) || !bytes.Equal(read(ReportFile), pdf) {
		t.Error("rerun produced different bytes")
	}
	entries := runDirs(t, cfg.OutDir)
	if len(entries) != 1 {
		t.Errorf("output directory holds %d entries after a rerun, want 1", len(entries))
	}
}

// Checking every table's duplicate keys through files, as large tables
// are, gives the same outputs, rejections and counts as checking them in
// memory, and leaves no file behind.
func TestExternalKeyCheckSameOutputs(t *testing.T) {
	for name, input := range map[string]fstest.MapFS{"bad rows": badInput(), "sample": nil} {
		var files [2]map[string][]byte
		var tables [2][]TableCounts
		for i, above := range []int64{0, -1} {
			cfg := testConfig(t, input)
			cfg.externalKeysAbove = above
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			files[i] = map[string][]byte{}
			for _, f := range []string{KPIFile, QuarantineFile, CohortFile, CustomerFile} {
				b, err := os.ReadFile(filepath.Join(sum.Dir, f))
				if err != nil {
					t.Fatal(err)
				}
				files[i][f] = b
			}
			tables[i] = sum.Tables
			entries := runDirs(t, cfg.OutDir)
			if len(entries) != 1 {
				t.Errorf("%s: the output directory holds %d entries, want the run's only", name, len(entries))
			}
		}
		for f, b := range files[0] {
			if !bytes.Equal(files[1][f], b) {
				t.Errorf("%s: %s differs with the external key check", name, f)
			}
		}
		if !reflect.DeepEqual(tables[0], tables[1]) {
			t.Errorf("%s: table counts differ with the external key check:\n%+v\n%+v", name, tables[0], tables[1])
		}
	}
}

// cancelOnOpen is an input that cancels the run when a given file is
// opened: the run is stopped midway, after some tables were read.
type cancelOnOpen struct {
	fs.FS
	name   string
	cancel context.CancelFunc
}

func (c cancelOnOpen) Open(name string) (fs.File, error) {
	if name == c.name {
		c.cancel()
	}
	return c.FS.Open(name)
}

// A run cancelled midway leaves the previous outputs untouched and nothing
// else, and the next run succeeds.
func TestCancelledRunLeavesNoPartialOutput(t *testing.T) {
	for _, at := range []string{"", "tickets.csv", "orders.csv"} {
		t.Run("cancel at "+at, func(t *testing.T) {
			cfg := testConfig(t, nil)
			first, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(filepath.Join(first.Dir, KPIFile))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if at == "" {
				cancel() // before anything is read
			}
			cfg.Input = cancelOnOpen{FS: cxkpi.Sample(), name: at, cancel: cancel}
			if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			cancel()
			after, err := os.ReadFile(filepath.Join(first.Dir, KPIFile))
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("the previous run's outputs changed: %v", err)
			}
			entries := runDirs(t, cfg.OutDir)
			if len(entries) != 1 {
				t.Errorf("output directory holds %d entries, want only the previous run", len(entries))
			}
			cfg.Input = cxkpi.Sample()
			if _, err := Run(context.Background(), cfg); err != nil {
				t.Errorf("the run after a cancelled one: %v", err)
			}
		})
	}
}

func TestMissingInputTableIsSkipped(t *testing.T) {
	cfg := testConfig(t, fstest.MapFS{"surveys.csv": {Data: []byte(surveysCSV)}})
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readKPIs(t, filepath.Join(sum.Dir, KPIFile)) {
		if strings.HasPrefix(r.metric, "first_reply") || r.metric == "tickets" {
			t.Errorf("metric %s reported without a tickets export", r.metric)
		}
	}
}

// scanParquet reads a Parquet file back and counts its rows and its NaN or
// infinite float values.
func scanParquet(t *testing.T, path string) (rows int64, bad int) {
	t.Helper()
	tbl := readParquet(t, path)
	for i := 0; i < int(tbl.NumCols()); i++ {
		for _, chunk := range tbl.Column(i).Data().Chunks() {
			if f, ok := chunk.(*array.Float64); ok {
				for j, v := range f.Float64Values() {
					if f.IsValid(j) && (math.IsNaN(v) || math.IsInf(v, 0)) {
						bad++
					}
				}
			}
		}
	}
	return tbl.NumRows(), bad
}

// checkFiles compares the manifest's checksums with the files themselves.
func checkFiles(t *testing.T, m *Manifest) {
	t.Helper()
	sample := cxkpi.Sample()
	inputs := map[string]FileInfo{}
	for _, f := range m.Inputs {
		inputs[f.Name] = f
	}
	b, err := fs.ReadFile(sample, "tickets.csv")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := inputs["tickets.csv"]; got.SHA256 != hex.EncodeToString(sum[:]) || got.Bytes != int64(len(b)) {
		t.Errorf("manifest input tickets.csv = %+v, want %d bytes, sha256 %x", got, len(b), sum)
	}
	names := map[string]bool{}
	for _, f := range m.Outputs {
		names[f.Name] = true
		b, err := os.ReadFile(filepath.Join(m.Dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("manifest checksum of %s does not match the file", f.Name)
		}
	}
	for _, want := range []string{KPIFile, ReportFile, QuarantineFile, QuarantineParquet, CohortFile, CustomerFile, ModelFitFile, RunManifestFile} {
		if !names[want] {
			t.Errorf("manifest outputs lack %s", want)
		}
	}
}

// checkReportText reads the report's text with pdftotext, when installed,
// and checks that the model sections were filled from the run.
func checkReportText(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed; report text not checked")
		return
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"Executive summary", "Cohort retention", "May 2026", "Customer lifetime value", "Valuable customers at risk", "Data quality"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
