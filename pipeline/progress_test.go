package pipeline

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// byteCounter is a Progress that counts, for tests and the summary.
type byteCounter struct {
	read   atomic.Int64
	totals map[ingest.Table]int64
	done   []ingest.Table
}

func (b *byteCounter) Table(t ingest.Table, _ int, total int64) {
	if b.totals == nil {
		b.totals = map[ingest.Table]int64{}
	}
	b.totals[t] = total
}
func (b *byteCounter) Read(n int64)        { b.read.Add(n) }
func (b *byteCounter) Done(t ingest.Table) { b.done = append(b.done, t) }

// Progress is told each present table's files and their size, sees every
// byte of them read, and changes no output.
func TestProgressCountsTheExports(t *testing.T) {
	plain := testConfig(t, nil)
	if _, err := Run(context.Background(), plain); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, nil)
	var p byteCounter
	cfg.Progress = &p
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, tb := range sum.Tables {
		if !tb.Present {
			continue
		}
		var size int64
		for _, f := range tb.files {
			st, err := fs.Stat(cfg.Input, f)
			if err != nil {
				t.Fatal(err)
			}
			size += st.Size()
		}
		if p.totals[tb.Table] != size {
			t.Errorf("%s: total %d bytes, want %d", tb.Table, p.totals[tb.Table], size)
		}
		want += size
	}
	if len(p.done) != len(p.totals) {
		t.Errorf("%d tables done, %d started", len(p.done), len(p.totals))
	}
	// Every byte is read at least once (Parquet footers are read twice).
	if got := p.read.Load(); got < want {
		t.Errorf("%d bytes read, want at least the %d of the files", got, want)
	}
	for _, f := range []string{KPIFile, QuarantineFile} {
		a, _ := os.ReadFile(filepath.Join(plain.OutDir, testPeriod, f))
		b, _ := os.ReadFile(filepath.Join(sum.Dir, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs with progress", f)
		}
	}
}

// A file that reads at offsets still does through the counter, and the
// bytes read that way count.
func TestProgressKeepsReadAt(t *testing.T) {
	var p byteCounter
	fsys := progressFS{FS: fstest.MapFS{"orders.parquet": {Data: []byte("PAR1 some bytes PAR1")}}, p: &p}
	f, err := fsys.Open("orders.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		t.Fatal("the counted file lost ReadAt")
	}
	b := make([]byte, 4)
	if _, err := ra.ReadAt(b, 16); err != nil || string(b) != "PAR1" {
		t.Fatalf("ReadAt: %q, %v", b, err)
	}
	if _, err := f.(io.Seeker).Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if p.read.Load() != 4 {
		t.Errorf("%d bytes counted, want 4", p.read.Load())
	}
}
