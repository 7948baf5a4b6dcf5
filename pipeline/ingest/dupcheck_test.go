package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// externalLog is the message of the external check's log line.
const externalLog = "ingest: duplicate keys checked on disk"

// duplicatesCases returns inputs with many duplicate keys: within and
// across files of different formats, third and later copies of a key,
// and keys whose first row is rejected for an invalid value, which must
// not count as the first of its key.
func duplicatesCases(t *testing.T) []workersCase {
	row := func(id, channel string) string {
		return fmt.Sprintf("%s,C1,%s,2024-01-02T10:00:00Z,,open,,,,,\n", id, channel)
	}
	var a, b, j strings.Builder
	a.WriteString(ticketsHeader)
	b.WriteString(ticketsHeader)
	for i := range 2000 {
		channel := "email"
		if i%7 == 0 {
			channel = "fax" // invalid: the row never holds its key
		}
		a.WriteString(row(fmt.Sprintf("T%d", i%700), channel))
		if i%5 == 0 {
			channel = "fax"
		}
		b.WriteString(row(fmt.Sprintf("T%d", (i*13)%1500), channel))
		fmt.Fprintf(&j, `{"ticket_id":"T%d","channel":"chat","created_at":"2024-01-02","status":"open"}`+"\n", i%1100)
	}
	return []workersCase{
		{name: "duplicates/two files", table: Tickets, fsys: mapFS(map[string]string{
			"tickets.csv": a.String(), "tickets.csv.gz": gzipText(t, b.String()),
		})},
		{name: "duplicates/three formats", table: Tickets, fsys: mapFS(map[string]string{
			"tickets.csv": b.String(), "tickets.jsonl": j.String(), "tickets.ndjson": j.String(),
		})},
	}
}

// dropExternalLog removes the external check's line from a log.
func dropExternalLog(t *testing.T, logs string) string {
	t.Helper()
	var kept []string
	found := false
	for _, l := range strings.SplitAfter(logs, "\n") {
		if strings.Contains(l, externalLog) {
			found = true
			continue
		}
		kept = append(kept, l)
	}
	if !found {
		t.Errorf("no %q in the log:\n%s", externalLog, logs)
	}
	return strings.Join(kept, "")
}

// TestExternalKeys reads every test input with the in-memory and the
// external duplicate check, in lenient and strict mode and with a Reject
// function that fails, with one and four workers and several batch
// sizes: the rows, rejections, counts, error and log (but for the
// external check's line) must be the same.
func TestExternalKeys(t *testing.T) {
	modes := []struct {
		name      string
		opt       Options
		stopAfter int
	}{
		{"lenient", Options{}, 0},
		{"strict", Options{Strict: true}, 0},
		{"reject error", Options{}, 3},
	}
	cases := append(workersCases(t), duplicatesCases(t)...)
	for _, tc := range cases {
		for _, m := range modes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				for _, run := range []struct{ workers, size int }{{1, 7}, {4, 3}, {1, 100}, {4, 0}} {
					opt := m.opt
					opt.Workers, opt.BatchSize = run.workers, run.size
					want := readWith(t, tc, opt, m.stopAfter)
					opt.SpillDir, opt.ExternalKeysAbove = t.TempDir(), -1
					got := readWith(t, tc, opt, m.stopAfter)
					got.logs = dropExternalLog(t, got.logs)
					compareOutcomes(t, fmt.Sprintf("external, workers=%d batch=%d", run.workers, run.size), got, want)
					checkEmptyDir(t, opt.SpillDir)
				}
			})
		}
	}
}

