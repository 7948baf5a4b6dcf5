package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

const ticketsHeader = "ticket_id,customer_id,channel,created_at,solved_at,status,priority,agent_id,team,is_complaint,reopens\n"

func TestValues(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	data := ticketsHeader +
		`T1, C1 , Chat ,2024-01-03 10:00,2024-07-03T10:00:00,OPEN,Urgent,,Team A,Yes,2
T2,,email,2024-01-03T10:00:00+05:30,2024-01-03T10:00:00.1234567Z,solved,,,,0,
T3,,web,2024-01-03,,new,,A9,,n,3.0
`
	tests := []struct {
		name string
		loc  *time.Location
		want [][]string
	}{
		{"utc", nil, [][]string{
			{"T1", "C1", "chat", "2024-01-03T10:00:00Z", "2024-07-03T10:00:00Z", "open", "urgent", "<null>", "Team A", "true", "2"},
			{"T2", "<null>", "email", "2024-01-03T04:30:00Z", "2024-01-03T10:00:00.123456Z", "solved", "<null>", "<null>", "<null>", "false", "<null>"},
			{"T3", "<null>", "web", "2024-01-03T00:00:00Z", "<null>", "new", "<null>", "A9", "<null>", "false", "3"},
		}},
		{"berlin", berlin, [][]string{
			{"T1", "C1", "chat", "2024-01-03T09:00:00Z", "2024-07-03T08:00:00Z", "open", "urgent", "<null>", "Team A", "true", "2"},
			{"T2", "<null>", "email", "2024-01-03T04:30:00Z", "2024-01-03T10:00:00.123456Z", "solved", "<null>", "<null>", "<null>", "false", "<null>"},
			{"T3", "<null>", "web", "2024-01-02T23:00:00Z", "<null>", "new", "<null>", "A9", "<null>", "false", "3"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, mapFS(map[string]string{"tickets.csv": data}), Tickets, Options{Location: tc.loc})
			if res.err != nil || len(res.rejs) > 0 {
				t.Fatalf("read: %v, rejections %+v", res.err, res.rejs)
			}
			if !slices.EqualFunc(res.rows, tc.want, slices.Equal) {
				t.Errorf("rows\n got %q\nwant %q", res.rows, tc.want)
			}
		})
	}
}

func TestStrict(t *testing.T) {
	data := ticketsHeader +
		"T1,C1,email,2024-01-02T10:00:00Z,,open,,,,,\n" +
		"T2,C2,email,2024-13-01,,open,,,,,\n" +
		"T3,C3,email,2024-01-02T10:00:00Z,,open,,,,,\n"
	mem := checkedMem(t)
	r, err := Open(context.Background(), mapFS(map[string]string{"tickets.csv": data}), Tickets, mem, Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Read()
	if rec != nil {
		rec.Release()
		t.Fatal("Read returned a batch despite a bad row")
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Read error %v (%T), want *ParseError", err, err)
	}
	if got, want := fmt.Sprintf("%s:%d:%d %s", pe.File, pe.Line, pe.Column, pe.Field), "tickets.csv:3:4 created_at"; got != want {
		t.Errorf("position %s, want %s", got, want)
	}
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("error %v does not wrap ErrInvalidValue", err)
	}
	if want := `tickets.csv:3:4: created_at: invalid time "2024-13-01", want RFC 3339 or "2006-01-02[ 15:04[:05]]"`; err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
	if _, err2 := r.Read(); err2 != err {
		t.Errorf("second Read error %v, want the same %v", err2, err)
	}
	if c := r.Counts(); c != (Counts{Read: 2, Accepted: 1, Rejected: 1}) {
		t.Errorf("counts %+v", c)
	}
}

