package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// source reads the rows of one file.
type source interface {
	// next reads the next row into raws, one value per contract column,
	// and returns the line (Parquet: row number) where the row starts.
	// A *rowError means the row cannot be read: it is rejected and
	// reading goes on. io.EOF ends the file; any other error ends the
	// read.
	next(raws []rawValue) (line int, err error)
	// raw renders the row last returned by next, for the quarantine.
	raw() string
	close() error
}

// openSource opens one file of a table and checks its header against the
// plan.
func openSource(ctx context.Context, fsys fs.FS, in inputFile, p *plan, mem memory.Allocator) (source, error) {
	switch in.format {
	case FormatCSV:
		return newCSVSource(fsys, in.name, p)
	case FormatJSONL:
		return newJSONLSource(fsys, in.name, p)
	case FormatParquet:
		return newParquetSource(ctx, fsys, in.name, p, mem)
	}
	return nil, fmt.Errorf("ingest: %s: unknown format %q", in.name, in.format)
}

// Reader streams the rows of one table's exports as Arrow record batches
// that follow the table's contract. Rows that break the contract are
// handed to [Options.Reject] (or, in strict mode, end the read). It has
// the shape of arrio.Reader.
type Reader struct {
	ctx    context.Context
	fsys   fs.FS
	table  Table
	mem    memory.Allocator
	opt    Options
	plan   *plan
	schema *arrow.Schema
	files  []inputFile

	next   int    // index of the next file to open
	cur    int    // index of the open file
	src    source // nil between files
	atFile Counts // counts when the open file started

	bld   *array.RecordBuilder
	out   []columnBuilder
	raws  []rawValue
	cells []cell

	keys   map[KeyHash]keyPos // digests of the keys read so far
	hasher KeyHasher
	keyBuf []byte

	counts Counts
	err    error // sticky: io.EOF or the error that ended the read
}

// columnBuilder is the typed builder of one contract column.
type columnBuilder struct {
	kind Kind
	str  *array.StringBuilder
	i64  *array.Int64Builder
	ts   *array.TimestampBuilder
	f64  *array.Float64Builder
	bool *array.BooleanBuilder
}

// Open prepares to read table t from fsys. It resolves the table's files,
// checks the mapping and every file's header, and reads nothing else yet.
//
// The error wraps [ErrNoInput] when the table has no file at all (every
// table is optional); a mapped file that is missing or unreadable is an
// error naming its path; a file whose header lacks a required contract
// column is an error wrapping [ErrMissingColumn] naming the file, the
// contract column and the source column it was looked up as.
func Open(ctx context.Context, fsys fs.FS, t Table, mem memory.Allocator, opt Options) (*Reader, error) {
	spec, err := SpecOf(t)
	if err != nil {
		return nil, err
	}
	if err := opt.ensureDefaults(); err != nil {
		return nil, err
	}
	p, err := compile(spec, opt.Mapping, opt.Location)
	if err != nil {
		var me *MappingError
		if errors.As(err, &me) {
			return nil, fmt.Errorf("ingest: mapping of %s: %w", t, err)
		}
		return nil, err
	}
	files, err := resolve(fsys, t, p)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src, err := openSource(ctx, fsys, f, p, mem)
		if err != nil {
			return nil, err
		}
		if err := src.close(); err != nil {
			return nil, fmt.Errorf("ingest: %s: %w", f.name, err)
		}
	}
	r := &Reader{
		ctx: ctx, fsys: fsys, table: t, mem: mem, opt: opt, plan: p,
		schema: spec.Schema(), files: files,
		raws:  make([]rawValue, len(spec.Columns)),
		cells: make([]cell, len(spec.Columns)),
		keys:  map[KeyHash]keyPos{}, hasher: NewKeyHasher(),
	}
	r.bld = array.NewRecordBuilder(mem, r.schema)
	r.out = make([]columnBuilder, len(spec.Columns))
	for i, c := range spec.Columns {
		cb := columnBuilder{kind: c.Kind}
		switch b := r.bld.Field(i).(type) {
		case *array.StringBuilder:
			cb.str = b
		case *array.Int64Builder:
			cb.i64 = b
		case *array.TimestampBuilder:
			cb.ts = b
		case *array.Float64Builder:
			cb.f64 = b
		case *array.BooleanBuilder:
			cb.bool = b
		default:
			r.bld.Release()
			return nil, fmt.Errorf("ingest: column %s has unexpected builder %T", c.Name, b)
		}
		r.out[i] = cb
	}
	return r, nil
}

// Schema returns the schema of the record batches: the table's contract,
// SpecOf(t).Schema().
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Counts returns the rows read, accepted and rejected so far.
func (r *Reader) Counts() Counts { return r.counts }

// cancelEvery is how many rows a batch may read between checks of the
// context, for batches that take long because most rows are rejected.
const cancelEvery = 1 << 16

