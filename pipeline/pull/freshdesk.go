package pull

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// Freshdesk's endpoints (developers.freshdesk.com/api, API v2).
const (
	fdTicketsPath = "/api/v2/tickets"
	fdRatingsPath = "/api/v2/surveys/satisfaction_ratings"
	fdPerPage     = "100" // the most a page holds
	// fdMaxPages is the deepest page the list endpoints serve for one
	// query; the pull restarts its query from a later updated_since long
	// before, and only a second with more than 30,000 changed tickets
	// would reach it.
	fdMaxPages = 300
)

func fdTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// freshdesk pulls the tickets, drops those deleted or marked as spam,
// pulls the conversations of the tickets that changed, and the
// satisfaction ratings.
func (p *puller) freshdesk(ctx context.Context) error {
	tickets, convs, ratings := newRecords("id"), newRecords("id"), newRecords("id")
	tf, err := p.st.open("tickets.json", section{"", tickets})
	if err != nil {
		return err
	}
	cf, err := p.st.open("conversations.json", section{"", convs})
	if err != nil {
		return err
	}
	rf, err := p.st.open("satisfaction_ratings.json", section{"", ratings})
	if err != nil {
		return err
	}
	if err := p.fdTickets(ctx, tf, tickets); err != nil {
		return err
	}
	for _, filter := range []string{"deleted", "spam"} {
		if err := p.fdRemoved(ctx, filter, tf, cf, tickets, convs); err != nil {
			return err
		}
	}
	if err := p.fdConversations(ctx, cf, convs, tickets); err != nil {
		return err
	}
	return p.fdRatings(ctx, rf, ratings)
}

// fdTickets lists the tickets updated since the mark (or Start), oldest
// update first, with their stats. Rather than paging deep into one query,
// whose pages shift when a ticket is updated during the pull (skipping
// one ticket each time), every page that has a next one starts a new
// query from its newest updated_at less a second: a ticket updated
// meanwhile only moves to a later query. Pages are followed by their
// Link header only while a whole page shares one second. The mark is the
// start of the next query, so an interrupted pull resumes there.
func (p *puller) fdTickets(ctx context.Context, f *file, tickets *records) error {
	e := p.endpoint("tickets")
	since := p.cfg.Start
	if m := p.st.mark("tickets"); !m.Since.IsZero() {
		since, e.Resumed = m.Since, true
	}
	query := func(since time.Time) string {
		q := url.Values{"updated_since": {fdTime(since)}, "order_by": {"updated_at"}, "order_type": {"asc"},
			"include": {"stats"}, "per_page": {fdPerPage}}
		return fdTicketsPath + "?" + q.Encode()
	}
	ref, depth := query(since), 1
	for n := 1; ; n++ {
		resp, err := p.c.get(ctx, ref)
		if err != nil {
			return err
		}
		var recs []json.RawMessage
		if err := decodePage(resp.body, &recs, "freshdesk tickets", n); err != nil {
			return err
		}
		changed := 0
		var newest time.Time
		for i, raw := range recs {
			m, err := readMeta(raw, "id")
			if err != nil {
				return fmt.Errorf("pull: freshdesk tickets page %d: [%d]: %w", n, i, err)
			}
			newest = later(newest, m.updatedAt)
			if m.deleted {
				if tickets.remove(m.id) {
					e.Deleted++
					f.dirty = true
				}
				continue
			}
			ch, err := tickets.put(raw, m)
			if err != nil {
				return fmt.Errorf("pull: freshdesk tickets page %d: [%d]: %w", n, i, err)
			}
			if ch {
				changed++
				f.dirty = true
			}
		}
		p.page(e, len(recs), changed)
		next := nextLink(resp.header.Get("Link"))
		advanced := false
		if k := newest.Add(-time.Second); !newest.IsZero() && k.After(since) {
			since, advanced = k, true
		}
		p.st.setMark("tickets", Mark{Since: since})
		if next == "" || n%p.cfg.CheckpointPages == 0 {
			if err := p.st.checkpoint(); err != nil {
				return err
			}
		}
		switch {
		case next == "":
			return nil
		case advanced:
			ref, depth = query(since), 1
		default: // the whole page is one second: page on
			depth++
			if depth > fdMaxPages {
				return fmt.Errorf("pull: freshdesk tickets: more than %d pages of tickets updated at %s", fdMaxPages, fdTime(since))
			}
			ref = next
		}
	}
}