// TestExternalKeysFirstAccepted spells out what the comparison with the
// in-memory check implies: a key's first row is its first accepted one.
func TestExternalKeysFirstAccepted(t *testing.T) {
	data := ticketsHeader +
		"T1,,fax,2024-01-02,,open,,,,,\n" +
		"T1,,email,2024-01-02,,open,,,,,\n" +
		"T2,,email,2024-01-02,,open,,,,,\n" +
		"T1,,email,2024-01-02,,open,,,,,\n" +
		"T1,,chat,2024-01-02,,open,,,,,\n"
	fsys := mapFS(map[string]string{"tickets.csv": data, "tickets.jsonl": `{"ticket_id":"T2","channel":"chat","created_at":"2024-01-02","status":"open"}` + "\n"})
	res := readAll(t, fsys, Tickets, Options{SpillDir: t.TempDir(), ExternalKeysAbove: -1, BatchSize: 2})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rows) != 2 || res.rows[0][2] != "email" || res.rows[1][0] != "T2" {
		t.Errorf("rows %q, want T1 by email and T2", res.rows)
	}
	var got []string
	for _, r := range res.rejs {
		got = append(got, fmt.Sprintf("%s:%d %s", r.File, r.Line, r.Reason))
	}
	want := []string{
		`tickets.csv:2 unexpected value "fax", want one of email, chat, phone, social, web, messaging, other`,
		"tickets.csv:5 duplicate key ticket_id=T1 (first at tickets.csv:3)",
		"tickets.csv:6 duplicate key ticket_id=T1 (first at tickets.csv:3)",
		"tickets.jsonl:1 duplicate key ticket_id=T2 (first at tickets.csv:4)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rejections\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestExternalKeysThreshold checks when the check is external: only with
// a SpillDir, and then for tables larger than ExternalKeysAbove.
func TestExternalKeysThreshold(t *testing.T) {
	csvData, _ := ticketsFixture(100, 2)
	fsys := mapFS(map[string]string{"tickets.csv": csvData})
	size := int64(len(csvData))
	dir := t.TempDir()
	for _, tc := range []struct {
		opt  Options
		want bool
	}{
		{Options{}, false},
		{Options{ExternalKeysAbove: -1}, false},
		{Options{SpillDir: dir}, false},
		{Options{SpillDir: dir, ExternalKeysAbove: -1}, true},
		{Options{SpillDir: dir, ExternalKeysAbove: size - 1}, true},
		{Options{SpillDir: dir, ExternalKeysAbove: size}, false},
	} {
		tc.opt.Strict = true
		r, err := Open(context.Background(), fsys, Tickets, memory.NewGoAllocator(), tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if r.external != tc.want || tc.want && r.size != size {
			t.Errorf("SpillDir %q, ExternalKeysAbove %d: external %v of %d bytes, want %v of %d",
				tc.opt.SpillDir, tc.opt.ExternalKeysAbove, r.external, r.size, tc.want, size)
		}
		r.Close()
	}
	for _, tc := range []struct {
		size int64
		want int
	}{{0, 16}, {100 << 20, 16}, {1 << 30, 32}, {20 << 30, 640}, {1 << 40, 1024}} {
		if got := keyParts(tc.size); got != tc.want {
			t.Errorf("keyParts(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

// hookFS calls open, when it is not nil, before opening a file; an error
// it returns is the error of opening the file.
type hookFS struct {
	fstest.MapFS
	open func(name string) error
}

func (h hookFS) Open(name string) (fs.File, error) {
	if h.open != nil {
		if err := h.open(name); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	return h.MapFS.Open(name)
}

// Stat does not count as opening the file.
func (h hookFS) Stat(name string) (fs.FileInfo, error) { return h.MapFS.Stat(name) }

// opens counts how many times each file was opened.
type opens struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *opens) add(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[name]++
	return o.n[name]
}

func (o *opens) count(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[name]
}

// checkEmptyDir fails the test unless dir is empty.
func checkEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("%s left in the spill directory", e.Name())
	}
}

// TestExternalKeysCleanup stops reads in every way a read can stop: the
// spill directory, where the first pass has written files, must be empty
// afterwards, the goroutines gone and every batch released.
func TestExternalKeysCleanup(t *testing.T) {
	csvData, jsonData := ticketsFixture(3000, 5)
	gz := gzipText(t, csvData)
	tests := []struct {
		name    string
		opt     Options
		corrupt bool // the gzip file is cut short
		read    func(t *testing.T, r *Reader)
		err     string // the Read that ends the read fails with it; "" for none
		spills  bool   // the first pass comes to tickets.jsonl, after writing keys
	}{
		{name: "close before reading", read: func(*testing.T, *Reader) {}},
		{name: "close after a batch", spills: true, read: func(t *testing.T, r *Reader) {
			rec, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}},
		{name: "read to the end", spills: true},
		{name: "strict error", opt: Options{Strict: true}, err: "tickets.csv.gz:"},
		{name: "reject error", opt: Options{Reject: func(Rejection) error { return errors.New("quarantine full") }}, err: "quarantine full", spills: true},
		{name: "corrupt file", corrupt: true, err: "tickets.csv.gz"},
	}
	for _, tc := range tests {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				before := runtime.NumGoroutine()
				dir := t.TempDir()
				files := map[string]string{"tickets.csv.gz": gz, "tickets.jsonl": jsonData}
				if tc.corrupt {
					files["tickets.csv.gz"] = gz[:len(gz)/2]
				}
				spilled := 0
				fsys := hookFS{MapFS: mapFS(files), open: func(name string) error {
					if ents, _ := os.ReadDir(dir); len(ents) > 0 {
						spilled++
					}
					return nil
				}}
				opt := tc.opt
				opt.Workers, opt.BatchSize, opt.SpillDir, opt.ExternalKeysAbove = workers, 50, dir, -1
				if !opt.Strict && opt.Reject == nil {
					opt.Reject = func(Rejection) error { return nil }
				}
				r, err := Open(context.Background(), fsys, Tickets, checkedMem(t), opt)
				if err != nil {
					t.Fatal(err)
				}
				read := tc.read
				if read == nil {
					read = func(t *testing.T, r *Reader) {
						for {
							rec, err := r.Read()
							if err == io.EOF && tc.err == "" {
								return
							}
							if err != nil {
								if tc.err == "" || !strings.Contains(err.Error(), tc.err) {
									t.Errorf("Read error %v, want one containing %q", err, tc.err)
								}
								return
							}
							rec.Release()
						}
					}
				}
				read(t, r)
				checkEmptyDir(t, dir)
				if err := r.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				checkEmptyDir(t, dir)
				if tc.spills && spilled == 0 {
					t.Error("the first pass spilled nothing: opening tickets.jsonl found no file in the spill directory")
				}
				waitGoroutines(t, before)
			})
		}
	}
}

// TestExternalKeysSpillDirMissing: the first Read fails with an error
// naming the directory it cannot write to.
func TestExternalKeysSpillDirMissing(t *testing.T) {
	csvData, _ := ticketsFixture(100, 3)
	dir := filepath.Join(t.TempDir(), "missing")
	res := readAll(t, mapFS(map[string]string{"tickets.csv": csvData}), Tickets, Options{SpillDir: dir, ExternalKeysAbove: -1})
	if res.err == nil || !strings.Contains(res.err.Error(), "missing") || res.counts != (Counts{}) || len(res.rejs) > 0 {
		t.Errorf("read ended with %v after %+v and %d rejections, want an error naming the directory before any row", res.err, res.counts, len(res.rejs))
	}
}

// TestExternalKeysCancel cancels the context while the first pass reads
// the second of three files: the first Read must fail with
// context.Canceled without opening the third file again, reporting
// nothing and leaving nothing behind.
func TestExternalKeysCancel(t *testing.T) {
	csvData, jsonData := ticketsFixture(2000, 4)
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			before := runtime.NumGoroutine()
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var o opens
			fsys := hookFS{MapFS: mapFS(map[string]string{
				"tickets.csv": csvData, "tickets.csv.gz": gzipText(t, csvData), "tickets.jsonl": jsonData,
			}), open: func(name string) error {
				// Open reads each header once; the first pass opens them again.
				if o.add(name) == 2 && name == "tickets.csv.gz" {
					cancel()
				}
				return nil
			}}
			rejected := 0
			r, err := Open(ctx, fsys, Tickets, checkedMem(t), Options{Workers: workers, BatchSize: 100, SpillDir: dir, ExternalKeysAbove: -1,
				Reject: func(Rejection) error { rejected++; return nil }})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := r.Read()
			if rec != nil {
				rec.Release()
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Read: %v, want context.Canceled", err)
			}
			if n := o.count("tickets.jsonl"); n != 1 {
				t.Errorf("tickets.jsonl opened %d times, want once, by Open", n)
			}
			if c := r.Counts(); c != (Counts{}) || rejected > 0 {
				t.Errorf("counts %+v and %d rejections after a cancelled first pass, want none", c, rejected)
			}
			r.Close()
			checkEmptyDir(t, dir)
			waitGoroutines(t, before)
		})
	}
}

