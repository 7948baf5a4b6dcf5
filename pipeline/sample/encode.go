package sample

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// encoder writes rows of cells in one file format.
type encoder interface {
	write(row []cell) error
	// close writes what is buffered and the file's footer, if any.
	close() error
}

// Batches of rows handed to an [asyncEncoder].
const (
	asyncBatchRows = 2048 // rows a batch
	asyncBatches   = 4    // batches a table, in flight or being filled
)

// asyncEncoder hands rows, in batches, to an encoder that runs in its own
// goroutine, so that the tables are encoded while the model draws rows and
// concurrently with each other. Rows keep their order, so the files are
// the same as with the encoder alone. An error of the encoder is returned
// by a later write or by close.
type asyncEncoder struct {
	enc     encoder
	width   int         // cells a row
	cur     []cell      // the batch being filled
	todo    chan []cell // full batches, for the goroutine
	free    chan []cell // batches to fill
	stopped chan struct{}
	done    chan struct{}
	err     error // the encoder's error; read once stopped or done is closed
}

// newAsyncEncoder starts the goroutine that writes rows of width cells
// with enc. The caller must call close.
func newAsyncEncoder(enc encoder, width int) *asyncEncoder {
	a := &asyncEncoder{
		enc:     enc,
		width:   width,
		todo:    make(chan []cell, asyncBatches),
		free:    make(chan []cell, asyncBatches),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}
	for range asyncBatches - 1 {
		a.free <- make([]cell, 0, asyncBatchRows*width)
	}
	a.cur = make([]cell, 0, asyncBatchRows*width)
	go a.loop()
	return a
}

func (a *asyncEncoder) loop() {
	defer close(a.done)
	for batch := range a.todo {
		for i := 0; i < len(batch) && a.err == nil; i += a.width {
			if err := a.enc.write(batch[i : i+a.width]); err != nil {
				a.err = err
				close(a.stopped)
			}
		}
		a.free <- batch[:0] // after an error too, so that write never blocks for good
	}
}

func (a *asyncEncoder) write(row []cell) error {
	if len(row) != a.width {
		return fmt.Errorf("sample: a row of %d cells for an encoder of %d", len(row), a.width)
	}
	a.cur = append(a.cur, row...)
	if len(a.cur) < asyncBatchRows*a.width {
		return nil
	}
	a.todo <- a.cur
	a.cur = <-a.free
	select {
	case <-a.stopped:
		return a.err
	default:
		return nil
	}
}

// close writes the rows still in the batch being filled, waits for the
// goroutine and closes the encoder.
func (a *asyncEncoder) close() error {
	if len(a.cur) > 0 {
		a.todo <- a.cur
		a.cur = nil
	}
	close(a.todo)
	<-a.done
	err := a.enc.close()
	if a.err != nil {
		err = a.err
	}
	return err
}

// atomicFile is an output file written under a temporary name in its final
// directory and renamed into place by commit, so that readers never see a
// partial file.
type atomicFile struct {
	f     *os.File
	final string
}

func createAtomic(dir, name string) (*atomicFile, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &atomicFile{f: f, final: filepath.Join(dir, name)}, nil
}

// commit makes the file durable and renames it to its final name.
func (a *atomicFile) commit() error {
	err := a.f.Chmod(0o644)
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.final)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("write %s: %w", filepath.Base(a.final), err)
	}
	return nil
}

// abort removes the temporary file.
func (a *atomicFile) abort() {
	a.f.Close()
	os.Remove(a.f.Name())
}

// csvEncoder writes RFC 4180 CSV with a header line, "\n" line endings,
// times in RFC 3339 UTC and an empty field for a missing value.
type csvEncoder struct {
	w   *bufio.Writer
	buf []byte
}

