package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Reader streams the rows of one table's exports as Arrow record batches
// that follow the table's contract. Rows that break the contract are
// handed to [Options.Reject] (or, in strict mode, end the read). It has
// the shape of arrio.Reader.
type Reader struct {
	ctx    context.Context
	table  Table
	mem    memory.Allocator
	opt    Options
	plan   *plan
	schema *arrow.Schema
	files  []inputFile
	hasher KeyHasher

	rows chunker // cuts the files into chunks

	// With one worker, Read cuts and converts one chunk at a time.
	conv  *converter
	chunk *chunk
	last  bool // the chunker has nothing more

	// With more, a goroutine cuts the chunks and workers convert them
	// (parallel.go).
	cancel context.CancelFunc // nil until they start
	wg     sync.WaitGroup
	order  chan *chunk // chunks in file order, as cut
	free   chan *chunk // chunks Read is done with

	// The external duplicate check (dupcheck.go): with external set, the
	// first Read finds the rows with duplicate keys in a first pass over
	// the files and keeps them in dups.
	external bool
	size     int64 // bytes of the table's files, when external
	dups     *duplicates

	// What Read keeps, on the caller's goroutine.
	keys   KeyMap[keyPos] // digests of the keys read so far, unless external
	src    source         // the source dec decodes, for rejected rows
	dec    decoder
	atFile Counts // counts when the current file started
	seen   []bool // per plan.mustSee: the current file has the column
	counts Counts
	tally  tally
	err    error // sticky: io.EOF or the error that ended the read
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
	p.setWindow(opt.Window)
	files, err := resolve(fsys, t, p)
	if err != nil {
		return nil, err
	}
	if err := p.json.bind(opt.Lookups, t); err != nil {
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
	r, err := newReader(ctx, fsys, t, mem, opt, p, spec.Schema(), files)
	if err != nil {
		return nil, err
	}
	if r.external, r.size, err = useExternalKeys(fsys, files, p, opt); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// newReader returns a reader of files that has read nothing yet. The
// external duplicate check makes a second one for its first pass.
func newReader(ctx context.Context, fsys fs.FS, t Table, mem memory.Allocator, opt Options, p *plan, schema *arrow.Schema, files []inputFile) (*Reader, error) {
	r := &Reader{
		ctx: ctx, table: t, mem: mem, opt: opt, plan: p,
		schema: schema, files: files, hasher: NewKeyHasher(),
		rows: chunker{ctx: ctx, fsys: fsys, files: files, plan: p, mem: mem, size: opt.BatchSize},
	}
	if opt.Workers == 1 {
		var err error
		if r.conv, err = newConverter(p, r.schema, mem, r.hasher); err != nil {
			return nil, err
		}
		r.chunk = newChunk()
	}
	return r, nil
}

// Files returns the names of the files the reader reads, in order.
func (r *Reader) Files() []string {
	names := make([]string, len(r.files))
	for i, f := range r.files {
		names[i] = f.name
	}
	return names
}

// Schema returns the schema of the record batches: the table's contract,
// SpecOf(t).Schema().
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Counts returns the rows read, accepted, skipped and rejected so far.
func (r *Reader) Counts() Counts { return r.counts }

// Skips returns the rows skipped so far per reason, most first.
func (r *Reader) Skips() []SkipCount { return r.tally.skipCounts() }

// Unmapped returns, per enum column with a catch-all, in contract order,
// the accepted rows so far whose export value was outside the column's
// vocabulary and became the catch-all, with the most frequent values.
func (r *Reader) Unmapped() []Unmapped { return r.tally.unmappedCounts(r.plan) }

// Read returns the next record batch, which the caller releases, or
// io.EOF after the last one. A batch holds the accepted rows of a chunk
// of up to [Options.BatchSize] consecutive rows of one file: it may hold
// fewer rows than BatchSize, never none. How the rows fall into batches
// changes nothing else: the rows of all batches, the rejections and the
// counts at the end are the same for any batch size and number of
// workers.
//
// With more than one worker, the first call starts goroutines that parse
// chunks ahead of Read, up to two chunks per worker; they stop at the end of the
// read, at an error, or at Close. Rejected rows are handed to
// [Options.Reject] by Read itself, in order. The context given to [Open]
// is checked before each chunk.
//
// When the duplicate check is external (see [Options.SpillDir]), the
// first call parses the whole table once, without reporting anything,
// before it returns the first batch.
func (r *Reader) Read() (arrow.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.external && r.dups == nil {
		if err := r.findDuplicates(); err != nil {
			return nil, r.fail(err)
		}
	}
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, r.fail(err)
		}
		c, err := r.nextChunk()
		if err != nil {
			return nil, r.fail(err)
		}
		if c == nil {
			r.stop()
			r.err = io.EOF
			return nil, io.EOF
		}
		if err := r.dups.beyond(r.counts.Read + int64(len(c.rows))); err != nil {
			r.recycle(c)
			return nil, r.fail(err)
		}
		rec, err := r.take(c)
		r.recycle(c)
		if err != nil {
			return nil, r.fail(err)
		}
		if rec != nil {
			return rec, nil
		}
	}
}

