package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/xitongsys/parquet-go-source/buffer"
	xparquet "github.com/xitongsys/parquet-go/parquet"
	xreader "github.com/xitongsys/parquet-go/reader"
)

// encodeRows writes rows as Parquet, split into batches of the given
// sizes (the rest in a last batch).
func encodeRows(t *testing.T, mem memory.Allocator, rows []kpi.Row, batches ...int) []byte {
	t.Helper()
	var recs []arrow.Record
	for _, n := range batches {
		recs = append(recs, kpi.Record(mem, rows[:n]))
		rows = rows[n:]
	}
	recs = append(recs, kpi.Record(mem, rows))
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	rr, err := array.NewRecordReader(kpi.Schema(), recs)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var buf bytes.Buffer
	if err := EncodeParquet(&buf, rr, mem); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParquetArrowRoundTrip reads the file back with pqarrow and compares
// types and values with the records written.
func TestParquetArrowRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	rows := fixtureRows()
	b := encodeRows(t, mem, rows, 4, 0, 7)

	pf, err := file.NewParquetReader(bytes.NewReader(b), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()

	want := kpi.Record(mem, rows)
	defer want.Release()
	if got := tbl.NumRows(); got != want.NumRows() {
		t.Fatalf("got %d rows, want %d", got, want.NumRows())
	}
	for i, f := range kpi.Schema().Fields() {
		gf := tbl.Schema().Field(i)
		if gf.Name != f.Name || !arrow.TypeEqual(gf.Type, f.Type) || gf.Nullable != f.Nullable {
			t.Errorf("field %d: got %v, want %v", i, gf, f)
			continue
		}
		got, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(got, want.Column(i)) {
			t.Errorf("column %s:\n got %v\nwant %v", f.Name, got, want.Column(i))
		}
		got.Release()
	}
}

// TestParquetIndependentReader reads the file with xitongsys/parquet-go,
// a separate implementation, and checks the footer schema, the column
// metadata and the values.
func TestParquetIndependentReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := fixtureRows()
	b := encodeRows(t, mem, rows, 10)

	pr, err := xreader.NewParquetColumnReader(buffer.NewBufferFileFromBytes(b), 1)
	if err != nil {
		t.Fatal(err)
	}
	footer := pr.Footer
	if footer.GetCreatedBy() != CreatedBy {
		t.Errorf("created_by %q, want %q", footer.GetCreatedBy(), CreatedBy)
	}
	if got := footer.GetNumRows(); got != int64(len(rows)) {
		t.Errorf("footer num_rows %d, want %d", got, len(rows))
	}
	hasArrowSchema := false
	for _, kv := range footer.GetKeyValueMetadata() {
		hasArrowSchema = hasArrowSchema || kv.Key == "ARROW:schema"
	}
	if !hasArrowSchema {
		t.Error("footer has no ARROW:schema metadata")
	}

	// Footer schema: element 0 is the root, then one leaf per field.
	fields := kpi.Schema().Fields()
	elems := footer.GetSchema()
	if len(elems) != len(fields)+1 {
		t.Fatalf("got %d schema elements, want root + %d", len(elems), len(fields))
	}
	for i, f := range fields {
		e := elems[i+1]
		// The reader renames footer elements to Go names; the names in
		// the file are kept as ExName.
		if got := pr.SchemaHandler.GetExName(i + 1); got != f.Name {
			t.Errorf("element %d: name %q, want %q", i+1, got, f.Name)
			continue
		}
		wantRep := xparquet.FieldRepetitionType_REQUIRED
		if f.Nullable {
			wantRep = xparquet.FieldRepetitionType_OPTIONAL
		}
		if e.GetRepetitionType() != wantRep {
			t.Errorf("%s: repetition %v, want %v", f.Name, e.GetRepetitionType(), wantRep)
		}
		lt := e.GetLogicalType()
		switch f.Type.ID() {
		case arrow.TIMESTAMP:
			if e.GetType() != xparquet.Type_INT64 || lt == nil || lt.TIMESTAMP == nil ||
				!lt.TIMESTAMP.IsAdjustedToUTC || lt.TIMESTAMP.Unit == nil || lt.TIMESTAMP.Unit.MICROS == nil {
				t.Errorf("%s: type %v logical %v, want INT64 TIMESTAMP(isAdjustedToUTC=true, MICROS)", f.Name, e.GetType(), lt)
			}
			if e.GetConvertedType() != xparquet.ConvertedType_TIMESTAMP_MICROS {
				t.Errorf("%s: converted type %v, want TIMESTAMP_MICROS", f.Name, e.GetConvertedType())
			}
		case arrow.STRING:
			if e.GetType() != xparquet.Type_BYTE_ARRAY || lt == nil || lt.STRING == nil ||
				e.GetConvertedType() != xparquet.ConvertedType_UTF8 {
				t.Errorf("%s: type %v logical %v converted %v, want BYTE_ARRAY STRING (UTF8)", f.Name, e.GetType(), lt, e.GetConvertedType())
			}
		case arrow.FLOAT64:
			if e.GetType() != xparquet.Type_DOUBLE || lt != nil {
				t.Errorf("%s: type %v logical %v, want plain DOUBLE", f.Name, e.GetType(), lt)
			}
		case arrow.INT64:
			if e.GetType() != xparquet.Type_INT64 {
				t.Errorf("%s: type %v, want INT64", f.Name, e.GetType())
			}
		case arrow.BOOL:
			if e.GetType() != xparquet.Type_BOOLEAN {
				t.Errorf("%s: type %v, want BOOLEAN", f.Name, e.GetType())
			}
		default:
			t.Errorf("%s: Arrow type %v not covered by this test", f.Name, f.Type)
		}
	}
	for _, name := range []string{"value", "numerator", "denominator"} {
		if i := kpi.Schema().FieldIndices(name); len(i) != 1 || !fields[i[0]].Nullable {
			t.Errorf("%s: not a nullable field of the KPI schema", name)
		}
	}

	// Column chunks: zstd, with statistics. The rows fit one row group.
	want := kpi.Record(mem, rows)
	defer want.Release()
	if got := len(footer.GetRowGroups()); got != 1 {
		t.Fatalf("got %d row groups, want 1", got)
	}
	for i, cc := range footer.GetRowGroups()[0].GetColumns() {
		md := cc.GetMetaData()
		name := fields[i].Name
		if md.GetCodec() != xparquet.CompressionCodec_ZSTD {
			t.Errorf("%s: codec %v, want ZSTD", name, md.GetCodec())
		}
		st := md.GetStatistics()
		if st == nil || !st.IsSetNullCount() {
			t.Errorf("%s: statistics %v, want a null count", name, st)
			continue
		}
		nulls := int64(want.Column(i).NullN())
		if st.GetNullCount() != nulls {
			t.Errorf("%s: null count %d, want %d", name, st.GetNullCount(), nulls)
		}
		if nulls < want.NumRows() && (len(st.GetMinValue()) == 0 || len(st.GetMaxValue()) == 0) {
			t.Errorf("%s: statistics lack min or max", name)
		}
	}

	// Values.
	n := int64(len(rows))
	read := func(name string) ([]any, []int32) {
		i := kpi.Schema().FieldIndices(name)[0]
		vals, _, dls, err := pr.ReadColumnByIndex(int64(i), n)
		if err != nil {
			t.Fatalf("column %s: %v", name, err)
		}
		if int64(len(vals)) != n {
			t.Fatalf("column %s: got %d values, want %d", name, len(vals), n)
		}
		return vals, dls
	}
	starts, _ := read("period_start")
	ends, _ := read("period_end")
	metrics, _ := read("metric")
	dimVals, _ := read("dimension_value")
	values, dls := read("value")
	counts, _ := read("n")
	for i, r := range rows {
		if got := starts[i].(int64); got != r.PeriodStart.UnixMicro() {
			t.Errorf("row %d period_start: got %v, want %v", i, time.UnixMicro(got).UTC(), r.PeriodStart)
		}
		if got := ends[i].(int64); got != r.PeriodEnd.UnixMicro() {
			t.Errorf("row %d period_end: got %v, want %v", i, time.UnixMicro(got).UTC(), r.PeriodEnd)
		}
		if metrics[i] != r.Metric || dimVals[i] != r.DimensionValue {
			t.Errorf("row %d: got %v/%v, want %s/%s", i, metrics[i], dimVals[i], r.Metric, r.DimensionValue)
		}
		if r.Value.Valid {
			if v, ok := values[i].(float64); !ok || v != r.Value.V || dls[i] != 1 {
				t.Errorf("row %d value: got %v (definition level %d), want %v", i, values[i], dls[i], r.Value.V)
			}
		} else if values[i] != nil || dls[i] != 0 {
			t.Errorf("row %d value: got %v (definition level %d), want null", i, values[i], dls[i])
		}
		if got := counts[i].(int64); got != r.N {
			t.Errorf("row %d n: got %d, want %d", i, got, r.N)
		}
	}
}

func TestParquetDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := fixtureRows()
	a := encodeRows(t, mem, rows, 5)
	b := encodeRows(t, mem, rows, 5)
	if !bytes.Equal(a, b) {
		t.Fatal("same input gave different bytes")
	}
	if !bytes.HasPrefix(a, []byte("PAR1")) || !bytes.HasSuffix(a, []byte("PAR1")) {
		t.Fatal("output is not framed by PAR1")
	}
	rows[3].N++
	if c := encodeRows(t, mem, rows, 5); bytes.Equal(a, c) {
		t.Fatal("different input gave the same bytes")
	}

	// The file written through WriteParquetRecord holds the same bytes.
	rec := kpi.Record(mem, fixtureRows())
	defer rec.Release()
	dir := t.TempDir()
	for _, name := range []string{"a.parquet", "b.parquet"} {
		if err := WriteParquetRecord(filepath.Join(dir, name), rec); err != nil {
			t.Fatal(err)
		}
	}
	fa, err := os.ReadFile(filepath.Join(dir, "a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.ReadFile(filepath.Join(dir, "b.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fa, fb) {
		t.Error("two files of the same record differ")
	}
	if want := encodeRows(t, mem, fixtureRows()); !bytes.Equal(fa, want) {
		t.Error("WriteParquetRecord and EncodeParquet differ for one record")
	}
}

func TestParquetEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := encodeRows(t, mem, nil)
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if got := pf.NumRows(); got != 0 {
		t.Errorf("got %d rows, want 0", got)
	}
	if got, want := pf.MetaData().Schema.NumColumns(), len(kpi.Schema().Fields()); got != want {
		t.Errorf("got %d columns, want %d", got, want)
	}
}

// closeRecorder is a writer that records a call to Close.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestEncodeParquetLeavesWriterOpen(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := kpi.Record(mem, fixtureRows())
	defer rec.Release()
	var w closeRecorder
	if err := EncodeParquet(&w, newSliceReader(rec.Schema(), nil, rec), mem); err != nil {
		t.Fatal(err)
	}
	if w.closed {
		t.Error("EncodeParquet closed its writer")
	}
	if w.Len() == 0 {
		t.Error("nothing written")
	}
}

// fullWriter takes left bytes, then fails as a full disk does.
type fullWriter struct{ left int }

var errFull = errors.New("no space left on device")

func (w *fullWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errFull
	}
	w.left -= len(p)
	return len(p), nil
}

// TestEncodeParquetFullDisk: a writer that fails at any byte, the first
// included, makes EncodeParquet return its error, never panic (the
// Parquet library panics when the write of its magic number fails).
func TestEncodeParquetFullDisk(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := kpi.Record(mem, fixtureRows())
	defer rec.Release()
	var whole bytes.Buffer
	if err := EncodeParquet(&whole, newSliceReader(rec.Schema(), nil, rec), mem); err != nil {
		t.Fatal(err)
	}
	for _, left := range []int{0, 1, 3, 4, 100, whole.Len() / 2, whole.Len() - 1} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%d bytes free: panic %v", left, p)
				}
			}()
			err := EncodeParquet(&fullWriter{left: left}, newSliceReader(rec.Schema(), nil, rec), mem)
			if !errors.Is(err, errFull) {
				t.Errorf("%d of %d bytes free: error %v, want the writer's", left, whole.Len(), err)
			}
		}()
	}
}

var errSource = errors.New("source failed")

// TestWriteParquetFailure checks that a failing source or a record of the
// wrong schema leaves no file behind.
func TestWriteParquetFailure(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	good := kpi.Record(mem, fixtureRows())
	defer good.Release()
	other := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer other.Release()
	other.Field(0).(*array.Int64Builder).Append(1)
	bad := other.NewRecord()
	defer bad.Release()

	tests := []struct {
		name    string
		r       array.RecordReader
		wantErr error
	}{
		{"source error", newSliceReader(kpi.Schema(), errSource, good), errSource},
		{"wrong schema", newSliceReader(kpi.Schema(), nil, good, bad), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "kpis.parquet")
			err := WriteParquet(path, tc.r)
			if err == nil {
				t.Fatal("got no error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("directory holds %v after a failed write", got)
			}
		})
	}
}

func BenchmarkEncodeParquet(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	var rows []kpi.Row
	for i := range 10_000 {
		r := fixtureRows()[i%len(fixtureRows())]
		r.N = int64(i)
		rows = append(rows, r)
	}
	rec := kpi.Record(mem, rows)
	defer rec.Release()
	b.ReportAllocs()
	for b.Loop() {
		rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := EncodeParquet(&buf, rr, mem); err != nil {
			b.Fatal(err)
		}
		rr.Release()
	}
}

// A table of distinct ids, long enough that a dictionary would fall back
// to plain encoding part way through the column, is written to the same
// bytes every time by WriteParquetUnique. (With a dictionary, the footer
// lists the column's two encodings in map order, so the bytes vary.)
func TestWriteParquetUniqueIsByteIdentical(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "clv", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range 200_000 {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("customer-%09d", i))
		b.Field(1).(*array.Float64Builder).Append(float64(i) * 1.37)
	}
	rec := b.NewRecord()
	defer rec.Release()
	dir := t.TempDir()
	var first []byte
	for i := range 8 {
		path := filepath.Join(dir, fmt.Sprintf("c%d.parquet", i))
		if err := WriteParquetUnique(path, newSliceReader(schema, nil, rec)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("write %d differs from the first", i)
		}
	}
}
