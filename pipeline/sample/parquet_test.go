package sample

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// readParquet reads dir/<table>.parquet, checks its schema against the
// contract and returns its rows as CSV text (floats normalised).
func readParquet(t *testing.T, mem memory.Allocator, dir string, table ingest.Table) [][]string {
	t.Helper()
	spec, err := Spec(table)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, string(table)+".parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 12}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer tbl.Release()
	want := spec.Schema()
	if len(tbl.Schema().Fields()) != len(want.Fields()) {
		t.Fatalf("%s schema\n%s\nwant\n%s", table, tbl.Schema(), want)
	}
	for i, f := range tbl.Schema().Fields() {
		w := want.Field(i)
		if f.Name != w.Name || f.Nullable != w.Nullable || !arrow.TypeEqual(f.Type, w.Type) {
			t.Fatalf("%s column %d: %s, want %s", table, i, f, w)
		}
	}
	rows := make([][]string, tbl.NumRows())
	for i := range rows {
		rows[i] = make([]string, tbl.NumCols())
	}
	for j := range int(tbl.NumCols()) {
		row := 0
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			for k := range chunk.Len() {
				rows[row][j] = parquetText(chunk, k)
				row++
			}
		}
	}
	return rows
}

func parquetText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format(time.RFC3339)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'f', -1, 64)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	}
	return "?" + a.DataType().String()
}

// TestParquetMatchesCSV checks that the Parquet output of a config holds
// the same rows as its CSV output, in the contract's Arrow schema, and
// that writing it leaks no Arrow memory.
func TestParquetMatchesCSV(t *testing.T) {
	cfg := Config{Seed: 11, Customers: 200, Months: 3}
	csvDir, _ := generate(t, cfg)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg.Format, cfg.Mem = Parquet, mem
	pqDir, rows := generate(t, cfg)
	for _, tb := range ingest.Tables() {
		want := readExport(t, csvDir, tb)
		got := readParquet(t, mem, pqDir, tb)
		if int64(len(got)) != rows[string(tb)] || len(got) != len(want.rows) {
			t.Errorf("%s: %d Parquet rows, reported %d, CSV has %d", tb, len(got), rows[string(tb)], len(want.rows))
			continue
		}
		for i, row := range want.rows {
			for j, c := range want.spec.Columns {
				w := row[j]
				if c.Kind == ingest.Float && w != "" {
					f, _ := strconv.ParseFloat(w, 64)
					w = strconv.FormatFloat(f, 'f', -1, 64)
				}
				if got[i][j] != w {
					t.Fatalf("%s row %d %s: Parquet %q, CSV %q", tb, i+1, c.Name, got[i][j], w)
				}
			}
		}
	}
}

// TestParquetBadRows checks that Parquet output only gets the problems its
// typed columns can hold, and that the declared rows hold them.
func TestParquetBadRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg := Config{Seed: 5, Customers: 200, Months: 3, BadRows: 4, Format: Parquet, Mem: mem}
	dir, _ := generate(t, cfg)
	declared, err := ReadBadRows(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(declared), cfg.BadRows*len(ingest.Tables()); got != want {
		t.Errorf("%d bad rows declared, want %d", got, want)
	}
	data := map[string][][]string{}
	for _, d := range declared {
		tb := ingest.Table(d.File[:len(d.File)-len(".parquet")])
		spec, err := Spec(tb)
		if err != nil {
			t.Fatalf("%s: %v", d.File, err)
		}
		if _, ok := data[d.File]; !ok {
			data[d.File] = readParquet(t, mem, dir, tb)
		}
		rows := data[d.File]
		if d.Line < 2 || d.Line > int64(len(rows)) {
			t.Errorf("%s row %d out of range", d.File, d.Line)
			continue
		}
		row := rows[d.Line-1]
		c := spec.Columns[spec.Index(d.Column)]
		switch {
		case c.Name == "score" && tb == ingest.Surveys:
			s, _ := strconv.ParseFloat(row[spec.Index("score")], 64)
			hi, _ := strconv.ParseFloat(row[spec.Index("scale_max")], 64)
			if s <= hi {
				t.Errorf("%s row %d: score %v within scale max %v", d.File, d.Line, s, hi)
			}
		case c.Kind == ingest.Enum:
			if v := row[spec.Index(c.Name)]; slices.Contains(c.Values, v) {
				t.Errorf("%s row %d: %s %q is an allowed value", d.File, d.Line, c.Name, v)
			}
		default: // a duplicate key: the same row as the one before
			prev := rows[d.Line-2]
			for _, k := range spec.Key {
				if row[spec.Index(k)] != prev[spec.Index(k)] {
					t.Errorf("%s row %d (%s): key %s %q, row before %q", d.File, d.Line, d.Problem, k, row[spec.Index(k)], prev[spec.Index(k)])
				}
			}
		}
	}
}

// TestParquetDeterminism checks that Parquet output, too, is byte-identical
// for the same config.
func TestParquetDeterminism(t *testing.T) {
	cfg := Config{Seed: 13, Customers: 100, Months: 2, BadRows: 2, Format: Parquet}
	a, _ := generate(t, cfg)
	b, _ := generate(t, cfg)
	for _, name := range files(t, a) {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs of the same config", name)
		}
	}
}
