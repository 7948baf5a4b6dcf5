package kpi

import (
	"math"
	"reflect"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// vendorFixture: tickets of October 2026 (UTC; 5 October is a Monday,
// business hours 09:00–17:00 on weekdays) with the vendor's metrics in
// minutes: first reply, first reply in business hours, requester wait
// (and in business hours), on hold (and in business hours), resolution
// (and in business hours).
func vendorFixture() input {
	tk := func(id, ch, created, solved, reopens string, vendor ...string) []string {
		return append([]string{id, "c1", ch, created, solved, "open", "normal", "ana", "tier1", "", reopens}, vendor...)
	}
	msg := func(id, ticket, author, at string) []string { return []string{id, ticket, author, "", at} }
	return input{
		tables: []ingest.Table{ingest.Tickets, ingest.Messages},
		rows: map[ingest.Table][][]string{
			ingest.Tickets: {
				// Agrees with its messages: 30 min, solved in 2 h.
				tk("T1", "email", "2026-10-05T10:00:00Z", "2026-10-05T12:00:00Z", "0", "30", "30", "", "", "", "", "120", "120"),
				// No messages: the vendor's first reply, wait and hold.
				tk("T2", "phone", "2026-10-06T09:00:00Z", "2026-10-06T11:00:00Z", "0", "45", "45", "100", "90", "0", "0", "120", "120"),
				// 18 h, 2 business hours by cxkpi's schedule, 1 by the vendor's.
				tk("T3", "email", "2026-10-07T16:00:00Z", "", "0", "1080", "60"),
				// Only an internal note: no public reply in the messages.
				tk("T4", "email", "2026-10-09T09:00:00Z", "", "0", "10", "10"),
				// Created by an agent's message.
				tk("T5", "email", "2026-10-12T10:00:00Z", "", "0", "120", "120"),
				// No messages; reopened, the vendor's resolution an hour longer.
				tk("T6", "phone", "2026-10-13T10:00:00Z", "2026-10-14T10:00:00Z", "1", "20", "20", "", "", "", "", "1500", "540"),
				// Messages, but no vendor value at all.
				tk("T7", "email", "2026-10-14T10:00:00Z", "2026-10-14T10:30:00Z", "0"),
				// An agent reply dated before the ticket's creation.
				tk("T8", "email", "2026-10-15T10:00:00Z", "", "0", "0", "0"),
			},
			ingest.Messages: {
				msg("m1", "T1", "customer", "2026-10-05T10:00:00Z"),
				msg("m2", "T1", "agent", "2026-10-05T10:30:00Z"),
				msg("m3", "T3", "customer", "2026-10-07T16:00:00Z"),
				msg("m4", "T3", "agent", "2026-10-08T10:00:00Z"),
				msg("m5", "T4", "customer", "2026-10-09T09:00:00Z"),
				msg("m6", "T4", "internal", "2026-10-09T09:10:00Z"),
				msg("m7", "T5", "agent", "2026-10-12T10:00:00Z"),
				msg("m8", "T5", "customer", "2026-10-12T11:00:00Z"),
				msg("m9", "T5", "agent", "2026-10-12T12:00:00Z"),
				msg("m10", "T7", "customer", "2026-10-14T10:00:00Z"),
				msg("m11", "T7", "agent", "2026-10-14T10:05:00Z"),
				msg("m12", "T8", "agent", "2026-10-15T09:50:00Z"),
				msg("m13", "T8", "customer", "2026-10-15T10:00:00Z"),
				msg("m14", "T8", "agent", "2026-10-15T11:00:00Z"),
			},
		},
	}
}

// TestVendorMetrics: cxkpi's first reply time where the ticket has
// messages, the vendor's where it has none, each row saying which; the
// vendor's requester wait and on-hold times; and a reconciliation row,
// with its reason, for every ticket where the two disagree.
func TestVendorMetrics(t *testing.T) {
	for _, batch := range []int{1, 3, 100} {
		opt := Options{}
		if batch == 3 { // the tickets' facts and messages spilled, 3 tickets a file
			opt.SpillDir, opt.ticketsPerSpill = t.TempDir(), 3
		}
		var e *Engine
		rows := compute(t, vendorFixture(), opt, batch, func(en *Engine) { e = en })
		// First replies: T1 1800 s, T3 64800, T5 0, T7 300, T8 3600 (cxkpi);
		// T2 2700, T6 1200 (vendor); T4 none. Sorted 0, 300, 1200, 1800,
		// 2700, 3600, 64800: median 1800, mean 74400 / 7.
		// In business hours T3 is 7200 (16–17 and 9–10): 0, 300, 1200,
		// 1800, 2700, 3600, 7200.
		check(t, rows, []want{
			{"first_reply_time_median", oct, "all", 1800, 7},
			{"first_reply_time", oct, "all", 74400.0 / 7, 7},
			{"first_reply_time_bh_median", oct, "all", 1800, 7},
			{"first_reply_time_median", oct, "phone", (1200 + 2700) / 2, 2},
			{"first_reply_time_median", oct, "email", 1800, 5},
			{"requester_wait_time", oct, "all", 6000, 1},
			{"requester_wait_time_bh", oct, "all", 5400, 1},
			{"on_hold_time", oct, "all", 0, 1},
			// Resolution is cxkpi's: T1 2 h, T2 2 h, T6 24 h, T7 30 min.
			{"resolution_time_median", oct, "all", 7200, 4},
		})
		sources := map[string]string{
			"first_reply_time_median/all": SourceMixed, "first_reply_time_median/phone": SourceVendor,
			"first_reply_time_median/email": SourceCXKPI, "first_reply_time_bh_p90/all": SourceMixed,
			"first_reply_time/all": SourceMixed, "requester_wait_time/all": SourceVendor,
			"on_hold_time_bh_median/all": SourceVendor, "resolution_time_median/all": SourceCXKPI,
			"tickets/all": SourceCXKPI,
		}
		for key, want := range sources {
			metric, value, _ := cut(key)
			if r := find(t, rows, metric, oct, value); r.Source != want {
				t.Errorf("batch %d: %s source %q, want %q", batch, key, r.Source, want)
			}
		}
		for _, r := range rows {
			if !r.Value.Valid && r.Source != "" {
				t.Errorf("batch %d: %s %s null with source %q", batch, r.Metric, r.DimensionValue, r.Source)
			}
		}
		got := e.Reconciliation()
		want := []struct {
			ticket, metric string
			cx, vendor     float64 // NaN: null
			reason         string
		}{
			{"T3", "first_reply_time_bh", 7200, 3600, ReasonBusinessHours},
			{"T4", "first_reply_time", math.NaN(), 600, ReasonNoPublicReply},
			{"T4", "first_reply_time_bh", math.NaN(), 600, ReasonNoPublicReply},
			{"T5", "first_reply_time", 0, 7200, ReasonAgentCreated},
			{"T5", "first_reply_time_bh", 0, 7200, ReasonAgentCreated},
			{"T6", "resolution_time", 86400, 90000, ReasonReopened},
			{"T6", "resolution_time_bh", 28800, 32400, ReasonReopened},
			{"T7", "first_reply_time", 300, math.NaN(), ReasonVendorMissing},
			{"T7", "first_reply_time_bh", 300, math.NaN(), ReasonVendorMissing},
			{"T7", "resolution_time", 1800, math.NaN(), ReasonVendorMissing},
			{"T7", "resolution_time_bh", 1800, math.NaN(), ReasonVendorMissing},
			{"T8", "first_reply_time", 3600, 0, ReasonReplyBeforeCreation},
			{"T8", "first_reply_time_bh", 3600, 0, ReasonReplyBeforeCreation},
		}
		if len(got) != len(want) {
			t.Fatalf("batch %d: %d reconciliation rows %+v, want %d", batch, len(got), got, len(want))
		}
		num := func(x float64) Num {
			if math.IsNaN(x) {
				return Num{}
			}
			return Some(x)
		}
		for i, w := range want {
			g := got[i]
			if g.TicketID != w.ticket || g.Metric != w.metric || g.CXKPI != num(w.cx) || g.Vendor != num(w.vendor) || g.Reason != w.reason {
				t.Errorf("batch %d: row %d = %s %s %v %v %s, want %s %s %v %v %s", batch, i,
					g.TicketID, g.Metric, g.CXKPI, g.Vendor, g.Reason, w.ticket, w.metric, w.cx, w.vendor, w.reason)
			}
			if d := g.Difference(); d.Valid != (g.CXKPI.Valid && g.Vendor.Valid) || d.Valid && d.V != w.cx-w.vendor {
				t.Errorf("batch %d: row %d difference %v, want %v − %v", batch, i, d, w.cx, w.vendor)
			}
		}
	}
}

// Without messages, the first reply time is the vendor's alone; without
// vendor values either it is skipped, as before.
func TestVendorFirstReplyWithoutMessages(t *testing.T) {
	in := vendorFixture()
	in.tables = []ingest.Table{ingest.Tickets}
	var e *Engine
	rows := compute(t, in, Options{}, 2, func(en *Engine) { e = en })
	// T1 1800, T2 2700, T3 64800, T4 600, T5 7200, T6 1200, T8 0.
	check(t, rows, []want{{"first_reply_time_median", oct, "all", 1800, 7}})
	if r := find(t, rows, "first_reply_time_median", oct, "all"); r.Source != SourceVendor {
		t.Errorf("source %q, want vendor", r.Source)
	}
	// Without messages only resolutions can be compared: T6's and T7's.
	var reasons []string
	for _, r := range e.Reconciliation() {
		reasons = append(reasons, r.TicketID+" "+r.Metric+" "+r.Reason)
	}
	if want := []string{"T6 resolution_time reopened", "T6 resolution_time_bh reopened",
		"T7 resolution_time vendor_missing", "T7 resolution_time_bh vendor_missing"}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("reconciliation %q, want %q", reasons, want)
	}

	in.rows = map[ingest.Table][][]string{ingest.Tickets: {in.rows[ingest.Tickets][6]}} // T7 only: no vendor value
	for _, r := range compute(t, in, Options{}, 2, nil) {
		if r.Metric == "first_reply_time" || r.Metric == "requester_wait_time" {
			t.Errorf("%s reported without messages or vendor values", r.Metric)
		}
	}
}

// On an input without vendor values every row is cxkpi's and nothing is
// reconciled: the outputs are those of before.
func TestNoVendorValues(t *testing.T) {
	var e *Engine
	rows := compute(t, ticketFixture(), Options{}, 3, func(en *Engine) { e = en })
	for _, r := range rows {
		if want := map[bool]string{true: SourceCXKPI, false: ""}[r.Value.Valid]; r.Source != want {
			t.Fatalf("%s %s source %q, want %q", r.Metric, r.DimensionValue, r.Source, want)
		}
	}
	if got := e.Reconciliation(); !reflect.DeepEqual(got, []Reconciled(nil)) {
		t.Errorf("reconciliation %+v, want none", got)
	}
}

func cut(key string) (metric, value string, ok bool) {
	for i := range key {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return key, "all", false
}
