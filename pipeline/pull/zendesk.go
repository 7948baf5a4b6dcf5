package pull

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Zendesk's endpoints (developer.zendesk.com, Incremental Exports and
// Satisfaction Ratings).
const (
	zdTicketsPath = "/api/v2/incremental/tickets/cursor.json"
	zdEventsPath  = "/api/v2/incremental/ticket_events.json"
	zdRatingsPath = "/api/v2/satisfaction_ratings.json"
)

// zendesk pulls the three Zendesk exports, one after the other.
func (p *puller) zendesk(ctx context.Context) error {
	tickets, metrics := newRecords("id"), newRecords("ticket_id")
	tf, err := p.st.open("tickets.json", section{"tickets", tickets}, section{"metric_sets", metrics})
	if err != nil {
		return err
	}
	if err := p.zdTickets(ctx, tf, tickets, metrics); err != nil {
		return err
	}
	events := newRecords("id")
	ef, err := p.st.open("ticket_events.json", section{"ticket_events", events})
	if err != nil {
		return err
	}
	if err := p.zdEvents(ctx, ef, events); err != nil {
		return err
	}
	ratings := newRecords("id")
	rf, err := p.st.open("satisfaction_ratings.json", section{"satisfaction_ratings", ratings})
	if err != nil {
		return err
	}
	return p.zdRatings(ctx, rf, ratings)
}

func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// decodePage decodes a page, naming the endpoint and page in the error.
func decodePage(body []byte, v any, endpoint string, page int) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("pull: %s page %d: not the documented response: %w", endpoint, page, err)
	}
	return nil
}

// zdTickets follows the cursor-based Incremental Ticket Export with the
// metric_sets side-load from the saved after_cursor (or from Start) to
// end_of_stream. A ticket whose status is "deleted" is dropped with its
// metric set.
func (p *puller) zdTickets(ctx context.Context, f *file, tickets, metrics *records) error {
	e := p.endpoint("tickets")
	mark := *p.st.mark("tickets")
	q := url.Values{"include": {"metric_sets"}}
	if mark.Cursor != "" {
		q.Set("cursor", mark.Cursor)
		e.Resumed = true
	} else {
		q.Set("start_time", unixString(p.cfg.Start))
	}
	for n := 1; ; n++ {
		resp, err := p.c.get(ctx, zdTicketsPath+"?"+q.Encode())
		if err != nil {
			return err
		}
		var pg struct {
			Tickets     []json.RawMessage `json:"tickets"`
			MetricSets  []json.RawMessage `json:"metric_sets"`
			AfterCursor *string           `json:"after_cursor"`
			EndOfStream bool              `json:"end_of_stream"`
		}
		if err := decodePage(resp.body, &pg, "zendesk tickets", n); err != nil {
			return err
		}
		changed := 0
		for i, raw := range pg.Tickets {
			m, err := readMeta(raw, "id")
			if err != nil {
				return fmt.Errorf("pull: zendesk tickets page %d: tickets[%d]: %w", n, i, err)
			}
			if m.status == "deleted" {
				if tickets.remove(m.id) {
					e.Deleted++
					f.dirty = true
				}
				if metrics.remove(m.id) {
					f.dirty = true
				}
				continue
			}
			ch, err := tickets.put(raw, m)
			if err != nil {
				return fmt.Errorf("pull: zendesk tickets page %d: tickets[%d]: %w", n, i, err)
			}
			if ch {
				changed++
				f.dirty = true
			}
		}
		for i, raw := range pg.MetricSets {
			m, err := readMeta(raw, "ticket_id")
			if err != nil {
				return fmt.Errorf("pull: zendesk tickets page %d: metric_sets[%d]: %w", n, i, err)
			}
			if _, ok := tickets.byID[m.id]; !ok {
				continue // its ticket was deleted
			}
			ch, err := metrics.put(raw, m)
			if err != nil {
				return fmt.Errorf("pull: zendesk tickets page %d: metric_sets[%d]: %w", n, i, err)
			}
			if ch {
				f.dirty = true
			}
		}
		p.page(e, len(pg.Tickets), changed)
		switch {
		case pg.AfterCursor != nil && *pg.AfterCursor != "":
			if !pg.EndOfStream && *pg.AfterCursor == q.Get("cursor") {
				return fmt.Errorf("pull: zendesk tickets page %d: after_cursor did not move and end_of_stream is false", n)
			}
			mark.Cursor = *pg.AfterCursor
		case !pg.EndOfStream:
			return fmt.Errorf("pull: zendesk tickets page %d: no after_cursor and end_of_stream is false", n)
		}
		p.st.setMark("tickets", mark)
		if pg.EndOfStream || n%p.cfg.CheckpointPages == 0 {
			if err := p.st.checkpoint(); err != nil {
				return err
			}
		}
		if pg.EndOfStream {
			return nil
		}
		q = url.Values{"include": {"metric_sets"}, "cursor": {mark.Cursor}}
	}
}

