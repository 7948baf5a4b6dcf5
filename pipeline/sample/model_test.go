package sample

import (
	"math"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// world is a generated data set read back, good rows only, keyed by table.
type world struct {
	cfg  Config
	loc  *time.Location
	data map[ingest.Table]export
}

func newWorld(t *testing.T, cfg Config) world {
	t.Helper()
	dir, _ := generate(t, cfg)
	cfg = cfg.withDefaults()
	loc, err := time.LoadLocation(BusinessZone)
	if err != nil {
		t.Fatal(err)
	}
	w := world{cfg: cfg, loc: loc, data: map[ingest.Table]export{}}
	for _, tb := range ingest.Tables() {
		e := readExport(t, dir, tb)
		e.rows = goodRows(e, cfg.End)
		w.data[tb] = e
	}
	return w
}

// each calls f with every good row of table tb and a getter of its columns.
func (w world) each(tb ingest.Table, f func(get func(string) string)) {
	e := w.data[tb]
	for _, row := range e.rows {
		f(func(name string) string { return e.col(row, name) })
	}
}

func ts(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// within fails t unless lo <= got <= hi.
func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if !(got >= lo && got <= hi) {
		t.Errorf("%s = %.4g, want within [%g, %g]", what, got, lo, hi)
	}
}

// TestModel checks the relations between tables and the shape of the
// distributions, in bands wide enough for any seed.
func TestModel(t *testing.T) {
	w := newWorld(t, Config{Seed: 3, Customers: 3000, Months: 6, BadRows: 2})
	start := w.cfg.End.AddDate(0, -w.cfg.Months, 0)

	type cust struct{ signup, churn time.Time }
	customers := map[string]cust{}
	var loyal, educated, before float64
	w.each(ingest.Customers, func(get func(string) string) {
		c := cust{signup: ts(t, get("signup_at"))}
		if s := get("churned_at"); s != "" {
			c.churn = ts(t, s)
			if !c.churn.After(c.signup) {
				t.Errorf("customer %s churned at %s, before signing up at %s", get("customer_id"), c.churn, c.signup)
			}
		}
		customers[get("customer_id")] = c
		if get("loyalty_member") == "true" {
			loyal++
		}
		if get("education_participant") == "true" {
			educated++
		}
		if c.signup.Before(start) {
			before++
		}
	})
	n := float64(len(customers))
	within(t, "loyalty share", loyal/n, 0.25, 0.35)
	within(t, "education share", educated/n, 0.11, 0.19)
	within(t, "share signed up before the window", before/n, 0.2, 0.5)

	type ticket struct {
		created, solved time.Time
		channel         string
	}
	tickets := map[string]ticket{}
	var complaints float64
	solvedByChannel := map[string][]float64{}
	w.each(ingest.Tickets, func(get func(string) string) {
		tk := ticket{created: ts(t, get("created_at")), channel: get("channel")}
		c, ok := customers[get("customer_id")]
		if !ok {
			t.Errorf("ticket %s: unknown customer %s", get("ticket_id"), get("customer_id"))
		} else if tk.created.Before(c.signup) || tk.created.Before(start) || (!c.churn.IsZero() && !tk.created.Before(c.churn)) {
			t.Errorf("ticket %s created %s outside its customer's life %v", get("ticket_id"), tk.created, c)
		}
		solved := get("status") == "solved" || get("status") == "closed"
		if solved != (get("solved_at") != "") {
			t.Errorf("ticket %s: status %s with solved_at %q", get("ticket_id"), get("status"), get("solved_at"))
		}
		if solved {
			tk.solved = ts(t, get("solved_at"))
			if tk.solved.Before(tk.created) {
				t.Errorf("ticket %s solved at %s before created at %s", get("ticket_id"), tk.solved, tk.created)
			}
			solvedByChannel[tk.channel] = append(solvedByChannel[tk.channel], tk.solved.Sub(tk.created).Seconds())
		}
		if get("is_complaint") == "true" {
			complaints++
		}
		tickets[get("ticket_id")] = tk
	})
	within(t, "complaint share", complaints/float64(len(tickets)), 0.05, 0.11)
	within(t, "tickets per customer", float64(len(tickets))/n, 1, 8)
	if a, b := median(solvedByChannel["chat"]), median(solvedByChannel["email"]); !(a < b/10) {
		t.Errorf("median resolution: chat %.0fs, email %.0fs; want chat far faster", a, b)
	}

	first := map[string]time.Time{}
	w.each(ingest.Messages, func(get func(string) string) {
		tk, ok := tickets[get("ticket_id")]
		if !ok {
			t.Errorf("message %s: unknown ticket %s", get("message_id"), get("ticket_id"))
			return
		}
		at := ts(t, get("created_at"))
		if at.Before(tk.created) {
			t.Errorf("message %s at %s, before its ticket was created at %s", get("message_id"), at, tk.created)
		}
		if (get("author") == "customer") != (get("agent_id") == "") {
			t.Errorf("message %s: author %s with agent %q", get("message_id"), get("author"), get("agent_id"))
		}
		if get("author") == "customer" && at.Equal(tk.created) {
			first[get("ticket_id")] = at
		}
	})
	for id := range tickets {
		if _, ok := first[id]; !ok {
			t.Errorf("ticket %s has no customer message at its creation", id)
			break
		}
	}

	var csat, csatFast, csatSlow, nFast, nSlow float64
	solvedTickets := 0.0
	for _, tk := range tickets {
		if !tk.solved.IsZero() {
			solvedTickets++
		}
	}
	w.each(ingest.Surveys, func(get func(string) string) {
		kind, hi := get("kind"), get("scale_max")
		switch kind {
		case "nps":
			if get("ticket_id") != "" || get("scale_min") != "0" || hi != "10" {
				t.Errorf("NPS answer %s: ticket %q scale %s..%s", get("response_id"), get("ticket_id"), get("scale_min"), hi)
			}
			return
		case "csat":
			csat++
			if hi != "5" && hi != "10" {
				t.Errorf("CSAT answer %s on 1..%s", get("response_id"), hi)
			}
		}
		tk, ok := tickets[get("ticket_id")]
		if !ok || tk.solved.IsZero() {
			t.Errorf("%s answer %s about ticket %s, unknown or unsolved", kind, get("response_id"), get("ticket_id"))
			return
		}
		if ts(t, get("responded_at")).Before(tk.solved) {
			t.Errorf("%s answer %s before its ticket was solved", kind, get("response_id"))
		}
		if kind == "csat" && hi == "5" {
			if tk.solved.Sub(tk.created).Seconds() < median(solvedByChannel[tk.channel]) {
				csatFast += num(t, get("score"))
				nFast++
			} else {
				csatSlow += num(t, get("score"))
				nSlow++
			}
		}
	})
	within(t, "CSAT answers per solved ticket", csat/solvedTickets, 0.2, 0.4)
	if csatFast/nFast <= csatSlow/nSlow+0.2 {
		t.Errorf("mean CSAT %.2f for faster resolutions, %.2f for slower; want faster clearly higher", csatFast/nFast, csatSlow/nSlow)
	}

	var calls, abandoned float64
	w.each(ingest.Calls, func(get func(string) string) {
		calls++
		q := ts(t, get("queued_at"))
		if get("abandoned") == "true" {
			abandoned++
			if get("answered_at") != "" || get("agent_id") != "" {
				t.Errorf("abandoned call %s was answered", get("call_id"))
			}
			return
		}
		a := ts(t, get("answered_at"))
		if a.Before(q) || (get("ended_at") != "" && ts(t, get("ended_at")).Before(a)) {
			t.Errorf("call %s out of order", get("call_id"))
		}
	})
	within(t, "abandoned share", abandoned/calls, 0.03, 0.12)

	var feedback, responded float64
	w.each(ingest.Feedback, func(get func(string) string) {
		feedback++
		if r := get("responded_at"); r != "" {
			responded++
			if ts(t, r).Before(ts(t, get("received_at"))) {
				t.Errorf("feedback %s responded before received", get("feedback_id"))
			}
		}
	})
	within(t, "feedback responded share", responded/feedback, 0.55, 0.85)

	var evening, night float64
	w.each(ingest.SocialMentions, func(get func(string) string) {
		if (get("is_question") == "true") != (get("is_technical") != "") {
			t.Errorf("mention %s: question %s, technical %q", get("mention_id"), get("is_question"), get("is_technical"))
		}
		switch h := ts(t, get("posted_at")).In(w.loc).Hour(); {
		case h >= 18 && h < 23:
			evening++
		case h >= 2 && h < 7:
			night++
		}
	})
	if evening < 3*night {
		t.Errorf("mentions: %v in the evening, %v at night; want an evening peak", evening, night)
	}

	var revenue, orders float64
	w.each(ingest.Orders, func(get func(string) string) {
		r := num(t, get("revenue"))
		revenue += r
		orders++
		if c := get("cost"); c != "" && (num(t, c) <= 0 || num(t, c) >= r) {
			t.Errorf("order %s: cost %s for revenue %s", get("order_id"), c, get("revenue"))
		}
	})
	within(t, "mean order value", revenue/orders, 40, 90)

	var converted float64
	w.each(ingest.Referrals, func(get func(string) string) {
		at := ts(t, get("referred_at"))
		if ref, ok := customers[get("referrer_id")]; !ok || at.Before(ref.signup) {
			t.Errorf("referral %s by %s, unknown or not yet a customer at %s", get("referral_id"), get("referrer_id"), at)
		}
		if get("converted_at") == "" {
			return
		}
		converted++
		c, ok := customers[get("referred_customer_id")]
		if conv := ts(t, get("converted_at")); !ok || !conv.Equal(c.signup) || conv.Before(at) {
			t.Errorf("referral %s converted at %s: referred customer %s signed up %v", get("referral_id"), conv, get("referred_customer_id"), c.signup)
		}
	})
	if converted == 0 {
		t.Error("no converted referrals")
	}

	criteria := map[string]int{}
	w.each(ingest.QAReviews, func(get func(string) string) {
		criteria[get("review_id")]++
		if _, ok := tickets[get("ticket_id")]; !ok {
			t.Errorf("review %s of unknown ticket %s", get("review_id"), get("ticket_id"))
		}
	})
	for id, k := range criteria {
		if k != 4 {
			t.Errorf("review %s has %d criteria, want 4", id, k)
		}
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
