package pipeline

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Every model table ends with an as_of column, the run's as-of instant
// (the manifest's as_of), so that the snapshots of several runs read
// through one glob can be told apart (docs/outputs.md). It is a setting,
// not a property of the run, so reruns of the same inputs stay
// byte-identical.

// asOfField is the last column of every model table.
var asOfField = arrow.Field{Name: "as_of", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}

// withAsOf returns rec with an as_of column of t appended, and releases
// rec.
func withAsOf(mem memory.Allocator, rec arrow.Record, t time.Time) arrow.Record {
	defer rec.Release()
	b := array.NewTimestampBuilder(mem, asOfField.Type.(*arrow.TimestampType))
	defer b.Release()
	n := int(rec.NumRows())
	b.Reserve(n)
	for range n {
		b.UnsafeAppend(arrow.Timestamp(t.UnixMicro()))
	}
	col := b.NewArray()
	defer col.Release()
	return array.NewRecord(asOfSchema(rec.Schema()), append(rec.Columns()[:rec.NumCols():rec.NumCols()], col), int64(n))
}

// asOfSchema is s with the as_of field last.
func asOfSchema(s *arrow.Schema) *arrow.Schema {
	meta := s.Metadata()
	return arrow.NewSchema(append(s.Fields(), asOfField), &meta)
}

// asOfReader yields the records of r with their as_of column.
type asOfReader struct {
	array.RecordReader
	mem    memory.Allocator
	t      time.Time
	schema *arrow.Schema
	cur    arrow.Record
}

func newAsOfReader(mem memory.Allocator, r array.RecordReader, t time.Time) *asOfReader {
	return &asOfReader{RecordReader: r, mem: mem, t: t, schema: asOfSchema(r.Schema())}
}

func (r *asOfReader) Schema() *arrow.Schema { return r.schema }

func (r *asOfReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if !r.RecordReader.Next() {
		return false
	}
	rec := r.RecordReader.Record()
	rec.Retain()
	r.cur = withAsOf(r.mem, rec, r.t)
	return true
}

func (r *asOfReader) Record() arrow.Record { return r.cur }

func (r *asOfReader) Release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.RecordReader.Release()
}