// nextChunk returns the next converted chunk, or nil after the last.
func (r *Reader) nextChunk() (*chunk, error) {
	if r.conv != nil {
		if r.last {
			return nil, nil
		}
		r.last = !r.rows.fill(r.chunk)
		r.conv.convert(r.chunk)
		return r.chunk, nil
	}
	if r.cancel == nil {
		if err := r.start(); err != nil {
			return nil, err
		}
	}
	c, ok := <-r.order
	if !ok {
		// The goroutine that cuts chunks stops without a last one only
		// when cancelled.
		return nil, r.ctx.Err()
	}
	<-c.done
	return c, nil
}

// recycle hands back a chunk Read is done with.
func (r *Reader) recycle(c *chunk) {
	c.reset()
	if r.free != nil {
		r.free <- c // never blocks: it has room for every chunk
	}
}

// Close releases the reader's resources and stops its goroutines. It does
// not release batches already returned.
func (r *Reader) Close() error {
	err := r.stop()
	if r.conv != nil {
		r.conv.release()
		r.conv = nil
	}
	if r.err == nil {
		r.err = errors.New("ingest: reader closed")
	}
	return err
}

func (r *Reader) fail(err error) error {
	r.err = err
	r.stop()
	return err
}

// take goes through the rows of a converted chunk in order: it checks the
// keys of the accepted rows, reports the rejected ones and counts them. It
// returns the chunk's batch, less the rows with duplicate keys; nil if no
// row is left.
func (r *Reader) take(c *chunk) (rec arrow.Record, err error) {
	rec, c.batch = c.batch, nil
	defer func() {
		if err != nil && rec != nil {
			rec.Release()
			rec = nil
		}
	}()
	keyed := len(r.plan.key) > 0
	rejs, skips, hits := c.rejs, c.skips, c.hits
	var dups []int // accepted rows whose keys were seen before
	j := 0         // index of the next accepted row in rec
	for i := range c.rows {
		r.counts.Read++
		if len(rejs) > 0 && rejs[0].row == i {
			if err := r.reject(c, rejs[0]); err != nil {
				return rec, err
			}
			rejs = rejs[1:]
			continue
		}
		if len(skips) > 0 && skips[0].row == i {
			r.counts.Skipped++
			r.tally.skip(skips[0].reason)
			skips = skips[1:]
			continue
		}
		n := 0 // catch-all values of the row
		for n < len(hits) && hits[n].row == i {
			n++
		}
		rowHits := hits[:n]
		hits = hits[n:]
		if keyed {
			if re := r.checkKey(c, i, rec, j); re != nil {
				dups = append(dups, j)
				j++
				if err := r.reject(c, pending{row: i, err: re}); err != nil {
					return rec, err
				}
				continue
			}
		}
		r.counts.Accepted++
		for _, h := range rowHits {
			r.tally.hit(h.col, h.value)
		}
		j++
	}
	for k, ok := range c.seen {
		if ok {
			if r.seen == nil {
				r.seen = make([]bool, len(r.plan.mustSee))
			}
			r.seen[k] = true
		}
	}
	if c.eof {
		f := r.files[c.file]
		if err := r.checkSeen(f, r.counts.Read-r.atFile.Read); err != nil {
			return rec, err
		}
		clear(r.seen)
		r.opt.Logger.Info("ingest: file read", "table", string(r.table), "file", f.name, "format", f.format,
			"rows", r.counts.Read-r.atFile.Read, "skipped", r.counts.Skipped-r.atFile.Skipped, "rejected", r.counts.Rejected-r.atFile.Rejected)
		r.atFile = r.counts
	}
	if c.err != nil {
		return rec, c.err
	}
	if len(dups) > 0 {
		return dropRows(r.mem, rec, dups)
	}
	return rec, nil
}

