package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func loadMappingFile(t *testing.T, name string) Mapping {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := LoadMapping(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestZendesk reads a Zendesk-style export through a YAML mapping: other
// column names, a time layout in a zone, channel names mapped, a
// satisfaction export completed with defaults.
func TestZendesk(t *testing.T) {
	m := loadMappingFile(t, "testdata/zendesk/mapping.yaml")
	fsys := os.DirFS("testdata/zendesk")

	t.Run("tickets", func(t *testing.T) {
		res := readAll(t, fsys, Tickets, Options{Mapping: m.Tables[Tickets]})
		if res.err != nil {
			t.Fatal(res.err)
		}
		want := [][]string{
			{"1001", "501", "email", "2024-03-01T08:15:00Z", "2024-03-01T16:00:00Z", "solved", "normal", "77", "Billing", "<null>", "<null>"},
			{"1002", "502", "chat", "2024-03-02T09:00:00Z", "<null>", "open", "<null>", "<null>", "Support", "<null>", "<null>"},
			{"1004", "504", "phone", "2024-03-30T22:30:00Z", "2024-03-31T01:30:00Z", "closed", "high", "78", "Support", "<null>", "<null>"},
			{"1007", "507", "other", "2024-04-01T10:00:00Z", "2024-04-01T10:30:00Z", "pending", "urgent", "79", "Support", "<null>", "<null>"},
		}
		if !slices.EqualFunc(res.rows, want, slices.Equal) {
			t.Errorf("rows\n got %q\nwant %q", res.rows, want)
		}
		const march = "zendesk-tickets-2024-03.csv"
		checkRejections(t, res.rejs[:3], []wantRej{
			{4, 3, "channel", ErrInvalidValue, `unexpected value "Fax", want one of email, chat, phone, social, web, messaging, other`},
			{6, 4, "created_at", ErrInvalidValue, `invalid time "03/02/2024 10:00", want RFC 3339 or layout "2006-01-02 15:04:05"`},
			{7, 5, "solved_at", ErrRowRule, `solved_at 2024-03-04T07:00:00Z before created_at 2024-03-05T07:00:00Z`},
		}, Tickets, march)
		checkRejections(t, res.rejs[3:], []wantRej{
			{3, 0, "", ErrDuplicateKey, `duplicate key ticket_id=1001 (first at ` + march + `:2)`},
		}, Tickets, "zendesk-tickets-2024-04.csv")
		if want := `1003,503,Fax,2024-03-02 10:00:00,,Open,,,Support,`; len(res.rejs) > 0 && res.rejs[0].Raw != want {
			t.Errorf("raw %q, want %q", res.rejs[0].Raw, want)
		}
	})
	t.Run("surveys", func(t *testing.T) {
		res := readAll(t, fsys, Surveys, Options{Mapping: m.Tables[Surveys]})
		if res.err != nil {
			t.Fatal(res.err)
		}
		want := [][]string{
			{"9001", "501", "1001", "csat", "5", "1", "5", "2024-03-01T17:00:00Z", "<null>"},
			{"9002", "504", "1004", "csat", "1", "1", "5", "2024-03-31T08:00:00Z", "<null>"},
		}
		if !slices.EqualFunc(res.rows, want, slices.Equal) {
			t.Errorf("rows\n got %q\nwant %q", res.rows, want)
		}
		// Offered and unoffered surveys are skipped, even without an
		// answer time; one with a bad time is still rejected.
		checkRejections(t, res.rejs, []wantRej{
			{6, 6, "responded_at", ErrInvalidValue, `invalid time "yesterday", want RFC 3339 or layout "2006-01-02 15:04:05"`},
		}, Surveys, "zendesk-satisfaction.csv")
		if want := (Counts{Read: 5, Accepted: 2, Skipped: 2, Rejected: 1}); res.counts != want {
			t.Errorf("counts %+v, want %+v", res.counts, want)
		}
		if want := []SkipCount{{"score: offered", 1}, {"score: unoffered", 1}}; !slices.Equal(res.skips, want) {
			t.Errorf("skips %v, want %v", res.skips, want)
		}
	})
	t.Run("absent", func(t *testing.T) {
		mem := checkedMem(t)
		if _, err := Open(t.Context(), fsys, Calls, mem, Options{Strict: true, Mapping: m.Tables[Calls]}); !errors.Is(err, ErrNoInput) {
			t.Errorf("Open(calls) error %v, want ErrNoInput", err)
		}
	})
}

type mappingErrorTest struct {
	name string
	yaml string
	path string // "" for errors without a key path
	line int
}

var mappingErrorTests = []mappingErrorTest{
	{"unknown top key", "tabels:\n  tickets: {}\n", "tabels", 1},
	{"unknown table", "tables:\n  tickets: {}\n  widgets:\n    files: [w.csv]\n", "tables.widgets", 3},
	{"unknown table key", "tables:\n  tickets:\n    colums: {ticket_id: Id}\n", "tables.tickets.colums", 3},
	{"unknown contract column", "tables:\n  tickets:\n    columns:\n      ticket_id: Id\n      ticket_idd: Id2\n", "tables.tickets.columns.ticket_idd", 5},
	{"bad layout", "tables:\n  tickets:\n    time_layouts:\n      created_at: \"15:04\"\n", "tables.tickets.time_layouts.created_at", 4},
	{"layout of non-time", "tables:\n  tickets:\n    time_layouts: {status: \"2006-01-02\"}\n", "tables.tickets.time_layouts.status", 3},
	{"bad duration layout", "tables:\n  tickets:\n    duration_layouts:\n      vendor_first_reply_minutes: \"mm:ss\"\n", "tables.tickets.duration_layouts.vendor_first_reply_minutes", 4},
	{"duration layout of non-duration", "tables:\n  tickets:\n    duration_layouts: {reopens: minutes}\n", "tables.tickets.duration_layouts.reopens", 3},
	{"bad zone", "tables:\n  calls:\n    time_zone: Mars/Olympus_Mons\n", "tables.calls.time_zone", 3},
	{"bad value target", "tables:\n  tickets:\n    values:\n      channel:\n        Mail: mail\n", "tables.tickets.values.channel.Mail", 5},
	{"ambiguous values", "tables:\n  tickets:\n    values:\n      channel:\n        Mail: email\n        MAIL: chat\n", "tables.tickets.values.channel.Mail", 5},
	{"bad default", "tables:\n  surveys:\n    defaults:\n      scale_min: one\n", "tables.surveys.defaults.scale_min", 4},
	{"unknown format", "tables:\n  orders:\n    format: xlsx\n", "tables.orders.format", 3},
	{"bad delimiter", "tables:\n  orders:\n    delimiter: \";;\"\n", "tables.orders.delimiter", 3},
	{"negative header rows", "tables:\n  surveys:\n    header_rows: -1\n", "tables.surveys.header_rows", 3},
	{"too many header rows", "tables:\n  surveys:\n    header_rows: 101\n", "tables.surveys.header_rows", 3},
	{"header rows of jsonl", "tables:\n  surveys:\n    format: jsonl\n    header_rows: 2\n", "tables.surveys.header_rows", 4},
	{"header rows not a number", "tables:\n  surveys:\n    header_rows: two\n", "tables.surveys.header_rows", 3},
	{"same_as unknown column", "tables:\n  surveys:\n    same_as: {response_id: ticket}\n", "tables.surveys.same_as.response_id", 3},
	{"same_as itself", "tables:\n  surveys:\n    same_as: {response_id: response_id}\n", "tables.surveys.same_as.response_id", 3},
	{"same_as and columns", "tables:\n  surveys:\n    columns: {response_id: Id}\n    same_as: {response_id: ticket_id}\n", "tables.surveys.same_as.response_id", 4},
	{"same_as chain", "tables:\n  surveys:\n    same_as: {response_id: ticket_id, ticket_id: customer_id}\n", "tables.surveys.same_as.response_id", 3},
	{"same_as and default", "tables:\n  surveys:\n    same_as: {kind: ticket_id}\n    defaults: {kind: csat}\n", "tables.surveys.same_as.kind", 3},
	{"two columns, one source, no same_as", "tables:\n  surveys:\n    columns: {response_id: Id, ticket_id: Id}\n", "tables.surveys.columns.ticket_id", 3},
	{"optional not a boolean", "tables:\n  surveys:\n    optional: maybe\n", "tables.surveys.optional", 3},
	{"files not a list", "tables:\n  orders:\n    files: {a: b}\n", "tables.orders.files", 3},
	{"bad file pattern", "tables:\n  orders:\n    files: [\"../orders.csv\"]\n", "tables.orders.files[0]", 3},
	{"duplicate key", "tables:\n  orders: {}\n  orders: {}\n", "tables.orders", 3},
	{"alias", "x: &a {}\ntables:\n  orders: *a\n", "x", 1},
	{"alias value", "tables:\n  orders:\n    columns: *a\n", "", 0},
	{"syntax", "tables:\n  orders: [\n", "", 0},
	{"two documents", "tables: {}\n---\ntables: {}\n", "", 2},
	{"not a mapping", "- tickets\n", "", 1},
	{"unknown encoding", "tables:\n  orders:\n    encoding: ebcdic\n", "tables.orders.encoding", 3},
	{"encoding of parquet", "tables:\n  orders:\n    format: parquet\n    encoding: latin-1\n", "tables.orders.encoding", 4},
	{"unknown utf-8 rule", "tables:\n  orders:\n    invalid_utf8: drop\n", "tables.orders.invalid_utf8", 3},
	{"size not a number", "tables:\n  orders:\n    max_field_bytes: 1MiB\n", "tables.orders.max_field_bytes", 3},
	{"size negative", "tables:\n  orders:\n    max_record_bytes: -1\n", "tables.orders.max_record_bytes", 3},
	{"ratio quoted", "tables:\n  orders:\n    max_gzip_ratio: \"10\"\n", "tables.orders.max_gzip_ratio", 3},
	{"catch-all of a string", "tables:\n  tickets:\n    unmapped: {team: Support}\n", "tables.tickets.unmapped.team", 3},
	{"catch-all outside the vocabulary", "tables:\n  tickets:\n    unmapped:\n      status: waiting\n", "tables.tickets.unmapped.status", 4},
	{"empty skip value", "tables:\n  surveys:\n    skip_when:\n      score: [offered, \"\"]\n", "tables.surveys.skip_when.score[1]", 4},
	{"skip value also mapped", "tables:\n  surveys:\n    values: {score: {offered: \"\"}}\n    skip_when:\n      score: [Offered]\n", "tables.surveys.skip_when.score[0]", 5},
	{"two columns from one", "tables:\n  tickets:\n    columns:\n      agent_id: Assignee\n      team: assignee \n", "tables.tickets.columns.team", 5},
	{"mapped onto another's name", "tables:\n  tickets:\n    columns:\n      agent_id: Team\n", "tables.tickets.columns.agent_id", 4},
}

// TestLoadMappingLimits reads the keys about a file's bytes.
func TestLoadMappingLimits(t *testing.T) {
	doc := "tables:\n  orders:\n    encoding: Windows-1252\n    invalid_utf8: replace\n" +
		"    max_field_bytes: 100\n    max_record_bytes: 1000\n    max_gzip_ratio: 50\n"
	m, err := LoadMapping(strings.NewReader(doc), "map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := TableMapping{Encoding: "Windows-1252", InvalidUTF8: "replace", MaxFieldBytes: 100, MaxRecordBytes: 1000, MaxGzipRatio: 50}
	if got := m.Tables[Orders]; !reflect.DeepEqual(got, want) {
		t.Errorf("mapping %+v, want %+v", got, want)
	}
	spec, _ := SpecOf(Orders)
	p, err := compile(spec, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.enc == nil || !p.replaceUTF8 || p.maxField != 100 || p.maxRecord != 1000 || p.gzipRatio != 50 {
		t.Errorf("plan %+v", p)
	}
	if p, _ := compile(spec, TableMapping{}, nil); p.enc != nil || p.replaceUTF8 || p.maxField != DefaultMaxFieldBytes ||
		p.maxRecord != DefaultMaxRecordBytes || p.gzipRatio != DefaultMaxGzipRatio {
		t.Errorf("default plan %+v", p)
	}
}

func TestLoadMappingErrors(t *testing.T) {
	for _, tc := range mappingErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadMapping(strings.NewReader(tc.yaml), "map.yaml")
			var me *MappingError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T), want a *MappingError", err, err)
			}
			if me.Name != "map.yaml" || me.Path != tc.path || me.Line != tc.line {
				t.Errorf("error at %s:%d %q, want map.yaml:%d %q (%v)", me.Name, me.Line, me.Path, tc.line, tc.path, err)
			}
			if !strings.HasPrefix(err.Error(), "map.yaml") {
				t.Errorf("message %q does not start with the file name", err)
			}
		})
	}
}

