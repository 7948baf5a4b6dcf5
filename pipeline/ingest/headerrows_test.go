package ingest

import (
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// surveyMonkeyLike is an export in the shape of SurveyMonkey's expanded
// CSV: a row of questions, then a row of answer options, then answers.
const surveyMonkeyLike = "response_id,score,scale_min,scale_max,kind,responded_at\n" +
	",Response,,,,\n" +
	"R1,9,0,10,nps,2024-03-01T08:00:00Z\n" +
	"R2,3,0,10,nps,2024-03-02T08:00:00Z\n"

var headerRowsTests = []struct {
	name       string
	data       string
	headerRows int
	want       Counts
	rows       int
	err        string // the error Open returns, if any
}{
	{"one header row rejects the options row", surveyMonkeyLike, 0, Counts{Read: 3, Accepted: 2, Rejected: 1}, 2, ""},
	{"two header rows drop it", surveyMonkeyLike, 2, Counts{Read: 2, Accepted: 2}, 2, ""},
	{"quoted line break in an options row", "response_id,score,scale_min,scale_max,kind,responded_at\n" +
		",\"Very\nlikely\",,,,\nR1,9,0,10,nps,2024-03-01T08:00:00Z\n", 2, Counts{Read: 1, Accepted: 1}, 1, ""},
	{"three header rows", "response_id,score,scale_min,scale_max,kind,responded_at\n,a,,,,\n,b,,,,\nR1,9,0,10,nps,2024-03-01T08:00:00Z\n",
		3, Counts{Read: 1, Accepted: 1}, 1, ""},
	{"only header rows", "response_id,score,scale_min,scale_max,kind,responded_at\n,Response,,,,\n", 2, Counts{}, 0, ""},
	{"file ends within the header rows", "response_id,score,scale_min,scale_max,kind,responded_at\n", 2, Counts{}, 0,
		"surveys.csv: ends within its 2 header rows (header_rows), at row 2"},
	{"options row of another width", "response_id,score,scale_min,scale_max,kind,responded_at\n,Response\nR1,9,0,10,nps,2024-03-01T08:00:00Z\n",
		2, Counts{}, 0, "surveys.csv:2: header row 2 has 2 fields, the first has 6"},
	{"broken options row", "response_id,score,scale_min,scale_max,kind,responded_at\n,Res\"ponse,,,,\n", 2, Counts{}, 0,
		"surveys.csv: header row 2: "},
}

// TestHeaderRows reads files with more than one header row: the rows
// after the first are dropped, never counted or quarantined, and a file
// whose header rows are broken or short is an error naming it.
func TestHeaderRows(t *testing.T) {
	for _, tc := range headerRowsTests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := mapFS(map[string]string{"surveys.csv": tc.data})
			opt := Options{Mapping: TableMapping{HeaderRows: tc.headerRows}}
			if tc.err != "" {
				opt.Reject = func(Rejection) error { return nil }
				r, err := Open(t.Context(), fsys, Surveys, checkedMem(t), opt)
				if err == nil {
					r.Close()
					t.Fatalf("Open: no error, want %q", tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %q, want it to contain %q", err, tc.err)
				}
				return
			}
			res := readAll(t, fsys, Surveys, opt)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.counts != tc.want {
				t.Errorf("counts %+v, want %+v", res.counts, tc.want)
			}
			if len(res.rows) != tc.rows {
				t.Errorf("%d rows, want %d", len(res.rows), tc.rows)
			}
		})
	}
}

// TestHeaderRowsLines checks that quarantined rows after several header
// rows keep their physical line numbers.
func TestHeaderRowsLines(t *testing.T) {
	data := surveyMonkeyLike + "R3,11,0,10,nps,2024-03-02T08:00:00Z\n"
	res := readAll(t, mapFS(map[string]string{"surveys.csv": data}), Surveys, Options{Mapping: TableMapping{HeaderRows: 2}})
	if len(res.rejs) != 1 || res.rejs[0].Line != 5 {
		t.Fatalf("rejections %+v, want one at line 5", res.rejs)
	}
}