func TestParseErrorWholeRow(t *testing.T) {
	data := ticketsHeader + "T1,C1,email,2024-01-02T10:00:00Z,,open,,,,,\nT1,C1,email,2024-01-02T10:00:00Z,,open,,,,,\n"
	res := readAll(t, mapFS(map[string]string{"tickets.csv": data}), Tickets, Options{Strict: true})
	var pe *ParseError
	if !errors.As(res.err, &pe) || !errors.Is(res.err, ErrDuplicateKey) {
		t.Fatalf("error %v, want a *ParseError wrapping ErrDuplicateKey", res.err)
	}
	if want := "tickets.csv:3: duplicate key ticket_id=T1 (first at tickets.csv:2)"; res.err.Error() != want {
		t.Errorf("message %q, want %q", res.err, want)
	}
}

type openErrorTest struct {
	name  string
	files map[string]string
	table Table
	opt   Options
	is    error    // the error must wrap it
	names []string // the message must name them
}

var openErrorTests = []openErrorTest{
	{name: "no file", files: map[string]string{"other.csv": "x\n"}, table: Tickets,
		is: ErrNoInput, names: []string{"tickets"}},
	{name: "mapped file missing", files: map[string]string{"tickets.csv": ticketsHeader}, table: Tickets,
		opt: Options{Mapping: TableMapping{Files: []string{"exports/tickets.csv"}}},
		is:  fs.ErrNotExist, names: []string{"exports/tickets.csv"}},
	{name: "mapped glob matches nothing", files: map[string]string{"tickets.csv": ticketsHeader}, table: Tickets,
		opt: Options{Mapping: TableMapping{Files: []string{"tickets.csv", "more/*.csv"}}},
		is:  fs.ErrNotExist, names: []string{"more/*.csv"}},
	{name: "required column missing", files: map[string]string{"tickets.csv": "ticket_id,channel,status\nT1,email,open\n"}, table: Tickets,
		is: ErrMissingColumn, names: []string{"tickets.csv", "created_at", `"created_at"`}},
	{name: "mapped required column missing", files: map[string]string{"t.csv": "Id,Via,Status,Created\nT1,email,open,2024-01-01\n"}, table: Tickets,
		opt: Options{Mapping: TableMapping{Files: []string{"t.csv"}, Columns: map[string]string{"ticket_id": "Id", "channel": "Via", "status": "Status", "created_at": "Created at"}}},
		is:  ErrMissingColumn, names: []string{"t.csv", "created_at", `"Created at"`}},
	{name: "second file lacks column", files: map[string]string{"tickets.csv": ticketsHeader, "tickets.parquet": "not parquet"}, table: Tickets,
		names: []string{"tickets.parquet"}},
	{name: "unknown extension", files: map[string]string{"x.txt": ticketsHeader}, table: Tickets,
		opt: Options{Mapping: TableMapping{Files: []string{"x.txt"}}}, names: []string{"x.txt", "format"}},
	{name: "empty csv", files: map[string]string{"tickets.csv": ""}, table: Tickets, names: []string{"tickets.csv", "header"}},
	{name: "bad mapping", files: map[string]string{"tickets.csv": ticketsHeader}, table: Tickets,
		opt: Options{Mapping: TableMapping{TimeLayouts: map[string]string{"status": "2006"}}}, names: []string{"time_layouts.status"}},
	{name: "unknown table", files: map[string]string{}, table: "widgets", names: []string{"widgets"}},
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range openErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			mem := checkedMem(t)
			tc.opt.Reject = func(Rejection) error { return nil }
			r, err := Open(context.Background(), mapFS(tc.files), tc.table, mem, tc.opt)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			for _, n := range tc.names {
				if !strings.Contains(err.Error(), n) {
					t.Errorf("error %q does not name %s", err, n)
				}
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	mem := checkedMem(t)
	fsys := mapFS(map[string]string{"tickets.csv": ticketsHeader})
	if _, err := Open(context.Background(), fsys, Tickets, mem, Options{}); err == nil {
		t.Error("Open without Reject in lenient mode succeeded")
	}
	if _, err := Open(context.Background(), fsys, Tickets, mem, Options{Strict: true, BatchSize: -1}); err == nil {
		t.Error("Open with a negative batch size succeeded")
	}
}

// ticketsFixture returns n tickets as CSV and as JSON Lines, about one in
// twenty broken in some way, from a fixed seed.
func ticketsFixture(n int, seed uint64) (csvData, jsonData string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var c, j strings.Builder
	c.WriteString(ticketsHeader)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("T%d", i)
		if rng.IntN(50) == 0 {
			id = fmt.Sprintf("T%d", rng.IntN(i+1)) // duplicate, mostly
		}
		created := base.Add(time.Duration(rng.IntN(1<<20)) * time.Second)
		solved := ""
		if rng.IntN(2) == 0 {
			solved = created.Add(time.Duration(rng.IntN(1<<16)-1000) * time.Second).Format(time.RFC3339)
		}
		channel := Channels()[rng.IntN(len(Channels()))]
		if rng.IntN(60) == 0 {
			channel = "fax"
		}
		createdText := created.Format("2006-01-02 15:04:05")
		if rng.IntN(80) == 0 {
			createdText = "yesterday"
		}
		reopens := fmt.Sprint(rng.IntN(4))
		fmt.Fprintf(&c, "%s,C%d,%s,%s,%s,open,normal,A%d,Team %d,%v,%s\n",
			id, rng.IntN(100), channel, createdText, solved, rng.IntN(9), rng.IntN(3), rng.IntN(2) == 0, reopens)
		fmt.Fprintf(&j, `{"ticket_id":%q,"channel":%q,"created_at":%q,"status":"open","reopens":%s}`+"\n",
			"J"+id, channel, createdText, reopens)
	}
	return c.String(), j.String()
}

