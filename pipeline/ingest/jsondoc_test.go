package ingest

import (
	"context"
	"errors"
	"slices"
	"strconv"
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
