package kpi

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// check compares rows with the hand-computed cases: a NaN want is a null
// value with n = 0.
func check(t *testing.T, rows []Row, cases []want) {
	t.Helper()
	for _, w := range cases {
		r := find(t, rows, w.metric, w.period, w.value)
		if math.IsNaN(w.v) {
			if r.Value.Valid || r.N != 0 {
				t.Errorf("%s %s %s = %v (n=%d), want null (n=0)", w.metric, w.period[:7], w.value, r.Value, r.N)
			}
			continue
		}
		if !r.Value.Valid || math.Abs(r.Value.V-w.v) > 1e-6 || r.N != w.n {
			t.Errorf("%s %s %s = %v (n=%d), want %v (n=%d)", w.metric, w.period[:7], w.value, r.Value, r.N, w.v, w.n)
		}
	}
}

// ticketFixture: replies, resolutions and complaints in October 2026 (UTC;
// 5 October is a Monday).
func ticketFixture() input {
	tk := func(id, ch, created, solved, agent, complaint, reopens string) []string {
		return []string{id, "c1", ch, created, solved, "solved", "normal", agent, "tier1", complaint, reopens}
	}
	msg := func(id, ticket, author, agent, at string) []string { return []string{id, ticket, author, agent, at} }
	return input{
		tables: []ingest.Table{ingest.Tickets, ingest.Messages},
		rows: map[ingest.Table][][]string{
			ingest.Tickets: {
				tk("T1", "email", "2026-10-05T10:00:00Z", "2026-10-07T10:00:00Z", "ana", "true", "0"),
				tk("T2", "email", "2026-10-05T10:00:00Z", "2026-10-05T12:00:00Z", "ana", "false", "0"),
				tk("T3", "chat", "2026-10-05T10:00:00Z", "2026-10-05T10:20:00Z", "bo", "false", "0"),
				tk("T4", "email", "2026-10-06T10:00:00Z", "2026-10-06T11:00:00Z", "bo", "false", "1"),
				{"T5", "c1", "phone", "2026-10-06T10:00:00Z", "", "open", "", "", "", "", ""},
			},
			ingest.Messages: {
				// T1: asked at creation, answered at 10:30 (1800 s); asked
				// again at 11:00 and 11:10, answered at 11:30 (1800 s from
				// 11:00); a second reply in a row at 11:40 has no reply time.
				msg("M1", "T1", "customer", "", "2026-10-05T10:00:00Z"),
				msg("M2", "T1", "agent", "ana", "2026-10-05T10:30:00Z"),
				msg("M3", "T1", "customer", "", "2026-10-05T11:00:00Z"),
				msg("M4", "T1", "customer", "", "2026-10-05T11:10:00Z"),
				msg("M5", "T1", "agent", "cy", "2026-10-05T11:30:00Z"),
				msg("M6", "T1", "agent", "ana", "2026-10-05T11:40:00Z"),
				// T2: one reply after 300 s, nothing else.
				msg("M7", "T2", "agent", "", "2026-10-05T10:05:00Z"),
				// T3 was solved at 10:20, before its only reply at 10:30.
				msg("M8", "T3", "agent", "bo", "2026-10-05T10:30:00Z"),
				// T4: one reply after 600 s, but reopened once.
				msg("M9", "T4", "agent", "bo", "2026-10-06T10:10:00Z"),
			},
		},
	}
}

