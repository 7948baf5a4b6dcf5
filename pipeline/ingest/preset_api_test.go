package ingest

import (
	"strings"
	"testing"
)

// presetRowTests are single API objects read by a preset: the values the
// row gets, or that it is skipped, or the reason it is rejected.
var presetRowTests = []struct {
	name   string
	preset string
	table  Table
	file   string
	doc    string            // the file: a top-level array, as the API returns it
	want   map[string]string // contract column: rendered value of the one accepted row
	skip   string            // the skip reason, when the row is skipped
	reject string            // a part of the rejection's reason
}{
	{"delighted nps", "delighted", Surveys, "survey_responses.json",
		`[{"id":"1","person":"10","survey_type":"nps","score":9,"created_at":1789000000,"person_properties":{"ticket_id":"2101"}}]`,
		map[string]string{"kind": "nps", "scale_min": "0", "scale_max": "10", "score": "9", "ticket_id": "2101",
			"customer_id": "10", "ces_easier": "<null>", "responded_at": "2026-09-10T00:26:40Z"}, "", ""},
	{"delighted csat, no person properties", "delighted", Surveys, "survey_responses.json",
		`[{"id":"2","person":"11","survey_type":"csat","score":4,"created_at":1789000000,"person_properties":null}]`,
		map[string]string{"kind": "csat", "scale_min": "1", "scale_max": "5", "ticket_id": "<null>"}, "", ""},
	{"delighted cesv2: 1-7, agreeing is easy", "delighted", Surveys, "survey_responses.json",
		`[{"id":"3","person":"12","survey_type":"cesv2","score":6,"created_at":1789000000}]`,
		map[string]string{"kind": "ces", "scale_min": "1", "scale_max": "7", "ces_easier": "higher"}, "", ""},
	{"delighted ces: 1-5, agreeing is easy", "delighted", Surveys, "survey_responses.json",
		`[{"id":"4","person":"13","survey_type":"ces","score":4,"created_at":1789000000}]`,
		map[string]string{"kind": "ces", "scale_min": "1", "scale_max": "5", "ces_easier": "higher"}, "", ""},
	{"delighted ces off its five points is rejected, not misread", "delighted", Surveys, "survey_responses.json",
		`[{"id":"5","person":"14","survey_type":"ces","score":6,"created_at":1789000000}]`,
		nil, "", "score 6 outside scale 1–5"},
	{"delighted survey type in capitals", "delighted", Surveys, "survey_responses.json",
		`[{"id":"6","person":"15","survey_type":"NPS","score":0,"created_at":1789000000}]`,
		map[string]string{"kind": "nps", "scale_min": "0"}, "", ""},
	{"delighted smileys skipped", "delighted", Surveys, "survey_responses.json",
		`[{"id":"7","person":"16","survey_type":"smileys","score":4,"created_at":1789000000}]`,
		nil, "survey_type: not nps, csat, ces, cesv2", ""},
	{"delighted thumbs skipped, its score unchecked", "delighted", Surveys, "survey_responses.json",
		`[{"id":"8","person":"17","survey_type":"thumbs","score":-1,"created_at":1789000000}]`,
		nil, "survey_type: not nps, csat, ces, cesv2", ""},
	{"delighted enps skipped", "delighted", Surveys, "survey_responses.json",
		`[{"id":"9","person":"18","survey_type":"enps","score":10,"created_at":1789000000}]`,
		nil, "survey_type: not nps, csat, ces, cesv2", ""},
	{"delighted nps off the scale", "delighted", Surveys, "survey_responses.json",
		`[{"id":"10","person":"19","survey_type":"nps","score":11,"created_at":1789000000}]`,
		nil, "", "score 11 outside scale 0–10"},

	{"freshdesk private note", "freshdesk-api", Messages, "conversations.json",
		`[{"id":1,"incoming":false,"private":true,"user_id":5001,"ticket_id":20,"created_at":"2026-10-01T09:00:00Z"}]`,
		map[string]string{"author": "internal", "agent_id": "5001", "ticket_id": "20"}, "", ""},
	{"freshdesk requester's reply", "freshdesk-api", Messages, "conversations.json",
		`[{"id":2,"incoming":true,"private":false,"user_id":4001,"ticket_id":20,"created_at":"2026-10-01T09:00:00Z"}]`,
		map[string]string{"author": "customer", "agent_id": "<null>"}, "", ""},
	{"freshdesk agent's reply", "freshdesk-api", Messages, "conversations.json",
		`[{"id":3,"incoming":false,"private":false,"user_id":5002,"ticket_id":20,"created_at":"2026-10-01T09:00:00Z"}]`,
		map[string]string{"author": "agent", "agent_id": "5002"}, "", ""},
	{"freshdesk ticket codes", "freshdesk-api", Tickets, "tickets.json",
		`[{"id":20,"requester_id":4001,"source":9,"status":4,"priority":2,"responder_id":null,"group_id":7,
		  "created_at":"2026-10-01T08:00:00Z","stats":{"resolved_at":"2026-10-01T10:00:00Z","first_responded_at":null,"reopened_at":null}}]`,
		map[string]string{"channel": "web", "status": "solved", "priority": "normal", "agent_id": "<null>", "team": "7",
			"solved_at": "2026-10-01T10:00:00Z", "reopens": "0"}, "", ""},
	{"freshdesk custom status, unlisted source, reopened", "freshdesk-api", Tickets, "tickets.json",
		`[{"id":21,"requester_id":4001,"source":13,"status":12,"priority":4,"responder_id":null,"group_id":null,
		  "created_at":"2026-10-01T08:00:00Z","stats":{"resolved_at":null,"reopened_at":"2026-10-02T08:00:00Z","first_responded_at":"2026-10-01T09:30:00Z"}}]`,
		map[string]string{"channel": "other", "status": "open", "priority": "urgent", "solved_at": "<null>", "reopens": "1", "vendor_first_reply_minutes": "90"}, "", ""},
	{"freshdesk classic survey's Not Good", "freshdesk-api", Surveys, "satisfaction_ratings.json",
		`[{"id":30,"user_id":4001,"ticket_id":20,"ratings":{"default_question":-103},"created_at":"2026-10-02T08:00:00Z"}]`,
		map[string]string{"score": "1", "kind": "csat", "scale_min": "1", "scale_max": "7", "response_id": "30"}, "", ""},
	{"freshdesk rating code off the list", "freshdesk-api", Surveys, "satisfaction_ratings.json",
		`[{"id":31,"user_id":4001,"ticket_id":20,"ratings":{"default_question":104},"created_at":"2026-10-02T08:00:00Z"}]`,
		nil, "", "score 104 outside scale 1–7"},
}

