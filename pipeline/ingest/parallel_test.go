package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// BenchmarkWorkers reads 1e5 tickets in each format with one worker and
// with two.
func BenchmarkWorkers(b *testing.B) {
	const n = 1e5
	csvData, jsonData := benchTickets(n)
	rec, _ := readTable(b, memory.NewGoAllocator(), mapFS(map[string]string{"tickets.csv": csvData}), Tickets, Options{})
	pq := parquetBytesRowGroups(b, memory.NewGoAllocator(), rec, 64<<10)
	rec.Release()
	for _, f := range []struct{ name, data string }{
		{"tickets.csv", csvData}, {"tickets.jsonl", jsonData}, {"tickets.parquet", pq},
	} {
		fsys := mapFS(map[string]string{f.name: f.data})
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("file=%s/workers=%d", f.name, w), func(b *testing.B) {
				b.SetBytes(int64(len(f.data)))
				benchWorkers(b, fsys, w, n)
			})
		}
	}
}

func benchWorkers(b *testing.B, fsys fs.FS, workers, rows int) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		readRows(b, fsys, Tickets, mem, Options{Strict: true, Workers: workers}, rows)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// workersCase is one input read with different numbers of workers.
type workersCase struct {
	name  string
	table Table
	fsys  fs.FS
	opt   Options
}

// workersCases returns every input of the package's tests: the
// conformance data in each format, the rule tests, mappings, several files
// of a table in different formats, and files that end the read early.
func workersCases(t *testing.T) []workersCase {
	var cases []workersCase
	mem := memory.NewGoAllocator()
	for _, tc := range conformanceCases {
		spec, _ := SpecOf(tc.table)
		rec := typedRecord(t, mem, spec, tc.rows)
		pq := parquetBytes(t, mem, rec)
		rec.Release()
		for name, data := range map[string]string{
			"csv": csvText(t, spec, tc.rows), "jsonl": jsonlText(t, spec, tc.rows), "parquet": pq,
		} {
			file := string(tc.table) + "." + name
			cases = append(cases, workersCase{name: "conformance/" + file, table: tc.table, fsys: mapFS(map[string]string{file: data})})
		}
	}
	for _, tc := range ruleTests {
		name := tc.file
		if name == "" {
			name = string(tc.table) + ".csv"
		}
		cases = append(cases, workersCase{name: "rules/" + tc.name, table: tc.table, fsys: mapFS(map[string]string{name: tc.data})})
	}
	m := loadMappingFile(t, "testdata/zendesk/mapping.yaml")
	for _, tb := range []Table{Tickets, Surveys} {
		cases = append(cases, workersCase{name: "zendesk/" + string(tb), table: tb, fsys: os.DirFS("testdata/zendesk"), opt: Options{Mapping: m.Tables[tb]}})
	}

	// Three thousand tickets, about one in twenty broken, in four files
	// whose keys overlap.
	csvData, jsonData := ticketsFixture(3000, 11)
	spec, _ := SpecOf(Tickets)
	strict, _ := readTable(t, mem, mapFS(map[string]string{"tickets.csv": csvData}), Tickets, Options{})
	rows := make([][]string, strict.NumRows())
	for i := range rows {
		rows[i] = make([]string, strict.NumCols())
		for j, col := range strict.Columns() {
			rows[i][j] = canonicalCell(col, i)
		}
	}
	strict.Release()
	rec := typedRecord(t, mem, spec, rows[:1000])
	pq := parquetBytesRowGroups(t, mem, rec, 300)
	rec.Release()
	files := map[string]string{
		"tickets.csv":      csvData,
		"tickets.csv.gz":   gzipText(t, csvWithBadRows(csvData)),
		"tickets.jsonl.gz": gzipText(t, jsonData),
		"tickets.parquet":  pq,
	}
	cases = append(cases, workersCase{name: "fixture", table: Tickets, fsys: mapFS(files)})

	// A gzip file cut short ends the read after the rows before the cut.
	gz := gzipText(t, csvData)
	cases = append(cases, workersCase{name: "corrupt gzip", table: Tickets, fsys: mapFS(map[string]string{"tickets.csv.gz": gz[:len(gz)/2]})})
	return cases
}

// csvWithBadRows returns the CSV text with malformed records added: bad
// quotes, records spanning lines, wrong numbers of fields.
func csvWithBadRows(csvData string) string {
	lines := strings.SplitAfter(csvData, "\n")
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l)
		switch i % 97 {
		case 5:
			b.WriteString("X1,C1,email,2024-01-02,,open,,,,,bare\"quote\n")
		case 17:
			b.WriteString("\"X2\",\"C2\nnext line\",email,2024-01-02,,open,,,,,\n")
		case 31:
			b.WriteString("X3,C3,email\n")
		case 53:
			b.WriteString("\"X4,C4,email,2024-01-02,,open,,,,,\"x\n")
		}
	}
	return b.String()
}

