package pull

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fdAPI is a Freshdesk account behind a fake server: tickets, their
// conversations and satisfaction ratings, lists served pageSize to a page
// with a Link header when another page follows.
type fdAPI struct {
	t        *testing.T
	f        *fake
	tickets  map[int]map[string]any
	convs    map[int][]map[string]any // by ticket id
	ratings  []map[string]any
	pageSize int
	// afterPage, when set, runs after each tickets page is served: a
	// change made while the pull pages.
	afterPage func(page int)
	remaining int // X-RateLimit-Remaining answered; 0 means 100
}

func newFreshdesk(t *testing.T) (*fdAPI, *fake) {
	fd := &fdAPI{t: t, tickets: map[int]map[string]any{}, convs: map[int][]map[string]any{}, pageSize: 2}
	f := newFake(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(testToken+":X")))
	fd.f = f
	f.handlers[fdTicketsPath] = fd.listTickets
	f.handlers[fdRatingsPath] = fd.listRatings
	for id := 1; id <= 20; id++ {
		id := id
		f.handlers[fmt.Sprintf("%s/%d/conversations", fdTicketsPath, id)] = func(w http.ResponseWriter, r *http.Request) { fd.listConversations(w, r, id) }
	}
	return fd, f
}

func (fd *fdAPI) ticket(id, h int) {
	at := hour(h).Format(time.RFC3339)
	fd.tickets[id] = fixture(fd.t, "freshdesk/ticket.json", map[string]any{"id": id, "updated_at": at, "subject": fmt.Sprintf("Ticket %d at %s", id, at)})
}

func (fd *fdAPI) conversation(id, ticket, h int) {
	at := hour(h).Format(time.RFC3339)
	fd.convs[ticket] = append(fd.convs[ticket], fixture(fd.t, "freshdesk/conversation.json", map[string]any{"id": id, "ticket_id": ticket, "created_at": at, "updated_at": at}))
}

func (fd *fdAPI) rating(id, ticket, h int) {
	at := hour(h).Format(time.RFC3339)
	fd.ratings = append(fd.ratings, fixture(fd.t, "freshdesk/satisfaction_rating.json", map[string]any{"id": id, "ticket_id": ticket, "created_at": at, "updated_at": at}))
}

// page answers one page of list, with the Link to the next.
func (fd *fdAPI) page(w http.ResponseWriter, r *http.Request, list []map[string]any) int {
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		page, _ = strconv.Atoi(p)
	}
	if r.URL.Query().Get("per_page") != "100" {
		fd.t.Errorf("%s: per_page is not 100", r.URL)
	}
	i := min((page-1)*fd.pageSize, len(list))
	j := min(i+fd.pageSize, len(list))
	if j < len(list) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page+1))
		// As Freshdesk writes it: a space after '<', none before "rel".
		w.Header().Set("Link", fmt.Sprintf(`< %s%s?%s>;rel="next"`, fd.f.srv.URL, r.URL.Path, q.Encode()))
	}
	rem := fd.remaining
	if rem == 0 {
		rem = 100
	}
	w.Header().Set("X-RateLimit-Total", "100")
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	fmtJSON(w, append([]map[string]any{}, list[i:j]...))
	return page
}

func (fd *fdAPI) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := time.Parse(time.RFC3339, q.Get("updated_since"))
	filter := q.Get("filter")
	if err != nil || filter == "" && (q.Get("order_by") != "updated_at" || q.Get("order_type") != "asc" || q.Get("include") != "stats") ||
		filter != "" && filter != "deleted" && filter != "spam" {
		http.Error(w, `{"description":"Validation failed"}`, http.StatusBadRequest)
		return
	}
	// The list of all tickets leaves out the deleted and the spam; the
	// predefined filters list those.
	var list []map[string]any
	for _, tk := range fd.tickets {
		in := tk["deleted"] != true && tk["spam"] != true
		if filter != "" {
			in = tk[filter] == true
		}
		if at, _ := time.Parse(time.RFC3339, tk["updated_at"].(string)); in && !at.Before(since) {
			list = append(list, tk)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i]["updated_at"].(string), list[j]["updated_at"].(string)
		if a != b {
			return a < b
		}
		return list[i]["id"].(int) < list[j]["id"].(int)
	})
	page := fd.page(w, r, list)
	if fd.afterPage != nil {
		fd.afterPage(page)
	}
}

