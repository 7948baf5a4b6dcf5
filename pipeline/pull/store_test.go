package pull

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pull killed between writing a temporary file and renaming it leaves
// the temporary file; the next pull removes it, and nothing else.
func TestLeftoversRemoved(t *testing.T) {
	_, f := zdAccount(t)
	dir := t.TempDir()
	for _, name := range []string{".tickets.json.tmp-123", ".cxkpi-pull-state.json.tmp-9", ".notes.tmp-1", "mine.json"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	cfg, _, logs := testConfig(t, Zendesk, f, dir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	for name, want := range map[string]bool{".tickets.json.tmp-123": false, ".cxkpi-pull-state.json.tmp-9": false, ".notes.tmp-1": true, "mine.json": true} {
		if _, ok := files[name]; ok != want {
			t.Errorf("%s: present %v, want %v", name, ok, want)
		}
	}
	if n := strings.Count(logs.String(), "removed a temporary file"); n != 2 {
		t.Errorf("%d removals logged, want 2", n)
	}
}

// A file in the directory that is not what a pull writes stops the pull
// before anything is fetched or overwritten.
func TestForeignFileRefused(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"not JSON", "id,subject\n1,Help\n", "not the file a pull writes"},
		{"record without id", `{"tickets":[{"subject":"x"}],"metric_sets":[]}`, `tickets[0]: record has no "id"`},
		{"bad time", `{"tickets":[{"id":1,"updated_at":"yesterday"}]}`, `updated_at "yesterday" is not an RFC 3339 time`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, f := zdAccount(t)
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "tickets.json"), []byte(tc.content), 0o644)
			cfg, _, _ := testConfig(t, Zendesk, f, dir)
			_, err := Run(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "tickets.json") {
				t.Fatalf("got %v, want an error naming tickets.json with %q", err, tc.want)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "tickets.json")); string(b) != tc.content {
				t.Error("the file was changed")
			}
		})
	}
}

func TestMergeRules(t *testing.T) {
	r := newRecords("id")
	put := func(raw string) bool {
		t.Helper()
		m, err := readMeta(json.RawMessage(raw), "id")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := r.put(json.RawMessage(raw), m)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	steps := []struct {
		raw     string
		changed bool
	}{
		{`{"id":7,"updated_at":"2026-11-02T10:00:00Z","status":"open"}`, true},
		{`{"id": 7, "updated_at": "2026-11-02T10:00:00Z", "status": "open"}`, false}, // same record, other spacing
		{`{"id":7,"updated_at":"2026-11-01T10:00:00Z","status":"new"}`, false},       // older: kept out
		{`{"id":7,"updated_at":"2026-11-02T10:00:00Z","status":"pending"}`, true},    // same time, later in the stream
		{`{"id":7,"updated_at":"2026-11-03T10:00:00Z","status":"solved"}`, true},
		{`{"id":"7","updated_at":"2026-11-04T10:00:00Z","status":"closed"}`, true}, // a string id is the same key
	}
	for i, s := range steps {
		if got := put(s.raw); got != s.changed {
			t.Errorf("step %d: changed %v, want %v", i, got, s.changed)
		}
	}
	if len(r.byID) != 1 || !strings.Contains(string(r.byID["7"].raw), "closed") {
		t.Errorf("got %v, want the closed version of 7 only", r.byID)
	}
}

func TestIDOrder(t *testing.T) {
	r := newRecords("id")
	for _, id := range []string{"10", "9", "abc", "100", "0011", "2"} {
		r.byID[id] = record{}
	}
	if got, want := strings.Join(r.sortedIDs(), " "), "2 9 10 0011 100 abc"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzReadMeta: a record from the API or from a file on disk gives an id
// or an error, never a panic, and a record it accepts is merged.
func FuzzReadMeta(f *testing.F) {
	for _, s := range []string{`{"id":1,"updated_at":"2026-11-02T10:00:00Z"}`, `{"ticket_id":"x"}`, `{"id":null}`, `[]`, `{"id":1,"deleted":true,"status":"deleted"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, key := range []string{"id", "ticket_id"} {
			m, err := readMeta(json.RawMessage(raw), key)
			if err != nil {
				continue
			}
			if m.id == "" {
				t.Errorf("readMeta(%q) accepted an empty id", raw)
			}
			r := newRecords(key)
			if _, err := r.put(json.RawMessage(raw), m); err != nil {
				t.Errorf("readMeta accepted %q, put refused it: %v", raw, err)
			}
		}
	})
}
