package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// FuzzJSONDocument reads arbitrary bytes as a JSON document of tickets,
// as a top-level array and as API pages with inner records, parents and
// a join: no panic, a document encoding/json rejects is an error wrapping
// ErrMalformedDocument, counts reconcile, rejections are bounded UTF-8,
// and the accepted rows of an array read back unchanged once written as
// one.
func FuzzJSONDocument(f *testing.F) {
	_, jsonl := ticketsFixture(10, 5)
	f.Add([]byte("[" + strings.Join(strings.Split(strings.TrimSpace(jsonl), "\n"), ",\n") + "]"))
	f.Add([]byte(ticketsPage))
	f.Add([]byte(eventsPage))
	f.Add([]byte(`{"tickets":[{"id":1,"via":{"channel":"web"}},2,[],null],"metric_sets":[{"ticket_id":1},{"ticket_id":1}]}`))
	f.Add([]byte(`{"ticket_events":[{"ticket_id":1,"child_events":null},{"child_events":{}},{"child_events":[{"id":"x"}]}]}`))
	f.Add([]byte("\uFEFF[{\"ticket_id\": \"\\ud800\", \"status\": \"\xff\"}]"))
	f.Add([]byte(`[{"a":[[[[]]]]}, {"ticket_id":"1"}]   `))
	f.Add([]byte(`{"tickets": [`))
	f.Fuzz(fuzzDocBody)
}

var fuzzDocMappings = []string{
	"tickets:\n    files: [t.json]\n",
	"tickets:\n    files: [t.json]\n    records: tickets\n    join: {metric_set: {records: metric_sets, key: ticket_id, on: id}}\n" +
		"    columns: {ticket_id: id, channel: via.channel, reopens: metric_set.reopens}\n    defaults: {created_at: \"2026-01-01\", status: new, channel: web, reopens: \"0\"}\n",
	"tickets:\n    files: [t.json]\n    records: ticket_events[].child_events[]\n    columns: {ticket_id: id, customer_id: ../ticket_id}\n" +
		"    keep_when: {event_type: [Comment]}\n    defaults: {created_at: \"2026-01-01\", status: new, channel: web}\n",
}