func newCSVEncoder(f *os.File, spec ingest.Spec) (*csvEncoder, error) {
	e := &csvEncoder{w: bufio.NewWriterSize(f, 256<<10), buf: make([]byte, 0, 512)}
	for i, c := range spec.Columns {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendCSVText(e.buf, c.Name)
	}
	e.buf = append(e.buf, '\n')
	if _, err := e.w.Write(e.buf); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *csvEncoder) write(row []cell) error {
	b := e.buf[:0]
	for i := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCell(b, &row[i])
	}
	b = append(b, '\n')
	e.buf = b
	_, err := e.w.Write(b)
	return err
}

func (e *csvEncoder) close() error { return e.w.Flush() }

// parquetBatchRows is the number of rows per record batch, and so per row
// group, of a Parquet file.
const parquetBatchRows = 1 << 17

// parquetEncoder writes record batches of the table's contract schema
// ([ingest.Spec.Schema]) to a Parquet file, Snappy-compressed.
type parquetEncoder struct {
	w     *bufio.Writer
	b     *array.RecordBuilder
	fw    *pqarrow.FileWriter
	n     int
	idbuf []byte
}

func newParquetEncoder(f *os.File, spec ingest.Spec, mem memory.Allocator) (*parquetEncoder, error) {
	schema := spec.Schema()
	w := bufio.NewWriterSize(f, 1<<20)
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithCreatedBy("cxkpi sample"),
		parquet.WithMaxRowGroupLength(parquetBatchRows),
		parquet.WithDictionaryDefault(false),
	}
	for _, c := range spec.Columns {
		if lowCardinality(c) {
			opts = append(opts, parquet.WithDictionaryFor(c.Name, true))
		}
	}
	props := parquet.NewWriterProperties(opts...)
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem), pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, err
	}
	return &parquetEncoder{w: w, b: array.NewRecordBuilder(mem, schema), fw: fw}, nil
}

// lowCardinality reports whether the generated values of column c come from
// a small set, so that dictionary encoding pays: enums, labels such as team
// or platform, agents, small integers. Identifiers, times and amounts are
// mostly unique.
func lowCardinality(c ingest.Column) bool {
	switch c.Kind {
	case ingest.Enum, ingest.Int:
		return true
	case ingest.String:
		return c.Name == "agent_id" || !strings.HasSuffix(c.Name, "_id")
	}
	return false
}

func (e *parquetEncoder) write(row []cell) error {
	for i := range row {
		c := &row[i]
		f := e.b.Field(i)
		switch c.kind {
		case cellNull:
			f.AppendNull()
			continue
		case cellText:
			if sb, ok := f.(*array.StringBuilder); ok {
				sb.Append(c.s)
				continue
			}
		case cellID:
			if sb, ok := f.(*array.StringBuilder); ok {
				e.idbuf = appendID(e.idbuf[:0], c)
				sb.BinaryBuilder.Append(e.idbuf)
				continue
			}
		case cellTime:
			if tb, ok := f.(*array.TimestampBuilder); ok {
				tb.Append(arrow.Timestamp(c.n * 1_000_000))
				continue
			}
		case cellFloat:
			if fb, ok := f.(*array.Float64Builder); ok {
				fb.Append(c.float())
				continue
			}
		case cellInt:
			if ib, ok := f.(*array.Int64Builder); ok {
				ib.Append(c.n)
				continue
			}
		case cellBool:
			if bb, ok := f.(*array.BooleanBuilder); ok {
				bb.Append(c.b)
				continue
			}
		}
		return fmt.Errorf("sample: a %s cell cannot go in Parquet column %s", cellName(c.kind), f.Type())
	}
	e.n++
	if e.n == parquetBatchRows {
		return e.flush()
	}
	return nil
}

// flush writes the rows built so far as one record batch.
func (e *parquetEncoder) flush() error {
	if e.n == 0 {
		return nil
	}
	rec := e.b.NewRecord()
	defer rec.Release()
	e.n = 0
	return e.fw.Write(rec)
}

func (e *parquetEncoder) close() error {
	err := e.flush()
	e.b.Release()
	if cerr := e.fw.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = e.w.Flush()
	}
	return err
}
