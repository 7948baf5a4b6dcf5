package pipeline

import (
	"io"
	"io/fs"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Progress follows the reading of the exports, table by table: Table
// when a table's files are opened, with their total size in bytes; Read
// as bytes are read from them (compressed bytes for a compressed file);
// Done when the table is read. The calls come from the run's goroutines
// one table at a time; Read may be called from several goroutines.
type Progress interface {
	Table(t ingest.Table, files int, totalBytes int64)
	Read(n int64)
	Done(t ingest.Table)
}

// progressFS counts the bytes read from the files of fsys.
type progressFS struct {
	fs.FS
	p Progress
}

func (f progressFS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	c := countedFile{File: file, p: f.p}
	// A Parquet reader reads at offsets; keep that ability where the file
	// has it, so the file is not copied to read it.
	if _, ok := file.(interface {
		io.ReaderAt
		io.Seeker
	}); ok {
		return &countedRandomFile{c}, nil
	}
	return &c, nil
}

// Stat keeps the file system's own Stat, if it has one.
func (f progressFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(f.FS, name) }

// ReadDir keeps the file system's own ReadDir, if it has one.
func (f progressFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(f.FS, name) }

type countedFile struct {
	fs.File
	p Progress
}

func (c *countedFile) Read(b []byte) (int, error) {
	n, err := c.File.Read(b)
	if n > 0 {
		c.p.Read(int64(n))
	}
	return n, err
}

type countedRandomFile struct{ countedFile }

func (c *countedRandomFile) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.File.(io.ReaderAt).ReadAt(b, off)
	if n > 0 {
		c.p.Read(int64(n))
	}
	return n, err
}

func (c *countedRandomFile) Seek(off int64, whence int) (int64, error) {
	return c.File.(io.Seeker).Seek(off, whence)
}

// tableSize returns the total size of files in fsys.
func tableSize(fsys fs.FS, files []string) int64 {
	var n int64
	for _, f := range files {
		if st, err := fs.Stat(fsys, f); err == nil {
			n += st.Size()
		}
	}
	return n
}