// TestExternalKeysFirstPassError makes the first pass fail to open a file
// that the second pass can open: the second pass must not read rows the
// first did not check, and ends with the first pass's error after the
// rows before that file.
func TestExternalKeysFirstPassError(t *testing.T) {
	csvData, jsonData := ticketsFixture(500, 6)
	for _, workers := range []int{1, 4} {
		var o opens
		fsys := hookFS{MapFS: mapFS(map[string]string{"tickets.csv": csvData, "tickets.jsonl": jsonData}), open: func(name string) error {
			// Open reads each header once; the first pass opens them again.
			if o.add(name) == 2 && name == "tickets.jsonl" {
				return errors.New("device not ready")
			}
			return nil
		}}
		opt := Options{Workers: workers, BatchSize: 7, SpillDir: t.TempDir(), ExternalKeysAbove: -1}
		res := readAll(t, fsys, Tickets, opt)
		if res.err == nil || !strings.Contains(res.err.Error(), "tickets.jsonl: device not ready") || res.counts.Read != 500 {
			t.Errorf("workers=%d: error %v after %+v, want the first pass's error naming tickets.jsonl after the 500 rows of tickets.csv", workers, res.err, res.counts)
		}
		if n := o.count("tickets.jsonl"); n != 3 {
			t.Errorf("workers=%d: tickets.jsonl opened %d times, want 3 (Open, first pass, second pass)", workers, n)
		}
		checkEmptyDir(t, opt.SpillDir)
	}
}