// fdRemoved lists the tickets the list of all tickets leaves out, those
// in the predefined filter "deleted" or "spam", updated since the mark
// (or Start), and drops them and their conversations. The mark moves
// only at the end.
func (p *puller) fdRemoved(ctx context.Context, filter string, tf, cf *file, tickets, convs *records) error {
	name := "tickets_" + filter
	e := p.endpoint(name)
	since := p.cfg.Start
	if m := p.st.mark(name); !m.Since.IsZero() {
		since, e.Resumed = m.Since, true
	}
	gone := map[string]bool{}
	var newest time.Time
	ref := fdTicketsPath + "?" + url.Values{"filter": {filter}, "updated_since": {fdTime(since)}, "per_page": {fdPerPage}}.Encode()
	for n := 1; ref != ""; n++ {
		resp, err := p.c.get(ctx, ref)
		if err != nil {
			return err
		}
		var recs []json.RawMessage
		if err := decodePage(resp.body, &recs, "freshdesk tickets (filter "+filter+")", n); err != nil {
			return err
		}
		removed := 0
		for i, raw := range recs {
			m, err := readMeta(raw, "id")
			if err != nil {
				return fmt.Errorf("pull: freshdesk tickets (filter %s) page %d: [%d]: %w", filter, n, i, err)
			}
			newest = later(newest, m.updatedAt)
			gone[m.id] = true
			if tickets.remove(m.id) {
				removed++
				tf.dirty = true
			}
		}
		e.Deleted += removed
		p.page(e, len(recs), 0)
		next := nextLink(resp.header.Get("Link"))
		if next == ref {
			return fmt.Errorf("pull: freshdesk tickets (filter %s) page %d: the Link header points at the same page", filter, n)
		}
		ref = next
	}
	if len(gone) > 0 {
		for id, r := range convs.byID {
			if m, err := readMeta(r.raw, "ticket_id"); err == nil && gone[m.id] {
				convs.remove(id)
				cf.dirty = true
			}
		}
	}
	if k := newest.Add(-time.Second); !newest.IsZero() && k.After(since) {
		since = k
	}
	p.st.setMark(name, Mark{Since: since})
	return p.st.checkpoint()
}

// fdConversations lists the conversations of every ticket updated after
// the conversations' mark, in order of update; the mark moves past a
// second once every ticket of that second is done, so an interrupted
// pull does the rest next time.
func (p *puller) fdConversations(ctx context.Context, f *file, convs, tickets *records) error {
	e := p.endpoint("conversations")
	done := p.st.mark("conversations").Since
	e.Resumed = !done.IsZero()
	type pending struct {
		id      string
		updated time.Time
	}
	var todo []pending
	for id, r := range tickets.byID {
		if r.updated.After(done) {
			todo = append(todo, pending{id, r.updated})
		}
	}
	sort.Slice(todo, func(i, j int) bool {
		if !todo[i].updated.Equal(todo[j].updated) {
			return todo[i].updated.Before(todo[j].updated)
		}
		return lessID(todo[i].id, todo[j].id)
	})
	pages := 0
	for i, t := range todo {
		ref := fdTicketsPath + "/" + url.PathEscape(t.id) + "/conversations?per_page=" + fdPerPage
		for depth := 1; ref != ""; depth++ {
			resp, err := p.c.get(ctx, ref)
			var se *StatusError
			if errors.As(err, &se) && se.Status == http.StatusNotFound {
				p.cfg.Logger.Warn("ticket gone before its conversations were listed", "ticket_id", t.id)
				break
			}
			if err != nil {
				return err
			}
			var recs []json.RawMessage
			if err := decodePage(resp.body, &recs, "freshdesk conversations of ticket "+t.id, depth); err != nil {
				return err
			}
			changed, err := convs.merge(f, recs, "id", fmt.Sprintf("pull: freshdesk conversations of ticket %s page %d: ", t.id, depth), nil)
			if err != nil {
				return err
			}
			p.page(e, len(recs), changed)
			pages++
			ref = nextLink(resp.header.Get("Link"))
			if depth >= fdMaxPages && ref != "" {
				return fmt.Errorf("pull: freshdesk conversations of ticket %s: more than %d pages", t.id, fdMaxPages)
			}
		}
		if i == len(todo)-1 || todo[i+1].updated.After(t.updated) {
			p.st.setMark("conversations", Mark{Since: t.updated})
		}
		if pages >= p.cfg.CheckpointPages {
			if err := p.st.checkpoint(); err != nil {
				return err
			}
			pages = 0
		}
	}
	return p.st.checkpoint()
}

// fdRatings lists the satisfaction ratings created since the newest one
// held (less a second) or since Start, following the Link header. The
// mark moves only at the end.
func (p *puller) fdRatings(ctx context.Context, f *file, ratings *records) error {
	e := p.endpoint("satisfaction_ratings")
	since := p.cfg.Start
	if m := p.st.mark("satisfaction_ratings"); !m.Since.IsZero() {
		since, e.Resumed = m.Since, true
	}
	newest := time.Time{}
	ref := fdRatingsPath + "?" + url.Values{"created_since": {fdTime(since)}, "per_page": {fdPerPage}}.Encode()
	for n := 1; ref != ""; n++ {
		resp, err := p.c.get(ctx, ref)
		if err != nil {
			return err
		}
		var recs []json.RawMessage
		if err := decodePage(resp.body, &recs, "freshdesk satisfaction_ratings", n); err != nil {
			return err
		}
		changed, err := ratings.merge(f, recs, "id", fmt.Sprintf("pull: freshdesk satisfaction_ratings page %d: ", n),
			func(m meta) { newest = later(newest, m.createdAt) })
		if err != nil {
			return err
		}
		p.page(e, len(recs), changed)
		next := nextLink(resp.header.Get("Link"))
		if next == ref {
			return fmt.Errorf("pull: freshdesk satisfaction_ratings page %d: the Link header points at the same page", n)
		}
		ref = next
		if ref != "" && n%p.cfg.CheckpointPages == 0 {
			if err := p.st.checkpoint(); err != nil {
				return err
			}
		}
	}
	if k := newest.Add(-time.Second); !newest.IsZero() && k.After(since) {
		since = k
	}
	p.st.setMark("satisfaction_ratings", Mark{Since: since})
	return p.st.checkpoint()
}
