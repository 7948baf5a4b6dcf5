package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// RunManifestFile is the Parquet form of the manifest: one row per input
// table.
const RunManifestFile = "run_manifest.parquet"

// FileInfo identifies a file read or written by a run.
type FileInfo struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Versions are the versions of the program and of the libraries that
// shape its outputs.
type Versions struct {
	Cxkpi    string            `json:"cxkpi"`
	Revision string            `json:"revision,omitempty"`
	Modified bool              `json:"modified,omitempty"` // built from a checkout with uncommitted changes
	Go       string            `json:"go"`
	Modules  map[string]string `json:"modules,omitempty"`
}

// BuildVersions reads the build information of the running binary: the
// module version ("(devel)" for a build from a checkout), the commit it
// was built from when the build recorded it, the Go version and the main
// libraries'.
func BuildVersions() Versions {
	v := Versions{Cxkpi: "unknown", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Cxkpi = bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/apache/arrow/go/v17", "github.com/jung-kurt/gofpdf", "gonum.org/v1/gonum", "github.com/go-co-op/gocron":
			if v.Modules == nil {
				v.Modules = map[string]string{}
			}
			v.Modules[d.Path] = d.Version
		}
	}
	return v
}

func newRunID() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// inputFiles lists every file the tables read, once, with its size and
// checksum, in name order; an empty list, never null, when none was.
func inputFiles(ctx context.Context, fsys fs.FS, tables []TableCounts) ([]FileInfo, error) {
	var names []string
	for _, t := range tables {
		names = append(names, t.files...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]FileInfo, 0, len(names))
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := checksumFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("checksum inputs: %w", err)
		}
		out = append(out, info)
	}
	return out, nil
}

func checksumFile(fsys fs.FS, name string) (FileInfo, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	return checksum(name, f)
}

// outputFiles lists the files of the run directory dir.
func outputFiles(dir string) ([]FileInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("checksum outputs: %w", err)
	}
	var out []FileInfo
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("checksum outputs: %w", err)
		}
		info, err := checksum(e.Name(), f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("checksum outputs: %w", err)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func checksum(name string, r io.Reader) (FileInfo, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return FileInfo{Name: name, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// ManifestSchema is the schema of run_manifest.parquet.
func ManifestSchema() *arrow.Schema {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	return arrow.NewSchema([]arrow.Field{
		{Name: "run_id", Type: arrow.BinaryTypes.String},
		{Name: "as_of", Type: ts},
		{Name: "grain", Type: arrow.BinaryTypes.String},
		{Name: "period_start", Type: ts},
		{Name: "period_end", Type: ts},
		{Name: "input_table", Type: arrow.BinaryTypes.String},
		{Name: "present", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "rows_read", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rows_accepted", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rows_rejected", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rows_skipped", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rows_unmapped", Type: arrow.PrimitiveTypes.Int64},
		{Name: "started", Type: ts},
		{Name: "finished", Type: ts},
	}, nil)
}

func manifestRecord(mem memory.Allocator, m *Manifest) arrow.Record {
	b := array.NewRecordBuilder(mem, ManifestSchema())
	defer b.Release()
	ts := func(i int, t interface{ UnixMicro() int64 }) {
		b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
	}
	for _, t := range m.Tables {
		b.Field(0).(*array.StringBuilder).Append(m.RunID)
		ts(1, m.AsOf)
		b.Field(2).(*array.StringBuilder).Append(string(m.Grain))
		ts(3, m.PeriodStart)
		ts(4, m.PeriodEnd)
		b.Field(5).(*array.StringBuilder).Append(string(t.Table))
		b.Field(6).(*array.BooleanBuilder).Append(t.Present)
		b.Field(7).(*array.Int64Builder).Append(t.Read)
		b.Field(8).(*array.Int64Builder).Append(t.Accepted)
		b.Field(9).(*array.Int64Builder).Append(t.Rejected)
		b.Field(10).(*array.Int64Builder).Append(t.Skipped)
		b.Field(11).(*array.Int64Builder).Append(t.unmappedRows())
		ts(12, m.Started)
		ts(13, m.Finished)
	}
	return b.NewRecord()
}