func TestTicketMetrics(t *testing.T) {
	rows := compute(t, ticketFixture(), Options{}, 2, nil)
	check(t, rows, []want{
		// Reply times: 1800, 1800 (T1), 300 (T2), 1800 (T3), 600 (T4).
		// Mean 6300 / 5 = 1260; median 1800; p90 = 1800.
		{"reply_time", oct, "all", 1260, 5},
		{"reply_time_median", oct, "all", 1800, 5},
		{"reply_time_p90", oct, "all", 1800, 5},
		// By replying agent: ana 1800 (M2); cy 1800 (M5); T2's reply has no
		// agent and falls back on the assignee, ana: ana (1800 + 300) / 2.
		{"reply_time", oct, "ana", 1050, 2},
		{"reply_time", oct, "cy", 1800, 1},
		// First replies: 1800, 300, 1800, 600; T5 has none.
		{"first_reply_time", oct, "all", 4500.0 / 4, 4},
		{"first_reply_time", oct, "chat", 1800, 1},
		// Resolution: T1 2 days = 172800; T2 7200; T3 1200; T4 3600.
		{"resolution_time", oct, "all", (172800 + 7200 + 1200 + 3600) / 4.0, 4},
		{"resolution_time_median", oct, "all", (3600 + 7200) / 2.0, 4},
		// Only T1 is a complaint.
		{"complaint_resolution_time", oct, "all", 172800, 1},
		// In business hours (Mon–Fri 09–17 UTC): T1 Mon 10:00 → Wed 10:00 =
		// 7 + 8 + 1 = 16 h.
		{"complaint_resolution_time_bh", oct, "all", 16 * 3600, 1},
		// FCR among the 4 solved: T1 has 3 replies and a follow-up, T4 was
		// reopened; T2 and T3 qualify: 2 / 4.
		{"first_contact_resolution", oct, "all", 50, 4},
		// Channel share: 3 email, 1 chat, 1 phone of 5 tickets.
		{"channel_share", oct, "email", 60, 3},
		{"channel_share", oct, "all", 100, 5},
		{"tickets", oct, "tier1", 4, 4},
		// Reopen rate among the 4 solved tickets created in October: T4
		// was reopened once (T5 is open): 1 / 4; by channel, email 1 / 3
		// and chat 0 / 1.
		{"reopen_rate", oct, "all", 25, 4},
		{"reopen_rate", oct, "email", 100.0 / 3, 3},
		{"reopen_rate", oct, "chat", 0, 1},
	})
}

// reopenFixture: tickets of September to November 2026 (UTC) for the
// edges of reopen_rate.
func reopenFixture() input {
	tk := func(id, created, solved, reopens string) []string {
		return []string{id, "c1", "email", created, solved, "solved", "normal", "ana", "tier1", "false", reopens}
	}
	return input{
		tables: []ingest.Table{ingest.Tickets},
		rows: map[ingest.Table][][]string{ingest.Tickets: {
			tk("R1", "2026-09-10T10:00:00Z", "2026-09-11T10:00:00Z", "2"), // reopened twice: one reopened ticket
			tk("R2", "2026-09-12T10:00:00Z", "2026-10-02T10:00:00Z", "0"), // solved in October, placed at creation
			tk("R3", "2026-09-20T10:00:00Z", "2026-09-21T10:00:00Z", ""),  // reopens unknown: not reopened
			tk("R4", "2026-09-25T10:00:00Z", "", "1"),                     // reopened and open again: not solved
			tk("R5", "2026-10-03T10:00:00Z", "", "0"),                     // October's only ticket, open
			tk("R6", "2026-11-05T10:00:00Z", "2026-11-06T10:00:00Z", "1"),
		}},
	}
}

// TestReopenRate checks reopen_rate's population (solved tickets, by
// creation), its numerator (reopens > 0, however many), and a period
// whose tickets are all open: null, not 0.
func TestReopenRate(t *testing.T) {
	const sep = "2026-09-01T00:00:00Z"
	for _, batch := range []int{1, 100} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			rows := compute(t, reopenFixture(), Options{}, batch, nil)
			check(t, rows, []want{
				{"reopen_rate", sep, "all", 100.0 / 3, 3}, // R1 of R1, R2, R3
				{"reopen_rate", sep, "ana", 100.0 / 3, 3},
				{"reopen_rate", oct, "all", math.NaN(), 0},
				{"tickets", oct, "all", 1, 1},
				{"reopen_rate", nov, "all", 100, 1},
			})
			r := find(t, rows, "reopen_rate", sep, "all")
			if r.Numerator != Some(1) || r.Denominator != Some(3) || r.Unit != UnitPercent {
				t.Errorf("September: numerator %v, denominator %v, unit %q; want 1, 3, %%", r.Numerator, r.Denominator, r.Unit)
			}
		})
	}
}

