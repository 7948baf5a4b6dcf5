package pull

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zdAPI is a Zendesk account behind a fake server: a change log of
// ticket versions in the order the incremental export streams them,
// events and ratings, served in pages of pageSize.
type zdAPI struct {
	t        *testing.T
	versions []map[string]any // ticket versions, oldest change first
	events   []map[string]any // by timestamp
	ratings  []map[string]any // by created_at
	pageSize int
	metric   map[string]any // the metric set template
}

func zdAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("agent@example.com/token:"+testToken))
}

func newZendesk(t *testing.T) (*zdAPI, *fake) {
	z := &zdAPI{t: t, pageSize: 2}
	f := newFake(t, zdAuth())
	f.handlers[zdTicketsPath] = z.tickets
	f.handlers[zdEventsPath] = z.ticketEvents
	f.handlers[zdRatingsPath] = z.satisfactionRatings
	return z, f
}

func hour(h int) time.Time { return testStart.Add(time.Duration(h) * time.Hour) }

// update appends a version of ticket id changed at h hours after the start.
func (z *zdAPI) update(id, h int, status string) {
	at := hour(h)
	z.versions = append(z.versions, fixture(z.t, "zendesk/ticket.json", map[string]any{
		"id": id, "status": status, "updated_at": at.Format(time.RFC3339), "generated_timestamp": at.Unix(),
		"url": fmt.Sprintf("https://company.zendesk.com/api/v2/tickets/%d.json", id),
	}))
}

func (z *zdAPI) event(id, ticket, h int) {
	at := hour(h)
	z.events = append(z.events, fixture(z.t, "zendesk/ticket_event.json", map[string]any{
		"id": id, "ticket_id": ticket, "timestamp": at.Unix(), "created_at": at.Format(time.RFC3339),
	}))
}

func (z *zdAPI) rating(id, ticket, h int, score string, updated int) {
	z.ratings = append(z.ratings, fixture(z.t, "zendesk/satisfaction_rating.json", map[string]any{
		"id": id, "ticket_id": ticket, "score": score,
		"created_at": hour(h).Format(time.RFC3339), "updated_at": hour(updated).Format(time.RFC3339),
	}))
}

func cursorAt(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("pos:" + strconv.Itoa(i)))
}

func cursorPos(c string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "pos:") {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimPrefix(string(b), "pos:"))
	return i, err == nil
}

func (z *zdAPI) tickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("include") != "metric_sets" {
		http.Error(w, "want include=metric_sets", http.StatusBadRequest)
		return
	}
	var i int
	switch {
	case q.Has("cursor"):
		var ok bool
		if i, ok = cursorPos(q.Get("cursor")); !ok || i > len(z.versions) {
			http.Error(w, `{"error":"InvalidCursor"}`, http.StatusBadRequest)
			return
		}
	case q.Has("start_time"):
		st, _ := strconv.ParseInt(q.Get("start_time"), 10, 64)
		for i < len(z.versions) && int64(z.versions[i]["generated_timestamp"].(int64)) < st {
			i++
		}
	default:
		http.Error(w, "want cursor or start_time", http.StatusBadRequest)
		return
	}
	j := min(i+z.pageSize, len(z.versions))
	tickets := []map[string]any{}
	metrics := []map[string]any{}
	for _, v := range z.versions[i:j] {
		tickets = append(tickets, v)
		if v["status"] != "deleted" {
			if z.metric == nil {
				z.metric = fixture(z.t, "zendesk/metric_set.json", nil)
			}
			id := v["id"].(int)
			m := make(map[string]any, len(z.metric))
			for k, x := range z.metric {
				m[k] = x
			}
			m["id"], m["ticket_id"], m["updated_at"] = 1000+id, id, v["updated_at"]
			m["url"] = fmt.Sprintf("https://company.zendesk.com/api/v2/ticket_metrics/%d.json", 1000+id)
			metrics = append(metrics, m)
		}
	}
	fmtJSON(w, map[string]any{
		"tickets": tickets, "metric_sets": metrics,
		"after_url":    "https://company.zendesk.com" + zdTicketsPath + "?cursor=" + url.QueryEscape(cursorAt(j)),
		"after_cursor": cursorAt(j), "before_url": nil, "before_cursor": cursorAt(i),
		"end_of_stream": j == len(z.versions),
	})
}