func TestLoadMapping(t *testing.T) {
	const doc = `
tables:
  tickets:
    files: tickets-*.csv
    format: csv
    delimiter: ";"
    columns: {ticket_id: Id}
    time_layouts: {created_at: unix_ms}
    values:
      channel: {"Mail": email, "-": null}
  surveys:
  calls: {}
`
	m, err := LoadMapping(strings.NewReader(doc), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tm := m.Tables[Tickets]
	if !slices.Equal(tm.Files, []string{"tickets-*.csv"}) || tm.Format != "csv" || tm.Delimiter != ";" ||
		tm.Columns["ticket_id"] != "Id" || tm.TimeLayouts["created_at"] != "unix_ms" ||
		tm.Values["channel"]["Mail"] != "email" || tm.Values["channel"]["-"] != "" {
		t.Errorf("tickets mapping %+v", tm)
	}
	if _, ok := m.Tables[Surveys]; !ok || len(m.Tables) != 3 {
		t.Errorf("tables %v, want tickets, surveys and calls", m.Tables)
	}
	empty, err := LoadMapping(strings.NewReader("# nothing\n"), "empty.yaml")
	if err != nil || empty.Tables != nil {
		t.Errorf("empty mapping: %+v, %v", empty, err)
	}
}

// TestMappedValues covers the mapping's effect on values: unix times,
// a value mapped to missing, a delimiter.
func TestMappedValues(t *testing.T) {
	data := "Id;channel;created_at;status\nT1;Mail;1709280000123;open\nT2;-;1709280000;open\nT3;email;2024-03-01T08:00:00Z;open\n"
	opt := Options{Mapping: TableMapping{
		Files:       []string{"tickets-*.csv"},
		Delimiter:   ";",
		Columns:     map[string]string{"ticket_id": "Id"},
		TimeLayouts: map[string]string{"created_at": LayoutUnixMS},
		Values:      map[string]map[string]string{"channel": {"Mail": "email", "-": ""}},
	}}
	res := readAll(t, mapFS(map[string]string{"tickets-1.csv": data}), Tickets, opt)
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := [][]string{
		{"T1", "<null>", "email", "2024-03-01T08:00:00.123Z", "<null>", "open", "<null>", "<null>", "<null>", "<null>", "<null>"},
		{"T3", "<null>", "email", "2024-03-01T08:00:00Z", "<null>", "open", "<null>", "<null>", "<null>", "<null>", "<null>"},
	}
	if !slices.EqualFunc(res.rows, want, slices.Equal) {
		t.Errorf("rows\n got %q\nwant %q", res.rows, want)
	}
	checkRejections(t, res.rejs, []wantRej{{3, 2, "channel", ErrMissingValue, "missing required value"}}, Tickets, "tickets-1.csv")
}

// TestMappedColumnAbsent reads files that lack a column the mapping
// names: an error naming the mapping key, the file and the columns it
// has, in every format, also for an optional contract column. With a
// default for the column, its absence is expected.
func TestMappedColumnAbsent(t *testing.T) {
	m := TableMapping{Columns: map[string]string{"ticket_id": "Id", "team": "Grup"}}
	csv := "Id,channel,created_at,status,Group\nT1,email,2024-03-01T08:00:00Z,open,Billing\n"
	spec, _ := SpecOf(Tickets)
	pq := specParquet(t, Spec{Table: Tickets, Columns: []Column{
		{Name: "Id", Kind: String, Required: true}, spec.Columns[2], spec.Columns[3], spec.Columns[5], {Name: "Group", Kind: String},
	}}, [][]string{{"T1", "email", "2024-03-01T08:00:00Z", "open", "Billing"}}, 10)
	jsonl := `{"Id": "T1", "channel": "email", "created_at": "2024-03-01T08:00:00Z", "status": "open", "Group": "Billing"}` + "\n"
	for _, f := range []struct{ name, data string }{{"tickets.csv", csv}, {"tickets.parquet", string(pq)}, {"tickets.jsonl", jsonl}} {
		t.Run(f.name, func(t *testing.T) {
			fsys := mapFS(map[string]string{f.name: f.data})
			err := readErr(t, fsys, Options{Mapping: m})
			if !errors.Is(err, ErrMissingColumn) {
				t.Fatalf("error %v, want ErrMissingColumn", err)
			}
			for _, want := range []string{f.name, `"Grup"`, "tables.tickets.columns.team"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			if f.name != "tickets.jsonl" && !strings.Contains(err.Error(), `"Group"`) {
				t.Errorf("error %q does not list the columns found", err)
			}
			withDefault := m
			withDefault.Defaults = map[string]string{"team": "Support"}
			if err := readErr(t, fsys, Options{Mapping: withDefault}); err != nil {
				t.Errorf("with a default: %v", err)
			}
		})
	}
}

// readErr reads table tickets and returns the error of Open or Read.
func readErr(t *testing.T, fsys fs.FS, opt Options) error {
	t.Helper()
	mem := checkedMem(t)
	opt.Reject = func(Rejection) error { return nil }
	r, err := Open(t.Context(), fsys, Tickets, mem, opt)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rec.Release()
	}
}

// TestUnmapped reads custom helpdesk statuses and channels: without a
// catch-all their rows are rejected naming the column, the value and the
// vocabulary; with one they are kept as the catch-all and counted, the
// most frequent values by name and the rest together, the same with any
// number of workers.
func TestUnmapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("ticket_id,channel,created_at,status\n")
	row := func(id int, channel, status string) {
		fmt.Fprintf(&b, "T%d,%s,2024-03-01T08:00:00Z,%s\n", id, channel, status)
	}
	id := 0
	for range 5 {
		id++
		row(id, "email", "Waiting on Engineering")
	}
	for k := range 2 * MaxUnmappedValues {
		id++
		row(id, "email", fmt.Sprintf("custom %02d", k)) // one row each
	}
	id++
	row(id, "Fax", "waiting on engineering") // a different spelling is a different value
	id++
	row(id, "chat", "open")
	id++
	row(id, "", "Waiting on Engineering") // rejected: channel is required; its status is not counted
	fsys := mapFS(map[string]string{"tickets.csv": b.String()})

	t.Run("without a catch-all", func(t *testing.T) {
		res := readAll(t, fsys, Tickets, Options{})
		if res.counts.Accepted != 1 || res.counts.Rejected != int64(id-1) || len(res.unmapped) != 0 {
			t.Fatalf("counts %+v, unmapped %v; want 1 accepted", res.counts, res.unmapped)
		}
		r := res.rejs[0]
		if r.Field != "status" || r.Reason != `unexpected value "Waiting on Engineering", want one of new, open, pending, hold, solved, closed` {
			t.Errorf("rejection %s: %s, want the value and the vocabulary", r.Field, r.Reason)
		}
	})
	t.Run("with a catch-all", func(t *testing.T) {
		m := TableMapping{Unmapped: map[string]string{"status": "Open", "channel": "other"}}
		var first []Unmapped
		for _, workers := range []int{1, 3} {
			res := readAll(t, fsys, Tickets, Options{Mapping: m, Workers: workers, BatchSize: 4})
			if want := (Counts{Read: int64(id), Accepted: int64(id - 1), Rejected: 1}); res.counts != want {
				t.Errorf("counts %+v, want %+v", res.counts, want)
			}
			if got := res.rows[0][5]; got != "open" {
				t.Errorf("status of T1 %q, want the catch-all open", got)
			}
			want := []Unmapped{
				{Column: "channel", As: "other", Rows: 1, Values: []ValueCount{{"Fax", 1}}},
				{Column: "status", As: "open", Rows: 5 + 2*MaxUnmappedValues + 1, Others: MaxUnmappedValues + 1 - 1,
					Values: []ValueCount{{"Waiting on Engineering", 5}}},
			}
			for k := range MaxUnmappedValues - 1 {
				want[1].Values = append(want[1].Values, ValueCount{fmt.Sprintf("custom %02d", k), 1})
			}
			want[1].Others = want[1].Rows - 5 - int64(MaxUnmappedValues-1)
			if !reflect.DeepEqual(res.unmapped, want) {
				t.Errorf("%d workers: unmapped\n got %+v\nwant %+v", workers, res.unmapped, want)
			}
			if first == nil {
				first = res.unmapped
			} else if !reflect.DeepEqual(res.unmapped, first) {
				t.Errorf("unmapped differ with %d workers", workers)
			}
		}
	})
}

