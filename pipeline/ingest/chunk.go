package ingest

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// A Reader reads a table in three stages. A chunker cuts the files, in
// order, into chunks of rows: the part of parsing that has to be
// sequential, such as finding where a CSV record ends (csvReader, which
// splits and unquotes its fields too), where a JSON line ends, or reading
// the next batch of a Parquet file. Converters, one per worker, decode
// and convert each chunk into a record batch and the key digests of its
// rows. Read takes the chunks back in order, checks the keys against
// those seen before, hands rejected rows to the quarantine and counts.

// source reads the rows of one file in two steps: read cuts the file into
// rows, in order on one goroutine, and a decoder turns each row into raw
// values, on whichever goroutine converts the row's chunk.
type source interface {
	// read appends rows to c until c holds max rows. At the end of the
	// file it returns io.EOF, after appending the last rows. A row that
	// cannot be cut out goes in c with a *rowError; any other error ends
	// the read.
	read(c *chunk, max int) error
	// decoder returns a decoder of the rows read cuts. It may be called on
	// any goroutine, also after close.
	decoder() decoder
	close() error
}

// decoder turns the rows a source cut into raw values. It is used by one
// goroutine at a time.
type decoder interface {
	// decode fills raws, one value per contract column, from row i of c.
	// A *rowError means the row cannot be read; any other error ends the
	// read.
	decode(c *chunk, i int, raws []rawValue) error
	// raw renders row i of c for the quarantine.
	raw(c *chunk, i int) string
}

// openSource opens one file of a table and checks its header against the
// plan.
func openSource(ctx context.Context, fsys fs.FS, in inputFile, p *plan, mem memory.Allocator) (source, error) {
	switch in.format {
	case FormatCSV:
		if p.json.active() {
			return nil, fmt.Errorf("ingest: %s: %s applies to JSON and JSON Lines files, not csv", in.name, firstJSONKey(p.mapping))
		}
		return newCSVSource(ctx, fsys, in.name, p)
	case FormatJSONL:
		if p.json.records != nil {
			return newJSONLDocSource(ctx, fsys, in.name, p)
		}
		if len(p.json.joins) > 0 {
			return nil, fmt.Errorf("ingest: %s: join applies to JSON documents: on JSON Lines, with records, of which each line is one", in.name)
		}
		return newJSONLSource(ctx, fsys, in.name, p)
	case FormatJSON:
		return newJSONSource(ctx, fsys, in.name, p)
	case FormatParquet:
		if p.json.active() {
			return nil, fmt.Errorf("ingest: %s: %s applies to JSON and JSON Lines files, not parquet", in.name, firstJSONKey(p.mapping))
		}
		return newParquetSource(ctx, fsys, in.name, p, mem)
	}
	return nil, fmt.Errorf("ingest: %s: unknown format %q", in.name, in.format)
}

// maxChunkBytes bounds the text a CSV or JSON Lines chunk holds: a chunk
// ends before BatchSize rows once it holds as many bytes, so that a
// reader's memory is bounded by its chunks whatever the rows.
const maxChunkBytes = 16 << 20

// chunk is a run of consecutive rows of one file. The chunker fills it, a
// converter adds the record batch of its accepted rows, and Read takes
// it; then it is reset and filled again.
type chunk struct {
	file int    // index of the file in the reader's files
	src  source // the file's source, whose decoder reads the rows
	rows []chunkRow

	// What a source keeps of its rows; each uses one of them.
	fields  []string       // CSV: the fields of every row, one after another, substrings of one string
	text    []byte         // JSON Lines: the lines, one after another
	str     string         // JSON Lines: text as one string, made when read returns
	batches []parquetBatch // Parquet: the batches the rows are in
	docs    []chunkDoc     // JSON documents: the documents the rows are in, in order

	eof bool  // the file ends after these rows
	err error // the read ends after these rows

	// Set by the converter.
	batch  arrow.Record  // the accepted rows; nil if none
	hashes []KeyHash     // key digests of the accepted rows, when the table has a key
	rejs   []pending     // the rejected rows, in order
	skips  []skipped     // the skipped rows, in order
	hits   []unmappedHit // values of accepted rows that fell back to a catch-all, in order
	seen   []bool        // per plan.mustSee: some row has a value or null for the column

	done chan struct{} // receives when a worker has converted the chunk
}