// BenchmarkDuplicateCheck reads a million messages (about 50 MB of CSV)
// with the in-memory and the external duplicate check, in strict mode
// with the default workers and batch size, and reports the cost per row
// and, in live-B/row, what the reader still holds on the Go heap at the
// end of a read: the in-memory check's map, or the external check's list
// of duplicates.
func BenchmarkDuplicateCheck(b *testing.B) {
	const n = 1e6
	data := benchMessages(n)
	fsys := mapFS(map[string]string{"messages.csv": data})
	for _, check := range []string{"memory", "external"} {
		b.Run("check="+check+"/rows=1e+06", func(b *testing.B) {
			opt := Options{Strict: true}
			if check == "external" {
				opt.SpillDir, opt.ExternalKeysAbove = b.TempDir(), -1
			}
			b.SetBytes(int64(len(data)))
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(b, 0)
			live := liveAfterRead(b, fsys, Messages, mem, opt)
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				readRows(b, fsys, Messages, mem, opt, n)
			}
			runtime.ReadMemStats(&after)
			reportPerRow(b, float64(b.N)*n, &before, &after)
			b.ReportMetric(float64(live)/n, "live-B/row")
		})
	}
}

// liveAfterRead reads table t to the end and returns how much more the
// Go heap holds, after a collection, than before Open.
func liveAfterRead(b *testing.B, fsys fs.FS, t Table, mem memory.Allocator, opt Options) int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := int64(ms.HeapAlloc)
	r, err := Open(context.Background(), fsys, t, mem, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return max(int64(ms.HeapAlloc)-before, 0)
}
