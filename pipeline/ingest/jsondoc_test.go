package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"strings"
	"testing"
)

// ticketsPage is one page of an incremental ticket export, with its
// metric sets side-loaded, pretty-printed as the API's users save it.
const ticketsPage = `{
  "tickets": [
    {"id": 101, "requester_id": 9001, "via": {"channel": "email", "source": {"from": {}}},
     "created_at": "2026-10-01T09:00:00Z", "status": "solved", "priority": "high",
     "assignee_id": 77, "group_id": 5, "is_public": true},
    {"id": 102, "requester_id": 9002, "via": {"channel": "web"},
     "created_at": "2026-10-02T09:00:00Z", "status": "open", "priority": null,
     "assignee_id": null, "group_id": null, "is_public": false}
  ],
  "metric_sets": [
    {"ticket_id": 102, "solved_at": null, "reopens": 0},
    {"ticket_id": 101, "solved_at": "2026-10-01T11:00:00Z", "reopens": 2}
  ],
  "after_cursor": "MTU3NjYxMzUzOS4wfHw0Njd8", "end_of_stream": true
}
`

const ticketsPageMapping = `
tables:
  tickets:
    files: [tickets*.json]
    records: tickets
    columns: {ticket_id: id, customer_id: requester_id, channel: via.channel, agent_id: assignee_id,
              team: group_id, is_complaint: is_public, solved_at: metric_set.solved_at, reopens: metric_set.reopens}
    join:
      metric_set: {records: metric_sets, key: ticket_id, on: id}
`

// eventsPage is a page of the incremental ticket event export with its
// comment events, minified as the API sends it.
const eventsPage = `{"ticket_events":[` +
	`{"id":1,"ticket_id":101,"created_at":"2026-10-01T09:00:00Z","event_type":"Audit","child_events":[` +
	`{"id":11,"event_type":"Create","status":"new"},` +
	`{"id":12,"event_type":"Comment","public":true,"author_id":9001,"body":"Hi"}]},` +
	`{"id":2,"ticket_id":101,"created_at":"2026-10-01T09:30:00Z","event_type":"Audit","child_events":[` +
	`{"id":21,"event_type":"Comment","public":false,"author_id":77,"body":"note"},` +
	`{"id":22,"event_type":"Comment","public":true,"author_id":77,"body":"Hello"}]},` +
	`{"id":3,"ticket_id":102,"created_at":"2026-10-02T09:00:00Z","event_type":"Audit","child_events":[]}` +
	`],"next_page":null,"count":3,"end_of_stream":true}`

const eventsMapping = `
tables:
  messages:
    files: [ticket_events*.json]
    records: ticket_events[].child_events[]
    columns: {message_id: id, ticket_id: ../ticket_id, created_at: ../created_at, agent_id: author_id}
    keep_when: {event_type: [Comment]}
    derive:
      author:
        - when: {public: ["false"]}
          value: internal
        - when_equal: [author_id, tickets.customer_id]
          value: customer
        - value: agent
`

