package ingest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// wantRej is an expected rejection.
type wantRej struct {
	line   int
	column int
	field  string
	kind   error
	reason string
}

type ruleTest struct {
	name     string
	table    Table
	file     string // file name; default <table>.csv
	data     string
	accepted []string // first cell of every accepted row, in order
	rejected []wantRej
}

var ruleTests = []ruleTest{
	{
		name:  "tickets",
		table: Tickets,
		data: `ticket_id,customer_id,channel,created_at,solved_at,status,priority,agent_id,team,is_complaint,reopens
T1,C1,email,2024-01-02T10:00:00Z,2024-01-02T12:00:00Z,solved,high,A1,Team A,false,0
T2,C2,fax,2024-01-02T10:00:00Z,,open,,,,,
T3,C3,chat,2024-13-01,,open,,,,,
,C4,chat,2024-01-02,,open,,,,,
T5,C5,chat,2024-01-03 10:00,2024-01-02 09:00,solved,,,,,
T6,C6,chat,2024-01-03,,open,,,,maybe,
T7,C7,chat,2024-01-03,,open,,,,,-1
T1,C8,chat,2024-01-03,,open,,,,,
T9,C9,chat,2024-01-03,,open,,,,,1.5
T10, C10 , Chat ,2024-01-03,,OPEN,Urgent,,,Yes,2
"T11","C11
second line",email,2024-01-04,,new,,,,,
T12,C12,email
T13,C13,email,2024-01-04,,new,,,,,bare"quote
T14,C14,web,2024-01-04T08:00:00+02:00,,hold,low,,,n,
T15,C15,phone,,,open,,,,,
T16,C16,phone,2024-01-04,,deleted,,,,,
`,
		accepted: []string{"T1", "T10", "T11", "T14"},
		rejected: []wantRej{
			{3, 3, "channel", ErrInvalidValue, `unexpected value "fax", want one of email, chat, phone, social, web, messaging, other`},
			{4, 4, "created_at", ErrInvalidValue, `invalid time "2024-13-01", want RFC 3339 or "2006-01-02[ 15:04[:05]]"`},
			{5, 1, "ticket_id", ErrMissingValue, `missing required value`},
			{6, 5, "solved_at", ErrRowRule, `solved_at 2024-01-02T09:00:00Z before created_at 2024-01-03T10:00:00Z`},
			{7, 10, "is_complaint", ErrInvalidValue, `invalid boolean "maybe", want true/false, 1/0, yes/no, t/f or y/n`},
			{8, 11, "reopens", ErrRowRule, `reopens -1 is negative`},
			{9, 0, "", ErrDuplicateKey, `duplicate key ticket_id=T1 (first at tickets.csv:2)`},
			{10, 11, "reopens", ErrInvalidValue, `invalid integer "1.5"`},
			{14, 0, "", ErrMalformedRow, `row has 3 fields, header has 11`},
			{15, 11, "", ErrMalformedRow, `malformed CSV: bare " in non-quoted-field (line 15, byte 39)`},
			{17, 4, "created_at", ErrMissingValue, `missing required value`},
			{18, 6, "status", ErrInvalidValue, `unexpected value "deleted", want one of new, open, pending, hold, solved, closed`},
		},
	},
	{
		name:  "messages",
		table: Messages,
		data: `message_id,ticket_id,author,agent_id,created_at
M1,T1,customer,,2024-01-02T10:00:00Z
M2,T1,bot,,2024-01-02T10:00:00Z
M3,,agent,A1,2024-01-02T10:00:00Z
M4,T1,Internal,A1,2024-01-02T10:00:00.123456789Z
`,
		accepted: []string{"M1", "M4"},
		rejected: []wantRej{
			{3, 3, "author", ErrInvalidValue, `unexpected value "bot", want one of customer, agent, internal`},
			{4, 2, "ticket_id", ErrMissingValue, `missing required value`},
		},
	},
	{
		name:  "surveys",
		table: Surveys,
		data: `response_id,customer_id,ticket_id,kind,score,scale_min,scale_max,responded_at
S1,C1,T1,csat,5,1,5,2024-01-02T10:00:00Z
S2,C1,T1,csat,7,1,5,2024-01-02T10:00:00Z
S3,,,nps,9,1,10,2024-01-02T10:00:00Z
S4,,,ces,3,5,5,2024-01-02T10:00:00Z
S5,,,csat,NaN,1,5,2024-01-02T10:00:00Z
S6,,,nps,10,0,10,2024-01-02T10:00:00Z
S7,,,CSAT,4.5,1,5,2024-01-02T10:00:00Z
S8,,,xyz,3,1,5,2024-01-02T10:00:00Z
S9,,,csat,,1,5,2024-01-02T10:00:00Z
S10,,,nps,5,0,5,2024-01-02T10:00:00Z
S11,,,csat,0.5,1,5,2024-01-02T10:00:00Z
S12,,,ces,7,1,7,2024-01-02
`,
		accepted: []string{"S1", "S6", "S7", "S12"},
		rejected: []wantRej{
			{3, 5, "score", ErrRowRule, `score 7 outside scale 1–5`},
			{4, 6, "scale_min", ErrRowRule, `kind nps requires scale 0–10, got 1–10`},
			{5, 6, "scale_min", ErrRowRule, `scale_min 5 not below scale_max 5`},
			{6, 5, "score", ErrInvalidValue, `invalid number "NaN", want a finite decimal number`},
			{9, 4, "kind", ErrInvalidValue, `unexpected value "xyz", want one of csat, nps, ces`},
			{10, 5, "score", ErrMissingValue, `missing required value`},
			{11, 7, "scale_max", ErrRowRule, `kind nps requires scale 0–10, got 0–5`},
			{12, 5, "score", ErrRowRule, `score 0.5 outside scale 1–5`},
		},
	},
	{
		name:  "qa_reviews",
		table: QAReviews,
		data: `review_id,ticket_id,agent_id,team,reviewed_at,criterion,score,max_score
R1,T1,A1,,2024-01-02,tone,4,5
R1,T1,A1,,2024-01-02,accuracy,5,5
R1,T1,A1,,2024-01-02,tone,3,5
R2,T1,A1,,2024-01-02,tone,6,5
R3,T1,A1,,2024-01-02,tone,-1,5
R4,T1,A1,,2024-01-02,tone,0,0
R5,T1,,,2024-01-02,tone,1,2
R6,T1,A1,,2024-01-02,tone,0,2.5
`,
		accepted: []string{"R1", "R1", "R6"},
		rejected: []wantRej{
			{4, 0, "", ErrDuplicateKey, `duplicate key review_id=R1, criterion=tone (first at qa_reviews.csv:2)`},
			{5, 7, "score", ErrRowRule, `score 6 outside 0–5`},
			{6, 7, "score", ErrRowRule, `score -1 outside 0–5`},
			{7, 8, "max_score", ErrRowRule, `max_score 0 is not positive`},
			{8, 3, "agent_id", ErrMissingValue, `missing required value`},
		},
	},
	{
		name:  "calls",
		table: Calls,
		data: `call_id,customer_id,agent_id,team,queued_at,answered_at,ended_at,abandoned
K1,,,,2024-01-02T10:00:00Z,2024-01-02T10:01:00Z,2024-01-02T10:05:00Z,false
K2,,,,2024-01-02T10:00:00Z,2024-01-02T09:59:00Z,,false
K3,,,,2024-01-02T10:00:00Z,,2024-01-02T09:00:00Z,true
K4,,,,2024-01-02T10:00:00Z,2024-01-02T10:01:00Z,,true
K5,,,,2024-01-02T10:00:00Z,,,
K6,,,,2024-01-02T10:00:00Z,,2024-01-02T10:00:30Z,y
`,
		accepted: []string{"K1", "K6"},
		rejected: []wantRej{
			{3, 6, "answered_at", ErrRowRule, `answered_at 2024-01-02T09:59:00Z before queued_at 2024-01-02T10:00:00Z`},
			{4, 7, "ended_at", ErrRowRule, `ended_at 2024-01-02T09:00:00Z before queued_at 2024-01-02T10:00:00Z`},
			{5, 6, "answered_at", ErrRowRule, `abandoned call has answered_at 2024-01-02T10:01:00Z`},
			{6, 8, "abandoned", ErrMissingValue, `missing required value`},
		},
	},
	{
		name:  "feedback",
		table: Feedback,
		data: `feedback_id,customer_id,channel,received_at,responded_at
F1,C1,social,2024-01-02,2024-01-03
F2,C1,pigeon,2024-01-02,
`,
		accepted: []string{"F1"},
		rejected: []wantRej{
			{3, 3, "channel", ErrInvalidValue, `unexpected value "pigeon", want one of email, chat, phone, social, web, messaging, other`},
		},
	},
	{
		name:  "social_mentions",
		table: SocialMentions,
		data: `mention_id,platform,posted_at,sentiment,is_question,is_technical,answerable_by_content,competitor
X1,x,2024-01-02,Positive,1,0,,
X2,x,2024-01-02,angry,,,,
X3,,2024-01-02,neutral,,,,
`,
		accepted: []string{"X1"},
		rejected: []wantRej{
			{3, 4, "sentiment", ErrInvalidValue, `unexpected value "angry", want one of positive, neutral, negative`},
			{4, 2, "platform", ErrMissingValue, `missing required value`},
		},
	},
	{
		name:  "customers",
		table: Customers,
		data: `customer_id,signup_at,churned_at,loyalty_member,education_participant
C1,2023-01-01,2024-01-01,true,false
C2,2023-01-01,2022-12-31,true,false
C3,2023-01-01,,TRUE,F
`,
		accepted: []string{"C1", "C3"},
		rejected: []wantRej{
			{3, 3, "churned_at", ErrRowRule, `churned_at 2022-12-31T00:00:00Z before signup_at 2023-01-01T00:00:00Z`},
		},
	},
	{
		name:  "orders",
		table: Orders,
		data: `order_id,customer_id,ordered_at,revenue,cost
O1,C1,2024-01-02,100.5,40
O2,C1,2024-01-02,Inf,40
O3,C1,2024-01-02,10,abc
O4,C1,2024-01-02,,1
O5,C1,2024-01-02,-20,
O6,C1,2024-01-02,1e400,
`,
		accepted: []string{"O1", "O5"},
		rejected: []wantRej{
			{3, 4, "revenue", ErrInvalidValue, `invalid number "Inf", want a finite decimal number`},
			{4, 5, "cost", ErrInvalidValue, `invalid number "abc", want a finite decimal number`},
			{5, 4, "revenue", ErrMissingValue, `missing required value`},
			{7, 4, "revenue", ErrInvalidValue, `invalid number "1e400", want a finite decimal number`},
		},
	},
	{
		name:  "referrals",
		table: Referrals,
		data: `referral_id,referrer_id,referred_at,referred_customer_id,converted_at
F1,C1,2024-01-02,C9,2024-01-05
F2,C1,2024-01-02,C9,2024-01-01T23:59:59Z
`,
		accepted: []string{"F1"},
		rejected: []wantRej{
			{3, 5, "converted_at", ErrRowRule, `converted_at 2024-01-01T23:59:59Z before referred_at 2024-01-02T00:00:00Z`},
		},
	},
}

