package kpi

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// record builds a batch of table t from rows of text cells in contract
// column order; an empty cell is null. Times are RFC 3339.
func record(t testing.TB, mem memory.Allocator, table ingest.Table, rows [][]string) arrow.Record {
	t.Helper()
	spec, err := ingest.SpecOf(table)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(mem, spec.Schema())
	defer b.Release()
	for _, row := range rows {
		if len(row) > len(spec.Columns) {
			t.Fatalf("%s row %v: %d cells, want at most %d", table, row, len(row), len(spec.Columns))
		}
		for j, c := range spec.Columns {
			f := b.Field(j)
			if j >= len(row) || row[j] == "" { // trailing cells left out are empty
				f.AppendNull()
				continue
			}
			switch c.Kind {
			case ingest.Time:
				ts, err := time.Parse(time.RFC3339, row[j])
				if err != nil {
					t.Fatal(err)
				}
				f.(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
			case ingest.Float, ingest.Duration:
				v, err := strconv.ParseFloat(row[j], 64)
				if err != nil {
					t.Fatal(err)
				}
				f.(*array.Float64Builder).Append(v)
			case ingest.Int:
				v, err := strconv.ParseInt(row[j], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				f.(*array.Int64Builder).Append(v)
			case ingest.Bool:
				f.(*array.BooleanBuilder).Append(row[j] == "true")
			default:
				f.(*array.StringBuilder).Append(row[j])
			}
		}
	}
	return b.NewRecord()
}

// input is a hand-made set of exports, fed to an engine table by table.
type input struct {
	tables []ingest.Table
	rows   map[ingest.Table][][]string
}

// compute runs the engine over in, slicing each table into batches of at
// most batch rows. inspect, if not nil, sees the engine after the run.
func compute(t testing.TB, in input, opt Options, batch int, inspect func(*Engine)) []Row {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	feedBatches(t, mem, e, in, batch)
	if inspect != nil {
		inspect(e)
	}
	rows, err := e.Rows()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// feed gives the engine every table of in in one batch each.
func feed(t testing.TB, e *Engine, in input) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	feedBatches(t, mem, e, in, 1<<30)
}

// feedBatches gives the engine every table of in, sliced into batches of
// at most batch rows.
func feedBatches(t testing.TB, mem memory.Allocator, e *Engine, in input, batch int) {
	t.Helper()
	for _, table := range in.tables {
		e.Begin(table)
		rec := record(t, mem, table, in.rows[table])
		for lo := int64(0); lo < rec.NumRows(); lo += int64(batch) {
			part := rec.NewSlice(lo, min(lo+int64(batch), rec.NumRows()))
			if err := e.Add(table, part); err != nil {
				t.Fatal(err)
			}
			part.Release()
		}
		rec.Release()
	}
}

// find returns the row of metric in the period starting at start for the
// given dimension value ("all" for the total).
func find(t testing.TB, rows []Row, metric, start, value string) Row {
	t.Helper()
	at, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Metric == metric && r.PeriodStart.Equal(at) && r.DimensionValue == value {
			return r
		}
	}
	t.Fatalf("no row %s %s %s", metric, start, value)
	return Row{}
}