// readOutcome is everything a read produced, in comparable form.
type readOutcome struct {
	rows   [][]string
	rejs   []Rejection
	counts Counts
	err    string
	logs   string
}

// readWith reads tc with the given options and the options of tc. With
// stopAfter > 0, the Reject function fails on the stopAfter-th rejection.
func readWith(t *testing.T, tc workersCase, opt Options, stopAfter int) readOutcome {
	t.Helper()
	mem := checkedMem(t)
	var out readOutcome
	var logs strings.Builder
	opt.Mapping = tc.opt.Mapping
	opt.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	if !opt.Strict {
		opt.Reject = func(r Rejection) error {
			out.rejs = append(out.rejs, r)
			if len(out.rejs) == stopAfter {
				return errors.New("quarantine full")
			}
			return nil
		}
	}
	r, err := Open(context.Background(), tc.fsys, tc.table, mem, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.err = err.Error()
			break
		}
		if n := rec.NumRows(); n == 0 || n > int64(opt.BatchSize) && opt.BatchSize > 0 {
			t.Errorf("batch of %d rows with batch size %d", n, opt.BatchSize)
		}
		out.rows = append(out.rows, render(rec)...)
		rec.Release()
	}
	out.counts = r.Counts()
	out.logs = logs.String()
	return out
}

// TestWorkers reads every test input with one worker and batches of one
// row, and then with one and four workers and larger batches: the
// rejections, the counts, the error that ends the read and the log must
// be the same, and so must the rows. When an error ends the read, the
// rows of the batch it interrupts are lost, so then the rows must be the
// same as with one worker and the same batch size, and the beginning of
// the rows with batches of one row.
func TestWorkers(t *testing.T) {
	modes := []struct {
		name      string
		opt       Options
		stopAfter int
	}{
		{"lenient", Options{}, 0},
		{"strict", Options{Strict: true}, 0},
		{"reject error", Options{}, 3},
	}
	for _, tc := range workersCases(t) {
		for _, m := range modes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				opt := m.opt
				opt.Workers, opt.BatchSize = 1, 1
				want := readWith(t, tc, opt, m.stopAfter)
				for _, size := range []int{1, 3, 100, 0} {
					var one readOutcome
					for _, workers := range []int{1, 4} {
						opt := m.opt
						opt.Workers, opt.BatchSize = workers, size
						got := readWith(t, tc, opt, m.stopAfter)
						what := fmt.Sprintf("workers=%d batch=%d", workers, size)
						if workers == 1 {
							one = got
						} else if !slices.EqualFunc(got.rows, one.rows, slices.Equal) {
							t.Errorf("%s: rows differ from one worker's", what)
						}
						want := want
						if want.err != "" && len(got.rows) <= len(want.rows) {
							want.rows = want.rows[:len(got.rows)]
						}
						compareOutcomes(t, what, got, want)
					}
				}
			})
		}
	}
}

func compareOutcomes(t *testing.T, what string, got, want readOutcome) {
	t.Helper()
	if !slices.EqualFunc(got.rows, want.rows, slices.Equal) {
		t.Errorf("%s: %d rows differ from %d rows read with one worker", what, len(got.rows), len(want.rows))
	}
	if !slices.EqualFunc(got.rejs, want.rejs, sameRejection) {
		t.Errorf("%s: %d rejections differ from %d with one worker", what, len(got.rejs), len(want.rejs))
		for i := range min(len(got.rejs), len(want.rejs)) {
			if !sameRejection(got.rejs[i], want.rejs[i]) {
				t.Errorf("first difference:\n got %+v\nwant %+v", got.rejs[i], want.rejs[i])
				break
			}
		}
	}
	if got.counts != want.counts {
		t.Errorf("%s: counts %+v, want %+v", what, got.counts, want.counts)
	}
	if got.err != want.err {
		t.Errorf("%s: error %q, want %q", what, got.err, want.err)
	}
	if got.logs != want.logs {
		t.Errorf("%s: log\n%s\nwant\n%s", what, got.logs, want.logs)
	}
}

