package pull

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// StateFile is the name of the pull's state in its directory: per
// endpoint, the cursor or high-water mark the next pull starts from.
const StateFile = ".cxkpi-pull-state.json"

// State is the content of [StateFile].
type State struct {
	Vendor    Vendor           `json:"vendor"`
	BaseURL   string           `json:"base_url"`
	Endpoints map[string]*Mark `json:"endpoints"`
}

// Mark is where an endpoint's next pull starts.
type Mark struct {
	// Cursor is Zendesk's after_cursor of the Incremental Ticket Export.
	Cursor string `json:"cursor,omitempty"`
	// Since is the start time of a time-based export, or the newest
	// updated_at or created_at of the records held.
	Since time.Time `json:"since,omitzero"`
}

// records is one array of a file: objects keyed by the member key ("id",
// or "ticket_id" for Zendesk's metric_sets), one per key, the one with the
// newest updated_at kept.
type records struct {
	key  string
	byID map[string]record
}

type record struct {
	updated time.Time
	raw     []byte // compact JSON
}

func newRecords(key string) *records { return &records{key: key, byID: map[string]record{}} }

// meta is what the merge reads of a record.
type meta struct {
	id        string
	updatedAt time.Time
	createdAt time.Time
	status    string // Zendesk's string status ("deleted"); empty for a number
	deleted   bool   // Freshdesk's "deleted": true
}

