package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// conformanceCase is one table's data, in contract column order and
// canonical text ("" is null), with the rows that must be rejected.
type conformanceCase struct {
	table    Table
	rows     [][]string
	rejected map[int]wantRej // by row index; line is filled in per format
}

var conformanceCases = []conformanceCase{
	{table: Tickets, rows: [][]string{
		{"T1", "C1", "email", "2024-01-02T10:00:00Z", "2024-01-02T12:30:00Z", "solved", "high", "A1", "Team A", "false", "0", "30", "30", "150", "90.5", "0", "0", "150", "120"},
		{"T2", "", "chat", "2024-01-03T08:15:30.5Z", "", "open", "", "", "", "true", "2", "", "", "", "", "", "", "", ""},
		{"T3", "C3", "phone", "2024-01-04T00:00:00Z", "2024-01-03T00:00:00Z", "solved", "low", "A2", "Team, B", "", "", "", "", "", "", "", "", "", ""},
		{"T1", "C4", "web", "2024-01-05T00:00:00Z", "", "new", "urgent", "", "", "", "1", "", "", "", "", "", "", "", ""},
		{"T5", "C5", "social", "2024-01-06T23:59:59Z", "", "pending", "normal", "A3", `Quote "x"`, "false", "-1", "", "", "", "", "", "", "", ""},
		{"T6", "Ünïcode", "messaging", "1999-12-31T23:59:59.999999Z", "", "closed", "", "", "line\nbreak", "", "", "0.25", "0", "", "", "1440", "", "", ""},
	}, rejected: map[int]wantRej{
		2: {column: 5, field: "solved_at", kind: ErrRowRule, reason: "solved_at 2024-01-03T00:00:00Z before created_at 2024-01-04T00:00:00Z"},
		3: {kind: ErrDuplicateKey, reason: "duplicate key ticket_id=T1 (first at FILE:1)"},
		4: {column: 11, field: "reopens", kind: ErrRowRule, reason: "reopens -1 is negative"},
	}},
	{table: Surveys, rows: [][]string{
		{"S1", "C1", "T1", "csat", "4.5", "1", "5", "2024-01-02T10:00:00Z", ""},
		{"S2", "C2", "", "nps", "10", "0", "10", "2024-01-02T11:00:00Z", ""},
		{"S3", "", "", "ces", "8", "1", "7", "2024-01-02T12:00:00Z", ""},
		{"S4", "", "", "nps", "5", "1", "10", "2024-01-02T12:00:00Z", ""},
		{"S5", "", "", "csat", "0.1", "0", "1", "2024-01-02T12:00:00Z", ""},
		{"S6", "", "", "ces", "2", "1", "5", "2024-01-02T13:00:00Z", "higher"},
		{"S7", "", "", "ces", "2", "1", "7", "2024-01-02T13:00:00Z", "lower"},
		{"S8", "", "", "ces", "2", "1", "7", "2024-01-02T13:00:00Z", "easy"},
	}, rejected: map[int]wantRej{
		2: {column: 5, field: "score", kind: ErrRowRule, reason: "score 8 outside scale 1–7"},
		3: {column: 6, field: "scale_min", kind: ErrRowRule, reason: "kind nps requires scale 0–10, got 1–10"},
		7: {column: 9, field: "ces_easier", kind: ErrInvalidValue, reason: `unexpected value "easy", want one of higher, lower`},
	}},
	{table: QAReviews, rows: [][]string{
		{"R1", "T1", "A1", "Team A", "2024-01-02T10:00:00Z", "tone", "3", "4"},
		{"R1", "T1", "A1", "Team A", "2024-01-02T10:00:00Z", "accuracy", "2.5", "4"},
		{"R1", "T1", "A1", "Team A", "2024-01-02T10:00:00Z", "tone", "3", "4"},
		{"R2", "", "A2", "", "2024-01-02T10:00:00Z", "tone", "5", "4"},
	}, rejected: map[int]wantRej{
		2: {kind: ErrDuplicateKey, reason: "duplicate key review_id=R1, criterion=tone (first at FILE:1)"},
		3: {column: 7, field: "score", kind: ErrRowRule, reason: "score 5 outside 0–4"},
	}},
	{table: Calls, rows: [][]string{
		{"K1", "C1", "A1", "Q1", "2024-01-02T10:00:00Z", "2024-01-02T10:01:00Z", "2024-01-02T10:05:00Z", "false"},
		{"K2", "C2", "", "Q1", "2024-01-02T10:00:00Z", "", "2024-01-02T10:00:30Z", "true"},
		{"K3", "", "", "", "2024-01-02T10:00:00Z", "2024-01-02T10:02:00Z", "", "true"},
		{"K4", "", "", "", "2024-01-02T10:00:00Z", "", "", "false"},
	}, rejected: map[int]wantRej{
		2: {column: 6, field: "answered_at", kind: ErrRowRule, reason: "abandoned call has answered_at 2024-01-02T10:02:00Z"},
	}},
	{table: Customers, rows: [][]string{
		{"C1", "2023-05-01T00:00:00Z", "", "true", "false", "paid_search"},
		{"C2", "2023-05-01T00:00:00Z", "2023-04-01T00:00:00Z", "", "", ""},
		{"C3", "2023-05-01T00:00:00Z", "2024-04-01T00:00:00Z", "false", "true", "referral"},
	}, rejected: map[int]wantRej{
		1: {column: 3, field: "churned_at", kind: ErrRowRule, reason: "churned_at 2023-04-01T00:00:00Z before signup_at 2023-05-01T00:00:00Z"},
	}},
	{table: Orders, rows: [][]string{
		{"O1", "C1", "2024-01-02T10:00:00Z", "100.25", "40.1"},
		{"O2", "C1", "2024-01-03T10:00:00Z", "-5", ""},
		{"O3", "C2", "2024-01-04T10:00:00Z", "1000000", "0"},
		{"O1", "C2", "2024-01-04T10:00:00Z", "1", "0"},
	}, rejected: map[int]wantRej{
		3: {kind: ErrDuplicateKey, reason: "duplicate key order_id=O1 (first at FILE:1)"},
	}},
}