// checkSeen fails the read of a JSON Lines file of rows rows when no
// line has a key the mapping names (and gives no default for): a misspelt
// key would otherwise make its column silently empty. CSV and Parquet
// files have their header checked when they are opened.
func (r *Reader) checkSeen(f inputFile, rows int64) error {
	if (f.format != FormatJSONL && f.format != FormatJSON) || rows == 0 {
		return nil
	}
	for k, i := range r.plan.mustSee {
		if k >= len(r.seen) || !r.seen[k] {
			c := &r.plan.cols[i]
			what := "line has key"
			if f.format == FormatJSON {
				what = "record has member"
			}
			return fmt.Errorf("%w: %s: no %s %q for %s (mapping key tables.%s.%s)",
				ErrMissingColumn, f.name, what, c.source, c.Name, r.table, c.mapped)
		}
	}
	return nil
}

// checkKey rejects row i of c, row j of its batch, when its key was seen
// before, in any file of the table. The in-memory check remembers the key
// of a row that passes; the external one looks the row up among the
// duplicates its first pass found.
func (r *Reader) checkKey(c *chunk, i int, batch arrow.Record, j int) *rowError {
	pos := rowPos(c, i)
	var first keyPos
	var dup bool
	if r.dups != nil {
		first, dup = r.dups.firstOf(pos)
	} else if first, dup = r.keys.Get(c.hashes[j]); !dup {
		r.keys.Put(c.hashes[j], pos)
	}
	if !dup {
		return nil
	}
	f := r.files[first.file()]
	if f.format == FormatJSON {
		return &rowError{col: -1, err: reasonf(ErrDuplicateKey, "duplicate key %s (first at %s, row %d)",
			describeKey(r.plan, batch, j), f.name, first.line())}
	}
	return &rowError{col: -1, err: reasonf(ErrDuplicateKey, "duplicate key %s (first at %s:%d)",
		describeKey(r.plan, batch, j), f.name, first.line())}
}

// reject quarantines one row, or in strict mode turns it into the
// *ParseError that ends the read.
func (r *Reader) reject(c *chunk, p pending) error {
	r.counts.Rejected++
	f := r.files[c.file].name
	row := c.rows[p.row]
	line, col := row.line, p.col
	if row.col > 0 {
		col = row.col // a JSON document's rows are placed by their elements
	}
	var field string
	if p.err.col >= 0 {
		field = r.plan.cols[p.err.col].Name
	}
	if c.src != r.src {
		r.src, r.dec = c.src, c.src.decoder()
	}
	var record string
	if d, ok := r.dec.(*jsonDecoder); ok {
		record = d.record(c, p.row)
	}
	if r.opt.Strict {
		return &ParseError{File: f, Line: line, Column: col, Record: record, Field: field, Err: p.err.err}
	}
	reason := p.err.err.Error()
	if record != "" {
		reason = record + ": " + reason
	}
	rej := Rejection{
		Table: r.table, File: f, Line: line, Column: col, Record: record, Field: field,
		Reason: reason, Raw: boundRaw(r.dec.raw(c, p.row)), Err: p.err.err,
	}
	if err := r.opt.Reject(rej); err != nil {
		return fmt.Errorf("ingest: quarantine row %s:%d: %w", f, line, err)
	}
	return nil
}
