package sample

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// small is a quick configuration with bad rows.
func small() Config {
	return Config{Seed: 7, Customers: 300, Months: 4, BadRows: 3}
}

// files returns the names of the regular files in dir, sorted.
func files(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestDeterminism(t *testing.T) {
	a, _ := generate(t, small())
	b, _ := generate(t, small())
	other := small()
	other.Seed++
	c, _ := generate(t, other)

	names := files(t, a)
	if got := files(t, b); !slices.Equal(got, names) {
		t.Fatalf("second run wrote %v, first %v", got, names)
	}
	want := []string{BadRowsFile}
	for _, tb := range ingest.Tables() {
		want = append(want, string(tb)+".csv")
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for _, name := range names {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs of the same config", name)
		}
		if name == BadRowsFile {
			continue
		}
		z, _ := os.ReadFile(filepath.Join(c, name))
		if bytes.Equal(x, z) {
			t.Errorf("%s is the same for seeds %d and %d", name, small().Seed, other.Seed)
		}
	}
}

func TestHeadersAndCounts(t *testing.T) {
	cfg := small()
	dir, rows := generate(t, cfg)
	if len(rows) != len(ingest.Tables()) {
		t.Errorf("rows for %d tables, want %d", len(rows), len(ingest.Tables()))
	}
	for _, tb := range ingest.Tables() {
		e := readExport(t, dir, tb)
		var names []string
		for _, c := range e.spec.Columns {
			names = append(names, c.Name)
		}
		if !slices.Equal(e.header, names) {
			t.Errorf("%s header %v, want %v", tb, e.header, names)
		}
		if got := int64(len(e.rows)); got != rows[string(tb)] {
			t.Errorf("%s has %d rows, Generate reported %d", tb, got, rows[string(tb)])
		}
		if len(e.rows) <= cfg.BadRows {
			t.Errorf("%s has %d rows, want more than the %d bad ones", tb, len(e.rows), cfg.BadRows)
		}
	}
}

// TestBadRowsAsDeclared checks that the rows a strict reader rejects are
// exactly those BAD_ROWS.md lists, for the right column.
func TestBadRowsAsDeclared(t *testing.T) {
	for _, n := range []int{0, 1, 3, 7} {
		cfg := small()
		cfg.BadRows = n
		dir, _ := generate(t, cfg)
		declared, err := ReadBadRows(os.DirFS(dir))
		if n == 0 {
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("bad rows 0: ReadBadRows error %v, want not exist", err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if got, want := len(declared), n*len(ingest.Tables()); got != want {
			t.Errorf("bad rows %d: %d declared, want %d", n, got, want)
		}
		for _, tb := range ingest.Tables() {
			e := readExport(t, dir, tb)
			found := invalidLines(e, cfg.withDefaults().End)
			for _, d := range declared {
				if d.File != string(tb)+".csv" {
					continue
				}
				reason, ok := found[d.Line]
				if !ok {
					t.Errorf("%s:%d declared bad (%s: %s) but reads as valid", d.File, d.Line, d.Column, d.Problem)
					continue
				}
				if !strings.HasPrefix(reason, d.Column) && !strings.HasPrefix(reason, "duplicate") {
					t.Errorf("%s:%d declared bad in %s, but rejected for %s", d.File, d.Line, d.Column, reason)
				}
				delete(found, d.Line)
			}
			for line, reason := range found {
				t.Errorf("%s.csv:%d is invalid (%s) but not declared", tb, line, reason)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range configErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Generate(context.Background(), dir, tc.cfg, nil)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got error %v, want ErrConfig", err)
			}
			if names := files(t, dir); len(names) != 0 {
				t.Errorf("wrote %v for an invalid config", names)
			}
		})
	}
}

var configErrorTests = []struct {
	name string
	cfg  Config
}{
	{"negative customers", Config{Customers: -1}},
	{"too many months", Config{Months: MaxMonths + 1}},
	{"negative bad rows", Config{BadRows: -2}},
	{"unknown format", Config{Format: "xlsx"}},
	{"ancient end", Config{End: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}},
}

// TestCancel checks that a cancelled run returns the context's error and
// leaves nothing behind, not even temporary files.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Generate(ctx, dir, small(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if names := files(t, dir); len(names) != 0 {
		t.Errorf("a cancelled run left %v", names)
	}
}

