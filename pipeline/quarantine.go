package pipeline

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/reports"
)

// QuarantineSchema is the schema of quarantine.parquet: one row per
// rejected input row, as in quarantine.csv. No column is named after an
// SQL reserved word (table, column), so BI tools query it unquoted.
func QuarantineSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "input_table", Type: arrow.BinaryTypes.String},
		{Name: "file", Type: arrow.BinaryTypes.String},
		{Name: "line", Type: arrow.PrimitiveTypes.Int64},
		{Name: "input_column", Type: arrow.PrimitiveTypes.Int64},
		{Name: "field", Type: arrow.BinaryTypes.String},
		{Name: "reason", Type: arrow.BinaryTypes.String},
		{Name: "raw", Type: arrow.BinaryTypes.String},
	}, nil)
}

// quarantineBatch is how many rejections are buffered before they are
// written to the Parquet file, so memory stays bounded however many rows
// are rejected.
const quarantineBatch = 8192

// quarantine writes rejected rows to a CSV file a person can open and to a
// Parquet file for BI tools. The CSV file's cells are made safe to open in
// a spreadsheet (see [spreadsheetText]); the Parquet file keeps the values
// as they were.
type quarantine struct {
	f   *reports.AtomicFile
	w   *csv.Writer
	pq  *reports.ParquetWriter
	bld *array.RecordBuilder
}

func newQuarantine(csvPath, parquetPath string, mem memory.Allocator) (*quarantine, error) {
	f, err := reports.CreateAtomic(csvPath) // mode reports.FileMode, whatever the umask
	if err != nil {
		return nil, fmt.Errorf("create quarantine: %w", err)
	}
	q := &quarantine{f: f, w: csv.NewWriter(f)}
	if err := q.w.Write([]string{"input_table", "file", "line", "input_column", "field", "reason", "raw"}); err != nil {
		f.Close()
		return nil, fmt.Errorf("write quarantine: %w", err)
	}
	if q.pq, err = reports.CreateParquet(parquetPath, QuarantineSchema(), mem); err != nil {
		f.Close()
		return nil, err
	}
	q.bld = array.NewRecordBuilder(mem, QuarantineSchema())
	return q, nil
}

func (q *quarantine) write(r ingest.Rejection) error {
	row := []string{string(r.Table), r.File, strconv.Itoa(r.Line), strconv.Itoa(r.Column), r.Field, r.Reason, r.Raw}
	for i := range row {
		row[i] = spreadsheetText(row[i])
	}
	if err := q.w.Write(row); err != nil {
		return fmt.Errorf("write quarantine: %w", err)
	}
	q.bld.Field(0).(*array.StringBuilder).Append(string(r.Table))
	q.bld.Field(1).(*array.StringBuilder).Append(r.File)
	q.bld.Field(2).(*array.Int64Builder).Append(int64(r.Line))
	q.bld.Field(3).(*array.Int64Builder).Append(int64(r.Column))
	q.bld.Field(4).(*array.StringBuilder).Append(r.Field)
	q.bld.Field(5).(*array.StringBuilder).Append(r.Reason)
	q.bld.Field(6).(*array.StringBuilder).Append(r.Raw)
	if q.bld.Field(0).Len() >= quarantineBatch {
		return q.flush()
	}
	return nil
}

func (q *quarantine) flush() error {
	rec := q.bld.NewRecord()
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	return q.pq.Write(rec)
}

// commit finishes both files.
func (q *quarantine) commit() error {
	if err := q.flush(); err != nil {
		return err
	}
	if err := q.pq.Commit(); err != nil {
		return err
	}
	q.w.Flush()
	err := q.w.Error()
	if err == nil {
		err = q.f.Commit()
	}
	if err != nil {
		return fmt.Errorf("write quarantine: %w", err)
	}
	return nil
}

// close abandons what commit did not finish; it is safe after commit.
func (q *quarantine) close() {
	q.bld.Release()
	q.pq.Close()
	q.f.Close()
}

// spreadsheetText returns s as a cell that a spreadsheet shows as text
// and never evaluates: a cell beginning with =, +, -, @, a tab or a
// carriage return could be read as a formula (CSV injection: a raw row
// "=HYPERLINK(...)" from a hostile export), so it gets a single quote in
// front, as OWASP advises. That includes negative numbers, "-3"; the
// quote shows they are text, and quarantine.parquet has the value as it
// was read.
func spreadsheetText(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