// TestOptionalFiles reads a table whose patterns match nothing: an error
// naming the pattern, unless the table is optional; then it has no input.
func TestOptionalFiles(t *testing.T) {
	fsys := mapFS(map[string]string{"other.csv": "x\n1\n"})
	opt := Options{Mapping: TableMapping{Files: []string{"export-*.csv"}}, Reject: func(Rejection) error { return nil }}
	if _, err := Open(t.Context(), fsys, Tickets, checkedMem(t), opt); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNoInput) {
		t.Errorf("required: error %v, want fs.ErrNotExist", err)
	}
	opt.Mapping.Optional = true
	if _, err := Open(t.Context(), fsys, Tickets, checkedMem(t), opt); !errors.Is(err, ErrNoInput) || !strings.Contains(err.Error(), "export-*.csv") {
		t.Errorf("optional: error %v, want ErrNoInput naming the pattern", err)
	}
	// One pattern of two matching is enough.
	opt.Mapping.Files = []string{"export-*.csv", "other.csv"}
	opt.Mapping.Columns = map[string]string{"ticket_id": "x"}
	r, err := Open(t.Context(), fsys, Tickets, checkedMem(t), opt)
	if err == nil {
		r.Close()
		t.Fatal("Open: no error, want the missing contract columns of other.csv")
	}
	if !errors.Is(err, ErrMissingColumn) {
		t.Errorf("error %v, want ErrMissingColumn from other.csv", err)
	}
}

// FuzzHeaderRows reads header, extra header rows and body: no panic, and
// when the extra rows are dropped the file reads as header and body alone
// do, the same rows accepted and the same reasons for those rejected.
func FuzzHeaderRows(f *testing.F) {
	f.Add("response_id,score,scale_min,scale_max,kind,responded_at\n", ",Response,,,,\n", "R1,9,0,10,nps,2024-03-01T08:00:00Z\n")
	f.Add("response_id,score,scale_min,scale_max,kind,responded_at\n", ",\"a\nb\",,,,\n,c,,,,\n", "R1,9,0,10,nps,2024-03-01T08:00:00Z\nR2,x,0,10,nps,\n")
	f.Add("a,b\n", "\"\n", "1,2\n")
	f.Fuzz(func(t *testing.T, header, extra, body string) {
		if !strings.HasSuffix(header, "\n") || !strings.HasSuffix(extra, "\n") {
			return
		}
		extraRows := strings.Count(extra, "\n") // its lines: an upper bound of its records
		if extraRows > MaxHeaderRows-1 {
			return
		}
		plain := read(t, header+body, 1)
		for n := 2; n <= extraRows+1; n++ {
			got := read(t, header+extra+body, n)
			if got.err != nil || plain.err != nil {
				continue // the extra rows were not n-1 records, or the header is bad
			}
			if n-1 != records(extra) {
				continue
			}
			if !slices.Equal(got.rows, plain.rows) || got.counts != plain.counts {
				t.Fatalf("header_rows %d: %v %+v, want %v %+v", n, got.rows, got.counts, plain.rows, plain.counts)
			}
			// Reasons may name lines; the rest must match, lines shifted.
			for i, g := range got.rejs {
				w := plain.rejs[i]
				if g.Line != w.Line+extraRows || g.Column != w.Column || g.Field != w.Field || g.Raw != w.Raw {
					t.Fatalf("rejection %d: %+v, want %+v with the line %d later", i, g, w, extraRows)
				}
			}
		}
	})
}

type fuzzRead struct {
	rows   []string
	rejs   []Rejection
	counts Counts
	err    error
}

// read reads data as surveys.csv with n header rows.
func read(t *testing.T, data string, n int) fuzzRead {
	var out fuzzRead
	opt := Options{Workers: 1, Mapping: TableMapping{HeaderRows: n},
		Reject: func(r Rejection) error { out.rejs = append(out.rejs, r); return nil }}
	r, err := Open(t.Context(), mapFS(map[string]string{"surveys.csv": data}), Surveys, checkedMem(t), opt)
	if err != nil {
		out.err = err
		return out
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				out.err = err
			}
			break
		}
		for _, row := range render(rec) {
			out.rows = append(out.rows, strings.Join(row, "|"))
		}
		rec.Release()
	}
	out.counts = r.Counts()
	return out
}

// records counts the CSV records of s as the reader sees them (empty lines
// skipped), or -1 if s does not read cleanly.
func records(s string) int {
	r := newCSVReader(strings.NewReader(s), ',')
	n := 0
	for {
		_, err := r.next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			return -1
		}
		r.take(nil)
		n++
	}
}