// chunkDoc says which rows of a chunk a JSON document holds: those before
// end, after the previous document's.
type chunkDoc struct {
	doc *jsonDoc
	end int
}

// doc returns the JSON document of row i; nil for other formats.
func (c *chunk) doc(i int) *jsonDoc {
	switch len(c.docs) {
	case 0:
		return nil
	case 1:
		return c.docs[0].doc
	}
	k, _ := slices.BinarySearchFunc(c.docs, i, func(d chunkDoc, i int) int { return cmp.Compare(d.end, i+1) })
	return c.docs[k].doc
}

// chunkRow is one row of a chunk.
type chunkRow struct {
	line int       // line where the row starts (Parquet: row number)
	col  int       // JSON documents: byte column where the row's element starts; else 0
	end  int       // CSV, JSON Lines: end of the row's data in fields or text; JSON documents: index of the row in the document
	err  *rowError // the row cannot be read
}

// pending is a rejected row waiting to be reported in order.
type pending struct {
	row int // index in the chunk
	col int // 1-based source column; 0 when the reason concerns the whole row
	err *rowError
}

// skipped is a row skipped as a legitimate non-event.
type skipped struct {
	row    int    // index in the chunk
	reason string // "score: offered"
}

// unmappedHit is an export value outside its column's vocabulary that
// became the column's catch-all.
type unmappedHit struct {
	row   int // index in the chunk
	col   int // contract column
	value string
}

func newChunk() *chunk {
	return &chunk{done: make(chan struct{}, 1)}
}

// span returns where row i's data starts and ends in fields or text.
func (c *chunk) span(i int) (start, end int) {
	if i > 0 {
		start = c.rows[i-1].end
	}
	return start, c.rows[i].end
}

// reset empties the chunk for the next rows, releasing what it holds.
func (c *chunk) reset() {
	if c.batch != nil {
		c.batch.Release()
		c.batch = nil
	}
	for _, b := range c.batches {
		b.rec.Release()
	}
	clear(c.batches)
	c.file, c.src = 0, nil
	c.rows = c.rows[:0]
	c.fields = c.fields[:0]
	c.text, c.str = c.text[:0], ""
	c.batches = c.batches[:0]
	clear(c.docs)
	c.docs = c.docs[:0]
	c.eof, c.err = false, nil
	c.hashes = c.hashes[:0]
	c.rejs = c.rejs[:0]
	c.skips = c.skips[:0]
	clear(c.hits) // they may alias the chunk's text or a batch
	c.hits = c.hits[:0]
	clear(c.seen)
}

// chunker cuts a table's files into chunks, in order.
type chunker struct {
	ctx   context.Context
	fsys  fs.FS
	files []inputFile
	plan  *plan
	mem   memory.Allocator
	size  int // rows per chunk

	next int    // index of the next file to open
	src  source // the open file; nil between files
}

// fill cuts the next rows into c, an empty chunk, and reports whether
// more follow: not after the last file, nor after an error, which it puts
// in c.err.
func (k *chunker) fill(c *chunk) (more bool) {
	if err := k.ctx.Err(); err != nil {
		c.err = err
		return false
	}
	if k.src == nil {
		src, err := openSource(k.ctx, k.fsys, k.files[k.next], k.plan, k.mem)
		if err != nil {
			c.err = err
			return false
		}
		k.src = src
		k.next++
	}
	c.file, c.src = k.next-1, k.src
	c.rows = slices.Grow(c.rows, k.size)
	name := k.files[c.file].name
	switch err := k.src.read(c, k.size); err {
	case nil:
		return true
	case io.EOF:
		c.eof = true
		if err := k.close(); err != nil {
			c.err = fmt.Errorf("ingest: close %s: %w", name, err)
			return false
		}
		return k.next < len(k.files)
	default:
		c.err = fmt.Errorf("ingest: read %s: %w", name, err)
		k.close()
		return false
	}
}

// close closes the open file, if any.
func (k *chunker) close() error {
	if k.src == nil {
		return nil
	}
	err := k.src.close()
	k.src = nil
	return err
}