var jsonDocTests = []struct {
	name    string
	files   map[string]string
	mapping string
	table   Table
	want    [][]string
	rejs    []string // File:Line:Column Record: Reason
	counts  Counts
	skips   []SkipCount
}{
	{
		name:    "an API page with a side-load joined by key",
		files:   map[string]string{"tickets-1.json": ticketsPage},
		mapping: ticketsPageMapping, table: Tickets,
		want: [][]string{
			{"101", "9001", "email", "2026-10-01T09:00:00Z", "2026-10-01T11:00:00Z", "solved", "high", "77", "5", "true", "2"},
			{"102", "9002", "web", "2026-10-02T09:00:00Z", "<null>", "open", "<null>", "<null>", "<null>", "false", "0"},
		},
		counts: Counts{Read: 2, Accepted: 2},
	},
	{
		name: "a top-level array, numbers and booleans read as text",
		files: map[string]string{"t.json": `[{"ticket_id": 5, "channel": "chat", "created_at": "2026-10-01", "status": "new", "reopens": 3.0, "is_complaint": 1},
 {"ticket_id": "6", "channel": "Chat", "created_at": "2026-10-01", "status": "NEW", "is_complaint": false}]`},
		mapping: "tables:\n  tickets:\n    files: [t.json]\n",
		table:   Tickets,
		want: [][]string{
			{"5", "<null>", "chat", "2026-10-01T00:00:00Z", "<null>", "new", "<null>", "<null>", "<null>", "true", "3"},
			{"6", "<null>", "chat", "2026-10-01T00:00:00Z", "<null>", "new", "<null>", "<null>", "<null>", "false", "<null>"},
		},
		counts: Counts{Read: 2, Accepted: 2},
	},
	{
		name: "rejected elements placed by line, column and path",
		files: map[string]string{"t.json": "{\"tickets\": [\n  {\"id\": 1, \"via\": {\"channel\": \"fax\"}, \"created_at\": \"2026-10-01\", \"status\": \"new\"},\n" +
			"  42,\n  {\"id\": 3, \"via\": {\"channel\": \"web\"}, \"created_at\": \"2026-13-01\", \"status\": \"new\"}]}"},
		mapping: "tables:\n  tickets:\n    files: [t.json]\n    records: tickets\n    columns: {ticket_id: id, channel: via.channel}\n",
		table:   Tickets,
		rejs: []string{
			`t.json:2:3 tickets[0]: tickets[0]: unexpected value "fax", want one of email, chat, phone, social, web, messaging, other`,
			`t.json:3:3 tickets[1]: tickets[1]: record is a number, want a JSON object`,
			`t.json:4:3 tickets[2]: tickets[2]: invalid time "2026-13-01", want RFC 3339 or "2006-01-02[ 15:04[:05]]"`,
		},
		counts: Counts{Read: 3, Rejected: 3},
	},
	{
		name:    "a byte order mark counts in the columns",
		files:   map[string]string{"t.json": "\uFEFF[{\"ticket_id\": \"1\", \"channel\": \"fax\", \"created_at\": \"2026-10-01\", \"status\": \"new\"}]"},
		mapping: "tables:\n  tickets:\n    files: [t.json]\n",
		table:   Tickets,
		rejs:    []string{`t.json:1:5 [0]: [0]: unexpected value "fax", want one of email, chat, phone, social, web, messaging, other`},
		counts:  Counts{Read: 1, Rejected: 1},
	},
	{
		name:    "inner arrays as rows, ../ to the parent, keep_when and derive",
		files:   map[string]string{"ticket_events.json": eventsPage},
		mapping: eventsMapping, table: Messages,
		want: [][]string{
			{"12", "101", "customer", "9001", "2026-10-01T09:00:00Z"},
			{"21", "101", "internal", "77", "2026-10-01T09:30:00Z"},
			{"22", "101", "agent", "77", "2026-10-01T09:30:00Z"},
		},
		counts: Counts{Read: 4, Accepted: 3, Skipped: 1},
		skips:  []SkipCount{{"event_type: not Comment", 1}},
	},
	{
		name: "an element whose inner records are not an array is rejected",
		files: map[string]string{"e.json": `{"ticket_events":[{"ticket_id":1,"created_at":"2026-10-01","child_events":"x"},` +
			`{"ticket_id":2,"created_at":"2026-10-01","child_events":[{"id":5,"event_type":"Comment","public":true,"author_id":3}]}]}`},
		mapping: strings.Replace(eventsMapping, "ticket_events*.json", "e.json", 1), table: Messages,
		want:   [][]string{{"5", "2", "agent", "3", "2026-10-01T00:00:00Z"}},
		rejs:   []string{`e.json:1:19 ticket_events[0]: ticket_events[0]: child_events: want an array, got a string`},
		counts: Counts{Read: 2, Accepted: 1, Rejected: 1},
	},
	{
		name: "a join with two matches rejects the row, naming the key",
		files: map[string]string{"tickets.json": `{"tickets":[{"id":1,"requester_id":1,"assignee_id":1,"group_id":1,"is_public":true,"via":{"channel":"web"},"created_at":"2026-10-01","status":"new"},` +
			`{"id":2,"via":{"channel":"web"},"created_at":"2026-10-01","status":"new"}],` +
			`"metric_sets":[{"ticket_id":1,"solved_at":null,"reopens":0},{"ticket_id":2,"reopens":1},{"ticket_id":2,"reopens":3}]}`},
		mapping: strings.Replace(ticketsPageMapping, "tickets*.json", "tickets.json", 1), table: Tickets,
		want:   [][]string{{"1", "1", "web", "2026-10-01T00:00:00Z", "<null>", "new", "<null>", "1", "1", "true", "0"}},
		rejs:   []string{`tickets.json:1:150 tickets[1]: tickets[1]: join metric_set: 2 elements of metric_sets have ticket_id "2"`},
		counts: Counts{Read: 2, Accepted: 1, Rejected: 1},
	},
	{
		name: "a row without its side-load element, or a document without the side-load, has those values missing",
		files: map[string]string{
			"tickets-1.json": `{"tickets":[{"id":1,"requester_id":1,"assignee_id":1,"group_id":1,"is_public":false,"via":{"channel":"web"},"created_at":"2026-10-01","status":"new"},` +
				`{"id":2,"requester_id":2,"assignee_id":2,"group_id":2,"is_public":false,"via":{"channel":"web"},"created_at":"2026-10-01","status":"solved"}],` +
				`"metric_sets":[{"ticket_id":"2","solved_at":"2026-10-02","reopens":1}]}`,
			"tickets-2.json": `{"tickets":[]}`,
		},
		mapping: ticketsPageMapping, table: Tickets,
		want: [][]string{
			{"1", "1", "web", "2026-10-01T00:00:00Z", "<null>", "new", "<null>", "1", "1", "false", "<null>"},
			{"2", "2", "web", "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", "solved", "<null>", "2", "2", "false", "1"},
		},
		counts: Counts{Read: 2, Accepted: 2},
	},
	{
		name: "rules on JSON Lines: from a path, a missing value, no rule holding",
		files: map[string]string{"m.jsonl": `{"id":"m1","ticket":"101","who":9001,"kind":"comment","public":true,"at":"2026-10-01T09:00:00Z"}
{"id":"m2","ticket":"101","who":77,"kind":"comment","public":true,"at":"2026-10-01T09:05:00Z"}
{"id":"m3","ticket":"102","who":77,"kind":"status","at":"2026-10-01T09:06:00Z"}
{"id":"m4","ticket":"999","who":9001,"kind":"Comment ","public":"weird","at":"2026-10-01T09:07:00Z"}
{"id":"m5","ticket":"102","who":78,"kind":"comment","at":"2026-10-01T09:08:00Z"}
`},
		mapping: `
tables:
  messages:
    files: [m.jsonl]
    columns: {message_id: id, ticket_id: ticket, created_at: at}
    keep_when: {kind: [comment]}
    derive:
      author:
        - when: {public: ["false"]}
          value: internal
        - when_equal: [who, tickets.customer_id]
          value: customer
        - when: {public: ["true"]}
          value: agent
      agent_id:
        - when_equal: [who, tickets.customer_id]
          value: ""
        - from: who
`,
		table: Messages,
		want: [][]string{
			{"m1", "101", "customer", "<null>", "2026-10-01T09:00:00Z"},
			{"m2", "101", "agent", "77", "2026-10-01T09:05:00Z"},
		},
		// m4's ticket is not among the tickets: its author is no customer,
		// and "weird" is neither true nor false; m5 has no public at all.
		rejs: []string{
			`m.jsonl:4:0 : missing required value`,
			`m.jsonl:5:0 : missing required value`,
		},
		counts: Counts{Read: 5, Accepted: 2, Skipped: 1, Rejected: 2},
		skips:  []SkipCount{{"kind: not comment", 1}},
	},
	{
		name: "a flattened member name is read as the path",
		files: map[string]string{"t.jsonl": `{"ticket_id":"1","via.channel":"web","created_at":"2026-10-01","status":"new"}
{"ticket_id":"2","via":{"channel":"chat"},"created_at":"2026-10-01","status":"new"}
`},
		mapping: "tables:\n  tickets:\n    files: [t.jsonl]\n    columns: {channel: via.channel}\n",
		table:   Tickets,
		want: [][]string{
			{"1", "<null>", "web", "2026-10-01T00:00:00Z", "<null>", "new", "<null>", "<null>", "<null>", "<null>", "<null>"},
			{"2", "<null>", "chat", "2026-10-01T00:00:00Z", "<null>", "new", "<null>", "<null>", "<null>", "<null>", "<null>"},
		},
		counts: Counts{Read: 2, Accepted: 2},
	},
}