func (z *zdAPI) ticketEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("include") != "comment_events" {
		http.Error(w, "want include=comment_events", http.StatusBadRequest)
		return
	}
	st, err := strconv.ParseInt(q.Get("start_time"), 10, 64)
	if err != nil {
		http.Error(w, `{"error":"InvalidValue","description":"start_time"}`, http.StatusUnprocessableEntity)
		return
	}
	var from []map[string]any
	for _, e := range z.events {
		if e["timestamp"].(int64) >= st {
			from = append(from, e)
		}
	}
	page := from[:min(z.pageSize, len(from))]
	end := st
	if len(page) > 0 {
		end = page[len(page)-1]["timestamp"].(int64)
	}
	fmtJSON(w, map[string]any{
		"ticket_events": append([]map[string]any{}, page...), "count": len(page), "end_time": end,
		"next_page":     fmt.Sprintf("https://company.zendesk.com%s?start_time=%d", zdEventsPath, end),
		"end_of_stream": len(page) == len(from),
	})
}

func (z *zdAPI) satisfactionRatings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, _ := strconv.ParseInt(q.Get("start_time"), 10, 64)
	var from []map[string]any
	for _, x := range z.ratings {
		at, _ := time.Parse(time.RFC3339, x["created_at"].(string))
		if at.Unix() >= st {
			from = append(from, x)
		}
	}
	i := 0
	if c := q.Get("page[after]"); c != "" {
		var ok bool
		if i, ok = cursorPos(c); !ok || i > len(from) {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
	}
	j := min(i+z.pageSize, len(from))
	links := map[string]any{"prev": nil, "next": nil}
	if j < len(from) {
		links["next"] = "https://company.zendesk.com" + zdRatingsPath + "?page%5Bafter%5D=" + cursorAt(j) + "&page%5Bsize%5D=100"
	}
	fmtJSON(w, map[string]any{
		"satisfaction_ratings": append([]map[string]any{}, from[i:j]...),
		"meta":                 map[string]any{"has_more": j < len(from), "after_cursor": cursorAt(j), "before_cursor": cursorAt(i)},
		"links":                links,
	})
}

// zdAccount is a small account: five tickets, five events, three ratings,
// every endpoint three pages long.
func zdAccount(t *testing.T) (*zdAPI, *fake) {
	z, f := newZendesk(t)
	for id := 1; id <= 5; id++ {
		z.update(id, id, "open")
		z.event(100+id, id, id)
	}
	z.rating(201, 1, 1, "good", 1)
	z.rating(202, 2, 2, "bad", 2)
	z.rating(203, 3, 3, "offered", 3)
	return z, f
}

func TestZendeskPull(t *testing.T) {
	_, f := zdAccount(t)
	dir := t.TempDir()
	cfg, _, logs := testConfig(t, Zendesk, f, dir)
	sum, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	want := []string{"1", "2", "3", "4", "5"}
	if got := ids(t, files["tickets.json"], "tickets"); !reflect.DeepEqual(got, want) {
		t.Errorf("tickets: got %v, want %v", got, want)
	}
	if got := ids(t, files["tickets.json"], "metric_sets"); !reflect.DeepEqual(got, want) {
		t.Errorf("metric_sets: got %v, want %v", got, want)
	}
	if got, want := ids(t, files["ticket_events.json"], "ticket_events"), []string{"101", "102", "103", "104", "105"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ticket_events: got %v, want %v", got, want)
	}
	if got, want := ids(t, files["satisfaction_ratings.json"], "satisfaction_ratings"), []string{"201", "202", "203"}; !reflect.DeepEqual(got, want) {
		t.Errorf("satisfaction_ratings: got %v, want %v", got, want)
	}
	// tickets: 3 pages of 2; events: 4 (a page overlaps the last by its
	// boundary event); ratings: 2.
	reqs := f.requests()
	if len(reqs) != 9 || sum.Requests != 9 {
		t.Errorf("got %d requests (summary %d), want 9: %v", len(reqs), sum.Requests, reqs)
	}
	if !strings.Contains(reqs[0], "start_time="+strconv.FormatInt(testStart.Unix(), 10)) {
		t.Errorf("first request %s does not start at the start time", reqs[0])
	}
	if got := strings.Count(logs.String(), "pulled page"); got != 9 {
		t.Errorf("got %d page log lines, want 9", got)
	}
	if got, want := sum.String(), "zendesk: tickets 3 pages, 5 records, 5 changed; ticket_events 4 pages, 8 records, 5 changed; satisfaction_ratings 2 pages, 3 records, 3 changed (9 requests)"; got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
	// A file is the documented page shape and is identical, byte for
	// byte, for the same records.
	if !strings.HasPrefix(files["tickets.json"], "{\"tickets\":[\n{") || !strings.Contains(files["tickets.json"], "],\n\"metric_sets\":[\n{") {
		t.Errorf("tickets.json is not the page shape:\n%.300s", files["tickets.json"])
	}

	// A second pull with no changes: one request per endpoint, files as
	// they were.
	sum, err = Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	reqs = f.requests()
	if len(reqs) != 3 {
		t.Errorf("second pull: got %d requests, want 3 (one per endpoint): %v", len(reqs), reqs)
	}
	if !strings.Contains(reqs[0], "cursor="+url.QueryEscape(cursorAt(5))) {
		t.Errorf("second pull started at %s, want the saved cursor", reqs[0])
	}
	for _, e := range sum.Endpoints {
		if e.Changed != 0 || !e.Resumed {
			t.Errorf("second pull: %s: %+v, want nothing changed, resumed", e.Name, e)
		}
	}
	after := readDir(t, dir)
	for _, name := range []string{"tickets.json", "ticket_events.json", "satisfaction_ratings.json"} {
		if after[name] != files[name] {
			t.Errorf("second pull changed %s", name)
		}
	}
}

