package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// converter turns chunks into record batches: it decodes and converts
// every row, builds the batch of the accepted ones with their key
// digests, and notes the rejected ones. Each worker has its own.
type converter struct {
	plan   *plan
	hasher KeyHasher
	bld    *array.RecordBuilder
	out    []columnBuilder
	raws   []rawValue
	cells  []cell
	hits   []int // columns of the row that fell back to their catch-all
	keyBuf []byte

	src source // the source dec decodes
	dec decoder
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

func newConverter(p *plan, schema *arrow.Schema, mem memory.Allocator, h KeyHasher) (*converter, error) {
	n := len(p.cols)
	cv := &converter{
		plan: p, hasher: h,
		bld:  array.NewRecordBuilder(mem, schema),
		out:  make([]columnBuilder, n),
		raws: make([]rawValue, p.json.slots()), cells: make([]cell, n),
	}
	for i, c := range p.cols {
		cb := columnBuilder{kind: c.Kind}
		switch b := cv.bld.Field(i).(type) {
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
			cv.bld.Release()
			return nil, fmt.Errorf("ingest: column %s has unexpected builder %T", c.Name, b)
		}
		cv.out[i] = cb
	}
	return cv, nil
}

func (cv *converter) release() { cv.bld.Release() }

// convert converts the rows of c.
func (cv *converter) convert(c *chunk) {
	if len(c.rows) == 0 {
		return
	}
	if c.src != cv.src {
		cv.src, cv.dec = c.src, c.src.decoder()
	}
	cv.bld.Reserve(len(c.rows))
	keyed := len(cv.plan.key) > 0
	if keyed {
		c.hashes = slices.Grow(c.hashes, len(c.rows))
	}
	n := 0
	for i := range c.rows {
		re := c.rows[i].err
		if re == nil {
			if err := cv.dec.decode(c, i, cv.raws); err != nil {
				var ok bool
				if re, ok = err.(*rowError); !ok {
					// The read ends before this row.
					c.rows, c.eof, c.err = c.rows[:i], false, err
					break
				}
			}
		}
		var skip string
		if re == nil {
			cv.see(c)
			skip, cv.hits, re = cv.plan.convert(cv.raws, cv.cells, cv.hits[:0])
		}
		if re != nil {
			col := re.srcCol
			if re.col >= 0 && col == 0 {
				col = cv.raws[re.col].col
			}
			c.rejs = append(c.rejs, pending{row: i, col: col, err: re})
			continue
		}
		if skip != "" {
			c.skips = append(c.skips, skipped{row: i, reason: skip})
			continue
		}
		for _, k := range cv.hits {
			c.hits = append(c.hits, unmappedHit{row: i, col: k, value: strings.TrimSpace(cv.raws[k].text)})
		}
		cv.appendRow()
		if keyed {
			cv.keyBuf = appendKey(cv.keyBuf[:0], cv.plan.key, cv.cells)
			c.hashes = append(c.hashes, cv.hasher.Bytes(cv.keyBuf))
		}
		n++
	}
	if n > 0 {
		c.batch = cv.bld.NewRecord()
	}
}

// see notes which of the columns a JSON Lines file must have the row
// decoded has.
func (cv *converter) see(c *chunk) {
	if len(cv.plan.mustSee) == 0 {
		return
	}
	if len(c.seen) < len(cv.plan.mustSee) {
		c.seen = make([]bool, len(cv.plan.mustSee))
	}
	for k, i := range cv.plan.mustSee {
		if cv.raws[i].kind != rawAbsent {
			c.seen[k] = true
		}
	}
}

// appendRow appends the converted row to the batch.
func (cv *converter) appendRow() {
	for i := range cv.out {
		b, c := &cv.out[i], &cv.cells[i]
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
		case Float, Duration:
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

// dropRows returns rec without the given rows, which are sorted, and
// releases rec. It returns nil when no row is left.
func dropRows(mem memory.Allocator, rec arrow.Record, drop []int) (arrow.Record, error) {
	defer rec.Release()
	rows := int(rec.NumRows())
	if len(drop) == rows {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, rec.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	var parts []arrow.Array
	for _, col := range rec.Columns() {
		parts = parts[:0]
		start := 0
		for k := 0; k <= len(drop); k++ {
			end := rows
			if k < len(drop) {
				end = drop[k]
			}
			if end > start {
				parts = append(parts, array.NewSlice(col, int64(start), int64(end)))
			}
			start = end + 1
		}
		c, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return array.NewRecord(rec.Schema(), cols, int64(rows-len(drop))), nil
}
