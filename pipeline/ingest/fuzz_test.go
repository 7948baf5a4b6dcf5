package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"go.yaml.in/yaml/v3"
)

func FuzzParseTime(f *testing.F) {
	for _, tc := range parseTimeTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseTime(s, nil)
		if ok {
			again, ok2 := ParseTime(got.Format(time.RFC3339Nano), nil)
			if !ok2 || !again.Equal(got) {
				t.Fatalf("ParseTime(%q) = %v, which does not round-trip: %v, %v", s, got, again, ok2)
			}
		}
		// Whatever the standard library reads as RFC 3339, so must we
		// (but for one-digit hours and offsets of 24 hours and more, which
		// RFC 3339 forbids).
		if std, err := time.Parse(time.RFC3339Nano, s); err == nil && std.UTC().Year() >= 0 && std.UTC().Year() <= 9999 &&
			validOffset(std) && len(s) > 13 && s[13] == ':' {
			if want := std.UnixMicro(); !ok || got.UnixMicro() != want {
				t.Fatalf("ParseTime(%q) = %v, %v; time.Parse gives %v", s, got, ok, std)
			}
		}
		// Without an offset, a time reads the same as with the zone's.
		if ok && !strings.ContainsAny(s[min(len(s), 10):], "Zz+-") && got.Year() > 0 && got.Year() < 9999 {
			ny, err := time.LoadLocation("America/New_York")
			if err != nil {
				t.Skip(err)
			}
			local, ok := ParseTime(s, ny)
			if !ok || local.Sub(got) < 4*time.Hour || local.Sub(got) > 5*time.Hour {
				t.Fatalf("ParseTime(%q) in New York = %v, UTC %v", s, local, got)
			}
		}
	})
}

func validOffset(t time.Time) bool {
	_, off := t.Zone()
	return off > -24*3600 && off < 24*3600
}

// FuzzCSVSource reads arbitrary bytes as tickets.csv: no panic, counts
// that reconcile, valid UTF-8 everywhere, a raw text for every rejected
// row, and accepted rows that read back unchanged once written as CSV.
func FuzzCSVSource(f *testing.F) {
	for _, tc := range ruleTests {
		if tc.table == Tickets {
			f.Add([]byte(tc.data))
		}
	}
	csvData, _ := ticketsFixture(20, 3)
	f.Add([]byte(csvData))
	f.Add([]byte(ticketsHeader + "\"T1\",\"a\"\"b\",Chat,2024-01-02,,open,,,\" x \",,\n"))
	f.Add([]byte("ticket_id;channel\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, "tickets.csv", data, func(spec Spec, rows [][]string) []byte {
			return []byte(csvText(t, spec, rows))
		})
	})
}

// FuzzJSONLSource reads arbitrary bytes as tickets.jsonl: no panic,
// counts that reconcile, and accepted rows that read back unchanged once
// written as JSON Lines.
func FuzzJSONLSource(f *testing.F) {
	_, jsonData := ticketsFixture(20, 3)
	f.Add([]byte(jsonData))
	f.Add([]byte(`{"ticket_id":"T1","channel":"email","created_at":"2024-01-02T10:00:00Z","status":"open","reopens":2,"is_complaint":true,"x":[{"y":null}]}` + "\n"))
	f.Add([]byte(`{"ticket_id":"\u00e9\ud800","channel":"Chat","created_at":"2024-01-02","status":"open","reopens":1e2}`))
	f.Add([]byte("{}\n\n{\"ticket_id\":1}\n[1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, "tickets.jsonl", data, func(spec Spec, rows [][]string) []byte {
			return []byte(jsonlText(t, spec, rows))
		})
	})
}