func (fd *fdAPI) listConversations(w http.ResponseWriter, r *http.Request, id int) {
	if _, ok := fd.tickets[id]; !ok {
		http.NotFound(w, r)
		return
	}
	fd.page(w, r, fd.convs[id])
}

func (fd *fdAPI) listRatings(w http.ResponseWriter, r *http.Request) {
	since, err := time.Parse(time.RFC3339, r.URL.Query().Get("created_since"))
	if err != nil {
		http.Error(w, `{"description":"Validation failed"}`, http.StatusBadRequest)
		return
	}
	var list []map[string]any
	for _, x := range fd.ratings {
		if at, _ := time.Parse(time.RFC3339, x["created_at"].(string)); !at.Before(since) {
			list = append(list, x)
		}
	}
	fd.page(w, r, list)
}

// fdAccount: five tickets, two conversations each on three of them,
// three ratings.
func fdAccount(t *testing.T) (*fdAPI, *fake) {
	fd, f := newFreshdesk(t)
	for id := 1; id <= 5; id++ {
		fd.ticket(id, id)
	}
	for i, tk := range []int{1, 1, 1, 2, 4} {
		fd.conversation(300+i, tk, tk)
	}
	fd.rating(401, 1, 2)
	fd.rating(402, 2, 3)
	fd.rating(403, 4, 5)
	return fd, f
}

func pathsOf(reqs []string) map[string]int {
	n := map[string]int{}
	for _, r := range reqs {
		u, _ := url.Parse(r)
		p := u.Path
		if strings.HasSuffix(p, "/conversations") {
			p = "conversations"
		}
		n[p]++
	}
	return n
}