// TestReplace checks that a second run replaces the files of the first and
// removes a BAD_ROWS.md that no longer applies.
func TestReplace(t *testing.T) {
	dir, _ := generate(t, small())
	cfg := small()
	cfg.BadRows = 0
	cfg.Customers = 50
	var calls []string
	rows, err := Generate(context.Background(), dir, cfg, func(table string, n int64) {
		calls = append(calls, table)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, BadRowsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale %s: stat error %v, want not exist", BadRowsFile, err)
	}
	if e := readExport(t, dir, ingest.Customers); len(e.rows) != 50 || rows["customers"] != 50 {
		t.Errorf("customers: %d rows, reported %d, want 50", len(e.rows), rows["customers"])
	}
	var want []string
	for _, tb := range ingest.Tables() {
		want = append(want, string(tb))
	}
	if !slices.Equal(calls, want) {
		t.Errorf("progress called for %v, want %v", calls, want)
	}
}

func TestReadBadRowsRoundTrip(t *testing.T) {
	in := []BadRow{
		{File: "tickets.csv", Line: 12, Column: "channel", Problem: `"fax" is not an allowed value`},
		{File: "surveys.parquet", Line: 3, Column: "score", Problem: "score 7 outside scale 1..5"},
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, BadRowsFile), formatBadRows(small().withDefaults(), in), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := ReadBadRows(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out, in) {
		t.Errorf("got %v, want %v", out, in)
	}
}

// TestEdgeConfigs checks that extreme but valid configurations generate
// well-formed files: every table with its header, only valid or declared
// rows.
func TestEdgeConfigs(t *testing.T) {
	for _, tc := range edgeConfigTests {
		t.Run(tc.name, func(t *testing.T) {
			dir, rows := generate(t, tc.cfg)
			declared := 0
			if tc.cfg.BadRows > 0 {
				bad, err := ReadBadRows(os.DirFS(dir))
				if err != nil {
					t.Fatal(err)
				}
				declared = len(bad)
			}
			invalid := 0
			for _, tb := range ingest.Tables() {
				e := readExport(t, dir, tb)
				if int64(len(e.rows)) != rows[string(tb)] {
					t.Errorf("%s: %d rows, reported %d", tb, len(e.rows), rows[string(tb)])
				}
				invalid += len(invalidLines(e, tc.cfg.withDefaults().End))
			}
			if invalid != declared {
				t.Errorf("%d invalid rows, %d declared", invalid, declared)
			}
			if got := rows["customers"]; got < int64(tc.cfg.withDefaults().Customers) {
				t.Errorf("%d customers, want at least %d", got, tc.cfg.Customers)
			}
		})
	}
}

var edgeConfigTests = []struct {
	name string
	cfg  Config
}{
	{"one customer", Config{Customers: 1, Months: 1, BadRows: 3}},
	{"one month", Config{Seed: 2, Customers: 50, Months: 1, BadRows: 1}},
	{"ten years", Config{Seed: 3, Customers: 30, Months: MaxMonths}},
	{"end mid-month, not UTC", Config{Seed: 4, Customers: 40, End: time.Date(2025, 3, 30, 1, 30, 0, 0, time.FixedZone("X", 5*3600)), BadRows: 2}},
	{"many bad rows", Config{Seed: 5, Customers: 20, Months: 2, BadRows: 40}},
	{"volume targets", Config{Seed: 6, Months: 2, Tickets: 2000, Messages: 9000, Surveys: 1500, Orders: 2500, BadRows: 3}},
}

// FuzzReadBadRows checks that ReadBadRows never panics and that what it
// reads, written back, reads the same.
func FuzzReadBadRows(f *testing.F) {
	f.Add(string(formatBadRows(small().withDefaults(), []BadRow{{File: "a.csv", Line: 3, Column: "x", Problem: "y"}})))
	f.Add("| a | b | c | d |\n| a.csv | 2 | c | d | e |\n")
	f.Add("| a.csv | x | c | d |\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadBadRows(fstest.MapFS{BadRowsFile: {Data: []byte(in)}})
		if err != nil {
			return
		}
		again, err := ReadBadRows(fstest.MapFS{BadRowsFile: {Data: formatBadRows(small().withDefaults(), rows)}})
		if err != nil {
			t.Fatalf("reading back %v: %v", rows, err)
		}
		if !slices.Equal(again, rows) {
			t.Errorf("read back %v, want %v", again, rows)
		}
	})
}