// TestJSONDocuments reads JSON documents: API pages, top-level arrays,
// nested records, joins and rules.
func TestJSONDocuments(t *testing.T) {
	for _, tc := range jsonDocTests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadMapping(strings.NewReader(tc.mapping), "mapping.yaml")
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{Mapping: m.Tables[tc.table], Workers: 1}
			if tc.table == Messages {
				opt.Lookups = ticketLookups(t, m, map[string]string{"101": "9001", "102": "9002", "1": "1", "2": "2"})
			}
			res := readAll(t, mapFS(tc.files), tc.table, opt)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if !slices.EqualFunc(res.rows, tc.want, slices.Equal) {
				t.Errorf("rows\n got %q\nwant %q", res.rows, tc.want)
			}
			var rejs []string
			for _, r := range res.rejs {
				rejs = append(rejs, r.File+":"+strconv.Itoa(r.Line)+":"+strconv.Itoa(r.Column)+" "+r.Record+": "+r.Reason)
			}
			if !slices.Equal(rejs, tc.rejs) {
				t.Errorf("rejections\n got %q\nwant %q", rejs, tc.rejs)
			}
			if res.counts != tc.counts {
				t.Errorf("counts %+v, want %+v", res.counts, tc.counts)
			}
			if !slices.Equal(res.skips, tc.skips) {
				t.Errorf("skips %v, want %v", res.skips, tc.skips)
			}
		})
	}
}

