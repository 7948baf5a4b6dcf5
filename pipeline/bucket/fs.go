package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// FS returns the objects of b as a read-only file system: the key
// tickets.csv is the file tickets.csv, exports/2026/tickets.csv the file
// tickets.csv in the directory exports/2026. Objects are regular files
// (mode 0444) with their size and modification time (to the second); a
// directory is a key prefix ending in "/" and exists while an object lies
// under it.
// Every request to the store is made with ctx, so cancelling it stops a
// read under way.
//
// The result implements [fs.StatFS] and [fs.ReadDirFS], and
// WithContext(ctx) fs.FS, which returns the same file system making its
// requests with another context (a run's); its files are streams (no
// Seek), and its directories list in name order. Unlike
// [blob.Bucket]'s own Open, it reports objects as regular files, and a
// store that cannot be reached as an error, not as a missing file.
func FS(ctx context.Context, b *blob.Bucket) fs.FS {
	return &bucketFS{ctx: ctx, b: b}
}

type bucketFS struct {
	ctx context.Context
	b   *blob.Bucket
}

// WithContext returns the file system of the same bucket making its
// requests with ctx.
func (f *bucketFS) WithContext(ctx context.Context) fs.FS {
	return &bucketFS{ctx: ctx, b: f.b}
}

// Open opens the object or the directory name.
func (f *bucketFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name != "." {
		r, err := f.b.NewReader(f.ctx, name, nil)
		if err == nil {
			return &file{r: r, info: newFileInfo(path.Base(name), r.Size(), r.ModTime())}, nil
		}
		if gcerrors.Code(err) != gcerrors.NotFound {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	entries, err := f.list(name, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &dir{info: dirInfo(name), entries: entries}, nil
}

// Stat returns the file info of the object or directory name.
func (f *bucketFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return dirInfo(name), nil
	}
	a, err := f.b.Attributes(f.ctx, name)
	if err == nil {
		return newFileInfo(path.Base(name), a.Size, a.ModTime), nil
	}
	if gcerrors.Code(err) != gcerrors.NotFound {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if _, err := f.list(name, 1); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return dirInfo(name), nil
}

// ReadDir lists the directory name in name order.
func (f *bucketFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	entries, err := f.list(name, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

// list returns the entries of the directory name, at most limit of them
// when limit > 0, in name order; fs.ErrNotExist when there are none,
// except at the root, which always exists. Keys that are no valid file
// names (a folder marker "exports/", "a//b") are left out.
func (f *bucketFS) list(name string, limit int) ([]fs.DirEntry, error) {
	prefix := ""
	if name != "." {
		prefix = name + "/"
	}
	it := f.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var out []fs.DirEntry
	for limit <= 0 || len(out) < limit {
		obj, err := it.Next(f.ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
		base := strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/")
		if base == "" || strings.Contains(base, "/") || !fs.ValidPath(base) {
			continue
		}
		if obj.IsDir {
			out = append(out, dirInfo(base))
		} else {
			out = append(out, newFileInfo(base, obj.Size, obj.ModTime))
		}
	}
	if len(out) == 0 && name != "." {
		return nil, fs.ErrNotExist
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// file is an open object.
type file struct {
	r    *blob.Reader
	info fileInfo
}

func (f *file) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *file) Close() error               { return f.r.Close() }
func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

// dir is an open directory.
type dir struct {
	info    fs.FileInfo
	entries []fs.DirEntry
	offset  int
}

func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}
func (d *dir) Close() error               { return nil }
func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }

// ReadDir returns the next count entries, or all that are left when
// count <= 0, as [fs.ReadDirFile] says.
func (d *dir) ReadDir(count int) ([]fs.DirEntry, error) {
	n := len(d.entries) - d.offset
	if n == 0 && count > 0 {
		return nil, io.EOF
	}
	if count > 0 && n > count {
		n = count
	}
	out := d.entries[d.offset : d.offset+n]
	d.offset += n
	return out, nil
}

// fileInfo describes an object; it is its own fs.DirEntry.
type fileInfo struct {
	name string
	size int64
	mod  time.Time
}

// newFileInfo describes an object whose modification time is mod, kept
// to the second: a store can list it to the millisecond or microsecond
// (Google Cloud Storage's JSON API) and return it to the second on a
// read (the HTTP Last-Modified header), and one object has one time.
func newFileInfo(name string, size int64, mod time.Time) fileInfo {
	return fileInfo{name: name, size: size, mod: mod.Truncate(time.Second)}
}

func (i fileInfo) Name() string               { return i.name }
func (i fileInfo) Size() int64                { return i.size }
func (i fileInfo) Mode() fs.FileMode          { return 0o444 }
func (i fileInfo) ModTime() time.Time         { return i.mod }
func (i fileInfo) IsDir() bool                { return false }
func (i fileInfo) Sys() any                   { return nil }
func (i fileInfo) Type() fs.FileMode          { return 0 }
func (i fileInfo) Info() (fs.FileInfo, error) { return i, nil }

// dirInfo describes a directory, a key prefix.
type dirInfo string

func (d dirInfo) Name() string               { return path.Base(string(d)) }
func (d dirInfo) Size() int64                { return 0 }
func (d dirInfo) Mode() fs.FileMode          { return fs.ModeDir | 0o555 }
func (d dirInfo) ModTime() time.Time         { return time.Time{} }
func (d dirInfo) IsDir() bool                { return true }
func (d dirInfo) Sys() any                   { return nil }
func (d dirInfo) Type() fs.FileMode          { return fs.ModeDir }
func (d dirInfo) Info() (fs.FileInfo, error) { return d, nil }