func TestZendeskMerge(t *testing.T) {
	z, f := zdAccount(t)
	dir := t.TempDir()
	cfg, _, _ := testConfig(t, Zendesk, f, dir)
	cfg.RatingsLookback = 48 * time.Hour
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	z.update(2, 10, "solved")  // an update
	z.update(3, 11, "deleted") // a deletion
	z.update(6, 12, "new")     // a new ticket
	// The offered rating is answered: same id, newer updated_at.
	z.ratings[2] = fixture(t, "zendesk/satisfaction_rating.json", map[string]any{
		"id": 203, "ticket_id": 3, "score": "good", "created_at": hour(3).Format(time.RFC3339), "updated_at": hour(13).Format(time.RFC3339),
	})
	f.mu.Unlock()
	sum, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	if got, want := ids(t, files["tickets.json"], "tickets"), []string{"1", "2", "4", "5", "6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tickets: got %v, want %v", got, want)
	}
	if got, want := ids(t, files["tickets.json"], "metric_sets"), []string{"1", "2", "4", "5", "6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("metric_sets: got %v, want %v", got, want)
	}
	if !strings.Contains(files["tickets.json"], `"id":2,"organization_id":509974,"priority":"high","problem_id":9873764,"raw_subject":"{{dc.printer_on_fire}}","recipient":"support@company.com","requester_id":20978392,"satisfaction_rating":{"comment":"Great support!","id":1234,"score":"good"},"sharing_agreement_ids":[84432],"status":"solved"`) {
		t.Errorf("ticket 2 is not its newest version")
	}
	if !strings.Contains(files["satisfaction_ratings.json"], `"id":203,"reason":"Agent was very helpful","reason_code":1000,"requester_id":7881,"score":"good"`) {
		t.Errorf("the answered rating is not merged:\n%s", files["satisfaction_ratings.json"])
	}
	if sum.Endpoints[0].Deleted != 1 || sum.Endpoints[0].Changed != 2 {
		t.Errorf("tickets summary %+v, want 2 changed, 1 deleted", sum.Endpoints[0])
	}
}

