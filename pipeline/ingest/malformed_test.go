package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"golang.org/x/text/encoding/unicode"
)

const ordersHeader = "order_id,customer_id,ordered_at,revenue,cost\n"

// orderLine is a good orders row.
func orderLine(i int) string { return fmt.Sprintf("O%d,C%d,2024-01-02,%d.5,1\n", i, i%7, i) }

// orderLines returns good orders rows from to to, header first.
func orderLines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		b.WriteString(orderLine(i))
	}
	return b.String()
}

// wantBad is a rejected row: its line, what its reason contains and its
// raw text.
type wantBad struct {
	line   int
	reason string
	raw    string
}

type malformedTest struct {
	name string
	data string // orders.csv
	tm   TableMapping
	ids  []string // accepted order ids, in order
	bad  []wantBad
}

var malformedTests = []malformedTest{
	{
		name: "stray quote opens a field mid-file",
		data: ordersHeader + orderLines(1, 2) + "O3,\"C3,2024-01-02,3.5,1\n" + orderLines(4, 6),
		ids:  []string{"O1", "O2", "O4", "O5", "O6"},
		bad:  []wantBad{{4, `malformed CSV: extraneous or missing " in quoted-field (a quote opened on this line runs on to line 7, byte 24)`, "O3,\"C3,2024-01-02,3.5,1"}},
	},
	{
		name: "stray quote meets a quoted field",
		data: ordersHeader + "O1,\"C1\",2024-01-02,1.5,1\n" + "O2,\"C2,2024-01-02,2.5,1\n" + "O3,\"C3\",2024-01-02,3.5,1\n" + "O4,\"C4\",2024-01-02,4.5,1\n",
		ids:  []string{"O1", "O3", "O4"},
		bad:  []wantBad{{3, "malformed CSV: extraneous or missing \" in quoted-field (a quote opened on this line runs on to line 4, byte 4)", "O2,\"C2,2024-01-02,2.5,1"}},
	},
	{
		name: "quoted field closed on a later line",
		data: ordersHeader + "O1,\"C1,2024-01-02,1.5,1\n" + "O2,C2,2024-01-02\",2.5,1\n" + orderLines(3, 3),
		ids:  []string{"O3"},
		bad: []wantBad{
			{2, "malformed CSV: quoted field runs over 2 lines into a record of 4 fields, header has 5 (a quote opened on this line runs on to line 3, byte 24)", "O1,\"C1,2024-01-02,1.5,1"},
			{3, `malformed CSV: bare " in non-quoted-field (line 3, byte 17)`, "O2,C2,2024-01-02\",2.5,1"},
		},
	},
	{
		name: "quote followed by junk",
		data: ordersHeader + orderLines(1, 1) + "O2,\"C\"2,2024-01-02,2.5,1\n" + orderLines(3, 3),
		ids:  []string{"O1", "O3"},
		bad:  []wantBad{{3, `malformed CSV: extraneous or missing " in quoted-field (line 3, byte 6)`, "O2,\"C\"2,2024-01-02,2.5,1"}},
	},
	{
		name: "bare quote",
		data: ordersHeader + orderLines(1, 1) + "O2,C\"2,2024-01-02,2.5,1\n" + orderLines(3, 3),
		ids:  []string{"O1", "O3"},
		bad:  []wantBad{{3, `malformed CSV: bare " in non-quoted-field (line 3, byte 5)`, "O2,C\"2,2024-01-02,2.5,1"}},
	},
	{
		name: "unbalanced quote at the end",
		data: ordersHeader + orderLines(1, 2) + "O3,C3,2024-01-02,3.5,\"1\n",
		ids:  []string{"O1", "O2"},
		bad:  []wantBad{{4, `malformed CSV: extraneous or missing " in quoted-field (line 4, byte 25)`, "O3,C3,2024-01-02,3.5,\"1"}},
	},
	{
		name: "unbalanced quote at the end without a line end",
		data: ordersHeader + orderLines(1, 2) + "O3,C3,2024-01-02,3.5,\"1",
		ids:  []string{"O1", "O2"},
		bad:  []wantBad{{4, `malformed CSV: extraneous or missing " in quoted-field (line 4, byte 24)`, "O3,C3,2024-01-02,3.5,\"1"}},
	},
	{
		name: "unbalanced quote swallows the lines to the end",
		data: ordersHeader + "O1,\"C1,2024-01-02,1.5,1\n" + orderLines(2, 4),
		ids:  []string{"O2", "O3", "O4"},
		bad:  []wantBad{{2, "malformed CSV: extraneous or missing \" in quoted-field", "O1,\"C1,2024-01-02,1.5,1"}},
	},
	{
		name: "quoted line breaks are still one record",
		data: ordersHeader + "O1,\"C\n1\",2024-01-02,1.5,1\r\n" + "\"O2\",\"C\r\n\r\n2\",2024-01-02,2.5,1\n" + orderLines(3, 3),
		ids:  []string{"O1", "O2", "O3"},
	},
	{
		name: "field over the limit",
		data: ordersHeader + orderLines(1, 1) + "O2,C" + strings.Repeat("x", 100) + ",2024-01-02,2.5,1\n" + orderLines(3, 3),
		tm:   TableMapping{MaxFieldBytes: 64},
		ids:  []string{"O1", "O3"},
		bad:  []wantBad{{3, "malformed CSV: field longer than 64 bytes (line 3, byte 4)", "O2,C" + strings.Repeat("x", 100) + ",2024-01-02,2.5,1"}},
	},
	{
		name: "quoted field over the limit",
		data: ordersHeader + orderLines(1, 1) + "O2,\"C" + strings.Repeat("x\n", 50) + "\",2024-01-02,2.5,1\n" + orderLines(3, 3),
		tm:   TableMapping{MaxFieldBytes: 64},
		ids:  []string{"O1", "O3"},
		bad:  []wantBad{{3, "malformed CSV: field longer than 64 bytes", "O2,\"Cx"}},
	},
	{
		name: "line over the record limit",
		data: ordersHeader + orderLines(1, 1) + "O2,C2,2024-01-02,2.5," + strings.Repeat("1", 5000) + "\n" + orderLines(3, 3),
		tm:   TableMapping{MaxRecordBytes: 1000},
		ids:  []string{"O1", "O3"},
		bad:  []wantBad{{3, "malformed CSV: record longer than 1000 bytes (line 3, byte 1001)", "O2,C2,2024-01-02,2.5," + strings.Repeat("1", 979)}},
	},
	{
		name: "line over the record limit inside a quoted field",
		data: ordersHeader + orderLines(1, 1) + "O2,\"C2\n" + strings.Repeat("1", 5000) + "\n" + orderLines(3, 3),
		tm:   TableMapping{MaxRecordBytes: 1000},
		ids:  []string{"O1", "O3"},
		bad: []wantBad{
			{3, "malformed CSV: record longer than 1000 bytes (a quote opened on this line runs on to line 4, byte 1001)", "O2,\"C2"},
			{4, "malformed CSV: record longer than 1000 bytes (line 4, byte 1001)", strings.Repeat("1", 1000)},
		},
	},
	{
		name: "record over the limit across lines",
		data: ordersHeader + orderLines(1, 1) + "O2,\"C2" + strings.Repeat("\nxxxxxxxxxx", 10) + "\",2024-01-02,2.5,1\n" + orderLines(3, 3),
		tm:   TableMapping{MaxRecordBytes: 64},
		ids:  []string{"O1", "O3"},
		bad:  []wantBad{{3, "malformed CSV: record longer than 64 bytes", "O2,\"C2"}},
	},
}