// TestSkipWhen checks which rows are skipped: a listed value in any
// case, with required values missing; not an empty value, not a row
// with another bad value, and the skipped rows' keys are not taken.
func TestSkipWhen(t *testing.T) {
	data := "response_id,kind,score,scale_min,scale_max,responded_at\n" +
		"S1,csat,4,1,5,2024-03-01T08:00:00Z\n" +
		"S2,csat,OFFERED,1,5,\n" + // skipped
		"S3,csat,,1,5,2024-03-01T08:00:00Z\n" + // rejected: an empty score is bad data
		"S4,csat,offered,1,5,2024-13-01\n" + // rejected: a present value must be valid
		"S5,,unoffered,,,\n" + // skipped
		"S2,csat,5,1,5,2024-03-01T09:00:00Z\n" // accepted: the skipped S2 took no key
	m := TableMapping{SkipWhen: map[string][]string{"score": {"offered", " Unoffered "}}}
	for _, external := range []int64{0, -1} {
		res := readAll(t, mapFS(map[string]string{"surveys.csv": data}), Surveys,
			Options{Mapping: m, SpillDir: t.TempDir(), ExternalKeysAbove: external})
		if want := (Counts{Read: 6, Accepted: 2, Skipped: 2, Rejected: 2}); res.counts != want {
			t.Errorf("counts %+v, want %+v", res.counts, want)
		}
		if want := []SkipCount{{"score: Unoffered", 1}, {"score: offered", 1}}; !slices.Equal(res.skips, want) {
			t.Errorf("skips %v, want %v", res.skips, want)
		}
		checkRejections(t, res.rejs, []wantRej{
			{4, 3, "score", ErrMissingValue, "missing required value"},
			{5, 6, "responded_at", ErrInvalidValue, `invalid time "2024-13-01", want RFC 3339 or "2006-01-02[ 15:04[:05]]"`},
		}, Surveys, "surveys.csv")
	}
	if res := readAll(t, mapFS(map[string]string{"surveys.csv": data}), Surveys, Options{Mapping: m, Strict: true}); res.err == nil ||
		!strings.Contains(res.err.Error(), "surveys.csv:4:3") {
		t.Errorf("strict: error %v, want the first rejected row, not a skipped one", res.err)
	}
}
