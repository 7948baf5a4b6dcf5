package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

func english(t *testing.T) *templates.Text {
	t.Helper()
	tx, err := templates.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

var periodTests = []struct {
	name       string
	grain      string
	start, end [3]int // local dates in Europe/Berlin
	want       string
}{
	{"day", "day", [3]int{2024, 3, 31}, [3]int{2024, 4, 1}, "Period: 2024-03-31 (2024-03-31 – 2024-03-31)"},
	{"week across years", "week", [3]int{2024, 12, 30}, [3]int{2025, 1, 6}, "Period: Week 1, 2025 (2024-12-30 – 2025-01-05)"},
	{"month with DST change", "month", [3]int{2024, 3, 1}, [3]int{2024, 4, 1}, "Period: March 2024 (2024-03-01 – 2024-03-31)"},
	{"quarter", "quarter", [3]int{2024, 10, 1}, [3]int{2025, 1, 1}, "Period: Q4 2024 (2024-10-01 – 2024-12-31)"},
	{"year", "year", [3]int{2024, 1, 1}, [3]int{2025, 1, 1}, "Period: 2024 (2024-01-01 – 2024-12-31)"},
	{"unknown grain", "fortnight", [3]int{2024, 1, 1}, [3]int{2024, 1, 15}, "Period: 2024-01-01 – 2024-01-14"},
	{"no grain", "", [3]int{2024, 1, 1}, [3]int{2024, 1, 15}, "Period: 2024-01-01 – 2024-01-14"},
}

func TestPeriodLine(t *testing.T) {
	tx := english(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("time zone data: %v", err)
	}
	local := func(d [3]int) time.Time {
		return time.Date(d[0], time.Month(d[1]), d[2], 0, 0, 0, 0, berlin).UTC()
	}
	for _, tc := range periodTests {
		t.Run(tc.name, func(t *testing.T) {
			r := Report{Grain: tc.grain, PeriodStart: local(tc.start), PeriodEnd: local(tc.end)}
			if got := periodLine(r, berlin, tx); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestKPISectionChange checks where the change column comes from: the
// row's own Change when the KPI table has one, else the difference from
// the previous period's row, and nothing when either value is missing.
func TestKPISectionChange(t *testing.T) {
	withChange := row(feb, "tickets", "count", "all", "all", kpi.Some(10), 10)
	withChange.Change = kpi.Some(-5) // no January row: only the table knows
	rows := []kpi.Row{
		row(jan, "csat", "%", "all", "all", kpi.Some(50), 2),
		row(jan, "nps", "points", "all", "all", none, 0),
		row(jan, "ces", "score", "all", "all", kpi.Some(4), 2),
		row(jan, "csat", "%", "channel", "chat", kpi.Some(10), 1), // another series
		row(feb, "csat", "%", "all", "all", kpi.Some(75), 4),
		row(feb, "nps", "points", "all", "all", kpi.Some(10), 3),
		row(feb, "ces", "score", "all", "all", none, 0),
		withChange,
		row(feb, "csat", "%", "channel", "chat", kpi.Some(20), 1), // not in this table
	}
	r := Report{PeriodStart: feb, PeriodEnd: mar, Generated: mar, KPIs: rows}
	c, err := buildContent(r, english(t))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Customer satisfaction (CSAT)", "75.0%", "4 < 30", "+25.0 pp"},
		{"Net Promoter Score (NPS)", "10.0", "3 < 30", "–"},
		{"Customer effort score (CES)", "no data", "0", "–"},
		{"Tickets created", "10", "10 < 30", "-5"},
	}
	got := tableOf(t, sectionNamed(t, c, "Key metrics, all channels")).rows
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestChannelSectionColumns(t *testing.T) {
	rows := []kpi.Row{
		row(feb, "nps", "points", "channel", "web", kpi.Some(-5), 9),
		row(feb, "unrelated", "count", "channel", "web", kpi.Some(1), 1),
		row(feb, "csat", "%", "channel", "unknown", kpi.Some(50), 2),
		row(feb, "csat", "%", "channel", "email", kpi.Some(60), 5),
		row(feb, "csat", "%", "agent", "a1", kpi.Some(70), 5),
	}
	s := tableOf(t, channelSection(rows, english(t), newNumbers(english(t))))
	if want := []string{"Channel", "CSAT", "NPS"}; !slices.Equal(s.header, want) {
		t.Errorf("header %q, want %q", s.header, want)
	}
	want := [][]string{
		{"Email", "60.0%", "no data"},
		{"Web", "no data", "-5.0"},
		{"Unknown", "50.0%", "no data"},
	}
	if !slices.EqualFunc(s.rows, want, slices.Equal) {
		t.Errorf("got  %q\nwant %q", s.rows, want)
	}
	if len(s.cols) != len(s.header) {
		t.Errorf("%d column layouts for %d columns", len(s.cols), len(s.header))
	}

	// No headline metric per channel: the section is empty.
	if s := channelSection(rows[1:2], english(t), newNumbers(english(t))); len(s.blocks) != 0 {
		t.Errorf("got blocks %v for no headline metric", s.blocks)
	}
}

// sectionNamed returns the section of c with heading.
func sectionNamed(t *testing.T, c content, heading string) section {
	t.Helper()
	for _, s := range c.sections {
		if s.heading == heading {
			return s
		}
	}
	t.Fatalf("no section %q", heading)
	return section{}
}

// tableOf returns the table that is the only block of s.
func tableOf(t *testing.T, s section) *table {
	t.Helper()
	if len(s.blocks) != 1 {
		t.Fatalf("section %q has %d blocks, want 1 table", s.heading, len(s.blocks))
	}
	tb, ok := s.blocks[0].(*table)
	if !ok {
		t.Fatalf("section %q holds a %T, want a table", s.heading, s.blocks[0])
	}
	return tb
}

// TestTextKeys checks that every key the renderer asks for by name is
// defined by every locale, so that no raw key reaches a report.
func TestTextKeys(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	use := regexp.MustCompile(`tx\.(?:Get|Fill|Lookup)\("([a-z_.]+)"[,)]`)
	keys := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllSubmatch(b, -1) {
			keys[string(m[1])] = true
		}
	}
	if len(keys) < 20 {
		t.Fatalf("found only %d keys in the source; is the pattern stale?", len(keys))
	}
	for _, loc := range templates.Locales() {
		tx, err := templates.Load(loc)
		if err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if _, ok := tx.Lookup(k); !ok {
				t.Errorf("%s: key %q used by the renderer is not defined", loc, k)
			}
		}
	}
}