func TestMalformedCSV(t *testing.T) {
	for _, tc := range malformedTests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, mapFS(map[string]string{"orders.csv": tc.data}), Orders, Options{BatchSize: 2, Mapping: tc.tm})
			if res.err != nil {
				t.Fatal(res.err)
			}
			var ids []string
			for _, r := range res.rows {
				ids = append(ids, r[0])
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
				t.Errorf("accepted %q, want %q", ids, tc.ids)
			}
			// Every line of the records rejected after the first: the
			// lines a bad record swallowed are read again.
			bad := res.rejs
			if len(tc.bad) > 0 && len(bad) >= len(tc.bad) {
				for _, r := range bad[len(tc.bad):] {
					if r.Line <= tc.bad[len(tc.bad)-1].line {
						t.Errorf("rejection at line %d, before the last one expected", r.Line)
					}
				}
			}
			for i, w := range tc.bad {
				if i >= len(bad) {
					t.Errorf("missing rejection at line %d", w.line)
					continue
				}
				g := bad[i]
				if g.Line != w.line || !strings.Contains(g.Reason, w.reason) || !errors.Is(g.Err, ErrMalformedRow) {
					t.Errorf("rejection %s:%d %q, want line %d, reason with %q", g.File, g.Line, g.Reason, w.line, w.reason)
				}
				if !strings.HasPrefix(g.Raw, w.raw) || g.Raw == "" {
					t.Errorf("line %d: raw %q, want it to start with %q", g.Line, g.Raw, w.raw)
				}
			}
			if c := res.counts; c.Read != int64(len(tc.ids)+len(res.rejs)) {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

// TestMalformedCSVStrict fails on the first malformed record, naming the
// file, its line, the field and the reason.
func TestMalformedCSVStrict(t *testing.T) {
	data := ordersHeader + orderLines(1, 1) + "O2,C2,\"2024-01-02,2.5,1\n" + orderLines(3, 3)
	res := readAll(t, mapFS(map[string]string{"orders.csv": data}), Orders, Options{Strict: true})
	var pe *ParseError
	if !errors.As(res.err, &pe) || !errors.Is(res.err, ErrMalformedRow) {
		t.Fatalf("error %v, want a *ParseError wrapping ErrMalformedRow", res.err)
	}
	if want := `orders.csv:3:3: malformed CSV: extraneous or missing " in quoted-field (a quote opened on this line runs on to line 4, byte 24)`; res.err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", res.err, want)
	}
}