// readMeta reads a record's key and times. A record without its key is an
// error: it could not be merged.
func readMeta(raw json.RawMessage, key string) (meta, error) {
	var f struct {
		ID        json.RawMessage `json:"id"`
		TicketID  json.RawMessage `json:"ticket_id"`
		UpdatedAt json.RawMessage `json:"updated_at"`
		CreatedAt json.RawMessage `json:"created_at"`
		Status    json.RawMessage `json:"status"`
		Deleted   json.RawMessage `json:"deleted"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return meta{}, fmt.Errorf("record is not a JSON object: %w", err)
	}
	var m meta
	id := f.ID
	if key == "ticket_id" {
		id = f.TicketID
	}
	if len(id) == 0 || string(id) == "null" {
		return m, fmt.Errorf("record has no %q", key)
	}
	m.id = string(id)
	if s, err := unquote(id); err == nil {
		m.id = s
	}
	if m.id == "" {
		return m, fmt.Errorf("record has an empty %q", key)
	}
	for _, tf := range []struct {
		name string
		v    json.RawMessage
		t    *time.Time
	}{{"updated_at", f.UpdatedAt, &m.updatedAt}, {"created_at", f.CreatedAt, &m.createdAt}} {
		if len(tf.v) == 0 || string(tf.v) == "null" {
			continue
		}
		s, err := unquote(tf.v)
		if err != nil {
			return m, fmt.Errorf("record %s: %s is not a string: %s", m.id, tf.name, tf.v)
		}
		if *tf.t, err = time.Parse(time.RFC3339, s); err != nil {
			return m, fmt.Errorf("record %s: %s %q is not an RFC 3339 time", m.id, tf.name, s)
		}
	}
	m.status, _ = unquote(f.Status)
	m.deleted = string(f.Deleted) == "true"
	return m, nil
}

func unquote(v json.RawMessage) (string, error) {
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// put merges one record: it replaces the one held under its key unless
// that one is newer. changed says whether the held record changed.
func (r *records) put(raw json.RawMessage, m meta) (changed bool, err error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return false, err
	}
	old, ok := r.byID[m.id]
	if ok && (old.updated.After(m.updatedAt) || bytes.Equal(old.raw, buf.Bytes())) {
		return false, nil
	}
	r.byID[m.id] = record{updated: m.updatedAt, raw: buf.Bytes()}
	return true, nil
}

// merge reads the key of each record of a page (member key) and merges
// it into r, marking f dirty when anything changed, and returns how many
// records changed. seen, when set, is given each record's meta (for a
// high-water mark). An error names the record by its index after where:
// "pull: zendesk ticket_events page 2: ticket_events" gives
// "…ticket_events[3]: …".
func (r *records) merge(f *file, raws []json.RawMessage, key, where string, seen func(meta)) (changed int, err error) {
	for i, raw := range raws {
		m, err := readMeta(raw, key)
		if err != nil {
			return changed, fmt.Errorf("%s[%d]: %w", where, i, err)
		}
		ch, err := r.put(raw, m)
		if err != nil {
			return changed, fmt.Errorf("%s[%d]: %w", where, i, err)
		}
		if ch {
			changed++
			f.dirty = true
		}
		if seen != nil {
			seen(m)
		}
	}
	return changed, nil
}

// remove drops the record of id; it says whether there was one.
func (r *records) remove(id string) bool {
	_, ok := r.byID[id]
	delete(r.byID, id)
	return ok
}

// sortedIDs returns the keys in order: numbers by value, then other
// strings.
func (r *records) sortedIDs() []string {
	ids := make([]string, 0, len(r.byID))
	for id := range r.byID {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return lessID(ids[i], ids[j]) })
	return ids
}

func lessID(a, b string) bool {
	na, nb := isDigits(a), isDigits(b)
	if na != nb {
		return na
	}
	if na {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) < len(b)
		}
	}
	return a < b
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// file is one export file: a JSON object of named arrays (Zendesk's page
// shape, {"tickets":[...],"metric_sets":[...]}), or a top-level array
// (Freshdesk's) when its one section has no name.
type file struct {
	name     string
	sections []section
	dirty    bool // changed since last written
}

type section struct {
	name string
	recs *records
}

// store holds the files and the state of one pull directory.
type store struct {
	dir        string
	files      []*file
	state      State
	stateDirty bool
	log        *slog.Logger
}

// openStore reads the state and removes the temporary files a killed pull
// left. A state of another vendor or account is an error: one directory
// holds one account's exports.
func openStore(dir string, vendor Vendor, baseURL string, log *slog.Logger) (*store, error) {
	s := &store{dir: dir, log: log, state: State{Vendor: vendor, BaseURL: baseURL, Endpoints: map[string]*Mark{}}}
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("pull: read state: %w", err)
	default:
		var st State
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("pull: %s: %w", filepath.Join(dir, StateFile), err)
		}
		if st.Vendor != vendor || st.BaseURL != baseURL {
			return nil, fmt.Errorf("pull: %s holds the state of %s %s, not of %s %s; pull each account into its own directory",
				filepath.Join(dir, StateFile), st.Vendor, st.BaseURL, vendor, baseURL)
		}
		if st.Endpoints == nil {
			st.Endpoints = map[string]*Mark{}
		}
		s.state = st
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, p := range leftovers {
		base := filepath.Base(p)
		for _, name := range append(exportNames(), StateFile) {
			if strings.HasPrefix(base, "."+strings.TrimPrefix(name, ".")+".tmp-") {
				if err := os.Remove(p); err == nil {
					log.Warn("removed a temporary file an interrupted pull left", "path", p)
				}
			}
		}
	}
	return s, nil
}

// exportNames are the files a pull writes, for every vendor.
func exportNames() []string {
	return []string{"tickets.json", "ticket_events.json", "satisfaction_ratings.json", "conversations.json"}
}

// mark returns the state of an endpoint, creating it.
func (s *store) mark(endpoint string) *Mark {
	m := s.state.Endpoints[endpoint]
	if m == nil {
		m = &Mark{}
		s.state.Endpoints[endpoint] = m
	}
	return m
}

// setMark records where the endpoint's next pull starts; it is written at
// the next checkpoint.
func (s *store) setMark(endpoint string, m Mark) {
	old := s.mark(endpoint)
	if *old != m {
		*old = m
		s.stateDirty = true
	}
}

// open reads a file into its sections; a missing file is empty, and
// is written at the next checkpoint.
func (s *store) open(name string, sections ...section) (*file, error) {
	f := &file{name: name, sections: sections}
	s.files = append(s.files, f)
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		f.dirty = true // written at the next checkpoint, even empty
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	arrays := map[string][]json.RawMessage{}
	if len(sections) == 1 && sections[0].name == "" {
		var a []json.RawMessage
		err = json.Unmarshal(b, &a)
		arrays[""] = a
	} else {
		err = json.Unmarshal(b, &arrays)
	}
	if err != nil {
		return nil, fmt.Errorf("pull: %s: not the file a pull writes (move it away to start afresh): %w", filepath.Join(s.dir, name), err)
	}
	for _, sec := range sections {
		for i, raw := range arrays[sec.name] {
			m, err := readMeta(raw, sec.recs.key)
			if err == nil {
				_, err = sec.recs.put(raw, m)
			}
			if err != nil {
				return nil, fmt.Errorf("pull: %s: %s[%d]: %w", filepath.Join(s.dir, name), sec.name, i, err)
			}
		}
	}
	return f, nil
}

// checkpoint writes the changed files, each atomically, then the state:
// the state never points past data that is not on disk.
func (s *store) checkpoint() error {
	wrote := false
	for _, f := range s.files {
		if !f.dirty {
			continue
		}
		if err := writeAtomic(s.dir, f.name, f.encode()); err != nil {
			return err
		}
		f.dirty = false
		wrote = true
	}
	if wrote {
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	if !s.stateDirty {
		return nil
	}
	b, err := json.MarshalIndent(s.state, "", "  ")
	if err != nil {
		return fmt.Errorf("pull: encode state: %w", err)
	}
	if err := writeAtomic(s.dir, StateFile, append(b, '\n')); err != nil {
		return err
	}
	s.stateDirty = false
	return syncDir(s.dir)
}

// encode writes the file's records in key order, one per line, so that
// the same records always give the same bytes.
func (f *file) encode() []byte {
	var b bytes.Buffer
	writeArray := func(r *records) {
		b.WriteByte('[')
		for i, id := range r.sortedIDs() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
			b.Write(r.byID[id].raw)
		}
		b.WriteString("\n]")
	}
	if len(f.sections) == 1 && f.sections[0].name == "" {
		writeArray(f.sections[0].recs)
		b.WriteByte('\n')
		return b.Bytes()
	}
	b.WriteByte('{')
	for i, sec := range f.sections {
		if i > 0 {
			b.WriteString(",\n")
		}
		name, _ := json.Marshal(sec.name)
		b.Write(name)
		b.WriteByte(':')
		writeArray(sec.recs)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// writeAtomic writes data to dir/name through a synced temporary file in
// the same directory renamed over it: readers see the old file or the
// new one, whole.
func writeAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+strings.TrimPrefix(name, ".")+".tmp-*")
	if err != nil {
		return fmt.Errorf("pull: write %s: %w", name, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("pull: write %s: %w", name, err)
	}
	return nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("pull: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("pull: sync %s: %w", dir, err)
	}
	return nil
}