func TestFreshdeskPull(t *testing.T) {
	fd, f := fdAccount(t)
	dir := t.TempDir()
	cfg, _, _ := testConfig(t, Freshdesk, f, dir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	if got, want := ids(t, files["tickets.json"], ""), []string{"1", "2", "3", "4", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tickets: got %v, want %v", got, want)
	}
	if got, want := ids(t, files["conversations.json"], ""), []string{"300", "301", "302", "303", "304"}; !reflect.DeepEqual(got, want) {
		t.Errorf("conversations: got %v, want %v", got, want)
	}
	if got, want := ids(t, files["satisfaction_ratings.json"], ""), []string{"401", "402", "403"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ratings: got %v, want %v", got, want)
	}
	if !strings.HasPrefix(files["tickets.json"], "[\n{") || !strings.Contains(files["tickets.json"], `"stats":{"agent_responded_at"`) {
		t.Errorf("tickets.json is not the list shape with stats:\n%.200s", files["tickets.json"])
	}
	first := f.requests()
	if n := pathsOf(first); n["conversations"] != 6 { // ticket 1 has two pages
		t.Errorf("conversation requests %d, want 6: %v", n["conversations"], first)
	}

	// Nothing changed: one request per tickets list, no conversations,
	// one ratings request; the files stay as they were.
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	// (Tickets: the list, the deleted and the spam.)
	if got, want := pathsOf(f.requests()), map[string]int{fdTicketsPath: 3, fdRatingsPath: 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("second pull: requests %v, want %v", got, want)
	}
	after := readDir(t, dir)
	for _, name := range []string{"tickets.json", "conversations.json", "satisfaction_ratings.json"} {
		if after[name] != files[name] {
			t.Errorf("second pull changed %s", name)
		}
	}

	// A reply on ticket 2 updates it: its conversations, and only its,
	// are listed again.
	f.mu.Lock()
	fd.conversation(310, 2, 20)
	fd.ticket(2, 20)
	fd.tickets[3]["deleted"] = true
	fd.tickets[3]["updated_at"] = hour(21).Format(time.RFC3339)
	fd.tickets[4]["spam"] = true
	fd.tickets[4]["updated_at"] = hour(22).Format(time.RFC3339)
	f.mu.Unlock()
	sum, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	var convReqs []string
	for _, r := range reqs {
		if strings.Contains(r, "/conversations") {
			convReqs = append(convReqs, r)
		}
	}
	if len(convReqs) != 1 || !strings.HasPrefix(convReqs[0], fdTicketsPath+"/2/conversations") {
		t.Errorf("conversation requests %v, want ticket 2's only", convReqs)
	}
	files = readDir(t, dir)
	if got, want := ids(t, files["tickets.json"], ""), []string{"1", "2", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tickets after the update: got %v, want %v", got, want)
	}
	// Ticket 4's conversation went with it.
	if got, want := ids(t, files["conversations.json"], ""), []string{"300", "301", "302", "303", "310"}; !reflect.DeepEqual(got, want) {
		t.Errorf("conversations after the update: got %v, want %v", got, want)
	}
	if got := []int{sum.Endpoints[1].Deleted, sum.Endpoints[2].Deleted}; !reflect.DeepEqual(got, []int{1, 1}) {
		t.Errorf("summary %v, want 1 deleted, 1 spam", sum)
	}
}

// TestFreshdeskUpdatedWhilePaging: a ticket updated between two pages
// moves to the end of the list; numbered pages of one query would then
// skip the ticket that slid onto the page already read.
func TestFreshdeskUpdatedWhilePaging(t *testing.T) {
	fd, f := fdAccount(t)
	fd.afterPage = func(page int) {
		if page == 1 && fd.tickets[1]["updated_at"] == hour(1).Format(time.RFC3339) {
			fd.ticket(1, 30)
		}
	}
	dir := t.TempDir()
	cfg, _, _ := testConfig(t, Freshdesk, f, dir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	if got, want := ids(t, files["tickets.json"], ""), []string{"1", "2", "3", "4", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tickets: got %v, want %v", got, want)
	}
	if !strings.Contains(files["tickets.json"], "Ticket 1 at "+hour(30).Format(time.RFC3339)) {
		t.Error("ticket 1 is not its newest version")
	}
}

// TestFreshdeskOneSecond: more tickets updated in one second than a page
// holds are paged through by the Link header.
func TestFreshdeskOneSecond(t *testing.T) {
	fd, f := newFreshdesk(t)
	for id := 1; id <= 7; id++ {
		fd.ticket(id, 1)
	}
	dir := t.TempDir()
	cfg, _, _ := testConfig(t, Freshdesk, f, dir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(t, readDir(t, dir)["tickets.json"], ""), []string{"1", "2", "3", "4", "5", "6", "7"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tickets: got %v, want %v", got, want)
	}
}

func TestFreshdeskResume(t *testing.T) {
	_, clean := fdAccount(t)
	cleanDir := t.TempDir()
	cfg, _, _ := testConfig(t, Freshdesk, clean, cleanDir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	want := readDir(t, cleanDir)
	delete(want, StateFile)
	tests := []struct {
		name  string
		match func(r *http.Request) bool
		from  int // the first request of the endpoint that fails, and all after
	}{
		{"tickets", func(r *http.Request) bool { return r.URL.Path == fdTicketsPath }, 3},
		{"conversations", func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/conversations") }, 3},
		{"ratings", func(r *http.Request) bool { return r.URL.Path == fdRatingsPath }, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, f := fdAccount(t)
			dir := t.TempDir()
			cfg, _, _ := testConfig(t, Freshdesk, f, dir)
			cfg.MaxRetries = 1
			seen := 0
			f.faults = func(n int, r *http.Request) *fault {
				if tc.match(r) {
					if seen++; seen >= tc.from {
						return &fault{status: 502}
					}
				}
				return nil
			}
			if _, err := Run(t.Context(), cfg); err == nil {
				t.Fatal("the broken pull did not fail")
			}
			broken := pathsOf(f.requests())
			f.faults = nil
			if _, err := Run(t.Context(), cfg); err != nil {
				t.Fatal(err)
			}
			resumed := pathsOf(f.requests())
			if tc.name == "conversations" && resumed["conversations"] >= 6 {
				t.Errorf("resumed pull listed %d conversation pages, want fewer than all 6 (broken pull: %v)", resumed["conversations"], broken)
			}
			got := readDir(t, dir)
			delete(got, StateFile)
			for name := range want {
				if got[name] != want[name] {
					t.Errorf("%s differs from an unbroken pull's:\n%s\nwant\n%s", name, got[name], want[name])
				}
			}
		})
	}
}

func TestFreshdeskSlowDown(t *testing.T) {
	fd, f := fdAccount(t)
	fd.remaining = 3
	cfg, s, _ := testConfig(t, Freshdesk, f, t.TempDir())
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if len(s.d) == 0 || s.d[0] != 15*time.Second {
		t.Errorf("waits %v, want 15s (a minute over the 3 requests left plus one) after each response", s.d)
	}
}