// TestBoundRaw checks that raw rows in the quarantine are valid UTF-8
// and bounded, whatever the input.
func TestBoundRaw(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short", "a,b,c", "a,b,c"},
		{"invalid", "caf\xe9,x", "caf\uFFFD,x"},
		{"long", strings.Repeat("é", 3000), strings.Repeat("é", 2046) + "…"},
		{"long invalid", strings.Repeat("\xff", 10000), "\uFFFD…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := boundRaw(tc.in)
			if got != tc.want {
				t.Errorf("boundRaw = %q (%d bytes), want %q", got[:min(len(got), 40)], len(got), tc.want[:min(len(tc.want), 40)])
			}
			if !utf8.ValidString(got) || len(got) > maxRawBytes {
				t.Errorf("boundRaw gives %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
			}
		})
	}
}

// TestLongJSONLine rejects a JSON line over the record limit, keeping
// its start, and reads the next.
func TestLongJSONLine(t *testing.T) {
	long := `{"order_id":"O1","customer_id":"` + strings.Repeat("x", 10000) + `","ordered_at":"2024-01-02","revenue":1}`
	data := long + "\n" + `{"order_id":"O2","customer_id":"C2","ordered_at":"2024-01-02","revenue":2}` + "\n"
	res := readAll(t, mapFS(map[string]string{"orders.jsonl": data}), Orders, Options{Mapping: TableMapping{MaxRecordBytes: 1000}})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rows) != 1 || res.rows[0][0] != "O2" {
		t.Errorf("rows %q, want O2", res.rows)
	}
	if len(res.rejs) != 1 || res.rejs[0].Reason != "line longer than 1000 bytes" || !strings.HasPrefix(long, strings.TrimSuffix(res.rejs[0].Raw, "…")) ||
		len(res.rejs[0].Raw) > maxRawBytes || len(res.rejs[0].Raw) < 1000 {
		t.Errorf("rejections %+v", res.rejs)
	}
}