// TestPresetRows reads single API objects through the freshdesk-api and
// delighted presets: each vocabulary code lands on its contract value,
// the rows that are no answer cxkpi has a metric for are skipped, and a
// value off its scale is rejected rather than read as another.
func TestPresetRows(t *testing.T) {
	for _, tc := range presetRowTests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Preset(tc.preset)
			if err != nil {
				t.Fatal(err)
			}
			res := readAll(t, mapFS(map[string]string{tc.file: tc.doc}), tc.table, Options{Mapping: m.Tables[tc.table]})
			if res.err != nil {
				t.Fatal(res.err)
			}
			switch {
			case tc.reject != "":
				if len(res.rejs) != 1 || !strings.Contains(res.rejs[0].Reason, tc.reject) {
					t.Fatalf("rejections %+v, want one with %q", res.rejs, tc.reject)
				}
			case tc.skip != "":
				if res.counts != (Counts{Read: 1, Skipped: 1}) || len(res.skips) != 1 || res.skips[0].Reason != tc.skip {
					t.Fatalf("counts %+v, skips %+v, want one skipped for %q", res.counts, res.skips, tc.skip)
				}
			default:
				if len(res.rows) != 1 {
					t.Fatalf("rows %v, rejections %+v, want one row", res.rows, res.rejs)
				}
				spec, _ := SpecOf(tc.table)
				for col, want := range tc.want {
					if got := res.rows[0][spec.Index(col)]; got != want {
						t.Errorf("%s = %q, want %q", col, got, want)
					}
				}
			}
		})
	}
}

// TestFreshdeskAPIWithoutStats reads a tickets page listed without
// include=stats: the run stops, naming the member it lacks, rather than
// reporting every ticket as unsolved.
func TestFreshdeskAPIWithoutStats(t *testing.T) {
	m, err := Preset("freshdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	doc := `[{"id":20,"requester_id":4001,"source":1,"status":2,"priority":1,"created_at":"2026-10-01T08:00:00Z"}]`
	res := readAll(t, mapFS(map[string]string{"tickets.json": doc}), Tickets, Options{Mapping: m.Tables[Tickets]})
	if res.err == nil || !strings.Contains(res.err.Error(), "stats.resolved_at") {
		t.Errorf("error %v, want one naming stats.resolved_at", res.err)
	}
}

// TestDelightedTicketKey reads the ticket's id from a person property of
// another name, as an override of the preset's derive rule says.
func TestDelightedTicketKey(t *testing.T) {
	m, err := Preset("delighted")
	if err != nil {
		t.Fatal(err)
	}
	over, err := LoadMapping(strings.NewReader("tables:\n  surveys:\n    derive:\n      ticket_id:\n        - from: \"person_properties.Zendesk Ticket ID\"\n"), "over.yaml")
	if err != nil {
		t.Fatal(err)
	}
	merged := m.Override(over)
	if err := CheckMapping(merged, "merged"); err != nil {
		t.Fatal(err)
	}
	doc := `[{"id":"1","person":"10","survey_type":"nps","score":9,"created_at":1789000000,"person_properties":{"Zendesk Ticket ID":"5001","ticket_id":"x"}}]`
	res := readAll(t, mapFS(map[string]string{"survey_responses.json": doc}), Surveys, Options{Mapping: merged.Tables[Surveys]})
	spec, _ := SpecOf(Surveys)
	if res.err != nil || len(res.rows) != 1 || res.rows[0][spec.Index("ticket_id")] != "5001" {
		t.Errorf("err %v, rows %v, rejections %+v; want ticket_id 5001", res.err, res.rows, res.rejs)
	}
}