// fuzzSource reads data as the named tickets file, writes the accepted
// rows back with write, and reads them again.
func fuzzSource(t *testing.T, name string, data []byte, write func(Spec, [][]string) []byte) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	spec, _ := SpecOf(Tickets)
	read := func(name string, data []byte) (arrow.Record, []Rejection, error) {
		var rejs []Rejection
		r, err := Open(context.Background(), mapFS(map[string]string{name: string(data)}), Tickets, mem,
			Options{BatchSize: 3, Reject: func(r Rejection) error { rejs = append(rejs, r); return nil }})
		if err != nil {
			return nil, nil, err
		}
		defer r.Close()
		var batches []arrow.Record
		defer func() {
			for _, b := range batches {
				b.Release()
			}
		}()
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, err
			}
			batches = append(batches, rec)
		}
		c := r.Counts()
		all := concat(t, mem, r.Schema(), batches)
		if c.Read != c.Accepted+c.Skipped+c.Rejected || c.Accepted != all.NumRows() || c.Rejected != int64(len(rejs)) {
			t.Fatalf("counts %+v with %d rows and %d rejections", c, all.NumRows(), len(rejs))
		}
		for _, rej := range rejs {
			if rej.Raw == "" || len(rej.Raw) > maxRawBytes || !utf8.ValidString(rej.Raw) || !utf8.ValidString(rej.Reason) {
				t.Fatalf("rejection %+v: raw empty, too long or not UTF-8", rej)
			}
		}
		for _, col := range all.Columns() {
			if s, ok := col.(*array.String); ok {
				for i := range s.Len() {
					if !utf8.ValidString(s.Value(i)) {
						t.Fatalf("value %q is not valid UTF-8", s.Value(i))
					}
				}
			}
		}
		return all, rejs, nil
	}
	first, _, err := read(name, data)
	if err != nil {
		return // a file that cannot be opened or read at all
	}
	defer first.Release()
	rows := make([][]string, first.NumRows())
	for i := range rows {
		rows[i] = make([]string, first.NumCols())
		for j, col := range first.Columns() {
			rows[i][j] = canonicalCell(col, i)
		}
	}
	again, rejs, err := read(name, write(spec, rows))
	if err != nil {
		t.Fatalf("reading accepted rows again: %v", err)
	}
	defer again.Release()
	if len(rejs) > 0 {
		t.Fatalf("accepted row rejected when read again: %+v", rejs[0])
	}
	if !array.RecordEqual(first, again) {
		t.Fatalf("round trip changed the data:\n%q\n%q", render(first), render(again))
	}
}

// canonicalCell renders a cell as contract text: "" for null, RFC 3339
// times.
func canonicalCell(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return ""
	}
	return renderCell(col, i)
}