// gzipBomb returns a gzip stream of n zero bytes after an orders header.
func gzipBomb(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(ordersHeader))
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		zw.Write(zeros[:k])
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGzip(t *testing.T) {
	rows := ordersHeader + orderLines(1, 3000)
	whole := gzipText(t, rows)
	tests := []struct {
		name  string
		data  string
		tm    TableMapping
		rows  int
		is    error
		names []string // the error names them
	}{
		{name: "whole", data: whole, rows: 3000},
		{name: "two members", data: gzipText(t, ordersHeader+orderLines(1, 10)) + gzipText(t, orderLines(11, 20)), rows: 20},
		{name: "truncated", data: whole[:len(whole)/2], names: []string{"orders.csv.gz", "truncated"}, is: io.ErrUnexpectedEOF},
		{name: "truncated trailer", data: whole[:len(whole)-4], names: []string{"orders.csv.gz"}, is: io.ErrUnexpectedEOF},
		{name: "bomb", data: gzipBomb(t, 256<<20), names: []string{"orders.csv.gz", "max_gzip_ratio"}, is: ErrGzipRatio},
		{name: "ratio set", data: whole, tm: TableMapping{MaxGzipRatio: 1}, names: []string{"orders.csv.gz"}, is: ErrGzipRatio},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tm.MaxGzipRatio > 0 {
				// The slack lets a small file through whatever the ratio.
				var b strings.Builder
				for b.Len() < 2*gzipSlack {
					b.WriteString(orderLine(b.Len()))
				}
				tc.data = gzipText(t, ordersHeader+b.String())
			}
			res := readAll(t, mapFS(map[string]string{"orders.csv.gz": tc.data}), Orders, Options{Mapping: tc.tm})
			if tc.is == nil {
				if res.err != nil || len(res.rows) != tc.rows || len(res.rejs) > 0 {
					t.Errorf("read %d rows, %d rejections, error %v; want %d rows", len(res.rows), len(res.rejs), res.err, tc.rows)
				}
				return
			}
			if !errors.Is(res.err, tc.is) {
				t.Fatalf("error %v, want %v", res.err, tc.is)
			}
			for _, n := range tc.names {
				if !strings.Contains(res.err.Error(), n) {
					t.Errorf("error %q does not name %s", res.err, n)
				}
			}
		})
	}
}

type encodingTest struct {
	name string
	tm   TableMapping
	data []byte // orders.csv or orders.jsonl
	file string
	want []string // the customer_id of each accepted row
	bad  []wantBad
}

// cafe is "Café Ünïcode" in Windows-1252, with the euro sign (0x80),
// which ISO 8859-1 lacks.
const cafe1252 = "Caf\xe9 \xdcn\xefcode \x80"

