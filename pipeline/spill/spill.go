// Package spill keeps fixed-size records in temporary files, one file per
// partition, for state that would otherwise grow in memory with the input:
// the KPI engine's messages by range of tickets, the CLV summarizer's
// orders by range of customers, the cohort builders' orders in one
// partition of whole chunks, the key digests of a large table's duplicate
// check by hash. A partition is written in input order and read back
// whole, one at a time.
package spill

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// Files are the partition files of one kind of record. The zero value is
// not usable; make one with [New]. Files are not safe for concurrent use.
type Files struct {
	dir, name string
	size      int // bytes a record
	files     []*os.File
	bufs      []*bufio.Writer
}

// New returns partition files in dir for records of size bytes; name
// prefixes the file names and the errors. No file exists before the first
// [Files.Write].
func New(dir, name string, size int) *Files {
	return &Files{dir: dir, name: name, size: size}
}

// Parts returns the number of partitions written to so far: one more than
// the highest partition written.
func (f *Files) Parts() int { return len(f.files) }

// Write appends one record of the right size to partition part, creating
// the files up to it as needed.
func (f *Files) Write(part int, rec []byte) error {
	for part >= len(f.files) {
		file, err := os.CreateTemp(f.dir, fmt.Sprintf("%s-%04d-*.bin", f.name, len(f.files)))
		if err != nil {
			return fmt.Errorf("spill %s: %w", f.name, err)
		}
		f.files = append(f.files, file)
		f.bufs = append(f.bufs, bufio.NewWriterSize(file, 64<<10))
	}
	if _, err := f.bufs[part].Write(rec); err != nil {
		return fmt.Errorf("spill %s: %w", f.name, err)
	}
	return nil
}

// Read calls each with every record of partition part, in the order they
// were written, and stops at the first error each returns; a partition
// never written has none. The record passed to each is reused for the next
// one. Writing may go on afterwards.
func (f *Files) Read(part int, each func(rec []byte) error) error {
	if part >= len(f.files) {
		return nil
	}
	file := f.files[part]
	if err := f.bufs[part].Flush(); err != nil {
		return fmt.Errorf("spill %s: %w", f.name, err)
	}
	// Writes leave the file's offset at its end: its size.
	size, err := file.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("read spilled %s: %w", f.name, err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read spilled %s: %w", f.name, err)
	}
	// A small partition needs no 1 MiB buffer.
	r := bufio.NewReaderSize(file, int(min(size, 1<<20)))
	rec := make([]byte, f.size)
	for {
		_, err := io.ReadFull(r, rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read spilled %s %s: %w", f.name, file.Name(), err)
		}
		if err := each(rec); err != nil {
			return err
		}
	}
	// Later writes append at the end.
	if _, err := file.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("read spilled %s: %w", f.name, err)
	}
	return nil
}

// Close removes the files. The Files may be written to again afterwards,
// into new files.
func (f *Files) Close() error {
	var first error
	for _, file := range f.files {
		file.Close()
		if err := os.Remove(file.Name()); err != nil && first == nil {
			first = fmt.Errorf("spill %s: %w", f.name, err)
		}
	}
	f.files, f.bufs = nil, nil
	return first
}