// FuzzJSONObject checks the JSON object parser against encoding/json.
func FuzzJSONObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` {"a":"x\"y","b":[1,{"c":null}],"c":true,"d":-0.5e+3} `, `{"a":"\ud83d\ude00\u00e9"}`,
		`{"a":01}`, `{"a":1,}`, `[1]`, `{"a":"\x"}`, "{\"a\":\"\xff\"}", `{"a" 1}`, `{"a":tru}`, `{"a":"\ud800x"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Count(s, "[")+strings.Count(s, "{") > maxJSONDepth {
			return
		}
		type member struct {
			key  string
			kind jsonKind
			val  string
		}
		var got []member
		err := parseObject(s, func(_ int, key string, kind jsonKind, val, _ string) {
			got = append(got, member{key, kind, val})
		})
		trimmed := strings.TrimLeft(s, " \t\r\n")
		valid := json.Valid([]byte(s)) && strings.HasPrefix(trimmed, "{")
		if (err == nil) != valid {
			t.Fatalf("parseObject(%q) error %v, but json.Valid says %v", s, err, valid)
		}
		if !valid {
			return
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		dec.Token() // {
		for i := 0; dec.More(); i++ {
			k, _ := dec.Token()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			d.Decode(&v)
			m := got[i]
			var want string
			switch v := v.(type) {
			case string:
				want = v
			case json.Number:
				want = string(v)
			case bool:
				want = strconv.FormatBool(v)
			case nil:
			default:
				want = string(raw)
				if m.kind != jsonNested {
					t.Fatalf("member %d of %q: kind %v, want nested", i, s, m.kind)
				}
			}
			if m.key != k.(string) || (m.kind != jsonNested && m.val != want) {
				t.Fatalf("member %d of %q: %q=%q, want %q=%q", i, s, m.key, m.val, k, want)
			}
		}
	})
}

// FuzzLoadMapping loads arbitrary YAML: no panic, and an accepted mapping
// survives a YAML round trip and compiles for every table.
func FuzzLoadMapping(f *testing.F) {
	for _, tc := range mappingErrorTests {
		f.Add(tc.yaml)
	}
	if b, err := os.ReadFile("testdata/zendesk/mapping.yaml"); err == nil {
		f.Add(string(b))
	}
	f.Add("tables:\n  tickets:\n    values: {channel: {\"-\": null, \"x y\": other}}\n    defaults: {reopens: 0}\n")
	f.Add("tables:\n  surveys:\n    columns: {ticket_id: Id}\n    same_as: {response_id: ticket_id}\n")
	f.Add("tables:\n  surveys:\n    header_rows: 2\n    optional: true\n    files: [\"*.csv\"]\n")
	f.Add("tables:\n  tickets:\n    columns: {vendor_first_reply_minutes: First response time (in hrs)}\n    duration_layouts: {vendor_first_reply_minutes: \"hh:mm:ss\", vendor_on_hold_minutes: hours}\n    defaults: {vendor_on_hold_minutes: \"0.5\"}\n")
	f.Add("tables:\n  tickets:\n    unmapped: {status: open, channel: Other}\n  surveys:\n    skip_when: {score: [offered, x], kind: nps}\n")
	f.Add("tables:\n  tickets:\n    format: json\n    derive: {reopens: [{when_present: [stats.reopened_at], value: \"1\"}, {value: \"0\"}]}\n")
	for _, p := range Presets() {
		b, _ := PresetSource(p.Name)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, doc string) {
		m, err := LoadMapping(strings.NewReader(doc), "fuzz.yaml")
		if err != nil {
			var me *MappingError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not a *MappingError", err, err)
			}
			return
		}
		for table, tm := range m.Tables {
			spec, err := SpecOf(table)
			if err != nil {
				t.Fatalf("accepted unknown table %q", table)
			}
			if _, err := compile(spec, tm, nil); err != nil {
				t.Fatalf("accepted mapping of %s does not compile: %v", table, err)
			}
		}
		out, err := yaml.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadMapping(bytes.NewReader(out), "again.yaml")
		if err != nil {
			t.Fatalf("mapping written as\n%s\ndoes not load: %v", out, err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip changed the mapping:\n%#v\n%#v", m, again)
		}
	})
}

// FuzzCSVDelimiter reads a small table with an arbitrary delimiter.
func FuzzCSVDelimiter(f *testing.F) {
	f.Add(";", "a;b")
	f.Add("\t", "x")
	f.Fuzz(func(t *testing.T, delim, cell string) {
		tm := TableMapping{Delimiter: delim}
		spec, _ := SpecOf(Orders)
		if _, err := compile(spec, tm, nil); err != nil || delim == "" {
			return
		}
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.Comma = []rune(delim)[0]
		if strings.ContainsRune(cell, '\r') {
			return // encoding/csv turns \r\n into \n
		}
		w.Write([]string{"order_id", "customer_id", "ordered_at", "revenue"})
		w.Write([]string{"O1", cell, "2024-01-02", "1.5"})
		w.Flush()
		res := readAll(t, mapFS(map[string]string{"orders.csv": b.String()}), Orders, Options{Mapping: tm})
		if res.err != nil {
			t.Fatal(res.err)
		}
		if !utf8.ValidString(cell) {
			if len(res.rows) != 0 || len(res.rejs) != 1 || !errors.Is(res.rejs[0].Err, ErrInvalidValue) {
				t.Fatalf("cell %q, not UTF-8, read as %q, rejections %+v", cell, res.rows, res.rejs)
			}
			return
		}
		if c := strings.TrimSpace(cell); c != "" && (len(res.rows) != 1 || res.rows[0][1] != c) {
			t.Fatalf("cell %q read as %q, rejections %+v", cell, res.rows, res.rejs)
		}
	})
}

// FuzzParquetSource reads damaged Parquet files: a read must either fail
// or give exactly the rows the footer states, never panic. The seeds are
// small files of every layout the reader meets (plain, dictionary and
// snappy pages, data pages v1 and v2, several row groups), built once,
// of two columns without statistics: the fuzzer minimizes every input
// that finds new code, which takes time quadratic in its size.
func FuzzParquetSource(f *testing.F) {
	spec, _ := SpecOf(Customers)
	spec.Columns = spec.Columns[:2] // customer_id, signup_at: the required ones
	rows := [][]string{{"C1", "2023-05-01T00:00:00Z"}, {"C2", ""}, {"C1", "2023-05-01T00:00:00.5Z"}}
	for _, opts := range [][]parquet.WriterProperty{
		{},
		{parquet.WithDictionaryDefault(false)},
		{parquet.WithCompression(compress.Codecs.Snappy)},
		{parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithDictionaryDefault(false)},
		{parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithCompression(compress.Codecs.Snappy)},
	} {
		f.Add(specParquet(f, spec, rows, 2, append(opts, parquet.WithStats(false), parquet.WithCreatedBy("x"))...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readParquet(t, Customers, data)
		if err != nil {
			return
		}
		if want := footerRows(data); c.Read != want {
			t.Fatalf("read %d rows without error, the footer says %d", c.Read, want)
		}
		if c.Read != c.Accepted+c.Skipped+c.Rejected {
			t.Fatalf("counts %+v do not add up", c)
		}
	})
}

// FuzzPageHeader decodes Parquet page headers: never a panic, and a
// header that decodes fits in its bytes.
func FuzzPageHeader(f *testing.F) {
	f.Add([]byte{0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x15, 0x0e, 0x1c, 0x15, 0x06, 0x00, 0x00})
	f.Add([]byte{0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x07})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, n, err := decodePageHeader(b); err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("decoded %d bytes of %d", n, len(b))
		}
	})
}

// FuzzCSVRecords checks csvReader against encoding/csv, configured as the
// CSV source used it: the same records, first lines and syntax errors, up
// to the end of the input or the first syntax error in a record over
// several lines, after which csvReader reads the lines again. The delimiter is comma if encoding/csv takes
// it, else one of a few.
func FuzzCSVRecords(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n",
		"a,b\r\n1,2\r\n",
		"a,b\r\n\r\n\n1,2",
		"\"a\",\"b\"\"c\",\"\"\n\"\",x\n",
		"\"multi\nline\r\nfield\",x\n\"\"\"\"\n",
		"a\"b,c\n1,2\n",
		"\"a\"b,c\nd,e\n",
		"\"unterminated,x\ny,z\n",
		"\"abc\"\"",
		"\"abc\n",
		"a,\"b\"\r",
		"a\rb,c\rd\r\n\r\r\n\r",
		"x,\"\r\n\r\n\"\n\n",
		"a,b,\n,\n\",\"\n",
		"\n\n\na\n\n",
		"\"a\" ,b\n",
		"\"a\"\r,b\n",
		" \"a\",b\n",
		"\uFEFFid,name\n1,\"é\"\n",
		"\"a\nb\"c\nd\n",
	} {
		for _, comma := range []rune{',', ';', '\t', '|', 'é', '€'} {
			f.Add([]byte(strings.ReplaceAll(s, ",", string(comma))), comma)
		}
	}
	f.Add([]byte("aé\xc3,b\xc3é\"é\"\xa9\n"), 'é')
	f.Add([]byte(strings.Repeat("x", 40)+",\""+strings.Repeat("y\n", 30)+"\"\n"), ',')
	f.Fuzz(func(t *testing.T, data []byte, comma rune) {
		if comma == 0 || comma == '"' || comma == '\r' || comma == '\n' || !utf8.ValidRune(comma) || comma == utf8.RuneError {
			commas := []rune{',', ';', '\t', '|', 'é', '€', ' ', 'a'}
			comma = commas[uint32(comma)%uint32(len(commas))]
		}
		type record struct {
			line   int
			fields []string
			err    csv.ParseError // Err nil unless a syntax error
		}
		var want []record
		std := csv.NewReader(bytes.NewReader(data))
		std.Comma = comma
		std.FieldsPerRecord = -1
		std.ReuseRecord = true
		for {
			rec, err := std.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe):
				want = append(want, record{line: pe.StartLine, err: *pe})
			case err != nil:
				t.Fatalf("encoding/csv: %v", err)
			default:
				line, _ := std.FieldPos(0)
				want = append(want, record{line: line, fields: slices.Clone(rec)})
			}
		}

		// A small buffer, for lines longer than it; the fields of three
		// records at a time in one string.
		var got []record
		r := newCSVReader(bufio.NewReaderSize(bytes.NewReader(data), 16), comma)
		var counts []int // fields of each record not taken yet
		take := func() {
			fields := r.take(nil)
			for _, n := range counts {
				got[len(got)-len(counts)].fields = fields[:n:n]
				fields = fields[n:]
				counts = counts[1:]
			}
		}
		for {
			before := r.fields()
			line, err := r.next()
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe):
				if r.fields() != before {
					t.Fatalf("%q: a syntax error kept %d fields", data, r.fields()-before)
				}
				got = append(got, record{line: pe.StartLine, err: *pe})
				counts = append(counts, 0)
			case err != nil:
				t.Fatalf("csvReader: %v", err)
			default:
				got = append(got, record{line: line})
				counts = append(counts, r.fields()-before)
			}
			if len(counts) == 3 {
				take()
			}
		}
		take()
		// After a syntax error in a record over several lines, csvReader
		// reads the lines after the record's first again, where
		// encoding/csv goes on after the error: up to there they agree.
		for i, w := range want {
			if w.err.Err != nil && w.err.Line > w.err.StartLine {
				want = want[:i+1]
				got = got[:min(len(got), i+1)]
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%q, delimiter %q: %d records, encoding/csv reads %d:\n%+v\n%+v", data, comma, len(got), len(want), got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.line != w.line || !slices.Equal(g.fields, w.fields) || g.err != w.err {
				t.Fatalf("%q, delimiter %q: record %d is %+v, encoding/csv reads %+v", data, comma, i, g, w)
			}
		}
	})
}

// FuzzCSVResync injects junk without a line break into one of n good
// orders records, whose customer ids may hold quotes and delimiters: the
// other records are all read and accepted as they were, and the bad one
// is accepted or rejected with its line and raw text, never taking other
// rows with it.
func FuzzCSVResync(f *testing.F) {
	f.Add(uint8(10), uint8(3), uint16(3), []byte(`"`), []byte("ab,c\"d e"))
	f.Add(uint8(10), uint8(3), uint16(7), []byte(`"`), []byte("\"a,bc\""))
	f.Add(uint8(5), uint8(4), uint16(40), []byte(`x"`), []byte("a"))
	f.Add(uint8(8), uint8(0), uint16(0), []byte(`"`), []byte(""))
	f.Add(uint8(20), uint8(9), uint16(12), []byte(`","`), []byte(",\"\",\" "))
	f.Fuzz(func(t *testing.T, n, bad uint8, pos uint16, junk, ids []byte) {
		if len(junk) == 0 || bytes.ContainsAny(junk, "\n\r") {
			return
		}
		records := int(n%40) + 2
		k := int(bad) % records
		// Customer ids from a small alphabet, quoted as encoding/csv
		// writes them.
		alphabet := []byte("ab ,\"")
		var data bytes.Buffer
		data.WriteString(ordersHeader)
		want := make(map[string]string, records) // order id -> customer id
		var line string
		for j := range records {
			var id []byte
			for i := 0; i < 1+j%3 && len(ids) > 0; i++ {
				id = append(id, alphabet[int(ids[0])%len(alphabet)])
				ids = ids[1:]
			}
			cust := "C" + string(id)
			var b strings.Builder
			w := csv.NewWriter(&b)
			w.Write([]string{fmt.Sprintf("O%d", j), cust, "2024-01-02", "1.5", "1"})
			w.Flush()
			rec := b.String()
			if j == k {
				p := int(pos) % len(rec) // before the line end
				rec = rec[:p] + string(junk) + rec[p:]
				line = strings.TrimSuffix(rec, "\n")
			} else {
				want[fmt.Sprintf("O%d", j)] = strings.TrimSpace(cust)
			}
			data.WriteString(rec)
		}
		if id, _, _ := strings.Cut(line, ","); want[strings.TrimSpace(id)] != "" {
			return // the junk made the key of another record
		}
		res := readAll(t, mapFS(map[string]string{"orders.csv": data.String()}), Orders, Options{BatchSize: 3})
		if res.err != nil {
			t.Fatalf("%q: %v", data.String(), res.err)
		}
		extra := 0
		for _, r := range res.rows {
			if c, ok := want[r[0]]; ok && c == r[1] {
				delete(want, r[0])
			} else {
				extra++
			}
		}
		if len(want) > 0 || extra > 1 || len(res.rejs) > 1 || extra+len(res.rejs) != 1 {
			t.Fatalf("%q: good records not read %v, %d other rows, rejections %+v", data.String(), want, extra, res.rejs)
		}
		if len(res.rejs) == 1 {
			if r := res.rejs[0]; r.Line != k+2 || (strings.HasPrefix(r.Reason, "malformed CSV") && r.Raw != boundRaw(line)) || r.Raw == "" {
				t.Fatalf("%q: rejection %+v, want line %d with raw %q", data.String(), r, k+2, line)
			}
		}
	})
}
