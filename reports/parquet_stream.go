package reports

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// ParquetWriter writes a Parquet file one record batch at a time, for
// tables too large to hold in memory, with the same properties as
// [EncodeParquet]. The file appears at its path only on [ParquetWriter.Commit];
// [ParquetWriter.Close] without a commit leaves nothing behind.
type ParquetWriter struct {
	path string
	f    *AtomicFile
	fw   *pqarrow.FileWriter
}

// CreateParquet starts the Parquet file at path with the given schema.
func CreateParquet(path string, schema *arrow.Schema, mem memory.Allocator) (*ParquetWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	props, arrProps := parquetProps(mem, true)
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{f}, props, arrProps)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: parquet: %w", path, err)
	}
	return &ParquetWriter{path: path, f: f, fw: fw}, nil
}

// Write appends a record batch; its schema must be the file's.
func (w *ParquetWriter) Write(rec arrow.Record) error {
	if err := w.fw.WriteBuffered(rec); err != nil {
		return fmt.Errorf("write %s: parquet: %w", w.path, err)
	}
	return nil
}

// Commit finishes the file and moves it into place.
func (w *ParquetWriter) Commit() error {
	if err := w.fw.Close(); err != nil {
		w.f.Close()
		return fmt.Errorf("write %s: parquet: %w", w.path, err)
	}
	return w.f.Commit()
}

// Close abandons an uncommitted file; after Commit it does nothing.
func (w *ParquetWriter) Close() error { return w.f.Close() }
