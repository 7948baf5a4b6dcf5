package kpi

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
)

// ticketsPerSpill is how many tickets share one spill file of messages:
// with about four messages a ticket, a file holds about a million messages
// (17 MB), and pairing reads one file at a time.
const ticketsPerSpill = 1 << 18

// messageRecord is the size of one spilled message: ticket (4 bytes), at
// (8), author (1), agent (4), little-endian.
const messageRecord = 17

// messages are message facts in compact columns.
type messages struct {
	ticket []int32
	at     []arrow.Timestamp
	author []int8
	agent  []int32
}

func (m *messages) add(ticket int32, at arrow.Timestamp, author int8, agent int32) {
	m.ticket = append(m.ticket, ticket)
	m.at = append(m.at, at)
	m.author = append(m.author, author)
	m.agent = append(m.agent, agent)
}

func (m *messages) len() int { return len(m.ticket) }

// sort orders the messages by ticket, then time, then input order.
func (m *messages) sort() {
	order := make([]int32, m.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(m.ticket[a], m.ticket[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(m.at[a], m.at[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	permute(m.ticket, order)
	permute(m.at, order)
	permute(m.author, order)
	permute(m.agent, order)
}

// permute rearranges s so that s[i] becomes the old s[order[i]].
func permute[T any](s []T, order []int32) {
	old := slices.Clone(s)
	for i, o := range order {
		s[i] = old[o]
	}
}

// messageStore keeps the messages of known tickets until the end of the
// input. Without a spill directory they stay in memory, 17 bytes each.
// With one, and once tickets outnumber [ticketsPerSpill], they go to
// files instead, one per range of ticketsPerSpill tickets, so that memory
// holds the messages of one range at a time when they are paired.
type messageStore struct {
	dir     string // spill directory; "" keeps messages in memory
	perFile int32  // tickets per spill file

	mem   messages // messages of the tickets, unless spilled
	files []*os.File
	bufs  []*bufio.Writer
	rec   [messageRecord]byte

	spilled int // spill files made, for the log and tests
}

// spilling reports whether messages go to files.
func (s *messageStore) spilling() bool { return s.files != nil }

// add keeps one message of ticket t, of the tickets tickets read.
func (s *messageStore) add(tickets int, t int32, at arrow.Timestamp, author int8, agent int32) error {
	if !s.spilling() && s.dir != "" && tickets > int(s.perFile) {
		if err := s.startSpill(tickets); err != nil {
			return err
		}
	}
	if !s.spilling() {
		s.mem.add(t, at, author, agent)
		return nil
	}
	i := int(t / s.perFile)
	for i >= len(s.files) { // tickets read after the spill started
		if err := s.newFile(); err != nil {
			return err
		}
	}
	b := s.rec[:]
	binary.LittleEndian.PutUint32(b[0:], uint32(t))
	binary.LittleEndian.PutUint64(b[4:], uint64(at))
	b[12] = byte(author)
	binary.LittleEndian.PutUint32(b[13:], uint32(agent))
	if _, err := s.bufs[i].Write(b); err != nil {
		return fmt.Errorf("kpi: spill messages: %w", err)
	}
	return nil
}

// startSpill creates the spill files for tickets tickets and moves the
// messages kept so far into them.
func (s *messageStore) startSpill(tickets int) error {
	for range (tickets + int(s.perFile) - 1) / int(s.perFile) {
		if err := s.newFile(); err != nil {
			return err
		}
	}
	kept := s.mem
	s.mem = messages{}
	for i := range kept.ticket {
		if err := s.add(tickets, kept.ticket[i], kept.at[i], kept.author[i], kept.agent[i]); err != nil {
			return err
		}
	}
	return nil
}

// newFile adds the spill file of the next range of tickets.
func (s *messageStore) newFile() error {
	f, err := os.CreateTemp(s.dir, fmt.Sprintf("messages-%04d-*.bin", len(s.files)))
	if err != nil {
		s.close()
		return fmt.Errorf("kpi: spill messages: %w", err)
	}
	s.files = append(s.files, f)
	s.bufs = append(s.bufs, bufio.NewWriterSize(f, 64<<10))
	s.spilled++
	return nil
}

// ranges calls f with the messages of each range of tickets, in ticket
// order, sorted by ticket, time and input order. Without spill files there
// is one range: all tickets. The messages passed to f are reused for the
// next range.
func (s *messageStore) ranges(tickets int, f func(lo, hi int32, m *messages)) error {
	defer s.close()
	if !s.spilling() {
		s.mem.sort()
		f(0, int32(tickets), &s.mem)
		s.mem = messages{}
		return nil
	}
	var m messages
	for i, file := range s.files {
		if err := s.bufs[i].Flush(); err != nil {
			return fmt.Errorf("kpi: spill messages: %w", err)
		}
		if err := m.load(file); err != nil {
			return fmt.Errorf("kpi: read spilled messages %s: %w", file.Name(), err)
		}
		m.sort()
		lo := int32(i) * s.perFile
		f(lo, min(lo+s.perFile, int32(tickets)), &m)
	}
	return nil
}

// load replaces m with the messages of a spill file.
func (m *messages) load(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	n := int(st.Size() / messageRecord)
	m.ticket, m.at = grow(m.ticket, n)[:0], grow(m.at, n)[:0]
	m.author, m.agent = grow(m.author, n)[:0], grow(m.agent, n)[:0]
	r := bufio.NewReaderSize(f, 1<<20)
	var b [messageRecord]byte
	for range n {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return err
		}
		m.add(int32(binary.LittleEndian.Uint32(b[0:])), arrow.Timestamp(binary.LittleEndian.Uint64(b[4:])),
			int8(b[12]), int32(binary.LittleEndian.Uint32(b[13:])))
	}
	return nil
}

// close removes the spill files.
func (s *messageStore) close() {
	for _, f := range s.files {
		f.Close()
		os.Remove(f.Name())
	}
	s.files, s.bufs = nil, nil
}