var encodingTests = []encodingTest{
	{
		name: "windows-1252",
		tm:   TableMapping{Encoding: "windows-1252"},
		data: []byte(ordersHeader + "O1," + cafe1252 + ",2024-01-02,1,\n"),
		want: []string{"Café Ünïcode €"},
	},
	{
		name: "latin-1",
		tm:   TableMapping{Encoding: "Latin-1"},
		data: []byte(ordersHeader + "O1,Caf\xe9,2024-01-02,1,\n"),
		want: []string{"Café"},
	},
	{
		name: "windows-1252 read as utf-8",
		data: []byte(ordersHeader + "O1," + cafe1252 + ",2024-01-02,1,\nO2,C2,2024-01-02,1,\n"),
		want: []string{"C2"},
		bad:  []wantBad{{2, `customer_id: invalid UTF-8 at byte 4: "Caf\xe9 \xdcn\xefcode \x80"`, "O1,Caf\uFFFD \uFFFDn\uFFFDcode \uFFFD,2024-01-02,1,"}},
	},
	{
		name: "replace",
		tm:   TableMapping{InvalidUTF8: "replace"},
		data: []byte(ordersHeader + "O1," + cafe1252 + ",2024-01-02,1,\n"),
		want: []string{"Caf\uFFFD \uFFFDn\uFFFDcode \uFFFD"},
	},
	{
		name: "utf-8 with a byte order mark",
		data: []byte("\uFEFF" + ordersHeader + "O1,Café,2024-01-02,1,\n"),
		want: []string{"Café"},
	},
	{
		name: "jsonl windows-1252",
		file: "orders.jsonl",
		tm:   TableMapping{Encoding: "windows-1252"},
		data: []byte(`{"order_id":"O1","customer_id":"` + cafe1252 + `","ordered_at":"2024-01-02","revenue":1}` + "\n"),
		want: []string{"Café Ünïcode €"},
	},
	{
		name: "jsonl windows-1252 read as utf-8",
		file: "orders.jsonl",
		data: []byte(`{"order_id":"O1","customer_id":"` + cafe1252 + `","ordered_at":"2024-01-02","revenue":1}` + "\n" +
			`{"order_id":"O2","customer_id":"C2","ordered_at":"2024-01-02","revenue":1}` + "\n"),
		want: []string{"C2"},
		bad:  []wantBad{{1, `customer_id: invalid UTF-8 at byte 5: "\"Caf\xe9 \xdcn\xefcode \x80\""`, `{"order_id":"O1","customer_id":"Caf`}},
	},
	{
		name: "jsonl replace",
		file: "orders.jsonl",
		tm:   TableMapping{InvalidUTF8: "replace"},
		data: []byte(`{"order_id":"O1","customer_id":"Caf` + "\xe9" + `","ordered_at":"2024-01-02","revenue":1}` + "\n"),
		want: []string{"Caf\uFFFD"},
	},
}