// TestConformance writes the same data as CSV, JSON Lines, Parquet and a
// JSON document:
// every format must give the same record and the same rejections, and
// the record must equal one built directly from the data.
func TestConformance(t *testing.T) {
	for _, tc := range conformanceCases {
		t.Run(string(tc.table), func(t *testing.T) {
			mem := checkedMem(t)
			spec, _ := SpecOf(tc.table)
			var accepted [][]string
			for i, r := range tc.rows {
				if _, ok := tc.rejected[i]; !ok {
					accepted = append(accepted, r)
				}
			}
			want := typedRecord(t, mem, spec, accepted)
			defer want.Release()
			pq := typedRecord(t, mem, spec, tc.rows)
			defer pq.Release()
			formats := []struct {
				name    string
				data    string
				lineOff int // line of row 0
			}{
				{"csv", csvText(t, spec, tc.rows), 2},
				{"jsonl", jsonlText(t, spec, tc.rows), 1},
				{"parquet", parquetBytes(t, mem, pq), 1},
				// A JSON document: an array with an element per line.
				{"json", "[\n" + strings.ReplaceAll(strings.TrimSuffix(jsonlText(t, spec, tc.rows), "\n"), "\n", ",\n") + "\n]\n", 2},
			}
			for _, f := range formats {
				name := string(tc.table) + "." + f.name
				var opt Options
				if f.name == "json" {
					opt.Mapping.Files = []string{name} // not a default name
				}
				opt.BatchSize = 2
				got, rejs := readTable(t, mem, mapFS(map[string]string{name: f.data}), tc.table, opt)
				if !array.RecordEqual(got, want) {
					t.Errorf("%s: record\n got %q\nwant %q", f.name, render(got), render(want))
				}
				got.Release()
				var wantRejs []wantRej
				for i := range tc.rows {
					if w, ok := tc.rejected[i]; ok {
						w.line = i + f.lineOff
						w.reason = strings.ReplaceAll(w.reason, "FILE:1", fmt.Sprintf("%s:%d", name, f.lineOff))
						if f.name == "json" {
							// Rows of a document are numbered, not lined.
							w.reason = strings.ReplaceAll(w.reason, name+":2)", name+", row 1)")
							// Placed by the element: its column, and its
							// path leading the reason.
							w.column, w.reason = 1, fmt.Sprintf("[%d]: %s", i, w.reason)
						}
						wantRejs = append(wantRejs, w)
					}
				}
				checkRejections(t, rejs, wantRejs, tc.table, name)
			}
		})
	}
}

