package ingest

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestPresets loads every preset: each is a valid mapping whose tables are
// optional (an export may lack some of them) and name their files.
func TestPresets(t *testing.T) {
	if len(Presets()) == 0 {
		t.Fatal("no presets")
	}
	for _, p := range Presets() {
		m, err := Preset(p.Name)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if p.Summary == "" || len(m.Tables) == 0 {
			t.Errorf("%s: summary %q, %d tables", p.Name, p.Summary, len(m.Tables))
		}
		for table, tm := range m.Tables {
			if !tm.Optional || len(tm.Files) == 0 {
				t.Errorf("%s: %s: optional %v, files %v; want optional tables found by their file names", p.Name, table, tm.Optional, tm.Files)
			}
			if tm.TimeZone != "" {
				t.Errorf("%s: %s: time zone %s; the account's zone is the user's to give", p.Name, table, tm.TimeZone)
			}
		}
	}
	if _, err := Preset("zendesk"); !errors.Is(err, ErrUnknownPreset) || !strings.Contains(err.Error(), "zendesk-csv") {
		t.Errorf("unknown preset: error %v, want ErrUnknownPreset listing the presets", err)
	}
}

var overrideTests = []struct {
	name       string
	base, over string
	want       TableMapping // of surveys
}{
	{"a column replaced, the others kept",
		"tables:\n  surveys:\n    columns: {response_id: Id, score: Rating}\n",
		"tables:\n  surveys:\n    columns: {score: \"My question\"}\n",
		TableMapping{Columns: map[string]string{"response_id": "Id", "score": "My question"}}},
	{"values merged per export value, ignoring case",
		"tables:\n  surveys:\n    values: {score: {good: \"1\", bad: \"0\"}}\n",
		"tables:\n  surveys:\n    values: {score: {\" GOOD \": \"5\", meh: \"3\"}, kind: {CSAT: csat}}\n",
		TableMapping{Values: map[string]map[string]string{"score": {"bad": "0", " GOOD ": "5", "meh": "3"}, "kind": {"CSAT": "csat"}}}},
	{"scalars replaced when set",
		"tables:\n  surveys:\n    header_rows: 2\n    delimiter: \";\"\n    time_zone: UTC\n",
		"tables:\n  surveys:\n    time_zone: Europe/Lisbon\n    max_field_bytes: 10\n",
		TableMapping{HeaderRows: 2, Delimiter: ";", TimeZone: "Europe/Lisbon", MaxFieldBytes: 10}},
	{"files replaced whole, with their optional",
		"tables:\n  surveys:\n    files: [\"*.csv\", \"b*.csv\"]\n    optional: true\n",
		"tables:\n  surveys:\n    files: [mine.csv]\n",
		TableMapping{Files: []string{"mine.csv"}}},
	{"optional kept when files are not set",
		"tables:\n  surveys:\n    files: [\"*.csv\"]\n    optional: true\n",
		"tables:\n  surveys:\n    header_rows: 3\n",
		TableMapping{Files: []string{"*.csv"}, Optional: true, HeaderRows: 3}},
	{"skip_when replaced per column",
		"tables:\n  surveys:\n    skip_when: {score: [offered, unoffered], kind: [x]}\n",
		"tables:\n  surveys:\n    skip_when: {score: [offered]}\n",
		TableMapping{SkipWhen: map[string][]string{"score": {"offered"}, "kind": {"x"}}}},
	{"defaults and unmapped per column",
		"tables:\n  surveys:\n    defaults: {kind: csat, scale_min: \"1\"}\n",
		"tables:\n  surveys:\n    defaults: {scale_min: \"0\"}\n    unmapped: {kind: csat}\n",
		TableMapping{Defaults: map[string]string{"kind": "csat", "scale_min": "0"}, Unmapped: map[string]string{"kind": "csat"}}},
	{"JSON keys: records replaced, joins and keep_when merged, derive per column",
		"tables:\n  surveys:\n    records: a\n    join: {j: {records: x, key: k, on: o}}\n    keep_when: {t: [x]}\n    derive: {kind: [{value: csat}], score: [{from: s}]}\n",
		"tables:\n  surveys:\n    records: b\n    join: {i: {records: y, key: k, on: o}}\n    keep_when: {u: [y]}\n    derive: {kind: [{value: nps}]}\n    max_document_bytes: 10\n",
		TableMapping{Records: "b", MaxDocumentBytes: 10,
			Join:     map[string]Join{"j": {"x", "k", "o"}, "i": {"y", "k", "o"}},
			KeepWhen: map[string][]string{"t": {"x"}, "u": {"y"}},
			Derive:   map[string][]DeriveRule{"kind": {{Value: ptr("nps")}}, "score": {{From: "s"}}}}},
	{"a table of the override alone",
		"tables:\n  tickets:\n    files: [t.csv]\n",
		"tables:\n  surveys:\n    files: [s.csv]\n",
		TableMapping{Files: []string{"s.csv"}}},
}

// TestOverride lays a user's mapping over a preset's, table by table and
// key by key, leaving both as they were.
func TestOverride(t *testing.T) {
	for _, tc := range overrideTests {
		t.Run(tc.name, func(t *testing.T) {
			base, err := LoadMapping(strings.NewReader(tc.base), "base.yaml")
			if err != nil {
				t.Fatal(err)
			}
			over, err := LoadMapping(strings.NewReader(tc.over), "over.yaml")
			if err != nil {
				t.Fatal(err)
			}
			before, _ := LoadMapping(strings.NewReader(tc.base), "base.yaml")
			got := base.Override(over)
			if !reflect.DeepEqual(got.Tables[Surveys], tc.want) {
				t.Errorf("surveys %+v, want %+v", got.Tables[Surveys], tc.want)
			}
			if !reflect.DeepEqual(base, before) {
				t.Errorf("base changed to %+v", base)
			}
			if err := CheckMapping(got, "merged"); err != nil {
				t.Errorf("merged mapping: %v", err)
			}
		})
	}
}