// TestBatchSizes reads the same files with different batch sizes: the
// concatenated data and the rejections must not depend on it.
func TestBatchSizes(t *testing.T) {
	csvData, jsonData := ticketsFixture(3000, 7)
	fsys := mapFS(map[string]string{"tickets.csv": csvData, "tickets.jsonl.gz": gzipText(t, jsonData)})
	mem := checkedMem(t)
	var first arrow.Record
	var firstRejs []Rejection
	for _, size := range []int{1, 7, 10000} {
		var rejs []Rejection
		r, err := Open(context.Background(), fsys, Tickets, mem, Options{BatchSize: size, Reject: func(r Rejection) error {
			rejs = append(rejs, r)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		var batches []arrow.Record
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.NumRows() > int64(size) || rec.NumRows() == 0 {
				t.Errorf("batch size %d: batch of %d rows", size, rec.NumRows())
			}
			batches = append(batches, rec)
		}
		all := concat(t, mem, r.Schema(), batches)
		for _, b := range batches {
			b.Release()
		}
		c := r.Counts()
		r.Close()
		if c.Read != 6000 || c.Accepted != all.NumRows() || c.Rejected != int64(len(rejs)) || c.Rejected == 0 {
			t.Errorf("batch size %d: counts %+v, %d rows, %d rejections", size, c, all.NumRows(), len(rejs))
		}
		if first == nil {
			first, firstRejs = all, rejs
			defer first.Release()
			continue
		}
		if !array.RecordEqual(first, all) {
			t.Errorf("batch size %d: data differs from batch size 1", size)
		}
		if !slices.EqualFunc(firstRejs, rejs, sameRejection) {
			t.Errorf("batch size %d: rejections differ from batch size 1", size)
		}
		all.Release()
	}
}

// sameRejection compares rejections but for the identity of their errors.
func sameRejection(a, b Rejection) bool {
	a.Err, b.Err = nil, nil
	return a == b
}

func gzipText(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFilesAcrossFormats(t *testing.T) {
	fsys := mapFS(map[string]string{
		"tickets.csv":      ticketsHeader + "T1,,email,2024-01-02,,open,,,,,\n",
		"tickets.csv.gz":   gzipText(t, ticketsHeader+"T2,,email,2024-01-02,,open,,,,,\n"),
		"tickets.ndjson":   `{"ticket_id":"T3","channel":"chat","created_at":"2024-01-02","status":"open"}` + "\n",
		"tickets.jsonl":    "\n" + `{"ticket_id":"T1","channel":"chat","created_at":"2024-01-02","status":"open"}` + "\n",
		"tickets.jsonl.gz": gzipText(t, `{"ticket_id":"T4","channel":"chat","created_at":"2024-01-02","status":"open"}`),
		"other.csv":        "junk",
	})
	res := readAll(t, fsys, Tickets, Options{BatchSize: 2})
	if res.err != nil {
		t.Fatal(res.err)
	}
	var ids []string
	for _, r := range res.rows {
		ids = append(ids, r[0])
	}
	// sorted names: tickets.csv, tickets.csv.gz, tickets.jsonl, tickets.jsonl.gz, tickets.ndjson
	if want := []string{"T1", "T2", "T4", "T3"}; !slices.Equal(ids, want) {
		t.Errorf("ids %q, want %q", ids, want)
	}
	checkRejections(t, res.rejs, []wantRej{
		{2, 0, "", ErrDuplicateKey, "duplicate key ticket_id=T1 (first at tickets.csv:2)"},
	}, Tickets, "tickets.jsonl")
}

func TestJSONLines(t *testing.T) {
	data := `{"ticket_id":"T1","channel":"email","created_at":"2024-01-02T10:00:00Z","status":"open","reopens":2,"is_complaint":true,"tags":["a",{"b":[1]}],"via":{"x":1}}
{"ticket_id":12345,"channel":"email","created_at":"2024-01-02","status":"open","reopens":null,"is_complaint":0}

   {"ticket_id":"T3","channel":{"name":"email"},"created_at":"2024-01-02","status":"open"}
{"ticket_id":"T4","channel":"email","created_at":"2024-01-02","status":"open","status":"new"}
{"ticket_id":"T5","channel":"email",
["T6"]
{"ticket_id":"T7","channel":"email","created_at":"2024-01-02","status":"open"} trailing
{"ticket_id":"T\u00e9\ud83d\ude00","Channel":"Chat","created_at":"2024-01-02","status":"open","reopens":1e0}
{"ticket_id":"T9","channel":"email","created_at":"2024-01-02","status":"open","reopens":1.5}
{"ticket_id":"T10","channel":"email","created_at":"2024-01-02","status":"open","reopens":01}
`
	res := readAll(t, mapFS(map[string]string{"tickets.jsonl": data}), Tickets, Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := [][]string{
		{"T1", "<null>", "email", "2024-01-02T10:00:00Z", "<null>", "open", "<null>", "<null>", "<null>", "true", "2"},
		{"12345", "<null>", "email", "2024-01-02T00:00:00Z", "<null>", "open", "<null>", "<null>", "<null>", "false", "<null>"},
		{"Té😀", "<null>", "chat", "2024-01-02T00:00:00Z", "<null>", "open", "<null>", "<null>", "<null>", "<null>", "1"},
	}
	if !slices.EqualFunc(res.rows, want, slices.Equal) {
		t.Errorf("rows\n got %q\nwant %q", res.rows, want)
	}
	checkRejections(t, res.rejs, []wantRej{
		{4, 2, "channel", ErrInvalidValue, "nested value, want a string, number, boolean or null"},
		{5, 5, "status", ErrMalformedRow, `key "status" appears twice in the object`},
		{6, 0, "", ErrMalformedRow, `malformed JSON: want a member name, got end of line at byte 37`},
		{7, 0, "", ErrMalformedRow, `malformed JSON: want a JSON object, got '[' at byte 1`},
		{8, 0, "", ErrMalformedRow, `malformed JSON: want end of line after the object, got 't' at byte 80`},
		{10, 5, "reopens", ErrInvalidValue, `invalid integer "1.5"`},
		{11, 0, "", ErrMalformedRow, `malformed JSON: want ',' or '}', got '1' at byte 91`},
	}, Tickets, "tickets.jsonl")
}

func TestContextCancel(t *testing.T) {
	csvData, _ := ticketsFixture(100, 1)
	mem := checkedMem(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(ctx, mapFS(map[string]string{"tickets.csv": csvData}), Tickets, mem, Options{BatchSize: 10, Reject: func(Rejection) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	rec.Release()
	cancel()
	if rec, err := r.Read(); !errors.Is(err, context.Canceled) {
		if rec != nil {
			rec.Release()
		}
		t.Errorf("Read after cancel: %v, want context.Canceled", err)
	}
}

func TestRejectError(t *testing.T) {
	stop := errors.New("quarantine full")
	data := ticketsHeader + "T1,,fax,2024-01-02,,open,,,,,\n"
	mem := checkedMem(t)
	r, err := Open(context.Background(), mapFS(map[string]string{"tickets.csv": data}), Tickets, mem,
		Options{Reject: func(Rejection) error { return stop }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(); !errors.Is(err, stop) || !strings.Contains(err.Error(), "tickets.csv:2") {
		t.Errorf("Read error %v, want it to wrap the Reject error and name tickets.csv:2", err)
	}
}

func TestCorruptGzip(t *testing.T) {
	var b strings.Builder
	b.WriteString(ticketsHeader)
	for i := range 5000 {
		fmt.Fprintf(&b, "T%d,,email,2024-01-02,,open,,,,,\n", i)
	}
	gz := gzipText(t, b.String())
	gz = gz[:len(gz)-10]
	mem := checkedMem(t)
	r, err := Open(context.Background(), mapFS(map[string]string{"tickets.csv.gz": gz}), Tickets, mem, Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if err == nil {
			rec.Release()
			continue
		}
		if err == io.EOF || !strings.Contains(err.Error(), "tickets.csv.gz") {
			t.Errorf("Read error %v, want a read error naming tickets.csv.gz", err)
		}
		break
	}
}

func TestEmptyInputs(t *testing.T) {
	mem := checkedMem(t)
	spec, _ := SpecOf(Tickets)
	empty := typedRecord(t, mem, spec, nil)
	defer empty.Release()
	fsys := mapFS(map[string]string{
		"tickets.csv":     ticketsHeader,
		"tickets.jsonl":   "\n\n",
		"tickets.parquet": parquetBytes(t, mem, empty),
	})
	var logs bytes.Buffer
	res := readAll(t, fsys, Tickets, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if res.err != nil || len(res.rows) != 0 || res.counts != (Counts{}) {
		t.Errorf("read %d rows, counts %+v, error %v; want nothing", len(res.rows), res.counts, res.err)
	}
	for _, name := range []string{"tickets.csv", "tickets.jsonl", "tickets.parquet"} {
		if !strings.Contains(logs.String(), "file="+name) {
			t.Errorf("log does not mention %s:\n%s", name, logs.String())
		}
	}
}

func TestParquetMissingColumn(t *testing.T) {
	mem := checkedMem(t)
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "ticket_id", Type: arrow.BinaryTypes.String},
		{Name: "channel", Type: arrow.BinaryTypes.String},
		{Name: "status", Type: arrow.BinaryTypes.String},
	}, nil))
	defer b.Release()
	rec := b.NewRecord()
	defer rec.Release()
	_, err := Open(context.Background(), mapFS(map[string]string{"tickets.parquet": parquetBytes(t, mem, rec)}), Tickets, mem, Options{Strict: true})
	if !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "tickets.parquet") || !strings.Contains(err.Error(), "created_at") {
		t.Errorf("Open error %v, want ErrMissingColumn naming tickets.parquet and created_at", err)
	}
}
