package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Errors about the files of an input directory.
var (
	// ErrSpecialFile means an input path names a named pipe, a device, a
	// socket or another file that is not a regular file or directory.
	// It is refused without being opened for reading: opening a named
	// pipe blocks until something writes to it.
	ErrSpecialFile = errors.New("ingest: not a regular file")
	// ErrOutsideInput means an input path is a symbolic link (or passes
	// through one) that leads out of the input directory.
	ErrOutsideInput = errors.New("ingest: symbolic link leaves the input directory")
)

// DirFS returns the files of the directory dir for reading exports. Unlike
// os.DirFS it refuses, with errors wrapping [ErrSpecialFile], to open
// anything but regular files and directories, and it opens them so that a
// named pipe put in place of a file cannot block the open. Symbolic links
// are followed inside dir; one leading out of dir is refused with an error
// wrapping [ErrOutsideInput] unless followOutside is set.
func DirFS(dir string, followOutside bool) fs.FS {
	return &dirFS{dir: dir, outside: followOutside}
}

type dirFS struct {
	dir     string
	outside bool
}

// Open opens name for reading.
func (d *dirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	var f *os.File
	err := d.in(name, func(root *os.Root) error {
		var err error
		f, err = root.OpenFile(name, os.O_RDONLY|openFlags, 0)
		return err
	}, func(full string) error {
		var err error
		f, err = os.OpenFile(full, os.O_RDONLY|openFlags, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := regular(name, st.Mode()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Stat returns the file info of name, following links.
func (d *dirFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	var st fs.FileInfo
	err := d.in(name, func(root *os.Root) error {
		var err error
		st, err = root.Stat(name)
		return err
	}, func(full string) error {
		var err error
		st, err = os.Stat(full)
		return err
	})
	return st, err
}

// ReadDir lists the directory name.
func (d *dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	entries, err := dir.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// in runs inRoot on dir opened as an os.Root, which refuses paths whose
// links lead out of it, or anywhere on the full path when links may
// leave dir. An error of the root that the full path does not share is a
// link out of the directory.
func (d *dirFS) in(name string, inRoot func(*os.Root) error, anywhere func(string) error) error {
	full := filepath.Join(d.dir, filepath.FromSlash(name))
	if d.outside {
		return anywhere(full)
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return err
	}
	defer root.Close()
	err = inRoot(root)
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrSpecialFile) {
		return err
	}
	if _, serr := os.Stat(full); serr == nil {
		return fmt.Errorf("%w: %s (set allow_symlinks_outside to read it): %w", ErrOutsideInput, name, err)
	}
	return err
}

// regular refuses every mode but a regular file or a directory.
func regular(name string, m fs.FileMode) error {
	if m.IsRegular() || m.IsDir() {
		return nil
	}
	kind := "special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "device"
	case m&fs.ModeIrregular != 0:
		kind = "irregular file"
	}
	return fmt.Errorf("%w: %s is a %s", ErrSpecialFile, name, kind)
}

// openFile opens name in fsys, refusing special files before opening
// them. The open runs on a goroutine of its own so that one that blocks
// (a named pipe swapped in after the check, a hung network file system)
// still returns when ctx is cancelled; the file, if the open ever
// completes, is then closed.
func openFile(ctx context.Context, fsys fs.FS, name string) (fs.File, error) {
	if st, err := fs.Stat(fsys, name); err == nil {
		if err := regular(name, st.Mode()); err != nil {
			return nil, err
		}
	}
	type opened struct {
		f   fs.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := fsys.Open(name)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-done; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("open %s: %w", name, context.Cause(ctx))
	}
}

// exportExts returns the name endings of data files and of compressed
// files: a file with one of them looks like an export.
func exportExts() []string {
	return []string{
		".csv", ".tsv", ".psv", ".txt", ".dat", ".json", ".jsonl", ".ndjson", ".parquet", ".pq", ".xlsx", ".xls", ".avro", ".orc",
		".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".br", ".z", ".7z", ".tar", ".tgz",
	}
}

// LooksLikeExport reports whether a file name looks like an export: its
// name ends (ignoring case) in a data or compression extension such as
// .csv, .tsv, .json, .xlsx, .gz or .bz2, or its stem is the name of a
// table, in any case, singular or plural. A run warns about such files
// when no table reads them ([Unrecognised]).
func LooksLikeExport(name string) bool {
	base := strings.ToLower(path.Base(name))
	if strings.HasPrefix(base, ".") {
		return false // hidden files: editors' and sync tools' own
	}
	for _, ext := range exportExts() {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	stem, _, _ := strings.Cut(base, ".")
	for _, t := range Tables() {
		if s := string(t); stem == s || stem+"s" == s || stem == s+"s" {
			return true
		}
	}
	return false
}

// Unrecognised lists, in name order, the files of fsys that look like
// exports ([LooksLikeExport]) but are not among read, the files the
// tables read: Tickets.CSV, tickets.tsv, ticket.csv, tickets.csv.bz2.
// Hidden files and directories are skipped.
func Unrecognised(ctx context.Context, fsys fs.FS, read []string) ([]string, error) {
	seen := map[string]bool{}
	for _, n := range read {
		seen[n] = true
	}
	out := []string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && !seen[p] && LooksLikeExport(p) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: list the input: %w", err)
	}
	return out, nil
}
