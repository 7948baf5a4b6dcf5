//go:build faults && linux

package faults

import (
	"bytes"
	"compress/gzip"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline"
)

// inputCase is damaged or hostile input. mutate changes the exports in
// in and returns the rows the test wrote per table.
type inputCase struct {
	name    string
	parquet bool // start from the Parquet exports
	mutate  func(t *testing.T, in string) map[string]int64
	timeout time.Duration // 0: runTimeout
	maxRSS  int64         // bound on the run's peak resident memory; 0: none
}

var inputCases = []inputCase{
	{name: "stray quote", mutate: func(t *testing.T, in string) map[string]int64 {
		// A bare quote inside an unquoted field, in the middle of the file.
		editRecord(t, filepath.Join(in, "tickets.csv"), 0.5, func(f []string) { f[1] = f[1][:3] + `"` + f[1][3:] })
		return s.rows
	}},
	{name: "unbalanced quote", mutate: func(t *testing.T, in string) map[string]int64 {
		// A field that opens a quote and never closes it.
		editRecord(t, filepath.Join(in, "tickets.csv"), 0.3, func(f []string) { f[1] = `"` + f[1] })
		return s.rows
	}},
	{name: "invalid UTF-8", mutate: func(t *testing.T, in string) map[string]int64 {
		// Windows-1252 bytes in a text column that becomes a dimension.
		for _, at := range []float64{0.2, 0.5, 0.8} {
			editRecord(t, filepath.Join(in, "tickets.csv"), at, func(f []string) { f[8] = "Caf\xe9 S\xfcpport" })
		}
		return s.rows
	}},
	{name: "truncated gzip", mutate: func(t *testing.T, in string) map[string]int64 {
		path := filepath.Join(in, "tickets.csv")
		data := readFile(t, path)
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(data)
		w.Close()
		writeFile(t, path+".gz", z.Bytes()[:z.Len()*6/10])
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return s.rows
	}},
	{name: "corrupt parquet pages", parquet: true, mutate: func(t *testing.T, in string) map[string]int64 {
		// Overwrite bytes inside the data pages, sparing the footer.
		path := filepath.Join(in, "tickets.parquet")
		data := readFile(t, path)
		n := len(data)
		footer := int(data[n-8]) | int(data[n-7])<<8 | int(data[n-6])<<16 | int(data[n-5])<<24
		end := n - 8 - footer
		for _, at := range []int{end / 4, end / 2, end * 3 / 4} {
			for i := at; i < at+48 && i < end; i++ {
				data[i] ^= 0x5a
			}
		}
		writeFile(t, path, data)
		return s.rows
	}},
	{name: "gzip bomb", maxRSS: 256 << 20, mutate: func(t *testing.T, in string) map[string]int64 {
		// A second messages file, 256 KiB compressed, 256 MiB inflated:
		// one record whose agent_id never ends. A run on these exports
		// peaks at about 60 MiB; holding the field would take several
		// times its size.
		writeFile(t, filepath.Join(in, "messages.csv.gz"), gzipBomb(t,
			"message_id,ticket_id,author,agent_id,created_at\nM99999999,T0000001,agent,",
			",2026-10-01T00:00:00Z\n", 256<<20))
		rows := maps.Clone(s.rows)
		rows["messages"]++
		return rows
	}},
	{name: "FIFO", timeout: 20 * time.Second, mutate: func(t *testing.T, in string) map[string]int64 {
		// A named pipe where an export of tickets could be; nothing ever
		// writes to it, so opening it blocks.
		if err := syscall.Mkfifo(filepath.Join(in, "tickets.jsonl"), 0o644); err != nil {
			t.Fatal(err)
		}
		return s.rows
	}},
}

// Damaged and hostile exports either give a run that accounts for every
// row the test wrote, or fail it leaving the previous outputs as they
// were; the next normal run succeeds.
func TestInput(t *testing.T) {
	for _, tc := range inputCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			from := s.csv
			if tc.parquet {
				from = s.parquet
			}
			in, out := newCase(t, from, false)
			wrote := tc.mutate(t, in)
			before := snapshot(t, out, pipeline.RunLogFile)
			runLog := readRunLog(t, out)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			r := s.run(ctx, nil, in, out)
			t.Logf("%s: %s", r, firstError(r))
			switch {
			case r.err != nil:
				t.Fatal(r.err)
			case r.timedOut || r.killed:
				t.Errorf("the run %s\n%s", r, tail(r.stderr))
			case r.code == 0:
				dir := filepath.Join(out, period)
				checkAccounted(t, dir, wrote)
				checkComplete(t, dir)
			default:
				sameTree(t, "after a failed run", snapshot(t, out, pipeline.RunLogFile), before)
				checkFailureLogged(t, out, runLog, true)
			}
			if tc.maxRSS > 0 && r.maxRSS > tc.maxRSS {
				t.Errorf("the run's peak resident memory was %d MiB, want at most %d MiB", r.maxRSS>>20, tc.maxRSS>>20)
			}
			normalRun(t, out)
		})
	}
}

// firstError is the error line of a failed run, or its summary line.
func firstError(r result) string {
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(line, "cxkpi: ") {
			return line
		}
	}
	return strings.TrimSpace(r.stdout)
}

// editRecord changes the fields of the record at fraction at of the CSV
// file at path (a line of the generated files is a record: they have no
// quoted line breaks) and writes the fields back joined by commas,
// unquoted.
func editRecord(t *testing.T, path string, at float64, edit func(fields []string)) {
	t.Helper()
	lines := strings.SplitAfter(string(readFile(t, path)), "\n")
	i := 1 + int(at*float64(len(lines)-2))
	line := strings.TrimSuffix(lines[i], "\n")
	if strings.Contains(line, `"`) {
		t.Fatalf("%s:%d is quoted: %s", path, i+1, line)
	}
	fields := strings.Split(line, ",")
	edit(fields)
	lines[i] = strings.Join(fields, ",") + "\n"
	writeFile(t, path, []byte(strings.Join(lines, "")))
}

// gzipBomb returns a multi-member gzip stream that inflates to head, size
// bytes of 'a' and tail: the 'a's are one 16 MiB member repeated.
func gzipBomb(t *testing.T, head, tail string, size int) []byte {
	t.Helper()
	member := func(b []byte) []byte {
		var z bytes.Buffer
		w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		w.Close()
		return z.Bytes()
	}
	const chunk = 16 << 20
	as := member(bytes.Repeat([]byte{'a'}, chunk))
	out := member([]byte(head))
	for range size / chunk {
		out = append(out, as...)
	}
	return append(out, member([]byte(tail))...)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