func TestEncodings(t *testing.T) {
	tests := encodingTests
	text := ordersHeader + "O1,Café 😀,2024-01-02,1,\n"
	for _, u := range []struct {
		name string
		data []byte
	}{
		{"utf-16", utf16Bytes(t, "utf-16", text)},
		{"utf-16le", utf16Bytes(t, "utf-16le", text)},
		{"utf-16be", utf16Bytes(t, "utf-16be", text)},
	} {
		tests = append(tests, encodingTest{name: u.name, tm: TableMapping{Encoding: u.name}, data: u.data, want: []string{"Café 😀"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "orders.csv"
			}
			res := readAll(t, mapFS(map[string]string{file: string(tc.data)}), Orders, Options{Mapping: tc.tm})
			if res.err != nil {
				t.Fatal(res.err)
			}
			var got []string
			for _, r := range res.rows {
				got = append(got, r[1])
				for _, v := range r {
					if !utf8.ValidString(v) {
						t.Errorf("value %q in a batch is not valid UTF-8", v)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("customer ids %q, want %q", got, tc.want)
			}
			if len(res.rejs) != len(tc.bad) {
				t.Fatalf("rejections %+v, want %d", res.rejs, len(tc.bad))
			}
			for i, w := range tc.bad {
				g := res.rejs[i]
				if reason := g.Field + ": " + g.Reason; g.Line != w.line || !strings.HasPrefix(reason, w.reason) || !errors.Is(g.Err, ErrInvalidValue) {
					t.Errorf("rejection at line %d: %s, want line %d: %s", g.Line, reason, w.line, w.reason)
				}
				if !strings.HasPrefix(g.Raw, w.raw) || !utf8.ValidString(g.Raw) || !utf8.ValidString(g.Reason) {
					t.Errorf("raw %q, want it to start with %q, valid UTF-8", g.Raw, w.raw)
				}
			}
		})
	}
}

// utf16Bytes encodes s as the UTF-16 the encoding name reads, with a
// byte order mark for "utf-16".
func utf16Bytes(t *testing.T, name, s string) []byte {
	t.Helper()
	e := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	switch name {
	case "utf-16le":
		e = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case "utf-16be":
		e = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUTF16WithoutBOM fails to read a file said to be UTF-16 with a byte
// order mark that has none.
func TestUTF16WithoutBOM(t *testing.T) {
	data := utf16Bytes(t, "utf-16le", ordersHeader)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := Open(context.Background(), mapFS(map[string]string{"orders.csv": string(data)}), Orders, mem,
		Options{Strict: true, Mapping: TableMapping{Encoding: "utf-16"}})
	if err == nil {
		r.Close()
		t.Fatal("Open succeeded")
	}
	if !strings.Contains(err.Error(), "orders.csv") || !errors.Is(err, unicode.ErrMissingBOM) {
		t.Errorf("error %v, want one naming orders.csv, wrapping ErrMissingBOM", err)
	}
}

// TestParquetInvalidUTF8 applies the UTF-8 rule to Parquet strings.
func TestParquetInvalidUTF8(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	spec, _ := SpecOf(Orders)
	rec := typedRecord(t, mem, spec, [][]string{
		{"O1", "Caf\xe9", "2024-01-02T00:00:00Z", "1", ""},
		{"O2", "C2", "2024-01-02T00:00:00Z", "2", ""},
	})
	defer rec.Release()
	fsys := mapFS(map[string]string{"orders.parquet": parquetBytes(t, mem, rec)})
	tests := []struct {
		name string
		tm   TableMapping
		want []string // customer ids accepted
		bad  int      // rows rejected
	}{
		{"quarantine", TableMapping{}, []string{"C2"}, 1},
		{"replace", TableMapping{InvalidUTF8: "replace"}, []string{"Caf\uFFFD", "C2"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, fsys, Orders, Options{Mapping: tc.tm})
			if res.err != nil {
				t.Fatal(res.err)
			}
			var got []string
			for _, r := range res.rows {
				got = append(got, r[1])
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || len(res.rejs) != tc.bad {
				t.Errorf("customer ids %q, rejections %+v; want %q, %d", got, res.rejs, tc.want, tc.bad)
			}
			for _, r := range res.rejs {
				if r.Field != "customer_id" || !strings.Contains(r.Reason, `"Caf\xe9"`) || !utf8.ValidString(r.Raw) || r.Raw == "" {
					t.Errorf("rejection %+v", r)
				}
			}
		})
	}
}

// TestHugeLineMemory reads a CSV file of one line of 256 MiB between
// two good rows: the line is rejected and the rows after it read, and
// the read allocates a small part of the line's size, for it is never
// held whole.
func TestHugeLineMemory(t *testing.T) {
	const size = 256 << 20
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(ordersHeader + orderLine(1) + "O2,"))
	x := bytes.Repeat([]byte("x"), 1<<20)
	for range size >> 20 {
		zw.Write(x)
	}
	zw.Write([]byte("\n" + orderLine(3)))
	zw.Close()
	fsys := mapFS(map[string]string{"orders.csv.gz": b.String()})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := readAll(t, fsys, Orders, Options{Workers: 1, Mapping: TableMapping{MaxGzipRatio: 1 << 20}})
	runtime.ReadMemStats(&after)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rows) != 2 || res.rows[0][0] != "O1" || res.rows[1][0] != "O3" || len(res.rejs) != 1 || res.rejs[0].Line != 3 {
		t.Fatalf("rows %q, rejections %+v", res.rows, res.rejs)
	}
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("read allocated %d MiB", got>>20)
	if got > size/4 {
		t.Errorf("read allocated %d MiB for a line of %d MiB", got>>20, size>>20)
	}
}
