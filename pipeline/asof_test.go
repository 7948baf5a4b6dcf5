package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TestModelTablesCarryAsOf: every model table ends with as_of, the run's
// as-of instant, on every row, so that snapshots globbed across runs can
// be told apart.
func TestModelTablesCarryAsOf(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.Cohorts.ByChannel = true
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CohortFile, BracketFile, ChannelCohortFile, CustomerFile, ModelFitFile, DiagnosticsFile} {
		tbl := readParquet(t, filepath.Join(sum.Dir, name))
		f := tbl.Schema().Field(int(tbl.NumCols()) - 1)
		if f.Name != "as_of" || !arrow.TypeEqual(f.Type, asOfField.Type) || f.Nullable {
			t.Errorf("%s: last column %s %s (nullable %v), want as_of %s", name, f.Name, f.Type, f.Nullable, asOfField.Type)
			tbl.Release()
			continue
		}
		if tbl.NumRows() == 0 && name != ChannelCohortFile {
			t.Errorf("%s: no rows", name)
		}
		for _, chunk := range tbl.Column(int(tbl.NumCols()) - 1).Data().Chunks() {
			ts := chunk.(*array.Timestamp)
			for i := range ts.Len() {
				if got := time.UnixMicro(int64(ts.Value(i))).UTC(); ts.IsNull(i) || !got.Equal(sum.AsOf) {
					t.Fatalf("%s: as_of %v, want %v", name, got, sum.AsOf)
				}
			}
		}
		tbl.Release()
	}
}

// TestAsOfReader: the reader adds the column to each record and
// releases what it holds.
func TestAsOfReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var recs []arrow.Record
	for n := range 3 {
		b := array.NewRecordBuilder(mem, sc)
		for i := range n {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
		}
		recs = append(recs, b.NewRecord())
		b.Release()
	}
	inner, err := array.NewRecordReader(sc, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	at := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	r := newAsOfReader(mem, inner, at)
	defer r.Release()
	rows := 0
	for r.Next() {
		rec := r.Record()
		if rec.NumCols() != 2 || rec.Schema().Field(1).Name != "as_of" || !rec.Schema().Equal(r.Schema()) {
			t.Fatalf("record schema %s", rec.Schema())
		}
		ts := rec.Column(1).(*array.Timestamp)
		for i := range ts.Len() {
			if ts.Value(i) != arrow.Timestamp(at.UnixMicro()) {
				t.Errorf("as_of %d, want %d", ts.Value(i), at.UnixMicro())
			}
		}
		rows += int(rec.NumRows())
	}
	if rows != 3 {
		t.Errorf("%d rows, want 3", rows)
	}
}
