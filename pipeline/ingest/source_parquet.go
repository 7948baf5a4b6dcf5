package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// parquetSource reads a Parquet file through pqarrow, one record batch of
// the needed columns at a time. Typed values are handed to the shared
// converter as text (numbers, booleans, strings) or as instants
// (timestamps, dates), so the contract's rules are the same as for CSV.
type parquetSource struct {
	name string
	f    fs.File
	tmp  *os.File // spill copy when f cannot seek
	pf   *file.Reader
	fr   *pqarrow.FileReader
	ra   io.ReaderAt // the file pf reads
	size int64       // of the file, in bytes
	ctx  context.Context

	leaves []int                  // leaf columns read
	cols   []parquetColumn        // per contract column
	rg     int                    // row group rr reads; -1 before the first
	rgRows int64                  // rows rr has returned
	rr     pqarrow.RecordReader   // reads row group rg; nil between row groups
	rec    arrow.Record           // current batch, owned by rr
	get    []func(j int) rawValue // per contract column: reads row j of rec; nil when the file lacks the column
	row    int                    // next row of rec
	num    int                    // rows read so far
}

// parquetColumn locates one contract column in the file.
type parquetColumn struct {
	field int    // index in the record reader's schema, or -1
	col   int    // 1-based field index in the file's schema
	name  string // field name in the file
}

func newParquetSource(ctx context.Context, fsys fs.FS, name string, p *plan, mem memory.Allocator) (_ *parquetSource, err error) {
	f, err := openFile(ctx, fsys, name)
	if err != nil {
		return nil, fmt.Errorf("ingest: open %s: %w", name, err)
	}
	s := &parquetSource{name: name, f: f, ctx: ctx, rg: -1}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	defer recoverParquet(name, &err) // runs first: a panic becomes err, and the file is closed
	ras, ok := f.(parquet.ReaderAtSeeker)
	if !ok {
		// Parquet keeps its index at the end of the file: without random
		// access, spill the file to a temporary one rather than memory.
		if s.tmp, err = spill(f); err != nil {
			return nil, fmt.Errorf("ingest: read %s: %w", name, err)
		}
		ras = s.tmp
	}
	if s.size, err = ras.Seek(0, io.SeekEnd); err != nil {
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	s.ra = ras
	s.pf, err = file.NewParquetReader(ras, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	if err := checkFooter(s.pf, s.size); err != nil {
		return nil, fmt.Errorf("ingest: read %s: damaged Parquet file: %w", name, err)
	}
	fr, err := pqarrow.NewFileReader(s.pf, pqarrow.ArrowReadProperties{BatchSize: DefaultBatchSize}, mem)
	if err != nil {
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	s.fr = fr
	sc, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	names := make([]string, sc.NumFields())
	for i, fd := range sc.Fields() {
		names[i] = fd.Name
	}
	index, err := matchColumns(name, p, names)
	if err != nil {
		return nil, err
	}
	var leaves []int
	s.cols = make([]parquetColumn, len(p.cols))
	for i, fi := range index {
		s.cols[i] = parquetColumn{field: -1}
		if fi < 0 {
			continue
		}
		fd := sc.Field(fi)
		sf := fr.Manifest.Fields[fi]
		if !sf.IsLeaf() || !supportedType(fd.Type) {
			return nil, fmt.Errorf("ingest: %s: column %q (for %s) has unsupported type %v", name, fd.Name, p.cols[i].Name, fd.Type)
		}
		s.cols[i] = parquetColumn{field: -1, col: fi + 1, name: fd.Name}
		leaves = append(leaves, sf.ColIndex)
	}
	if len(leaves) == 0 {
		// Nothing to read but the number of rows: read the first column.
		leaves = []int{0}
	}
	if fr.ParquetReader().MetaData().Schema.NumColumns() == 0 {
		return nil, fmt.Errorf("ingest: %s: file has no columns", name)
	}
	s.leaves = leaves
	return s, nil
}

// nextRowGroup checks the pages of the next row group and starts reading
// it; it returns io.EOF after the last one.
func (s *parquetSource) nextRowGroup() error {
	s.rg++
	s.rgRows = 0
	if s.rg >= s.pf.NumRowGroups() {
		return io.EOF
	}
	if err := checkRowGroup(s.pf, s.ra, s.size, s.rg, s.leaves); err != nil {
		return fmt.Errorf("damaged Parquet file: %w", err)
	}
	rr, err := s.fr.GetRecordReader(s.ctx, s.leaves, []int{s.rg})
	if err != nil {
		return fmt.Errorf("row group %d: %w", s.rg, err)
	}
	s.rr = rr
	if s.rg > 0 {
		return nil // every row group has the same schema; decoders read s.cols
	}
	for i := range s.cols {
		if s.cols[i].col > 0 {
			idx := rr.Schema().FieldIndices(s.cols[i].name)
			if len(idx) == 0 {
				return fmt.Errorf("column %q not read", s.cols[i].name)
			}
			s.cols[i].field = idx[0]
		}
	}
	return nil
}

// nextBatch makes the next batch of the file current, checking at the end
// of each row group that it gave the rows its footer promises; it returns
// io.EOF after the last one.
func (s *parquetSource) nextBatch() (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("damaged Parquet file: row group %d: %v", s.rg, v)
		}
	}()
	for {
		if s.rr == nil {
			if err := s.nextRowGroup(); err != nil {
				return err
			}
		}
		rec, err := s.rr.Read()
		if err == nil && rec.NumRows() > 0 {
			s.rec, s.row = rec, 0
			s.rgRows += rec.NumRows()
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("damaged Parquet file: row group %d: %w", s.rg, err)
		}
		if want := s.pf.MetaData().RowGroup(s.rg).NumRows(); s.rgRows != want {
			return fmt.Errorf("damaged Parquet file: row group %d: read %d rows, the footer says %d", s.rg, s.rgRows, want)
		}
		s.rr.Release()
		s.rr = nil
	}
}

// recoverParquet turns a panic of the Parquet library on a damaged file
// into an error, naming the file unless name is "".
func recoverParquet(name string, err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("damaged Parquet file: %v", v)
		if name != "" {
			*err = fmt.Errorf("ingest: read %s: %w", name, *err)
		}
	}
}

// spill copies r into a temporary file, positioned at its start.
func spill(r io.Reader) (*os.File, error) {
	tmp, err := os.CreateTemp("", "cxkpi-ingest-*.parquet")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

func supportedType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.NULL,
		arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64, arrow.DECIMAL128:
		return true
	case arrow.DICTIONARY:
		return supportedType(dt.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// read hands on rows of the batches the record reader decodes; the
// chunk keeps each batch its rows come from. The decoder reads the values.
func (s *parquetSource) read(c *chunk, max int) (err error) {
	defer recoverParquet("", &err) // the reader names the file
	for len(c.rows) < max {
		for s.rec == nil || s.row >= int(s.rec.NumRows()) {
			s.rec = nil
			if err := s.nextBatch(); err != nil {
				return err // io.EOF at the end
			}
			rec := s.rec
			s.get = make([]func(int) rawValue, len(s.cols))
			for i, c := range s.cols {
				if c.field >= 0 {
					s.get[i] = getter(rec.Column(c.field))
				}
			}
		}
		if n := len(c.batches); n == 0 || c.batches[n-1].rec != s.rec {
			s.rec.Retain()
			c.batches = append(c.batches, parquetBatch{first: len(c.rows), row: s.row, rec: s.rec, get: s.get})
		}
		n := min(max-len(c.rows), int(s.rec.NumRows())-s.row)
		for range n {
			s.num++
			c.rows = append(c.rows, chunkRow{line: s.num})
		}
		s.row += n
	}
	return nil
}

// parquetBatch is the part of a chunk's rows that comes from one batch of
// a Parquet file.
type parquetBatch struct {
	first int                    // index in the chunk of its first row
	row   int                    // index of that row in rec
	rec   arrow.Record           // retained by the chunk
	get   []func(j int) rawValue // per contract column: reads row j of rec; nil when the file lacks the column
}

func (s *parquetSource) decoder() decoder {
	return &parquetDecoder{name: s.name, cols: s.cols}
}

// parquetDecoder reads a row's values from the batch it is in.
type parquetDecoder struct {
	name string
	cols []parquetColumn // read only
}

// at returns the batch of row i of c and the row's index in it.
func (d *parquetDecoder) at(c *chunk, i int) (*parquetBatch, int) {
	k := len(c.batches) - 1
	for c.batches[k].first > i {
		k--
	}
	b := &c.batches[k]
	return b, b.row + i - b.first
}

// decode reads the values of a row. A damaged file can make the Parquet
// library's arrays panic: that ends the read, with an error naming the
// file.
func (d *parquetDecoder) decode(c *chunk, i int, raws []rawValue) (err error) {
	defer recoverParquet(d.name, &err)
	b, j := d.at(c, i)
	for k, col := range d.cols {
		if b.get[k] == nil {
			raws[k] = rawValue{}
			continue
		}
		v := b.get[k](j)
		v.col = col.col
		raws[k] = v
	}
	return nil
}

// raw renders the fields read as a JSON-like object.
func (d *parquetDecoder) raw(c *chunk, i int) string {
	b, j := d.at(c, i)
	var sb strings.Builder
	sb.WriteByte('{')
	first := true
	for k, col := range d.cols {
		if b.get[k] == nil {
			continue
		}
		if !first {
			sb.WriteString(", ")
		}
		first = false
		sb.WriteString(strconv.Quote(col.name))
		sb.WriteString(": ")
		switch r := b.get[k](j); r.kind {
		case rawNull:
			sb.WriteString("null")
		case rawInstant:
			sb.WriteString(formatTime(r.i))
		case rawWall:
			sb.WriteString(strings.TrimSuffix(formatTime(r.i), "Z"))
		default:
			sb.WriteString(strconv.Quote(r.text))
		}
	}
	sb.WriteByte('}')
	return sb.String()
}

// getter returns a function reading row j of arr as a raw value. Strings
// alias arr's memory, which stays valid until the next batch.
func getter(arr arrow.Array) func(j int) rawValue {
	text := func(f func(j int) string) func(j int) rawValue {
		return func(j int) rawValue {
			if arr.IsNull(j) {
				return rawValue{kind: rawNull}
			}
			return rawValue{kind: rawText, text: f(j)}
		}
	}
	switch a := arr.(type) {
	case *array.String:
		return text(a.Value)
	case *array.LargeString:
		return text(a.Value)
	case *array.Binary:
		return text(a.ValueString)
	case *array.LargeBinary:
		return text(func(j int) string { return string(a.Value(j)) })
	case *array.Int8:
		return text(func(j int) string { return strconv.FormatInt(int64(a.Value(j)), 10) })
	case *array.Int16:
		return text(func(j int) string { return strconv.FormatInt(int64(a.Value(j)), 10) })
	case *array.Int32:
		return text(func(j int) string { return strconv.FormatInt(int64(a.Value(j)), 10) })
	case *array.Int64:
		return text(func(j int) string { return strconv.FormatInt(a.Value(j), 10) })
	case *array.Uint8:
		return text(func(j int) string { return strconv.FormatUint(uint64(a.Value(j)), 10) })
	case *array.Uint16:
		return text(func(j int) string { return strconv.FormatUint(uint64(a.Value(j)), 10) })
	case *array.Uint32:
		return text(func(j int) string { return strconv.FormatUint(uint64(a.Value(j)), 10) })
	case *array.Uint64:
		return text(func(j int) string { return strconv.FormatUint(a.Value(j), 10) })
	case *array.Float32:
		return text(func(j int) string { return strconv.FormatFloat(float64(a.Value(j)), 'g', -1, 32) })
	case *array.Float64:
		return text(func(j int) string { return strconv.FormatFloat(a.Value(j), 'g', -1, 64) })
	case *array.Boolean:
		return text(func(j int) string { return strconv.FormatBool(a.Value(j)) })
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return text(func(j int) string { return a.Value(j).ToString(scale) })
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		kind := rawInstant
		if tt.TimeZone == "" {
			kind = rawWall // a local date and time, to be read in the table's zone
		}
		return instantGetter(arr, kind, func(j int) (int64, bool) { return toMicros(int64(a.Value(j)), tt.Unit) })
	case *array.Date32:
		return instantGetter(arr, rawWall, func(j int) (int64, bool) { return int64(a.Value(j)) * 86_400_000_000, true })
	case *array.Date64:
		return instantGetter(arr, rawWall, func(j int) (int64, bool) { return toMicros(int64(a.Value(j)), arrow.Millisecond) })
	case *array.Dictionary:
		inner := getter(a.Dictionary())
		return func(j int) rawValue {
			if a.IsNull(j) {
				return rawValue{kind: rawNull}
			}
			return inner(a.GetValueIndex(j))
		}
	}
	return func(int) rawValue { return rawValue{kind: rawNull} } // arrow.NULL
}

func instantGetter(arr arrow.Array, kind rawKind, us func(j int) (int64, bool)) func(j int) rawValue {
	return func(j int) rawValue {
		if arr.IsNull(j) {
			return rawValue{kind: rawNull}
		}
		v, ok := us(j)
		if !ok {
			return rawValue{kind: rawInvalid, text: "timestamp out of range"}
		}
		return rawValue{kind: kind, i: v}
	}
}

// toMicros converts a timestamp in unit to microseconds, rounding toward
// the past; ok is false on overflow.
func toMicros(v int64, unit arrow.TimeUnit) (int64, bool) {
	switch unit {
	case arrow.Second:
		if v > math.MaxInt64/1_000_000 || v < math.MinInt64/1_000_000 {
			return 0, false
		}
		return v * 1_000_000, true
	case arrow.Millisecond:
		if v > math.MaxInt64/1000 || v < math.MinInt64/1000 {
			return 0, false
		}
		return v * 1000, true
	case arrow.Nanosecond:
		q := v / 1000
		if v%1000 < 0 {
			q--
		}
		return q, true
	}
	return v, true
}

func (s *parquetSource) close() error {
	var errs []error
	s.rec = nil
	if s.rr != nil {
		s.rr.Release()
		s.rr = nil
	}
	if s.pf != nil {
		errs = append(errs, s.pf.Close()) // closes the file it reads
		s.pf = nil
		if s.tmp != nil {
			errs = append(errs, s.f.Close())
		}
	} else if s.f != nil {
		errs = append(errs, s.f.Close())
		if s.tmp != nil {
			errs = append(errs, s.tmp.Close())
		}
	}
	if s.tmp != nil {
		errs = append(errs, os.Remove(s.tmp.Name()))
		s.tmp = nil
	}
	s.f = nil
	return errors.Join(errs...)
}
