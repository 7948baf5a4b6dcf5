package pipeline

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

var spreadsheetCases = []struct {
	name, in, want string
}{
	{"formula", `=HYPERLINK("http://x","click")`, `'=HYPERLINK("http://x","click")`},
	{"DDE", `=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
	{"plus", "+1+1", "'+1+1"},
	{"minus", "-2+3", "'-2+3"},
	{"negative number", "-3", "'-3"}, // OWASP's advice: text, not a number
	{"at", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
	{"tab", "\t=1", "'\t=1"},
	{"carriage return", "\r=1", "'\r=1"},
	{"plain", "T1,c1,fax", "T1,c1,fax"},
	{"formula later in the cell", "a=1", "a=1"},
	{"leading quote", "'quoted", "'quoted"},
	{"empty", "", ""},
	{"space first", " =1", " =1"},
}

func TestSpreadsheetText(t *testing.T) {
	for _, tc := range spreadsheetCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := spreadsheetText(tc.in); got != tc.want {
				t.Errorf("spreadsheetText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Every text cell of quarantine.csv is neutralised, the raw row included;
// quarantine.parquet keeps the values as they were read.
func TestQuarantineCSVInjection(t *testing.T) {
	dir := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	csvPath, pqPath := filepath.Join(dir, QuarantineFile), filepath.Join(dir, QuarantineParquet)
	q, err := newQuarantine(csvPath, pqPath, mem)
	if err != nil {
		t.Fatal(err)
	}
	var want []ingest.Rejection
	for i, tc := range spreadsheetCases {
		r := ingest.Rejection{Table: ingest.Tickets, File: "tickets.csv", Line: i + 2, Column: 3,
			Field: "channel", Reason: tc.in, Raw: tc.in}
		if i == 0 {
			r.File, r.Field = "=evil.csv", "@field"
		}
		want = append(want, r)
		if err := q.write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.commit(); err != nil {
		t.Fatal(err)
	}
	q.close()

	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want)+1 {
		t.Fatalf("quarantine.csv has %d rows, want a header and %d", len(rows), len(want))
	}
	for i, r := range want {
		got := rows[i+1]
		wantRow := []string{"tickets", spreadsheetText(r.File), "", "3", spreadsheetText(r.Field),
			spreadsheetCases[i].want, spreadsheetCases[i].want}
		wantRow[2] = got[2]
		for j := range wantRow {
			if got[j] != wantRow[j] {
				t.Errorf("row %d, %s: got %q, want %q", i+1, rows[0][j], got[j], wantRow[j])
			}
		}
	}
	if rows[1][1] != "'=evil.csv" || rows[1][4] != "'@field" {
		t.Errorf("file and field cells %q, %q: want them neutralised too", rows[1][1], rows[1][4])
	}

	tbl := readParquet(t, pqPath)
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.Record()
		file, raw := rec.Column(1).(*array.String), rec.Column(6).(*array.String)
		for k := range int(rec.NumRows()) {
			if raw.Value(k) != want[i].Raw || file.Value(k) != want[i].File {
				t.Errorf("quarantine.parquet row %d: file %q raw %q, want %q and %q as read", i, file.Value(k), raw.Value(k), want[i].File, want[i].Raw)
			}
			i++
		}
	}
	if i != len(want) {
		t.Errorf("quarantine.parquet has %d rows, want %d", i, len(want))
	}
}

// A neutralised cell never begins with a character a spreadsheet
// evaluates, and only ever gains a quote in front.
func FuzzSpreadsheetText(f *testing.F) {
	for _, tc := range spreadsheetCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := spreadsheetText(s)
		if got != "" && strings.IndexByte("=+-@\t\r", got[0]) >= 0 {
			t.Errorf("spreadsheetText(%q) = %q begins with %q", s, got, got[0])
		}
		if got != s && got != "'"+s {
			t.Errorf("spreadsheetText(%q) = %q, want the cell or the cell after a quote", s, got)
		}
	})
}