// TestRules reads a file per table with known bad rows: each must be
// rejected with its line, column, field and reason, and the good rows
// accepted in order.
func TestRules(t *testing.T) {
	covered := map[Table]bool{}
	for _, tc := range ruleTests {
		covered[tc.table] = true
		t.Run(tc.name, func(t *testing.T) {
			name := tc.file
			if name == "" {
				name = string(tc.table) + ".csv"
			}
			res := readAll(t, mapFS(map[string]string{name: tc.data}), tc.table, Options{})
			if res.err != nil {
				t.Fatalf("read: %v", res.err)
			}
			var ids []string
			for _, row := range res.rows {
				ids = append(ids, row[0])
			}
			if !slices.Equal(ids, tc.accepted) {
				t.Errorf("accepted rows %q, want %q", ids, tc.accepted)
			}
			checkRejections(t, res.rejs, tc.rejected, tc.table, name)
			lines := strings.Count(strings.TrimSuffix(tc.data, "\n"), "\n")
			if res.counts.Read != int64(len(tc.accepted)+len(tc.rejected)) {
				t.Errorf("counts %+v, want read %d (file has %d lines after the header)", res.counts, len(tc.accepted)+len(tc.rejected), lines)
			}
		})
	}
	for _, tb := range Tables() {
		if !covered[tb] {
			t.Errorf("no rule test for table %s", tb)
		}
	}
}

func checkRejections(t *testing.T, got []Rejection, want []wantRej, table Table, file string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		if i >= len(got) {
			t.Errorf("missing rejection %+v", want[i])
			continue
		}
		g := got[i]
		if i >= len(want) {
			t.Errorf("unexpected rejection %s:%d:%d %s: %s", g.File, g.Line, g.Column, g.Field, g.Reason)
			continue
		}
		w := want[i]
		gotPos := fmt.Sprintf("%s %s:%d:%d %q", g.Table, g.File, g.Line, g.Column, g.Field)
		wantPos := fmt.Sprintf("%s %s:%d:%d %q", table, file, w.line, w.column, w.field)
		if gotPos != wantPos {
			t.Errorf("rejection %d at %s, want %s", i, gotPos, wantPos)
		}
		if g.Reason != w.reason {
			t.Errorf("line %d: reason\n  got  %s\n  want %s", w.line, g.Reason, w.reason)
		}
		if !errors.Is(g.Err, w.kind) {
			t.Errorf("line %d: error %v does not wrap %v", w.line, g.Err, w.kind)
		}
		if g.Raw == "" {
			t.Errorf("line %d: empty Raw", w.line)
		}
	}
}
