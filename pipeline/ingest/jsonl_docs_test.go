package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// page returns an incremental export page of tickets first..first+n-1
// with their metric sets, minified as the API sends it. Every seventh
// ticket has a channel outside the contract and is rejected.
func page(t *testing.T, first, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"tickets":[`)
	for i := range n {
		id := first + i
		channel := "email"
		if id%7 == 0 {
			channel = "fax"
		}
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"requester_id":%d,"via":{"channel":%q},"created_at":"2026-10-%02dT09:00:00Z","status":"solved","assignee_id":77}`,
			id, 9000+id%5, channel, 1+id%28)
	}
	b.WriteString(`],"metric_sets":[`)
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, `{"ticket_id":%d,"solved_at":"2026-10-%02dT11:00:00Z","reopens":%d}`, first+i, 1+(first+i)%28, i%3)
		if i > 0 {
			b.WriteString(",")
		}
	}
	fmt.Fprintf(&b, `],"after_cursor":"c%d","end_of_stream":false}`, first+n)
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

const pagesMapping = `
tables:
  tickets:
    files: [tickets*]
    records: tickets
    columns: {ticket_id: id, customer_id: requester_id, channel: via.channel, agent_id: assignee_id,
              solved_at: metric_set.solved_at, reopens: metric_set.reopens}
    join:
      metric_set: {records: metric_sets, key: ticket_id, on: id}
`

// TestJSONLinesOfDocuments: API pages saved one per line read as the
// same pages saved one per file, whatever the workers and batch sizes,
// and each rejected row is placed by its line and the byte column of its
// element.
func TestJSONLinesOfDocuments(t *testing.T) {
	m, err := LoadMapping(strings.NewReader(pagesMapping), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for first := 1; first < 300; first += 37 {
		pages = append(pages, page(t, first, 37))
	}
	files := map[string]string{}
	for i, p := range pages {
		files[fmt.Sprintf("tickets-%02d.json", i)] = p
	}
	want := readAll(t, mapFS(files), Tickets, Options{Mapping: m.Tables[Tickets], Workers: 1})
	if want.err != nil {
		t.Fatal(want.err)
	}
	if want.counts != (Counts{Read: 333, Accepted: 286, Rejected: 47}) {
		t.Fatalf("one file a page: counts %+v, want 333 read, 286 accepted, 47 rejected", want.counts)
	}
	// Blank lines between pages, a byte order mark and CRLF line ends
	// change nothing but the line numbers.
	lines := "\uFEFF" + strings.Join(pages[:3], "\r\n") + "\r\n\r\n  \n" + strings.Join(pages[3:], "\n") + "\n"
	for _, name := range []string{"tickets.jsonl", "tickets.jsonl.gz"} {
		for _, opt := range []Options{{Workers: 1, BatchSize: 1000}, {Workers: 4, BatchSize: 7}, {Workers: 3, BatchSize: 1}} {
			data := lines
			if strings.HasSuffix(name, ".gz") {
				data = gzipText(t, lines)
			}
			opt.Mapping = m.Tables[Tickets]
			got := readAll(t, mapFS(map[string]string{name: data}), Tickets, opt)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if !slices.EqualFunc(got.rows, want.rows, slices.Equal) || got.counts != want.counts {
				t.Errorf("%s, %d workers, batches of %d: %+v, want the rows and counts of one file a page (%+v)", name, opt.Workers, opt.BatchSize, got.counts, want.counts)
			}
			if len(got.rejs) != len(want.rejs) {
				t.Fatalf("%s: %d rejections, want %d", name, len(got.rejs), len(want.rejs))
			}
			for i, r := range got.rejs {
				w := want.rejs[i]
				// Page k (0-based) is on line k+1, or k+3 after the blank lines.
				k, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(w.File, "tickets-"), ".json"))
				line := k + 1
				if k >= 3 {
					line += 2
				}
				if r.File != name || r.Line != line || r.Column != w.Column || r.Record != w.Record || r.Reason != w.Reason || r.Raw != w.Raw {
					t.Errorf("%s: rejection %d at %s:%d:%d %s: %s, want line %d, column %d, %s: %s", name, i, r.File, r.Line, r.Column, r.Record, r.Reason, line, w.Column, w.Record, w.Reason)
				}
			}
		}
	}
}

// TestJSONLinesOfDocumentsErrors: a line that is not a whole page ends
// the read, naming the file and the line; its rows are never read as
// fewer rows.
func TestJSONLinesOfDocumentsErrors(t *testing.T) {
	good := page(t, 1, 3)
	tests := []struct {
		name, text, mapping string
		want                []string
		is                  error
	}{
		{"a page cut off", good + "\n" + good[:40] + "\n" + good + "\n", pagesMapping,
			[]string{"t.jsonl", "line 2", "2:41", "got the end of the line"}, ErrMalformedDocument},
		{"records member missing", good + "\n\n" + `{"results":[]}` + "\n", pagesMapping,
			[]string{"t.jsonl", "line 3", `no member "tickets"`}, ErrMalformedDocument},
		{"a line over max_document_bytes", good + "\n" + strings.Repeat(" ", 300) + good + "\n",
			pagesMapping + fmt.Sprintf("    max_document_bytes: %d\n", len(good)+100),
			[]string{"t.jsonl", "line 2", fmt.Sprintf("more than %d bytes (max_document_bytes)", len(good)+100)}, ErrDocumentTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadMapping(strings.NewReader(strings.Replace(tc.mapping, "tickets*", "t.jsonl", 1)), "m.yaml")
			if err != nil {
				t.Fatal(err)
			}
			r, err := Open(context.Background(), mapFS(map[string]string{"t.jsonl": tc.text}), Tickets, checkedMem(t),
				Options{Mapping: m.Tables[Tickets], Reject: func(Rejection) error { return nil }, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for err == nil {
				rec, rerr := r.Read()
				if rec != nil {
					rec.Release()
				}
				err = rerr
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