func fuzzDocBody(t *testing.T, data []byte) {
	mappings := fuzzDocMappings
	{
		if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > maxJSONDepth {
			return
		}
		valid := json.Valid(bytes.TrimPrefix(data, []byte("\uFEFF")))
		for k, y := range mappings {
			m, err := LoadMapping(strings.NewReader("tables:\n  "+y), "m.yaml")
			if err != nil {
				t.Fatal(err)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			rows, rejs, err := readDoc(t, mem, m.Tables[Tickets], string(data))
			if !valid && !errors.Is(err, ErrMalformedDocument) {
				t.Fatalf("mapping %d: encoding/json rejects the document, but the read says %v", k, err)
			}
			if err != nil && !errors.Is(err, ErrMalformedDocument) && !errors.Is(err, ErrMissingColumn) {
				t.Fatalf("mapping %d: unexpected error %v", k, err)
			}
			for _, rej := range rejs {
				if rej.Raw == "" || len(rej.Raw) > maxRawBytes || !utf8.ValidString(rej.Raw) || !utf8.ValidString(rej.Reason) ||
					rej.Record == "" || !strings.HasPrefix(rej.Reason, rej.Record+": ") || rej.Line < 1 || rej.Column < 1 {
					t.Fatalf("mapping %d: rejection %+v: raw, reason or position out of shape", k, rej)
				}
			}
			if k > 0 {
				fuzzDocLine(t, mem, y, data, rows, rejs, err)
			}
			if k == 0 && err == nil {
				// Written back as a top-level array, the rows read the same.
				spec, _ := SpecOf(Tickets)
				lines := strings.Split(strings.TrimSuffix(jsonlText(t, spec, rows), "\n"), "\n")
				doc := "[]"
				if len(rows) > 0 {
					doc = "[\n" + strings.Join(lines, ",\n") + "\n]"
				}
				again, rejs, err := readDoc(t, mem, m.Tables[Tickets], doc)
				if err != nil || len(rejs) > 0 {
					t.Fatalf("reading accepted rows again: %v, %+v", err, rejs)
				}
				if strings.Join(flatten(again), "\x00") != strings.Join(flatten(rows), "\x00") {
					t.Fatalf("round trip changed the data:\n%q\n%q", rows, again)
				}
			}
			mem.AssertSize(t, 0)
		}
	}
}

// fuzzDocLine reads the document as one line of JSON Lines with the
// mapping y: the same rows and rejections as the document gave (rows,
// rejs, err), but for their positions.
func fuzzDocLine(t *testing.T, mem memory.Allocator, y string, data []byte, rows [][]string, rejs []Rejection, err error) {
	line := bytes.TrimPrefix(data, []byte("\uFEFF"))
	var b bytes.Buffer
	if json.Compact(&b, line) == nil {
		line = b.Bytes()
	} else {
		line = bytes.ReplaceAll(bytes.ReplaceAll(line, []byte("\n"), []byte(" ")), []byte("\r"), []byte(" "))
	}
	m, merr := LoadMapping(strings.NewReader("tables:\n  "+strings.Replace(y, "t.json", "t.jsonl", 1)), "m.yaml")
	if merr != nil {
		t.Fatal(merr)
	}
	got, gotRejs, gotErr := readDocNamed(t, mem, m.Tables[Tickets], "t.jsonl", string(line)+"\n")
	if (err == nil) != (gotErr == nil) || (err != nil && errors.Is(err, ErrMalformedDocument) != errors.Is(gotErr, ErrMalformedDocument)) {
		if len(bytes.TrimSpace(line)) == 0 && gotErr == nil {
			return // a blank line is no document, an empty file is a malformed one
		}
		t.Fatalf("as a line of JSON Lines: error %v, as a document %v", gotErr, err)
	}
	if err != nil {
		return
	}
	if strings.Join(flatten(got), "\x00") != strings.Join(flatten(rows), "\x00") || len(gotRejs) != len(rejs) {
		t.Fatalf("as a line of JSON Lines: %d rows, %d rejections; as a document %d, %d", len(got), len(gotRejs), len(rows), len(rejs))
	}
	for i, r := range gotRejs {
		if r.Record != rejs[i].Record || r.Line != 1 || r.Column < 1 {
			t.Fatalf("as a line of JSON Lines: rejection %+v, as a document %+v", r, rejs[i])
		}
	}
}

// readDoc reads doc as the tickets of t.json, returning the accepted
// rows as contract text ("" for null) and the rejections.
func readDoc(t *testing.T, mem memory.Allocator, tm TableMapping, doc string) ([][]string, []Rejection, error) {
	return readDocNamed(t, mem, tm, "t.json", doc)
}

// readDocNamed reads doc as the tickets of the named file.
func readDocNamed(t *testing.T, mem memory.Allocator, tm TableMapping, name, doc string) ([][]string, []Rejection, error) {
	var rejs []Rejection
	r, err := Open(context.Background(), mapFS(map[string]string{name: doc}), Tickets, mem,
		Options{BatchSize: 3, Mapping: tm, Reject: func(r Rejection) error { rejs = append(rejs, r); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		for i := range int(rec.NumRows()) {
			row := make([]string, rec.NumCols())
			for j, col := range rec.Columns() {
				row[j] = canonicalCell(col, i)
			}
			rows = append(rows, row)
		}
		for _, col := range rec.Columns() {
			if s, ok := col.(*array.String); ok {
				for i := range s.Len() {
					if !utf8.ValidString(s.Value(i)) {
						t.Fatalf("value %q is not valid UTF-8", s.Value(i))
					}
				}
			}
		}
		rec.Release()
	}
	if c := r.Counts(); c.Read != c.Accepted+c.Skipped+c.Rejected || c.Accepted != int64(len(rows)) || c.Rejected != int64(len(rejs)) {
		t.Fatalf("counts %+v with %d rows and %d rejections", c, len(rows), len(rejs))
	}
	return rows, rejs, nil
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, "\x01"))
	}
	return out
}

// FuzzPath parses arbitrary column and records paths: no panic, and a
// path that parses renders as text that parses to the same path.
func FuzzPath(f *testing.F) {
	for _, tc := range pathTests {
		f.Add(tc.in)
	}
	for _, tc := range recordsTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parsePath(s); err == nil {
			q, err := parsePath(p.String())
			if err != nil || q.String() != p.String() || q.up != p.up || len(q.names) != len(p.names) {
				t.Fatalf("parsePath(%q) = %q, which parses as %q, %v", s, p.String(), q.String(), err)
			}
			for _, n := range p.names {
				if n == "" {
					t.Fatalf("parsePath(%q) has an empty name", s)
				}
			}
		} else if !errors.Is(err, errPathSyntax) {
			t.Fatalf("parsePath(%q) error %v does not wrap errPathSyntax", s, err)
		}
		if r, err := parseRecords(s); err == nil {
			q, err := parseRecords(r.String())
			if err != nil || q.String() != r.String() || q.levels() != r.levels() || r.levels() < 1 || !r[len(r)-1].iterate {
				t.Fatalf("parseRecords(%q) = %q (%d levels), which parses as %q, %v", s, r.String(), r.levels(), q.String(), err)
			}
		}
	})
}