// ticketLookups returns the lookups of m filled with the tickets'
// customers, as a run fills them while reading the tickets.
func ticketLookups(t *testing.T, m Mapping, customers map[string]string) *Lookups {
	t.Helper()
	l, err := NewLookups(m)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Needs(Tickets) {
		return l
	}
	var b strings.Builder
	b.WriteString("ticket_id,customer_id,channel,created_at,status\n")
	for id, c := range customers {
		b.WriteString(id + "," + c + ",web,2026-10-01,new\n")
	}
	mem := checkedMem(t)
	rec, _ := readTable(t, mem, mapFS(map[string]string{"tickets.csv": b.String()}), Tickets, Options{Workers: 1})
	defer rec.Release()
	l.Add(Tickets, rec)
	l.Read(Tickets)
	return l
}

// TestJSONDocumentErrors: a document that cannot be read ends the read
// with an error naming the file and where.
func TestJSONDocumentErrors(t *testing.T) {
	tests := []struct {
		name, doc, mapping string
		want               []string
		is                 error
	}{
		{"syntax error placed by line and column", "{\"tickets\": [\n  {\"id\": 1,}\n]}", "records: tickets",
			[]string{"t.json", "2:12", "malformed JSON document", "want a member name"}, ErrMalformedDocument},
		{"truncated", `{"tickets": [{"id": 1}`, "records: tickets",
			[]string{"t.json", "1:23", "got the end of the file"}, ErrMalformedDocument},
		{"records member missing", `{"results": []}`, "records: tickets",
			[]string{"t.json", `no member "tickets"`}, ErrMalformedDocument},
		{"an object without records", `{"tickets": []}`, "",
			[]string{"t.json", "the document is an object, want an array of rows"}, ErrMalformedDocument},
		{"records not an array", `{"tickets": {"id": 1}}`, "records: tickets",
			[]string{"records tickets: want an array, got an object"}, ErrMalformedDocument},
		{"too large", `[` + strings.Repeat(`{"ticket_id": "1"},`, 10) + `{}]`, "max_document_bytes: 100",
			[]string{"t.json", "more than 100 bytes (max_document_bytes)"}, ErrDocumentTooLarge},
		{"empty file", "  \n", "", []string{"t.json", "the file is empty"}, ErrMalformedDocument},
		{"null", "null", "", []string{"t.json", "the document is null"}, ErrMalformedDocument},
		{"null without its records", "null", "records: tickets", []string{`want an object with member "tickets", got null`}, ErrMalformedDocument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadMapping(strings.NewReader("tables:\n  tickets:\n    files: [t.json]\n    "+tc.mapping+"\n"), "m.yaml")
			if err != nil {
				t.Fatal(err)
			}
			r, err := Open(context.Background(), mapFS(map[string]string{"t.json": tc.doc}), Tickets, checkedMem(t),
				Options{Mapping: m.Tables[Tickets], Reject: func(Rejection) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = r.Read()
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestJSONDocumentStrict: in strict mode the first bad element ends the
// read, placed by its line, column and path.
func TestJSONDocumentStrict(t *testing.T) {
	m, err := LoadMapping(strings.NewReader(eventsMapping), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(eventsPage, `"author_id":77,"body":"Hello"`, `"author_id":77,"body":"Hello","created_at":"2026-13-01"`, 1)
	doc = strings.Replace(doc, `"ticket_id":101,"created_at":"2026-10-01T09:30:00Z"`, `"ticket_id":101,"created_at":"x"`, 1)
	r, err := Open(context.Background(), mapFS(map[string]string{"ticket_events.json": "\n" + doc}), Messages, checkedMem(t),
		Options{Mapping: m.Tables[Messages], Strict: true, Lookups: ticketLookups(t, m, map[string]string{"101": "9001"})})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pe *ParseError
	for err == nil {
		var rec arrow.Record
		rec, err = r.Read()
		if rec != nil {
			rec.Release()
		}
	}
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want a *ParseError", err)
	}
	const want = `ticket_events.json:2:319: ticket_events[1].child_events[0]: created_at: invalid time "x", want RFC 3339 or "2006-01-02[ 15:04[:05]]"`
	if pe.Error() != want || pe.Record != "ticket_events[1].child_events[0]" {
		t.Errorf("error\n got %s\nwant %s", pe, want)
	}
}

// TestJSONDocumentWorkers: rows, rejections and counts of a document do
// not depend on the batch size or the number of workers, gzip or not.
func TestJSONDocumentWorkers(t *testing.T) {
	m, err := LoadMapping(strings.NewReader(strings.Replace(eventsMapping, "ticket_events*.json", "ticket_events*", 1)), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"ticket_events":[`)
	for i := range 300 {
		if i > 0 {
			b.WriteString(",\n")
		}
		// Days 00, 010 and 011 are no dates: every twelfth event's
		// comments are rejected.
		fmt.Fprintf(&b, `{"ticket_id":%d,"created_at":"2026-10-0%dT09:00:00Z","child_events":[`+
			`{"id":%d,"event_type":"Comment","public":%v,"author_id":%d},`+
			`{"id":%d,"event_type":"Change"},{"id":%d,"event_type":"Comment","public":true,"author_id":5}]}`,
			100+i%3, i%12, 3*i, i%4 != 0, 9000+i%2, 3*i+1, 3*i+2)
	}
	b.WriteString("]}")
	doc := b.String()
	first := map[string]result{}
	for _, opt := range []Options{{Workers: 1, BatchSize: 1000}, {Workers: 4, BatchSize: 7}, {Workers: 3, BatchSize: 1}} {
		for _, name := range []string{"ticket_events.json", "ticket_events.json.gz"} {
			data := doc
			if strings.HasSuffix(name, ".gz") {
				data = gzipText(t, doc)
			}
			opt.Mapping = m.Tables[Messages]
			opt.Lookups = ticketLookups(t, m, map[string]string{"100": "9000", "101": "9001", "102": "9000"})
			res := readAll(t, mapFS(map[string]string{name: data}), Messages, opt)
			if res.err != nil {
				t.Fatal(res.err)
			}
			want, ok := first[name]
			if !ok {
				first[name] = res
				if c := res.counts; c != (Counts{Read: 900, Accepted: 450, Skipped: 300, Rejected: 150}) {
					t.Fatalf("%s: counts %+v, want 900 read, 450 accepted, 300 skipped, 150 rejected", name, c)
				}
				continue
			}
			if !slices.EqualFunc(res.rows, want.rows, slices.Equal) || res.counts != want.counts ||
				!slices.EqualFunc(res.rejs, want.rejs, sameRejection) {
				t.Errorf("%s with %d workers, batches of %d: %+v, want %+v as with one", name, opt.Workers, opt.BatchSize, res.counts, want.counts)
			}
		}
	}
	if !slices.EqualFunc(first["ticket_events.json"].rows, first["ticket_events.json.gz"].rows, slices.Equal) {
		t.Error("the compressed document reads otherwise")
	}
}

// TestLookupsNotRead: a table whose rules compare with a table that had
// no input fails when opened, naming both.
func TestLookupsNotRead(t *testing.T) {
	m, err := LoadMapping(strings.NewReader(eventsMapping), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := mapFS(map[string]string{"ticket_events.json": eventsPage})
	l, err := NewLookups(m)
	if err != nil || !l.Needs(Tickets) || l.Needs(Surveys) {
		t.Fatalf("NewLookups: %v, needs tickets %v", err, l.Needs(Tickets))
	}
	_, err = Open(context.Background(), fsys, Messages, checkedMem(t), Options{Mapping: m.Tables[Messages], Lookups: l, Strict: true})
	if err == nil || !strings.Contains(err.Error(), "tickets.customer_id") || !strings.Contains(err.Error(), "has not been read") {
		t.Errorf("error %v, want one naming tickets.customer_id, not read", err)
	}
	_, err = Open(context.Background(), fsys, Messages, checkedMem(t), Options{Mapping: m.Tables[Messages], Strict: true})
	if err == nil || !strings.Contains(err.Error(), "Options.Lookups") {
		t.Errorf("error %v, want one asking for the lookups", err)
	}
	// Without input of its own, the table is absent as ever.
	_, err = Open(context.Background(), mapFS(nil), Messages, checkedMem(t), Options{Mapping: func() TableMapping {
		tm := m.Tables[Messages]
		tm.Optional = true
		return tm
	}(), Lookups: l, Strict: true})
	if !errors.Is(err, ErrNoInput) {
		t.Errorf("error %v, want ErrNoInput", err)
	}
}

// TestJSONDocumentDuplicates: the rows of a minified page share a line,
// so the duplicate check tells them apart by their number in the
// document, in memory and through temporary files alike.
func TestJSONDocumentDuplicates(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"tickets":[`)
	for i := range 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"ticket_id":"T%d","channel":"web","created_at":"2026-10-01","status":"new"}`, i%47)
	}
	b.WriteString(`]}`)
	tm := TableMapping{Files: []string{"t.json"}, Records: "tickets"}
	fsys := mapFS(map[string]string{"t.json": b.String()})
	inMemory := readAll(t, fsys, Tickets, Options{Mapping: tm, BatchSize: 8})
	external := readAll(t, fsys, Tickets, Options{Mapping: tm, BatchSize: 8, SpillDir: t.TempDir(), ExternalKeysAbove: -1})
	for _, res := range []result{inMemory, external} {
		if res.err != nil {
			t.Fatal(res.err)
		}
		var reasons []string
		for _, r := range res.rejs {
			reasons = append(reasons, r.Reason)
		}
		want := []string{
			"tickets[47]: duplicate key ticket_id=T0 (first at t.json, row 1)",
			"tickets[48]: duplicate key ticket_id=T1 (first at t.json, row 2)",
			"tickets[49]: duplicate key ticket_id=T2 (first at t.json, row 3)",
		}
		if !slices.Equal(reasons, want) || res.counts != (Counts{Read: 50, Accepted: 47, Rejected: 3}) {
			t.Errorf("counts %+v, rejections %q; want 47 accepted and %q", res.counts, reasons, want)
		}
	}
}