// TestOverrideChecked shows that a merge can make a mapping that neither
// half was: CheckMapping finds it, naming the key.
func TestOverrideChecked(t *testing.T) {
	m, err := Preset("zendesk-csv")
	if err != nil {
		t.Fatal(err)
	}
	over, err := LoadMapping(strings.NewReader("tables:\n  surveys:\n    values: {score: {offered: \"0\"}}\n"), "over.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = CheckMapping(m.Override(over), "preset zendesk-csv with over.yaml")
	var me *MappingError
	if !errors.As(err, &me) || me.Path != "tables.surveys.skip_when.score[0]" || !strings.HasPrefix(err.Error(), "preset zendesk-csv with over.yaml") {
		t.Errorf("error %v, want a MappingError at tables.surveys.skip_when.score[0]", err)
	}
	if err := CheckMapping(Mapping{Tables: map[Table]TableMapping{"widgets": {}}}, "m"); err == nil {
		t.Error("unknown table accepted")
	}
}

// TestSameAs reads one export column into two contract columns, as a
// ticket export keys each ticket's rating by the ticket's id, in CSV and
// JSON Lines alike; the values mapped for one do not touch the other.
func TestSameAs(t *testing.T) {
	m := TableMapping{
		Columns: map[string]string{"ticket_id": "Id", "score": "Rating"},
		SameAs:  map[string]string{"response_id": "ticket_id"},
		Values:  map[string]map[string]string{"ticket_id": {"7": "T7"}, "score": {"good": "1", "bad": "0"}},
		Defaults: map[string]string{"kind": "csat", "scale_min": "0", "scale_max": "1",
			"responded_at": "2026-10-01T00:00:00Z"},
	}
	files := map[string]string{
		"surveys.csv":   "Id,Rating\n7,good\n8,bad\n",
		"surveys.jsonl": `{"Id":"9","Rating":"good"}` + "\n",
	}
	res := readAll(t, mapFS(files), Surveys, Options{Mapping: m})
	if res.err != nil || res.counts != (Counts{Read: 3, Accepted: 3}) {
		t.Fatalf("err %v, counts %+v, rejections %+v", res.err, res.counts, res.rejs)
	}
	spec, _ := SpecOf(Surveys)
	rid, tid := spec.Index("response_id"), spec.Index("ticket_id")
	want := [][2]string{{"7", "T7"}, {"8", "8"}, {"9", "9"}}
	for i, row := range res.rows {
		if got := [2]string{row[rid], row[tid]}; got != want[i] {
			t.Errorf("row %d: response_id, ticket_id = %v, want %v", i, got, want[i])
		}
	}
	// A file without the shared column names the mapping key of each.
	res2 := readErrSurveys(t, mapFS(map[string]string{"surveys.csv": "Rating\ngood\n"}), Options{Mapping: m})
	if res2 == nil || !strings.Contains(res2.Error(), `"Id"`) {
		t.Errorf("error %v, want the missing column Id", res2)
	}
}

func readErrSurveys(t *testing.T, fsys fs.FS, opt Options) error {
	t.Helper()
	opt.Reject = func(Rejection) error { return nil }
	r, err := Open(t.Context(), fsys, Surveys, checkedMem(t), opt)
	if err != nil {
		return err
	}
	r.Close()
	return nil
}

// FuzzOverride lays one loaded mapping over another: no panic, the merge
// either checks or fails with a *MappingError, an empty side changes
// nothing, and every key the override sets wins.
func FuzzOverride(f *testing.F) {
	for _, tc := range overrideTests {
		f.Add(tc.base, tc.over)
	}
	for _, p := range Presets() {
		b, _ := PresetSource(p.Name)
		f.Add(string(b), "tables:\n  surveys:\n    columns: {score: Q}\n    values: {score: {GOOD: \"0\"}}\n")
	}
	f.Fuzz(func(t *testing.T, base, over string) {
		b, err := LoadMapping(strings.NewReader(base), "base.yaml")
		if err != nil {
			return
		}
		o, err := LoadMapping(strings.NewReader(over), "over.yaml")
		if err != nil {
			return
		}
		if got := b.Override(Mapping{}); !reflect.DeepEqual(got.Tables, b.Tables) {
			t.Fatalf("base with an empty override: %+v, want %+v", got, b)
		}
		if got := (Mapping{}).Override(o); !reflect.DeepEqual(got.Tables, o.Tables) {
			t.Fatalf("an empty base with the override: %+v, want %+v", got, o)
		}
		m := b.Override(o)
		if err := CheckMapping(m, "merged"); err != nil {
			var me *MappingError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not a *MappingError", err, err)
			}
		}
		for table, ot := range o.Tables {
			mt := m.Tables[table]
			for k, v := range ot.Columns {
				if mt.Columns[k] != v {
					t.Fatalf("%s.columns.%s = %q, want the override's %q", table, k, mt.Columns[k], v)
				}
			}
			for col, vs := range ot.Values {
				for from, to := range vs {
					if got, ok := mt.Values[col][from]; !ok || got != to {
						t.Fatalf("%s.values.%s.%s = %q, want the override's %q", table, col, from, got, to)
					}
				}
			}
			if ot.TimeZone != "" && mt.TimeZone != ot.TimeZone {
				t.Fatalf("%s.time_zone = %q, want the override's %q", table, mt.TimeZone, ot.TimeZone)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }
