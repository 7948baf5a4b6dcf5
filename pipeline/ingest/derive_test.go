package ingest

import (
	"errors"
	"strings"
	"testing"
)

// whenPresentTests are rows of a JSON Lines ticket export whose reopens
// is derived from whether reopened_at has a value.
var whenPresentTests = []struct {
	name string
	row  string // the members after the required ones
	want string // reopens
}{
	{"a time", `"reopened_at":"2026-10-02T09:00:00Z"`, "1"},
	{"a number", `"reopened_at":0`, "1"},
	{"an object", `"reopened_at":{"at":"2026-10-02T09:00:00Z"}`, "1"},
	{"null", `"reopened_at":null`, "0"},
	{"empty text", `"reopened_at":"  "`, "0"},
	{"missing", `"other":1`, "0"},
	{"the parent missing", `"stats":null`, "0"},
}

// TestDeriveWhenPresent derives a column from whether a member has a
// value: present and neither null nor empty.
func TestDeriveWhenPresent(t *testing.T) {
	m, err := LoadMapping(strings.NewReader(`tables:
  tickets:
    format: jsonl
    derive:
      reopens:
        - when_present: [stats.reopened_at]
          value: "1"
        - value: "0"
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := SpecOf(Tickets)
	for _, tc := range whenPresentTests {
		t.Run(tc.name, func(t *testing.T) {
			row := `{"ticket_id":"T1","channel":"email","created_at":"2026-10-01T08:00:00Z","status":"open","stats":{` + tc.row + `}}`
			if tc.name == "the parent missing" {
				row = `{"ticket_id":"T1","channel":"email","created_at":"2026-10-01T08:00:00Z","status":"open",` + tc.row + `}`
			}
			res := readAll(t, mapFS(map[string]string{"tickets.jsonl": row + "\n"}), Tickets, Options{Mapping: m.Tables[Tickets]})
			if res.err != nil || len(res.rows) != 1 {
				t.Fatalf("err %v, rows %v, rejections %+v", res.err, res.rows, res.rejs)
			}
			if got := res.rows[0][spec.Index("reopens")]; got != tc.want {
				t.Errorf("reopens = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestDeriveWhenPresentChecked names the rule of a when_present without
// paths, and a path that is none.
func TestDeriveWhenPresentChecked(t *testing.T) {
	for _, tc := range []struct{ yaml, path string }{
		{"        - when_present: []\n          value: \"1\"\n", "tables.tickets.derive.reopens[0].when_present"},
		{"        - when_present: [\"a..b\"]\n          value: \"1\"\n", "tables.tickets.derive.reopens[0].when_present[0]"},
	} {
		_, err := LoadMapping(strings.NewReader("tables:\n  tickets:\n    format: json\n    derive:\n      reopens:\n"+tc.yaml), "m.yaml")
		var me *MappingError
		if !errors.As(err, &me) || me.Path != tc.path {
			t.Errorf("%q: error %v, want a MappingError at %s", tc.yaml, err, tc.path)
		}
	}
}