// Read returns the next record batch, which the caller releases. It
// returns io.EOF after the last batch. The context given to [Open] is
// checked before each batch, and within a batch every 65536 rows read.
func (r *Reader) Read() (arrow.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.ctx.Err(); err != nil {
		return nil, r.fail(err)
	}
	r.bld.Reserve(r.opt.BatchSize)
	n := 0
	for n < r.opt.BatchSize {
		if r.src == nil {
			if r.next == len(r.files) {
				break
			}
			if err := r.openNext(); err != nil {
				return nil, r.fail(err)
			}
		}
		line, err := r.src.next(r.raws)
		if err == io.EOF {
			if err := r.closeFile(); err != nil {
				return nil, r.fail(err)
			}
			continue
		}
		var re *rowError
		if err != nil && !errors.As(err, &re) {
			return nil, r.fail(fmt.Errorf("ingest: read %s: %w", r.files[r.cur].name, err))
		}
		r.counts.Read++
		if r.counts.Read%cancelEvery == 0 {
			if err := r.ctx.Err(); err != nil {
				return nil, r.fail(err)
			}
		}
		if re == nil {
			re = r.plan.convert(r.raws, r.cells)
		}
		if re == nil {
			re = r.checkKey(line)
		}
		if re != nil {
			if err := r.reject(line, re); err != nil {
				return nil, r.fail(err)
			}
			continue
		}
		r.appendRow()
		r.counts.Accepted++
		n++
	}
	if n == 0 {
		r.err = io.EOF
		return nil, io.EOF
	}
	return r.bld.NewRecord(), nil
}

// Close releases the reader's resources. It does not release batches
// already returned.
func (r *Reader) Close() error {
	var err error
	if r.src != nil {
		err = r.src.close()
		r.src = nil
	}
	if r.bld != nil {
		r.bld.Release()
		r.bld = nil
	}
	if r.err == nil {
		r.err = errors.New("ingest: reader closed")
	}
	return err
}

func (r *Reader) fail(err error) error {
	r.err = err
	if r.src != nil {
		r.src.close()
		r.src = nil
	}
	return err
}

func (r *Reader) openNext() error {
	f := r.files[r.next]
	src, err := openSource(r.ctx, r.fsys, f, r.plan, r.mem)
	if err != nil {
		return err
	}
	r.src, r.cur, r.atFile = src, r.next, r.counts
	r.next++
	return nil
}

func (r *Reader) closeFile() error {
	err := r.src.close()
	r.src = nil
	f := r.files[r.cur]
	r.opt.Logger.Info("ingest: file read", "table", string(r.table), "file", f.name, "format", f.format,
		"rows", r.counts.Read-r.atFile.Read, "rejected", r.counts.Rejected-r.atFile.Rejected)
	if err != nil {
		return fmt.Errorf("ingest: close %s: %w", f.name, err)
	}
	return nil
}

// checkKey rejects a row whose key was seen before, in any file of the
// table, and remembers the key of a row that passes.
func (r *Reader) checkKey(line int) *rowError {
	if len(r.plan.key) == 0 {
		return nil
	}
	r.keyBuf = appendKey(r.keyBuf[:0], r.plan.key, r.cells)
	h := r.hasher.Bytes(r.keyBuf)
	if pos, ok := r.keys[h]; ok {
		return &rowError{col: -1, err: reasonf(ErrDuplicateKey, "duplicate key %s (first at %s:%d)",
			describeKey(r.plan, r.cells), r.files[pos.file()].name, pos.line())}
	}
	r.keys[h] = newKeyPos(r.cur, line)
	return nil
}

// reject quarantines one row, or in strict mode turns it into the
// *ParseError that ends the read.
func (r *Reader) reject(line int, re *rowError) error {
	r.counts.Rejected++
	f := r.files[r.cur].name
	var field string
	col := re.srcCol
	if re.col >= 0 {
		field = r.plan.cols[re.col].Name
		if col == 0 {
			col = r.raws[re.col].col
		}
	}
	if r.opt.Strict {
		return &ParseError{File: f, Line: line, Column: col, Field: field, Err: re.err}
	}
	rej := Rejection{
		Table: r.table, File: f, Line: line, Column: col, Field: field,
		Reason: re.err.Error(), Raw: r.src.raw(), Err: re.err,
	}
	if err := r.opt.Reject(rej); err != nil {
		return fmt.Errorf("ingest: quarantine row %s:%d: %w", f, line, err)
	}
	return nil
}

// appendRow appends the converted row to the batch.
func (r *Reader) appendRow() {
	for i := range r.out {
		b, c := &r.out[i], &r.cells[i]
		switch b.kind {
		case String, Enum:
			if c.valid {
				b.str.Append(c.s)
			} else {
				b.str.AppendNull()
			}
		case Int:
			if c.valid {
				b.i64.Append(c.i)
			} else {
				b.i64.AppendNull()
			}
		case Time:
			if c.valid {
				b.ts.Append(arrow.Timestamp(c.i))
			} else {
				b.ts.AppendNull()
			}
		case Float:
			if c.valid {
				b.f64.Append(c.f)
			} else {
				b.f64.AppendNull()
			}
		case Bool:
			if c.valid {
				b.bool.Append(c.b)
			} else {
				b.bool.AppendNull()
			}
		}
	}
}