func TestBusinessHours(t *testing.T) {
	lisbon := mustZone(t, "Europe/Lisbon")
	night := &BusinessHours{Location: lisbon}
	night.Week[time.Sunday] = []Interval{{0, 6 * time.Hour}}
	week := DefaultBusinessHours(time.UTC)
	holiday := DefaultBusinessHours(time.UTC)
	holiday.Holidays = map[string]bool{"2026-10-06": true}
	tests := []struct {
		name     string
		bh       *BusinessHours
		from, to string
		want     time.Duration
	}{
		// Lisbon springs forward on Sunday 29 March 2026 at 01:00 (to
		// 02:00): the 00:00–06:00 interval lasts 5 hours that day.
		{"DST inside the interval", night, "2026-03-29T00:00:00Z", "2026-03-29T12:00:00Z", 5 * time.Hour},
		{"a normal Sunday", night, "2026-03-22T00:00:00Z", "2026-03-22T12:00:00Z", 6 * time.Hour},
		{"friday to monday", week, "2026-10-09T16:00:00Z", "2026-10-12T10:00:00Z", 2 * time.Hour},
		{"outside hours", week, "2026-10-09T18:00:00Z", "2026-10-12T08:00:00Z", 0},
		{"reversed", week, "2026-10-12T10:00:00Z", "2026-10-09T16:00:00Z", 0},
		{"holiday skipped", holiday, "2026-10-05T16:00:00Z", "2026-10-07T10:00:00Z", 2 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.bh.Duration(mustTime(t, tc.from), mustTime(t, tc.to)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if err := (&BusinessHours{Location: time.UTC}).Validate(); err == nil {
		t.Error("a schedule that is never open validates")
	}
}

func TestContactMetrics(t *testing.T) {
	call := func(id, queued, answered, abandoned string) []string {
		return []string{id, "", "ana", "phone", queued, answered, "", abandoned}
	}
	fb := func(id, responded string) []string {
		return []string{id, "", "email", "2026-10-03T00:00:00Z", responded}
	}
	men := func(id, sentiment, q, tech, ans, comp, at string) []string {
		return []string{id, "x", at, sentiment, q, tech, ans, comp}
	}
	qa := func(id, criterion, score, max string) []string {
		return []string{id, "", "ana", "tier1", "2026-10-04T00:00:00Z", criterion, score, max}
	}
	in := input{
		tables: []ingest.Table{ingest.QAReviews, ingest.Calls, ingest.Feedback, ingest.SocialMentions},
		rows: map[ingest.Table][][]string{
			ingest.Calls: {
				call("K1", "2026-10-01T09:00:00Z", "2026-10-01T09:01:00Z", "false"),
				call("K2", "2026-10-01T09:00:00Z", "2026-10-01T09:02:00Z", "false"),
				call("K3", "2026-10-01T09:00:00Z", "2026-10-01T09:05:00Z", "false"),
				call("K4", "2026-10-01T09:00:00Z", "", "true"),
			},
			ingest.Feedback: {fb("F1", "2026-10-04T00:00:00Z"), fb("F2", ""), fb("F3", "2026-10-05T00:00:00Z")},
			ingest.SocialMentions: {
				men("S1", "positive", "true", "true", "false", "", "2026-10-05T09:15:00Z"),
				men("S2", "negative", "true", "false", "true", "Acme", "2026-10-05T09:45:00Z"),
				men("S3", "neutral", "false", "", "", "", "2026-10-06T21:00:00Z"),
				men("S4", "positive", "", "", "", "", "2026-10-06T09:00:00Z"),
			},
			ingest.QAReviews: {
				qa("R1", "tone", "4", "5"), qa("R1", "accuracy", "3", "5"), qa("R2", "tone", "10", "10"),
			},
		},
	}
	rows := compute(t, in, Options{QAWeights: map[string]float64{"tone": 2}}, 1, nil)
	check(t, rows, []want{
		// Waits of the answered calls: 60, 120, 300 → mean 160, median 120.
		{"wait_time", oct, "all", 160, 3},
		{"wait_time_median", oct, "all", 120, 3},
		{"abandonment_rate", oct, "all", 25, 4},
		{"calls", oct, "ana", 4, 4},
		{"feedback_response_rate", oct, "all", 200.0 / 3, 3},
		{"social_mentions", oct, "all", 4, 4},
		{"social_positive_share", oct, "all", 50, 4},
		{"social_negative_share", oct, "all", 25, 4},
		{"social_question_share", oct, "all", 50, 4},
		// Of the 2 questions, 1 technical and 1 answerable.
		{"social_technical_share", oct, "all", 50, 2},
		{"social_answerable_share", oct, "all", 50, 2},
		{"social_competitor_share", oct, "all", 25, 4},
		// Activity by hour (UTC): 09 has S1, S2, S4; 21 has S3. 5 October is
		// a Monday.
		{"social_mentions", oct, "09", 3, 3},
		{"social_mentions", oct, "1-Mon", 2, 2},
		// IQS: R1 = (2 × 4/5 + 1 × 3/5) / 3 = 2.2 / 3; R2 = 1; mean × 100.
		{"iqs", oct, "all", (2.2/3 + 1) / 2 * 100, 2},
		{"qa_reviews", oct, "ana", 2, 2},
	})
}

// customerFixture: September and October 2026.
func customerFixture() input {
	cu := func(id, signup, churned, loyal, edu string) []string {
		return []string{id, signup, churned, loyal, edu}
	}
	or := func(id, customer, at, revenue string) []string { return []string{id, customer, at, revenue, ""} }
	ref := func(id, at, converted string) []string { return []string{id, "C1", at, "", converted} }
	return input{
		tables: []ingest.Table{ingest.Customers, ingest.Orders, ingest.Referrals},
		rows: map[ingest.Table][][]string{
			ingest.Customers: {
				cu("C1", "2026-01-01T00:00:00Z", "", "true", "false"),
				cu("C2", "2026-02-01T00:00:00Z", "2026-10-15T00:00:00Z", "false", "false"),
				cu("C3", "2026-10-05T00:00:00Z", "", "false", "true"),
				cu("C4", "2026-10-06T00:00:00Z", "2026-10-20T00:00:00Z", "false", "false"),
				cu("C5", "2026-03-01T00:00:00Z", "2026-09-10T00:00:00Z", "false", "false"),
			},
			ingest.Orders: {
				or("O1", "C2", "2026-09-20T00:00:00Z", "10"),
				or("O2", "C1", "2026-10-02T00:00:00Z", "100"),
				or("O3", "C1", "2026-10-03T00:00:00Z", "50"),
				or("O4", "C3", "2026-10-08T00:00:00Z", "30"),
			},
			ingest.Referrals: {
				ref("F1", "2026-10-02T00:00:00Z", "2026-10-05T00:00:00Z"),
				ref("F2", "2026-10-03T00:00:00Z", ""),
			},
		},
	}
}

func TestCustomerMetrics(t *testing.T) {
	const sep = "2026-09-01T00:00:00Z"
	rows := compute(t, customerFixture(), Options{}, 3, nil)
	check(t, rows, []want{
		// September: S = {C1, C2, C5}, lost C5, E = {C1, C2}, N = 0:
		// CRR (2 − 0) / 3, churn 1 / 3. Active {C1, C2, C5}; C2 bought.
		{"retention_rate", sep, "all", 200.0 / 3, 3},
		{"churn_rate", sep, "all", 100.0 / 3, 3},
		{"usage_rate", sep, "all", 100.0 / 3, 3},
		// October: S = {C1, C2}, E = {C1, C3}, N = {C3, C4}, lost = {C2}
		// (C4 joined and left within the month): CRR (2 − 2) / 2 = 0,
		// churn 1 / 2.
		{"retention_rate", oct, "all", 0, 2},
		{"churn_rate", oct, "all", 50, 2},
		{"customers_new", oct, "all", 2, 4},
		// Active in October: C1..C4. Loyal C1, educated C3, buyers C1, C3.
		{"customers_active", oct, "all", 4, 4},
		{"loyalty_participation", oct, "all", 25, 4},
		{"education_participation", oct, "all", 25, 4},
		{"usage_rate", oct, "all", 50, 4},
		{"engagement_score", oct, "all", (25 + 25 + 50) / 3.0, 4},
		// Referrals: 2 made in October, 1 converted; 2 per 4 active.
		{"referral_conversion_rate", oct, "all", 50, 2},
		{"referral_rate", oct, "all", 50, 4},
		// Orders: 3 for 180 → AOV 60.
		{"revenue", oct, "all", 180, 3},
		{"average_order_value", oct, "all", 60, 3},
		// CLV basic, from the base's history to the period's end. By the
		// end of September: revenue 10 (O1), churned C5: 10 / 1. By the
		// end of October: revenue 190 from 4 orders (AOV 47.5) over
		// 794 customer-days (C1 304, C2 256, C3 27, C4 14, C5 193), churned
		// C5, C2, C4: 47.5 × (4 / 794 per day) × (794 / 3 days) = 190 / 3.
		{"clv_basic", sep, "all", 10, 1},
		{"clv_basic", oct, "all", 190.0 / 3, 3},
	})
	r := find(t, rows, "retention_rate", oct, "all")
	if !r.Previous.Valid || math.Abs(r.Previous.V-200.0/3) > 1e-9 || math.Abs(r.Change.V+200.0/3) > 1e-9 || math.Abs(r.ChangePct.V+100) > 1e-9 {
		t.Errorf("retention change = %v, %v, %v; want previous 66.7, change −66.7, −100 %%", r.Previous, r.Change, r.ChangePct)
	}
	if r := find(t, rows, "retention_rate", sep, "all"); r.Previous.Valid || r.Change.Valid {
		t.Errorf("first period has a previous value %v", r.Previous)
	}
}

// The source documents' example: an average purchase of $50, 5 purchases
// a year and a lifespan of 3 years give a CLV of $750, at every grain.
func TestBasicCLVSourceExample(t *testing.T) {
	var orders [][]string
	for y := range 3 {
		for k := range 5 {
			at := time.Date(2023+y, time.Month(1+2*k), 10, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
			orders = append(orders, []string{fmt.Sprintf("O%d-%d", y, k), "C1", at, "50", ""})
		}
	}
	in := input{
		tables: []ingest.Table{ingest.Customers, ingest.Orders},
		rows: map[ingest.Table][][]string{
			ingest.Customers: {{"C1", "2023-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "", ""}},
			ingest.Orders:    orders,
		},
	}
	for _, g := range []Grain{Day, Week, Month, Quarter, Year} {
		t.Run(string(g), func(t *testing.T) {
			until := func(e *Engine) { e.Until(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) } // past the churn
			rows := compute(t, in, Options{Grain: g}, 4, until)
			var last Row
			for _, r := range rows {
				if r.Metric == "clv_basic" && r.Dimension == "all" && r.PeriodStart.After(last.PeriodStart) {
					last = r
				}
			}
			if !last.Value.Valid || math.Abs(last.Value.V-750) > 1e-9 || last.N != 1 {
				t.Errorf("clv_basic of the last period (%s) = %v (n=%d), want 750 (n=1)", last.PeriodStart, last.Value, last.N)
			}
		})
	}
}

// Basic CLV does not depend on the grain: at the end of October every
// grain whose period ends then gives the same value, and a coarser period
// that ends later, with no data after October, too.
func TestBasicCLVGrainIndependent(t *testing.T) {
	want := 190.0 / 3
	for _, tc := range []struct {
		grain Grain
		start string
	}{
		{Day, "2026-10-31T00:00:00Z"},
		{Week, "2026-10-26T00:00:00Z"},
		{Month, oct},
		{Quarter, oct},
		{Year, "2026-01-01T00:00:00Z"},
	} {
		t.Run(string(tc.grain), func(t *testing.T) {
			until := func(e *Engine) { e.Until(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) }
			rows := compute(t, customerFixture(), Options{Grain: tc.grain}, 2, until)
			r := find(t, rows, "clv_basic", tc.start, "all")
			if !r.Value.Valid || math.Abs(r.Value.V-want) > 1e-9 {
				t.Errorf("clv_basic = %v, want %.6f", r.Value, want)
			}
		})
	}
}

// Metrics with inputs present but no rows are null, not 0.
func TestEmptyTablesAreNull(t *testing.T) {
	in := input{
		tables: []ingest.Table{ingest.Tickets, ingest.Calls, ingest.Feedback, ingest.SocialMentions, ingest.QAReviews},
		rows: map[ingest.Table][][]string{ingest.Tickets: {
			{"T1", "", "email", "2026-10-05T10:00:00Z", "", "open", "", "", "", "", ""},
		}},
	}
	rows := compute(t, in, Options{}, 5, nil)
	check(t, rows, []want{
		{"abandonment_rate", oct, "all", math.NaN(), 0},
		{"wait_time_median", oct, "all", math.NaN(), 0},
		{"feedback_response_rate", oct, "all", math.NaN(), 0},
		{"social_mentions", oct, "all", math.NaN(), 0},
		{"iqs", oct, "all", math.NaN(), 0},
		{"resolution_time", oct, "all", math.NaN(), 0},
		{"reopen_rate", oct, "all", math.NaN(), 0},
	})
}