// TestZendeskResume breaks a pull in the middle of each endpoint — a
// server error past the retries, a connection closed in the middle of a
// body — and checks that the next pull resumes from the saved cursor and
// ends with exactly what an unbroken pull gives.
func TestZendeskResume(t *testing.T) {
	_, clean := zdAccount(t)
	cleanDir := t.TempDir()
	cfg, _, _ := testConfig(t, Zendesk, clean, cleanDir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	want := readDir(t, cleanDir)
	delete(want, StateFile)

	tests := []struct {
		name  string
		path  string
		fault fault
	}{
		{"tickets 503s", zdTicketsPath, fault{status: 503, body: "Service Unavailable"}},
		{"tickets connection closed", zdTicketsPath, fault{hangUp: true}},
		{"events 500s", zdEventsPath, fault{status: 500}},
		{"ratings connection closed", zdRatingsPath, fault{hangUp: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, f := zdAccount(t)
			dir := t.TempDir()
			cfg, _, _ := testConfig(t, Zendesk, f, dir)
			cfg.MaxRetries = 2
			seen := 0
			f.faults = func(n int, r *http.Request) *fault {
				if r.URL.Path != tc.path {
					return nil
				}
				if seen++; seen >= 2 { // the second page and every retry of it
					ft := tc.fault
					return &ft
				}
				return nil
			}
			if _, err := Run(t.Context(), cfg); err == nil {
				t.Fatal("the broken pull did not fail")
			} else if !strings.Contains(err.Error(), "after 2 retries") && !strings.Contains(err.Error(), "503") && !strings.Contains(err.Error(), "500") {
				t.Errorf("error %q does not say what failed", err)
			}
			st := readState(t, dir)
			broken := f.requests()
			f.faults = nil
			if _, err := Run(t.Context(), cfg); err != nil {
				t.Fatal(err)
			}
			resumed := f.requests()
			// The resumed pull of the broken endpoint starts at the mark
			// saved after its first page, not at the start.
			key := map[string]string{zdTicketsPath: "tickets", zdEventsPath: "ticket_events", zdRatingsPath: "satisfaction_ratings"}[tc.path]
			first := firstRequest(resumed, tc.path)
			switch key {
			case "tickets":
				if !strings.Contains(first, "cursor="+url.QueryEscape(st.Endpoints[key].Cursor)) || st.Endpoints[key].Cursor != cursorAt(2) {
					t.Errorf("resumed at %s, want the saved cursor %s", first, cursorAt(2))
				}
			case "ticket_events":
				if !strings.Contains(first, "start_time="+strconv.FormatInt(hour(2).Unix(), 10)) {
					t.Errorf("resumed at %s, want the first page's end_time", first)
				}
			}
			got := readDir(t, dir)
			delete(got, StateFile)
			if !reflect.DeepEqual(keys(got), keys(want)) {
				t.Fatalf("files %v, want %v (broken pull: %v)", keys(got), keys(want), broken)
			}
			for name := range want {
				if got[name] != want[name] {
					t.Errorf("%s differs from an unbroken pull's:\n%s\nwant\n%s", name, got[name], want[name])
				}
			}
		})
	}
}

func firstRequest(reqs []string, path string) string {
	for _, r := range reqs {
		if strings.HasPrefix(r, path) {
			return r
		}
	}
	return ""
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

func readState(t *testing.T, dir string) State {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestZendeskRetries(t *testing.T) {
	tests := []struct {
		name       string
		fault      fault
		times      int
		wantSleeps []time.Duration
	}{
		{"429 with Retry-After", fault{status: 429, retryAfter: "7", body: `{"error":"APIRateLimitExceeded"}`}, 1, []time.Duration{7 * time.Second}},
		{"429 twice", fault{status: 429, retryAfter: "3"}, 2, []time.Duration{3 * time.Second, 3 * time.Second}},
		{"429 with an HTTP date", fault{status: 429, retryAfter: testNow.Add(90 * time.Second).Format(http.TimeFormat)}, 1, []time.Duration{90 * time.Second}},
		{"500 then success", fault{status: 500}, 1, []time.Duration{DefaultBackoff}},
		{"503 three times", fault{status: 503}, 3, []time.Duration{DefaultBackoff, 2 * DefaultBackoff, 4 * DefaultBackoff}},
		{"connection closed", fault{hangUp: true}, 1, []time.Duration{DefaultBackoff}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, f := zdAccount(t)
			dir := t.TempDir()
			cfg, s, _ := testConfig(t, Zendesk, f, dir)
			f.faults = func(n int, r *http.Request) *fault {
				if n <= tc.times {
					ft := tc.fault
					return &ft
				}
				return nil
			}
			if _, err := Run(t.Context(), cfg); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.d, tc.wantSleeps) {
				t.Errorf("waits %v, want %v", s.d, tc.wantSleeps)
			}
			if got := ids(t, readDir(t, dir)["tickets.json"], "tickets"); len(got) != 5 {
				t.Errorf("got tickets %v, want 5", got)
			}
		})
	}
}