// zdEvents follows the time-based Incremental Ticket Event Export with
// the comment_events side-load: each page's end_time is the next page's
// start_time, until end_of_stream. Pages overlap at their boundary
// second; events are merged by id.
func (p *puller) zdEvents(ctx context.Context, f *file, events *records) error {
	e := p.endpoint("ticket_events")
	start := p.cfg.Start
	if m := p.st.mark("ticket_events"); !m.Since.IsZero() {
		start, e.Resumed = m.Since, true
	}
	for n := 1; ; n++ {
		q := url.Values{"include": {"comment_events"}, "start_time": {unixString(start)}}
		resp, err := p.c.get(ctx, zdEventsPath+"?"+q.Encode())
		if err != nil {
			return err
		}
		var pg struct {
			TicketEvents []json.RawMessage `json:"ticket_events"`
			EndTime      *int64            `json:"end_time"`
			EndOfStream  bool              `json:"end_of_stream"`
		}
		if err := decodePage(resp.body, &pg, "zendesk ticket_events", n); err != nil {
			return err
		}
		changed, err := events.merge(f, pg.TicketEvents, "id", fmt.Sprintf("pull: zendesk ticket_events page %d: ticket_events", n), nil)
		if err != nil {
			return err
		}
		p.page(e, len(pg.TicketEvents), changed)
		next := start
		if pg.EndTime != nil && *pg.EndTime > 0 {
			next = time.Unix(*pg.EndTime, 0).UTC()
		}
		if !pg.EndOfStream && !next.After(start) {
			return fmt.Errorf("pull: zendesk ticket_events page %d: end_time %d does not pass start_time %d and end_of_stream is false", n, next.Unix(), start.Unix())
		}
		p.st.setMark("ticket_events", Mark{Since: next})
		if pg.EndOfStream || n%p.cfg.CheckpointPages == 0 {
			if err := p.st.checkpoint(); err != nil {
				return err
			}
		}
		if pg.EndOfStream {
			return nil
		}
		start = next
	}
}

// zdRatings lists the satisfaction ratings from the newest one held less
// RatingsLookback and a second (or from Start) with cursor pagination (page[size],
// meta.has_more, meta.after_cursor). The mark moves only at the end: a
// pull interrupted midway lists the same ratings again, merged by id.
func (p *puller) zdRatings(ctx context.Context, f *file, ratings *records) error {
	e := p.endpoint("satisfaction_ratings")
	mark := *p.st.mark("satisfaction_ratings")
	since := p.cfg.Start
	if !mark.Since.IsZero() {
		// A second more, whichever way start_time treats its bound.
		since, e.Resumed = mark.Since.Add(-p.cfg.RatingsLookback-time.Second), true
	}
	newest := mark.Since
	q := url.Values{"start_time": {unixString(since)}, "page[size]": {"100"}}
	for n := 1; ; n++ {
		resp, err := p.c.get(ctx, zdRatingsPath+"?"+q.Encode())
		if err != nil {
			return err
		}
		var pg struct {
			SatisfactionRatings []json.RawMessage `json:"satisfaction_ratings"`
			Meta                struct {
				HasMore     bool   `json:"has_more"`
				AfterCursor string `json:"after_cursor"`
			} `json:"meta"`
		}
		if err := decodePage(resp.body, &pg, "zendesk satisfaction_ratings", n); err != nil {
			return err
		}
		changed, err := ratings.merge(f, pg.SatisfactionRatings, "id", fmt.Sprintf("pull: zendesk satisfaction_ratings page %d: satisfaction_ratings", n),
			func(m meta) { newest = later(newest, m.createdAt) })
		if err != nil {
			return err
		}
		p.page(e, len(pg.SatisfactionRatings), changed)
		if !pg.Meta.HasMore {
			p.st.setMark("satisfaction_ratings", Mark{Since: newest})
			return p.st.checkpoint()
		}
		if pg.Meta.AfterCursor == "" || pg.Meta.AfterCursor == q.Get("page[after]") {
			return fmt.Errorf("pull: zendesk satisfaction_ratings page %d: has_more is true but meta.after_cursor is missing or did not move", n)
		}
		if n%p.cfg.CheckpointPages == 0 {
			if err := p.st.checkpoint(); err != nil {
				return err
			}
		}
		q.Set("page[after]", pg.Meta.AfterCursor)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
