package kpi

import (
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// handFixture: two email tickets and one chat ticket in October 2026, one
// phone ticket in November; surveys in October only.
func handFixture() input {
	tk := func(id, ch, at string) []string {
		return []string{id, "c1", ch, at, "", "open", "", "", "", "", ""}
	}
	msg := func(id, ticket, author, at string) []string { return []string{id, ticket, author, "", at} }
	sv := func(id, ticket, kind, score, lo, hi, at string) []string {
		return []string{id, "c1", ticket, kind, score, lo, hi, at}
	}
	return input{
		tables: []ingest.Table{ingest.Tickets, ingest.Messages, ingest.Surveys},
		rows: map[ingest.Table][][]string{
			ingest.Tickets: {
				tk("T1", "email", "2026-10-05T10:00:00Z"),
				tk("T2", "chat", "2026-10-05T10:00:00Z"),
				tk("T3", "email", "2026-10-06T10:00:00Z"),
				tk("T4", "email", "2026-10-07T10:00:00Z"),
				tk("T5", "phone", "2026-11-02T10:00:00Z"),
			},
			ingest.Messages: {
				msg("M1", "T1", "customer", "2026-10-05T10:00:00Z"),
				msg("M2", "T1", "agent", "2026-10-05T11:00:00Z"),
				msg("M3", "T1", "agent", "2026-10-05T10:30:00Z"), // earlier reply listed later
				msg("M4", "T2", "agent", "2026-10-05T10:01:00Z"),
				msg("M5", "T3", "internal", "2026-10-06T10:05:00Z"), // a note is no reply
				msg("M6", "T4", "agent", "2026-10-07T09:00:00Z"),    // before the ticket: ignored
				msg("M7", "T9", "agent", "2026-10-07T09:00:00Z"),    // unknown ticket: ignored
			},
			ingest.Surveys: {
				sv("S1", "T1", "csat", "5", "1", "5", "2026-10-10T00:00:00Z"),
				sv("S2", "T1", "csat", "4", "1", "5", "2026-10-10T00:00:00Z"),
				sv("S3", "T2", "csat", "3", "1", "5", "2026-10-10T00:00:00Z"),
				sv("S4", "", "csat", "1", "1", "5", "2026-10-10T00:00:00Z"),
				sv("S5", "", "nps", "10", "0", "10", "2026-10-11T00:00:00Z"),
				sv("S6", "", "nps", "9", "0", "10", "2026-10-11T00:00:00Z"),
				sv("S7", "", "nps", "8", "0", "10", "2026-10-11T00:00:00Z"),
				sv("S8", "", "nps", "6", "0", "10", "2026-10-11T00:00:00Z"),
				sv("S9", "", "nps", "0", "0", "10", "2026-10-11T00:00:00Z"),
				sv("S10", "T2", "ces", "7", "1", "7", "2026-10-12T00:00:00Z"),
				sv("S11", "T2", "ces", "6", "1", "7", "2026-10-12T00:00:00Z"),
				sv("S12", "T2", "ces", "2", "1", "7", "2026-10-12T00:00:00Z"),
			},
		},
	}
}

type want struct {
	metric, period, value string
	v                     float64 // NaN: null
	n                     int64
}

const oct, nov = "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"

var handCases = []want{
	// CSAT: answers 5, 4, 3, 1 on 1–5; positive from 1 + 0.75 × 4 = 4:
	// 5 and 4 → 2 / 4 = 50 %. Mean 13 / 4 = 3.25.
	{"csat", oct, "all", 50, 4},
	{"csat_mean", oct, "all", 3.25, 4},
	// Per channel: T1 (email) has 5 and 4 → 100 %; T2 (chat) has 3 → 0 %;
	// S4 has no ticket → channel "unknown", 1 → 0 %.
	{"csat", oct, "email", 100, 2},
	{"csat", oct, "chat", 0, 1},
	{"csat", oct, "unknown", 0, 1},
	{"csat", nov, "email", math.NaN(), 0},
	// November has tickets but no survey: missing, not 0.
	{"csat", nov, "all", math.NaN(), 0},
	// NPS: 10, 9 promoters; 8 passive; 6, 0 detractors: (2 − 2) / 5 = 0.
	{"nps", oct, "all", 0, 5},
	{"nps_promoters", oct, "all", 40, 5},
	{"nps_passives", oct, "all", 20, 5},
	{"nps_detractors", oct, "all", 40, 5},
	// CES 1–7: 7, 6, 2 → mean 5; low effort (6–7): 2 / 3.
	{"ces", oct, "all", 5, 3},
	{"ces_low_effort", oct, "all", 200.0 / 3, 3},
	// Tickets: 4 in October, 1 in November.
	{"tickets", oct, "all", 4, 4},
	{"tickets", nov, "all", 1, 1},
	{"tickets", oct, "email", 3, 3},
	// First reply: T1 10:00 → 10:30 = 1800 s; T2 10:00 → 10:01 = 60 s; T3
	// has only a note and T4's only reply predates it: not replied.
	// Mean (1800 + 60) / 2 = 930; median of {60, 1800} = 930; p90 = 60 +
	// 0.9 × 1740 = 1626.
	{"first_reply_time", oct, "all", 930, 2},
	{"first_reply_time_median", oct, "all", 930, 2},
	{"first_reply_time_p90", oct, "all", 1626, 2},
	{"first_reply_time", oct, "email", 1800, 1},
	{"first_reply_time", oct, "chat", 60, 1},
	{"first_reply_time", nov, "all", math.NaN(), 0},
}

func TestHandComputed(t *testing.T) {
	check(t, compute(t, handFixture(), Options{}, 1000, nil), handCases)
}

func TestNumeratorDenominator(t *testing.T) {
	rows := compute(t, handFixture(), Options{}, 1000, nil)
	r := find(t, rows, "csat", oct, "all")
	if r.Numerator != Some(2) || r.Denominator != Some(4) {
		t.Errorf("csat numerator/denominator = %v/%v, want 2/4", r.Numerator, r.Denominator)
	}
	r = find(t, rows, "nps", oct, "all")
	if r.Numerator != Some(0) || r.Denominator != Some(5) {
		t.Errorf("nps numerator/denominator = %v/%v, want 0/5", r.Numerator, r.Denominator)
	}
	r = find(t, rows, "first_reply_time_median", oct, "all")
	if r.Numerator.Valid || r.Denominator.Valid {
		t.Errorf("median has numerator/denominator %v/%v, want null", r.Numerator, r.Denominator)
	}
}

// The notes are complete once the rows are made, whether or not the
// tickets spill: the agent reply dated before its ticket, found when the
// replies are paired, is ignored and noted either way.
func TestNotes(t *testing.T) {
	for _, per := range []int32{0, 1, 2} {
		opt := Options{Logger: slog.New(slog.DiscardHandler)}
		if per > 0 {
			opt.SpillDir, opt.ticketsPerSpill = t.TempDir(), per
		}
		e, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		feedBatches(t, mem, e, handFixture(), 3)
		if spilled := e.tickets.facts.spilled() && e.tickets.msgs.spilled > 0; spilled != (per > 0) {
			t.Errorf("%d tickets a file: spilled %v", per, spilled)
		}
		rows, err := e.Rows()
		if err != nil {
			t.Fatal(err)
		}
		check(t, rows, handCases)
		wantNotes := []Note{
			{ingest.Messages, "agent replies are dated before their ticket was created; ignored", 1},
			{ingest.Messages, "messages refer to a ticket missing from the tickets export; ignored", 1},
		}
		if notes := e.Notes(); !reflect.DeepEqual(notes, wantNotes) {
			t.Errorf("%d tickets a file: notes = %v, want %v", per, notes, wantNotes)
		}
		if left, _ := os.ReadDir(opt.SpillDir); per > 0 && len(left) > 0 {
			t.Errorf("%d tickets a file: spill files left behind: %d", per, len(left))
		}
		mem.AssertSize(t, 0)
	}
}

func TestEdgeCases(t *testing.T) {
	sv := func(id, kind, score, lo, hi string) []string {
		return []string{id, "", "", kind, score, lo, hi, "2026-10-10T00:00:00Z"}
	}
	tests := []struct {
		name string
		rows [][]string
		opt  Options
		want []want
	}{
		{"all passives", [][]string{sv("a", "nps", "7", "0", "10"), sv("b", "nps", "8", "0", "10")}, Options{},
			// (0 − 0) / 2 = 0: a real zero, not missing.
			[]want{{"nps", oct, "all", 0, 2}, {"nps_passives", oct, "all", 100, 2}, {"nps_promoters", oct, "all", 0, 2}}},
		{"csat on 1–10", [][]string{sv("a", "csat", "8", "1", "10"), sv("b", "csat", "7", "1", "10")}, Options{},
			// threshold 1 + 0.75 × 9 = 7.75: 8 positive, 7 not. Mean on 1–5:
			// 1 + 4 × 7/9 and 1 + 4 × 6/9 → 1 + 4 × 6.5/9.
			[]want{{"csat", oct, "all", 50, 2}, {"csat_mean", oct, "all", 1 + 4*6.5/9, 2}}},
		{"csat on a binary scale", [][]string{sv("a", "csat", "1", "0", "1"), sv("b", "csat", "1", "0", "1"), sv("c", "csat", "0", "0", "1")}, Options{},
			// good, good, bad: 2 of 3 satisfied. No mean of good/bad: null, not 0.
			[]want{{"csat", oct, "all", 200.0 / 3, 3}, {"csat_mean", oct, "all", math.NaN(), 0}}},
		{"csat binary and 1–5 in one period", [][]string{
			sv("a", "csat", "1", "0", "1"), sv("b", "csat", "0", "0", "1"), // good, bad
			sv("c", "csat", "5", "1", "5"), sv("d", "csat", "2", "1", "5"), sv("e", "csat", "4", "1", "5"),
		}, Options{},
			// csat pools every answer, each judged on its own scale: good,
			// 5 and 4 of 5 answers. csat_mean is of the 1–5 answers only:
			// (5 + 2 + 4) / 3.
			[]want{{"csat", oct, "all", 60, 5}, {"csat_mean", oct, "all", 11.0 / 3, 3}}},
		{"csat threshold option", [][]string{sv("a", "csat", "3", "1", "5"), sv("b", "csat", "2", "1", "5")}, Options{CSATPositive: 0.5},
			// 1 + 0.5 × 4 = 3: only the 3 is positive.
			[]want{{"csat", oct, "all", 50, 2}}},
		{"ces 1–5, lower is easier by default", [][]string{sv("a", "ces", "1", "1", "5"), sv("b", "ces", "4", "1", "5")}, Options{},
			// ease 1 − 0/4 = 1 → 7; 1 − 3/4 = 0.25 → 2.5; mean 4.75. Low
			// effort needs ease ≥ 3/4: only the 1.
			[]want{{"ces", oct, "all", 4.75, 2}, {"ces_low_effort", oct, "all", 50, 2}}},
		{"ces 1–5 configured higher is easier", [][]string{sv("a", "ces", "1", "1", "5"), sv("b", "ces", "4", "1", "5")},
			Options{CESEasier: map[string]string{"1-5": "higher"}},
			// ease 0 → 1; 3/4 → 5.5; mean 3.25. Low effort: the 4.
			[]want{{"ces", oct, "all", 3.25, 2}, {"ces_low_effort", oct, "all", 50, 2}}},
		{"ces instruments mixed in one run", [][]string{
			sv("a", "ces", "2", "1", "5"),                   // 1–5 default lower: ease 1 − 1/4 = 0.75 → 5.5, low effort
			sv("b", "ces", "6", "1", "7"),                   // 1–7 default higher: ease 5/6 → 6, low effort
			append(sv("c", "ces", "2", "1", "7"), "lower"),  // this question's 1 is the least effort: ease 1 − 1/6 → 6, low effort
			append(sv("d", "ces", "2", "1", "5"), "higher"), // and this one's 5: ease 1/4 → 2.5
		}, Options{},
			// mean (5.5 + 6 + 6 + 2.5) / 4 = 5; low effort 3 of 4.
			[]want{{"ces", oct, "all", 5, 4}, {"ces_low_effort", oct, "all", 75, 4}}},
		{"only nps answered", [][]string{sv("a", "nps", "10", "0", "10")}, Options{},
			[]want{{"csat", oct, "all", math.NaN(), 0}, {"ces", oct, "all", math.NaN(), 0}, {"nps", oct, "all", 100, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := input{tables: []ingest.Table{ingest.Surveys}, rows: map[ingest.Table][][]string{ingest.Surveys: tc.rows}}
			check(t, compute(t, in, tc.opt, 1, nil), tc.want)
		})
	}
}

func TestAbsentInputsAreSkipped(t *testing.T) {
	in := handFixture()
	in.tables = []ingest.Table{ingest.Tickets} // no messages, no surveys
	rows := compute(t, in, Options{}, 10, nil)
	needs := map[string][]ingest.Table{}
	for _, m := range Catalog() {
		needs[m.Name] = m.Needs
	}
	reported := map[string]bool{}
	for _, r := range rows {
		reported[r.Metric] = true
		for _, n := range needs[r.Metric] {
			if n != ingest.Tickets {
				t.Fatalf("metric %s reported without its input %s", r.Metric, n)
			}
		}
	}
	for _, m := range []string{"tickets", "channel_share", "resolution_time"} {
		if !reported[m] {
			t.Errorf("metric %s, which needs only tickets, is missing", m)
		}
	}
}

func TestNoDataNoRows(t *testing.T) {
	in := input{tables: []ingest.Table{ingest.Surveys}, rows: map[ingest.Table][][]string{}}
	if rows := compute(t, in, Options{}, 10, nil); len(rows) != 0 {
		t.Fatalf("got %d rows from no data, want 0", len(rows))
	}
}

// randomFixture returns a reproducible input with every table: n tickets
// with messages and surveys, and customers, orders, reviews, calls,
// feedback, mentions and referrals, spread over a year.
func randomFixture(seed uint64, n int) input {
	rng := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	year := int64(365 * 24 * time.Hour)
	when := func() time.Time { return base.Add(time.Duration(rng.Int64N(year))) }
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	flag := func() string { return pick("true", "false", "") }
	at := func(t time.Time) string { return t.Format(time.RFC3339) }
	opt := func(t time.Time) string { return pick(at(t), "") }
	chans := ingest.Channels()
	in := input{tables: ingest.Tables(), rows: map[ingest.Table][][]string{}}
	add := func(t ingest.Table, row ...string) { in.rows[t] = append(in.rows[t], row) }
	for i := range n / 4 {
		id := "C" + strconv.Itoa(i)
		signup := base.Add(-time.Duration(rng.Int64N(year))).Add(time.Duration(rng.Int64N(year)))
		add(ingest.Customers, id, at(signup), opt(signup.Add(time.Duration(rng.Int64N(year)))), flag(), flag())
		for k := range rng.IntN(4) {
			add(ingest.Orders, id+"-"+strconv.Itoa(k), pick(id, "C-ghost"), at(when()), strconv.Itoa(rng.IntN(200)), "")
		}
		if rng.IntN(5) == 0 {
			t := when()
			add(ingest.Referrals, "R"+id, id, at(t), "", opt(t.Add(time.Hour)))
		}
		t := when()
		add(ingest.Calls, "K"+id, "", pick("ana", "bo", ""), pick("a", "b"), at(t), opt(t.Add(time.Duration(rng.IntN(600))*time.Second)), "", pick("true", "false"))
		add(ingest.Feedback, "F"+id, "", pick(chans...), at(t), opt(t.Add(time.Hour)))
		add(ingest.SocialMentions, "S"+id, pick("x", "y"), at(when()), pick("positive", "neutral", "negative"), flag(), flag(), flag(), pick("", "Acme"))
		for _, c := range []string{"tone", "accuracy"} {
			add(ingest.QAReviews, "Q"+id, "", pick("ana", "bo"), pick("a", "b"), at(t), c, strconv.Itoa(rng.IntN(6)), "5")
		}
	}
	for i := range n {
		id := "T" + strconv.Itoa(i)
		created := when()
		solved := ""
		if rng.IntN(3) > 0 {
			solved = at(created.Add(time.Duration(rng.Int64N(int64(96 * time.Hour)))))
		}
		row := []string{id, "", pick(chans...), at(created), solved, "open", pick("low", "high", ""),
			pick("ana", "bo", "cy", ""), pick("a", "b", ""), flag(), strconv.Itoa(rng.IntN(2))}
		if i%3 == 0 { // the vendor's metrics, some of them missing
			for range 8 {
				row = append(row, pick(strconv.Itoa(rng.IntN(3000)), ""))
			}
		}
		add(ingest.Tickets, row...)
		for k := range rng.IntN(5) {
			add(ingest.Messages, id+"-"+strconv.Itoa(k), pick(id, "T-ghost"), pick("customer", "agent", "internal"), pick("ana", ""),
				at(created.Add(time.Duration(rng.Int64N(int64(48*time.Hour)))-time.Hour)))
		}
		if rng.IntN(2) == 0 {
			kind := pick("csat", "nps", "ces")
			scale := map[string][2]int{"csat": {1, 5}, "nps": {0, 10}, "ces": {1, 7}}[kind]
			lo, hi := scale[0], scale[1]
			add(ingest.Surveys, "S"+id, "", pick(id, ""), kind, strconv.Itoa(lo+rng.IntN(hi-lo+1)), strconv.Itoa(lo), strconv.Itoa(hi),
				at(created.Add(72*time.Hour)))
		}
	}
	return in
}

// Splitting the input into batches never changes a result.
func TestBatchSplitInvariance(t *testing.T) {
	in := randomFixture(7, 3000)
	for _, grain := range []Grain{Day, Week, Month, Quarter} {
		opt := Options{Grain: grain, Location: mustZone(t, "America/New_York")}
		ref := compute(t, in, opt, 10000, nil)
		seen := map[string]bool{}
		for _, r := range ref {
			if r.N > 0 {
				seen[r.Metric] = true
			}
		}
		for _, m := range Catalog() {
			if !seen[m.Name] {
				t.Errorf("%s: the fixture gives metric %s no data; the property says nothing about it", grain, m.Name)
			}
		}
		for _, batch := range []int{1, 7} {
			if got := compute(t, in, opt, batch, nil); !reflect.DeepEqual(got, ref) {
				t.Errorf("%s: batches of %d give a different table than one batch", grain, batch)
			}
		}
	}
}

// Spilling the messages of large inputs to files, a range of tickets a
// file, never changes a result, and leaves no file behind.
func TestSpillInvariance(t *testing.T) {
	in := randomFixture(7, 3000)
	for _, grain := range []Grain{Month} {
		opt := Options{Grain: grain, Location: mustZone(t, "America/New_York")}
		ref := compute(t, in, opt, 10000, nil)
		for _, per := range []int32{1, 37} {
			dir := t.TempDir()
			opt := opt
			opt.SpillDir, opt.ticketsPerSpill = dir, per
			spilled := false
			got := compute(t, in, opt, 100, func(e *Engine) { spilled = e.tickets.msgs.spilled > 0 && e.tickets.facts.spilled() })
			if !reflect.DeepEqual(got, ref) {
				t.Errorf("%s: spilling %d tickets a file gives a different table", grain, per)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 || !spilled {
				t.Errorf("%s: spill files left behind: %d", grain, len(left))
			}
		}
	}
}

// Declaring each table done as soon as it is read, which lets the engine
// observe the ticket metrics before the later tables come and free the
// tickets, never changes a result; a batch after its table's Done is an
// error.
func TestDoneInvariance(t *testing.T) {
	in := randomFixture(11, 2000)
	for _, spill := range []bool{false, true} {
		opt := Options{Grain: Week, Location: mustZone(t, "Europe/Berlin"), Logger: slog.New(slog.DiscardHandler)}
		if spill {
			opt.SpillDir, opt.ticketsPerSpill = t.TempDir(), 50
		}
		ref := compute(t, in, opt, 64, nil)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		e, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		finished := false
		for _, table := range ingest.Tables() {
			if slices.Contains(in.tables, table) {
				e.Begin(table)
				rec := record(t, mem, table, in.rows[table])
				for lo := int64(0); lo < rec.NumRows(); lo += 64 {
					part := rec.NewSlice(lo, min(lo+64, rec.NumRows()))
					if err := e.Add(table, part); err != nil {
						t.Fatal(err)
					}
					part.Release()
				}
				rec.Release()
			}
			if err := e.Done(table); err != nil {
				t.Fatal(err)
			}
			if table == ingest.Surveys {
				finished = e.tickets.finished && e.tickets.channel == nil && e.tickets.facts.mem.created == nil
			}
		}
		if !finished {
			t.Errorf("spill %v: the tickets are not finished and freed once tickets, messages and surveys are done", spill)
		}
		got, err := e.Rows()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ref) {
			t.Errorf("spill %v: Done after each table gives a different table", spill)
		}
		rec := record(t, mem, ingest.Messages, in.rows[ingest.Messages])
		if err := e.Add(ingest.Messages, rec); err == nil {
			t.Errorf("spill %v: a messages batch after Done(messages) is accepted", spill)
		}
		rec.Release()
		mem.AssertSize(t, 0)
	}
}

// A ticket or customer whose id an earlier one had is ignored, the first
// copy kept, whether the repeat comes before the index is first looked up
// (found when it is sealed) or after (found at once); each is noted. The
// same holds when the ticket facts are already spilled to files by then.
func TestRepeatedIDsKeepTheFirstCopy(t *testing.T) {
	in := randomFixture(5, 2000)
	opt := Options{Grain: Month, Location: time.UTC, Logger: slog.New(slog.DiscardHandler)}
	ref := compute(t, in, opt, 50, nil)
	rng := rand.New(rand.NewPCG(5, 9))
	dup := input{tables: in.tables, rows: map[ingest.Table][][]string{}}
	for tb, rows := range in.rows {
		dup.rows[tb] = rows
	}
	repeats := map[ingest.Table]int{}
	late := time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	for _, tb := range []ingest.Table{ingest.Tickets, ingest.Customers} {
		var out [][]string
		for i, row := range in.rows[tb] {
			out = append(out, row)
			if i%7 == 3 {
				// A copy that would change the results if it were kept,
				// somewhere after the original.
				c := slices.Clone(in.rows[tb][rng.IntN(i+1)])
				c[1] = late // a ticket's customer; a customer's signup
				if tb == ingest.Tickets {
					c[2], c[3] = "phone", late
				}
				out = append(out, c)
				repeats[tb]++
			}
		}
		dup.rows[tb] = out
	}
	for _, per := range []int32{0, 1, 37} {
		opt := opt
		if per > 0 {
			opt.SpillDir, opt.ticketsPerSpill = t.TempDir(), per
		}
		var notes []Note
		spilled := false
		got := compute(t, dup, opt, 50, func(e *Engine) {
			notes, spilled = e.Notes(), e.tickets.facts.spilled()
		})
		if !reflect.DeepEqual(got, ref) {
			t.Errorf("%d tickets a spill file: repeated tickets and customers change the results", per)
		}
		if spilled != (per > 0) {
			t.Errorf("%d tickets a spill file: facts spilled %v", per, spilled)
		}
		if left, _ := os.ReadDir(opt.SpillDir); per > 0 && len(left) > 0 {
			t.Errorf("%d tickets a spill file: spill files left behind: %d", per, len(left))
		}
		for _, tb := range []ingest.Table{ingest.Tickets, ingest.Customers} {
			var n int64
			for _, note := range notes {
				if note.Table == tb && strings.Contains(note.Text, "repeat an id") {
					n = note.Rows
				}
			}
			if n != int64(repeats[tb]) {
				t.Errorf("%d tickets a spill file: %s: %d repeats noted, want %d", per, tb, n, repeats[tb])
			}
		}
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Until extends the table to the report period, with null rows where it
// holds no data, and cuts the periods after it.
func TestUntil(t *testing.T) {
	var rows []Row
	mem := handFixture()
	for _, tc := range []struct {
		end          string
		last         string
		wantLastNull bool
	}{
		{"2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", true},
		{"2026-11-01T00:00:00Z", "2026-10-01T00:00:00Z", false},
	} {
		e, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		e.Until(mustTime(t, tc.end))
		feed(t, e, mem)
		if rows, err = e.Rows(); err != nil {
			t.Fatal(err)
		}
		last := rows[len(rows)-1].PeriodStart
		if !last.Equal(mustTime(t, tc.last)) {
			t.Errorf("until %s: last period %s, want %s", tc.end, last, tc.last)
		}
		r := find(t, rows, "csat", tc.last, "all")
		if r.Value.Valid == tc.wantLastNull {
			t.Errorf("until %s: csat of the last period = %v", tc.end, r.Value)
		}
	}
}

func TestMaxPeriods(t *testing.T) {
	mem := handFixture()
	for _, tc := range []struct {
		max     int
		wantErr bool
	}{{0, false}, {3, false}, {2, true}} {
		e, err := New(Options{Logger: slog.New(slog.DiscardHandler), MaxPeriods: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		e.Until(mustTime(t, "2027-01-01T00:00:00Z")) // 2026-10 to 2026-12: three months
		feed(t, e, mem)
		rows, err := e.Rows()
		if got := errors.Is(err, ErrTooManyPeriods); got != tc.wantErr {
			t.Errorf("max %d: Rows error %v, want ErrTooManyPeriods %v", tc.max, err, tc.wantErr)
		}
		if tc.wantErr && rows != nil {
			t.Errorf("max %d: %d rows beside the error", tc.max, len(rows))
		}
	}
}