// typedRecord builds a record of the contract from canonical text with
// the standard library's parsers, independently of the package's
// converter.
func typedRecord(t testing.TB, mem memory.Allocator, spec Spec, rows [][]string) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(mem, spec.Schema())
	defer b.Release()
	for _, row := range rows {
		for i, c := range spec.Columns {
			var v string // trailing cells left out are null
			if i < len(row) {
				v = row[i]
			}
			if v == "" {
				b.Field(i).AppendNull()
				continue
			}
			var err error
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				fb.Append(v)
			case *array.TimestampBuilder:
				var ts time.Time
				ts, err = time.Parse(time.RFC3339Nano, v)
				fb.Append(arrow.Timestamp(ts.UnixMicro()))
			case *array.Float64Builder:
				var f float64
				f, err = strconv.ParseFloat(v, 64)
				fb.Append(f)
			case *array.Int64Builder:
				var n int64
				n, err = strconv.ParseInt(v, 10, 64)
				fb.Append(n)
			case *array.BooleanBuilder:
				var x bool
				x, err = strconv.ParseBool(v)
				fb.Append(x)
			}
			if err != nil {
				t.Fatalf("fixture %s %q: %v", c.Name, v, err)
			}
		}
	}
	return b.NewRecord()
}

func csvText(t testing.TB, spec Spec, rows [][]string) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	header := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		header[i] = c.Name
	}
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// jsonlText writes rows as JSON Lines with typed values: numbers and
// booleans bare, null for empty values.
func jsonlText(t testing.TB, spec Spec, rows [][]string) string {
	t.Helper()
	var b strings.Builder
	for _, row := range rows {
		b.WriteByte('{')
		for i, c := range spec.Columns {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(c.Name)
			b.Write(k)
			b.WriteByte(':')
			switch v := row[i]; {
			case v == "":
				b.WriteString("null")
			case c.Kind == Int || c.Kind == Float || c.Kind == Duration || c.Kind == Bool:
				b.WriteString(v)
			default:
				s, _ := json.Marshal(v)
				b.Write(s)
			}
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// parquetBytes writes rec as a Parquet file with small row groups.
func parquetBytes(t testing.TB, mem memory.Allocator, rec arrow.Record, opts ...pqarrow.WriterOption) string {
	t.Helper()
	return parquetBytesRowGroups(t, mem, rec, 3, opts...)
}

// parquetBytesRowGroups writes rec as a Parquet file with row groups of
// at most rows rows.
func parquetBytesRowGroups(t testing.TB, mem memory.Allocator, rec arrow.Record, rows int64, opts ...pqarrow.WriterOption) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf,
		parquet.NewWriterProperties(parquet.WithAllocator(mem), parquet.WithMaxRowGroupLength(rows)),
		pqarrow.NewArrowWriterProperties(append(opts, pqarrow.WithAllocator(mem))...))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestParquetTypes reads a Parquet file with the types exporters write
// (integer ids, dictionary strings, local timestamps in milliseconds,
// dates, 32-bit floats, unsigned integers, nested columns) through a
// mapping.
func TestParquetTypes(t *testing.T) {
	mem := checkedMem(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "Id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "Tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "Kind", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "Score", Type: arrow.PrimitiveTypes.Float32},
		{Name: "Min", Type: arrow.PrimitiveTypes.Uint8},
		{Name: "Max", Type: arrow.PrimitiveTypes.Int32},
		{Name: "At", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "Day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{101, 102, 103}, nil)
	lb := b.Field(1).(*array.ListBuilder)
	for range 3 {
		lb.Append(true)
		lb.ValueBuilder().(*array.StringBuilder).Append("vip")
	}
	db := b.Field(2).(*array.BinaryDictionaryBuilder)
	for _, k := range []string{"CSAT", "nps", "csat"} {
		if err := db.AppendString(k); err != nil {
			t.Fatal(err)
		}
	}
	b.Field(3).(*array.Float32Builder).AppendValues([]float32{4.1, 9, 6}, nil)
	b.Field(4).(*array.Uint8Builder).AppendValues([]uint8{1, 0, 1}, nil)
	b.Field(5).(*array.Int32Builder).AppendValues([]int32{5, 10, 5}, nil)
	at := time.Date(2024, 3, 31, 12, 30, 0, 0, time.UTC) // a wall time: summer time in Berlin, the day before winter time
	b.Field(6).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{
		arrow.Timestamp(at.UnixMilli()), arrow.Timestamp(at.Add(-24 * time.Hour).UnixMilli()), arrow.Timestamp(at.UnixMilli()),
	}, nil)
	b.Field(7).(*array.Date32Builder).AppendValues([]arrow.Date32{19800, 0, 0}, []bool{true, false, true})
	rec := b.NewRecord()
	defer rec.Release()
	data := parquetBytes(t, mem, rec, pqarrow.WithStoreSchema())

	opt := Options{Mapping: TableMapping{
		Files: []string{"export/*.parquet"},
		Columns: map[string]string{"response_id": "id", "kind": "Kind", "score": "Score", "scale_min": "Min",
			"scale_max": "Max", "responded_at": "At", "ticket_id": "Day"},
		TimeZone: "Europe/Berlin",
	}}
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			var fsys fs.FS = mapFS(map[string]string{"export/s.parquet": data})
			if plain {
				fsys = plainFS{fsys}
			}
			res := readAll(t, fsys, Surveys, opt)
			if res.err != nil {
				t.Fatal(res.err)
			}
			want := [][]string{
				{"101", "<null>", "2024-03-18T00:00:00", "csat", "4.1", "1", "5", "2024-03-31T10:30:00Z", "<null>"},
				{"102", "<null>", "<null>", "nps", "9", "0", "10", "2024-03-30T11:30:00Z", "<null>"},
			}
			if !slices.EqualFunc(res.rows, want, slices.Equal) {
				t.Errorf("rows\n got %q\nwant %q", res.rows, want)
			}
			checkRejections(t, res.rejs, []wantRej{
				{3, 4, "score", ErrRowRule, "score 6 outside scale 1–5"},
			}, Surveys, "export/s.parquet")
			if len(res.rejs) == 1 {
				if want := `{"Id": "103", "Day": 1970-01-01T00:00:00, "Kind": "csat", "Score": "6", "Min": "1", "Max": "5", "At": 2024-03-31T12:30:00}`; res.rejs[0].Raw != want {
					t.Errorf("raw\n got %s\nwant %s", res.rejs[0].Raw, want)
				}
			}
		})
	}
}

// plainFS hides everything of its files but Read, Stat and Close.
type plainFS struct{ fs.FS }

func (p plainFS) Open(name string) (fs.File, error) {
	f, err := p.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return plainFile{f}, nil
}

type plainFile struct{ f fs.File }

func (p plainFile) Read(b []byte) (int, error) { return p.f.Read(b) }
func (p plainFile) Stat() (fs.FileInfo, error) { return p.f.Stat() }
func (p plainFile) Close() error               { return p.f.Close() }

// ReadDir lets fs.Glob list directories of a plainFS.
func (p plainFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(p.FS, name) }
