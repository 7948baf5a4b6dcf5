package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrCommitted is returned by writes to an [AtomicFile] after
// [AtomicFile.Commit] or [AtomicFile.Close].
var ErrCommitted = errors.New("reports: atomic file already committed or closed")

// FileMode is the permission of the files committed by [AtomicFile]; it is
// set explicitly, so the umask does not apply.
const FileMode os.FileMode = 0o644

// AtomicFile is a file that appears at its path complete or not at all.
// Writes go to a temporary file in the same directory; [AtomicFile.Commit]
// flushes it to disk and renames it over the path. [AtomicFile.Close]
// without a successful Commit removes the temporary file, so the usual
// pattern is
//
//	f, err := reports.CreateAtomic(path)
//	if err != nil { ... }
//	defer f.Close()
//	... write to f ...
//	return f.Commit()
type AtomicFile struct {
	path string
	tmp  *os.File
	done bool
}

// CreateAtomic starts writing the file at path. Nothing appears at path
// until [AtomicFile.Commit]; a previous file there is left untouched until
// then.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("create %s: not a file name", path)
	}
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &AtomicFile{path: path, tmp: tmp}, nil
}

// Name returns the path the file will have once committed.
func (f *AtomicFile) Name() string { return f.path }

// Write writes to the temporary file.
func (f *AtomicFile) Write(p []byte) (int, error) {
	if f.done {
		return 0, ErrCommitted
	}
	n, err := f.tmp.Write(p)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", f.path, err)
	}
	return n, nil
}

// Commit makes the written bytes the content of the file at path: it sets
// the permission to [FileMode], syncs the temporary file, renames it over
// path and syncs the directory. On error the temporary file is removed and
// path keeps its previous content, if any.
func (f *AtomicFile) Commit() error {
	if f.done {
		return ErrCommitted
	}
	f.done = true
	name := f.tmp.Name()
	err := f.tmp.Chmod(FileMode)
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, f.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("commit %s: %w", f.path, err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("commit %s: %w", f.path, err)
	}
	return nil
}

// Close abandons the file unless it was committed: the temporary file is
// removed and nothing appears at path. It is safe to call after
// [AtomicFile.Commit] and more than once.
func (f *AtomicFile) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	name := f.tmp.Name()
	cerr := f.tmp.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("abandon %s: %w", f.path, err)
	}
	if cerr != nil {
		return fmt.Errorf("abandon %s: %w", f.path, cerr)
	}
	return nil
}

// WriteAtomic writes the file at path with the bytes write produces, via
// an [AtomicFile]: if write or the commit fails, nothing is left at path
// but its previous content, and the error is returned.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}

// syncDir flushes a directory entry change (the rename) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