// TestWorkersStop stops reads in every way a read can stop: the workers'
// goroutines must be gone and every batch they made released.
func TestWorkersStop(t *testing.T) {
	csvData, _ := ticketsFixture(5000, 5)
	tests := []struct {
		name string
		opt  Options
		read func(t *testing.T, r *Reader, cancel context.CancelFunc)
	}{
		{"close before reading", Options{}, func(*testing.T, *Reader, context.CancelFunc) {}},
		{"close after a batch", Options{}, func(t *testing.T, r *Reader, _ context.CancelFunc) {
			rec, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}},
		{"read to the end", Options{}, func(t *testing.T, r *Reader, _ context.CancelFunc) {
			for {
				rec, err := r.Read()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				rec.Release()
			}
		}},
		{"strict error", Options{Strict: true}, func(t *testing.T, r *Reader, _ context.CancelFunc) {
			for {
				rec, err := r.Read()
				if err != nil {
					var pe *ParseError
					if !errors.As(err, &pe) {
						t.Errorf("error %v, want a *ParseError", err)
					}
					return
				}
				rec.Release()
			}
		}},
		{"reject error", Options{Reject: func(Rejection) error { return errors.New("quarantine full") }},
			func(t *testing.T, r *Reader, _ context.CancelFunc) {
				for {
					rec, err := r.Read()
					if err != nil {
						return
					}
					rec.Release()
				}
			}},
		{"cancel", Options{}, func(t *testing.T, r *Reader, cancel context.CancelFunc) {
			rec, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			rec.Release()
			cancel()
			if _, err := r.Read(); !errors.Is(err, context.Canceled) {
				t.Errorf("Read after cancel: %v, want context.Canceled", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			mem := checkedMem(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opt := tc.opt
			opt.Workers, opt.BatchSize = 4, 10
			if !opt.Strict && opt.Reject == nil {
				opt.Reject = func(Rejection) error { return nil }
			}
			r, err := Open(ctx, mapFS(map[string]string{"tickets.csv": csvData}), Tickets, mem, opt)
			if err != nil {
				t.Fatal(err)
			}
			tc.read(t, r, cancel)
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			waitGoroutines(t, before)
		})
	}
}

// waitGoroutines fails the test unless the number of goroutines falls
// back to n: goroutines that have signalled they are done may take a
// moment to exit.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWorkersAhead checks that the workers stay at most a few chunks
// ahead of Read: memory is bounded however slowly the caller reads.
func TestWorkersAhead(t *testing.T) {
	csvData, _ := ticketsFixture(20000, 9)
	fsys := mapFS(map[string]string{"tickets.csv": csvData})
	mem := checkedMem(t)
	all, _ := readTable(t, mem, fsys, Tickets, Options{})
	var total int
	for _, col := range all.Columns() {
		for _, b := range col.Data().Buffers() {
			if b != nil {
				total += b.Len()
			}
		}
	}
	all.Release()

	var rejected int
	r, err := Open(context.Background(), fsys, Tickets, mem, Options{Workers: 2, BatchSize: 100, Reject: func(Rejection) error {
		rejected++
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	rec.Release()
	time.Sleep(100 * time.Millisecond) // time to run ahead
	if got := mem.CurrentAlloc(); got > total/10 {
		t.Errorf("%d bytes allocated after one batch, the whole table takes %d", got, total)
	}
	if c := r.Counts(); c.Read > 100 || int64(rejected) != c.Rejected {
		t.Errorf("counts %+v and %d rejections after one batch of a 100-row chunk", c, rejected)
	}
}

// TestWorkersOpenError removes a file between Open and Read: the read
// ends when it comes to the file, after the rows of the file before it.
func TestWorkersOpenError(t *testing.T) {
	csvData, jsonData := ticketsFixture(500, 3)
	var outcomes []readOutcome
	for _, workers := range []int{1, 4} {
		fsys := mapFS(map[string]string{"tickets.csv": csvData, "tickets.jsonl": jsonData})
		mem := checkedMem(t)
		var out readOutcome
		r, err := Open(context.Background(), fsys, Tickets, mem, Options{Workers: workers, BatchSize: 7, Reject: func(rej Rejection) error {
			out.rejs = append(out.rejs, rej)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		delete(fsys, "tickets.jsonl")
		for {
			rec, err := r.Read()
			if err != nil {
				out.err = err.Error()
				break
			}
			out.rows = append(out.rows, render(rec)...)
			rec.Release()
		}
		out.counts = r.Counts()
		r.Close()
		if !strings.Contains(out.err, "tickets.jsonl") || out.counts.Read != 500 {
			t.Errorf("workers=%d: error %q after %+v, want an error naming tickets.jsonl after the 500 rows of tickets.csv", workers, out.err, out.counts)
		}
		outcomes = append(outcomes, out)
	}
	compareOutcomes(t, "workers=4", outcomes[1], outcomes[0])
}
