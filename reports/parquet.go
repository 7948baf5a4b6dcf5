package reports

import (
	"bufio"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// CreatedBy is the created_by string in the footer of every Parquet file
// cxkpi writes. It is constant, so that files do not change with the
// version of the library that wrote them.
const CreatedBy = "cxkpi"

// parquetRowGroupRows bounds the rows buffered into one row group.
const parquetRowGroupRows = 1 << 20

// parquetProps returns the writer properties of every file: zstd,
// statistics, dictionary encoding unless dict is false, a constant
// created_by.
func parquetProps(mem memory.Allocator, dict bool) (*parquet.WriterProperties, pqarrow.ArrowWriterProperties) {
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithStats(true),
		parquet.WithDictionaryDefault(dict),
		parquet.WithCreatedBy(CreatedBy),
		parquet.WithVersion(parquet.V2_LATEST),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithMaxRowGroupLength(parquetRowGroupRows),
	)
	// The Arrow schema is stored in the footer so that Arrow readers get
	// back the exact types (time zone, nullability).
	arrProps := pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(mem),
		pqarrow.WithStoreSchema(),
		pqarrow.WithCoerceTimestamps(arrow.Microsecond),
	)
	return props, arrProps
}

// EncodeParquet writes every record of r to w as one Parquet file, then
// returns r's error, if any. Records are buffered into row groups of up
// to about a million rows. Column types follow the Arrow schema:
// timestamps with a time zone become TIMESTAMP(isAdjustedToUTC=true) of
// the same unit, strings STRING, nullable fields OPTIONAL and the others
// REQUIRED. Every record must have r's schema. mem allocates the
// encoder's buffers. The caller keeps ownership of r, and w is not closed
// even when it is an [io.Closer].
func EncodeParquet(w io.Writer, r array.RecordReader, mem memory.Allocator) error {
	return encodeParquet(w, r, mem, true)
}

func encodeParquet(w io.Writer, r array.RecordReader, mem memory.Allocator, dict bool) error {
	props, arrProps := parquetProps(mem, dict)
	// Buffered, so that nothing reaches w before the writer exists: the
	// Parquet library panics, rather than returns an error, when its first
	// write (the magic number) fails, as it does on a full disk. The
	// Parquet writer also closes a sink that is an io.Closer; the buffer
	// hides Close, so that an AtomicFile is committed by its owner, not
	// abandoned here.
	bw := bufio.NewWriterSize(w, 64<<10)
	fw, err := pqarrow.NewFileWriter(r.Schema(), bw, props, arrProps)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer fw.Close()
	for r.Next() {
		if err := fw.WriteBuffered(r.Record()); err != nil {
			return fmt.Errorf("parquet: write row %d: %w", fw.NumRows(), err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("parquet: read records: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// WriteParquet writes every record of r to the Parquet file at path (see
// [EncodeParquet]), atomically: on any error, including r's, nothing is
// left at path but its previous content.
func WriteParquet(path string, r array.RecordReader) error {
	return writeParquet(path, r, true)
}

// WriteParquetUnique writes like [WriteParquet], without dictionary
// encoding: for tables of mostly distinct values, such as one row per
// customer. A dictionary saves nothing there, and its fallback to plain
// encoding part way through a column would make the file's bytes differ
// from run to run for the same rows (the Parquet library lists a column
// chunk's encodings in the footer in map order).
func WriteParquetUnique(path string, r array.RecordReader) error {
	return writeParquet(path, r, false)
}

func writeParquet(path string, r array.RecordReader, dict bool) error {
	return WriteAtomic(path, func(w io.Writer) error {
		if err := encodeParquet(w, r, memory.DefaultAllocator, dict); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// WriteParquetRecord writes one record as the Parquet file at path, like
// [WriteParquet].
func WriteParquetRecord(path string, rec arrow.Record) error {
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer rr.Release()
	return WriteParquet(path, rr)
}
