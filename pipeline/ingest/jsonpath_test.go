package ingest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var pathTests = []struct {
	in    string
	up    int
	names []string
	err   string
}{
	{in: "status", names: []string{"status"}},
	{in: "Created at", names: []string{"Created at"}},
	{in: "via.channel", names: []string{"via", "channel"}},
	{in: "metric_set.reply_time_in_minutes.calendar", names: []string{"metric_set", "reply_time_in_minutes", "calendar"}},
	{in: "../ticket_id", up: 1, names: []string{"ticket_id"}},
	{in: "../../a.b", up: 2, names: []string{"a", "b"}},
	{in: `a\.b.c`, names: []string{"a.b", "c"}},
	{in: `a\\b`, names: []string{`a\b`}},
	{in: "", err: "no member name"},
	{in: "../", err: "no member name"},
	{in: "a..b", err: "empty member name"},
	{in: ".a", err: "empty member name"},
	{in: "a.", err: "empty member name at the end"},
	{in: `a\b`, err: "backslash"},
	{in: `a\`, err: "backslash"},
	{in: "comments[]", err: "is an array"},
	{in: "a.b[].c", err: "is an array"},
}

// TestParsePath parses column paths, and says why a bad one is bad.
func TestParsePath(t *testing.T) {
	for _, tc := range pathTests {
		p, err := parsePath(tc.in)
		if tc.err != "" {
			if err == nil || !errors.Is(err, errPathSyntax) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parsePath(%q) = %v, %v; want an error saying %q", tc.in, p, err, tc.err)
			}
			continue
		}
		if err != nil || p.up != tc.up || !slices.Equal(p.names, tc.names) {
			t.Errorf("parsePath(%q) = %d %q, %v; want %d %q", tc.in, p.up, p.names, err, tc.up, tc.names)
		}
		if q, err := parsePath(p.String()); err != nil || q.up != p.up || !slices.Equal(q.names, p.names) {
			t.Errorf("parsePath(%q.String() = %q) = %v, %v; want the same path", tc.in, p.String(), q, err)
		}
	}
}

var recordsTests = []struct {
	in     string
	want   recordsPath
	levels int
	err    string
}{
	{in: "", want: recordsPath{{iterate: true}}, levels: 1},
	{in: "[]", want: recordsPath{{iterate: true}}, levels: 1},
	{in: "tickets", want: recordsPath{{"tickets", true}}, levels: 1},
	{in: "tickets[]", want: recordsPath{{"tickets", true}}, levels: 1},
	{in: "data.tickets", want: recordsPath{{"data", false}, {"tickets", true}}, levels: 1},
	{in: "ticket_events[].child_events[]", want: recordsPath{{"ticket_events", true}, {"child_events", true}}, levels: 2},
	{in: "ticket_events[].child_events", want: recordsPath{{"ticket_events", true}, {"child_events", true}}, levels: 2},
	{in: "[].comments", want: recordsPath{{"", true}, {"comments", true}}, levels: 2},
	{in: "a[].b.c[]", want: recordsPath{{"a", true}, {"b", false}, {"c", true}}, levels: 2},
	{in: "a..b", err: "empty member name"},
	{in: "a[]b", err: "want a member name"},
	{in: "[][]", err: "want a member name"},
	{in: "a.[]", err: "want a member name"},
}

// TestParseRecords parses records paths: which arrays are iterated.
func TestParseRecords(t *testing.T) {
	for _, tc := range recordsTests {
		r, err := parseRecords(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseRecords(%q) = %v, %v; want an error saying %q", tc.in, r, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(r, tc.want) || r.levels() != tc.levels {
			t.Errorf("parseRecords(%q) = %v (%d levels), %v; want %v (%d)", tc.in, r, r.levels(), err, tc.want, tc.levels)
		}
		if q, err := parseRecords(r.String()); err != nil || !slices.Equal(q, r) {
			t.Errorf("parseRecords(%q.String() = %q) = %v, %v; want the same", tc.in, r.String(), q, err)
		}
	}
}

var jsonMappingErrors = []struct {
	name, yaml, path, want string
}{
	{"records on CSV", "tickets:\n    format: csv\n    records: tickets", "tables.tickets.records", "not csv"},
	{"join on JSON Lines", "tickets:\n    format: jsonl\n    join: {m: {records: m, key: id, on: id}}", "tables.tickets.join", "name the records of each line"},
	{"bad records", "tickets:\n    records: a..b", "tables.tickets.records", "empty member name"},
	{"../ without levels", "tickets:\n    format: json\n    records: tickets\n    columns: {ticket_id: ../id}", "tables.tickets.columns.ticket_id", "the rows have none"},
	{"../ too far", "messages:\n    records: a[].b[]\n    columns: {ticket_id: ../../id}", "tables.messages.columns.ticket_id", "2 levels up"},
	{"an array in a column path", "tickets:\n    format: json\n    columns: {ticket_id: \"ids[]\"}", "tables.tickets.columns.ticket_id", "is an array"},
	{"the whole joined element", "tickets:\n    records: t\n    join: {m: {records: m, key: id, on: id}}\n    columns: {solved_at: m}", "tables.tickets.columns.solved_at", "whole element"},
	{"join incomplete", "tickets:\n    records: t\n    join: {m: {records: m, key: id}}", "tables.tickets.join.m", "needs records, key and on"},
	{"join name with a dot", "tickets:\n    records: t\n    join: {m.x: {records: m, key: id, on: id}}", "tables.tickets.join.m.x", "bad join name"},
	{"empty keep value", "messages:\n    format: jsonl\n    keep_when: {type: [\"\"]}", "tables.messages.keep_when.type[0]", "empty value"},
	{"derive and columns", "messages:\n    format: jsonl\n    columns: {author: a}\n    derive: {author: [{value: agent}]}", "tables.messages.derive.author", "one source"},
	{"derive value not in the vocabulary", "messages:\n    format: jsonl\n    derive: {author: [{value: robot}]}", "tables.messages.derive.author[0].value", `unexpected value "robot"`},
	{"derive rule without a value", "messages:\n    format: jsonl\n    derive: {author: [{when: {a: [x]}}]}", "tables.messages.derive.author[0]", "needs a value or a from path"},
	{"derive default not last", "messages:\n    format: jsonl\n    derive: {author: [{value: agent}, {when: {a: [x]}, value: customer}]}", "tables.messages.derive.author[0]", "put it last"},
	{"lookup into a later table", "messages:\n    format: jsonl\n    derive: {author: [{when_equal: [a, surveys.customer_id], value: customer}, {value: agent}]}", "tables.messages.derive.author[0].when_equal[1]", "not read before messages"},
	{"lookup of an unknown column", "messages:\n    format: jsonl\n    derive: {author: [{when_equal: [a, tickets.requester], value: customer}, {value: agent}]}", "tables.messages.derive.author[0].when_equal[1]", `unknown contract column "requester"`},
	{"lookup without the key column", "surveys:\n    format: jsonl\n    derive: {kind: [{when_equal: [a, customers.customer_id], value: csat}]}", "tables.surveys.derive.kind[0].when_equal[1]", ""},
	{"when_equal of one item", "messages:\n    format: jsonl\n    derive: {author: [{when_equal: [a], value: customer}]}", "tables.messages.derive.author[0].when_equal", "got 1 items"},
	{"unknown rule key", "messages:\n    format: jsonl\n    derive: {author: [{if: x}]}", "tables.messages.derive.author[0].if", "unknown key"},
	{"negative document size", "tickets:\n    format: json\n    max_document_bytes: -1", "tables.tickets.max_document_bytes", "negative"},
}

// TestJSONMappingErrors: mistakes in the JSON keys of a mapping are found
// before anything is read, naming the key.
func TestJSONMappingErrors(t *testing.T) {
	for _, tc := range jsonMappingErrors {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadMapping(strings.NewReader("tables:\n  "+tc.yaml+"\n"), "m.yaml")
			var me *MappingError
			if tc.want == "" {
				// surveys has customer_id: a lookup keyed by it is valid.
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if !errors.As(err, &me) || me.Path != tc.path || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a MappingError at %s saying %q", err, tc.path, tc.want)
			}
		})
	}
}
