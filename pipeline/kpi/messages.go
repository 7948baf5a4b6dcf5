package kpi

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/spill"
)

// ticketsPerSpill is how many tickets share one spill file of messages
// and one of ticket facts: with about four messages a ticket, a file holds
// about a million messages (17 MB) and the facts take 4.5 MB, and pairing
// reads one range of tickets at a time.
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

func (m *messages) reset() {
	m.ticket, m.at, m.author, m.agent = m.ticket[:0], m.at[:0], m.author[:0], m.agent[:0]
}

// order returns the indexes of the messages by ticket, then time, then
// input order, in buf (grown to fit).
func (m *messages) order(buf []int32) []int32 {
	order := grow(buf, len(m.ticket))
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
	return order
}

// messageStore keeps the messages of known tickets until the end of the
// input. Without a spill directory they stay in memory, 17 bytes each.
// With one, and once tickets outnumber perFile, they go to files instead
// (when the ticket facts do, see [factStore]), one per range of perFile
// tickets, so that memory holds the messages of one range at a time when
// they are paired.
type messageStore struct {
	dir     string // spill directory; "" keeps messages in memory
	perFile int32  // tickets per spill file

	mem     messages     // messages of the tickets, unless spilled
	files   *spill.Files // nil unless spilled
	rec     [messageRecord]byte
	spilled int // spill files made, for the log and tests
}

// add keeps one message of ticket t.
func (s *messageStore) add(t int32, at arrow.Timestamp, author int8, agent int32) error {
	if s.files == nil {
		s.mem.add(t, at, author, agent)
		return nil
	}
	b := s.rec[:]
	binary.LittleEndian.PutUint32(b[0:], uint32(t))
	binary.LittleEndian.PutUint64(b[4:], uint64(at))
	b[12] = byte(author)
	binary.LittleEndian.PutUint32(b[13:], uint32(agent))
	if err := s.files.Write(int(t/s.perFile), b); err != nil {
		return err
	}
	s.spilled = max(s.spilled, s.files.Parts())
	return nil
}

// startSpill moves the messages kept so far into spill files.
func (s *messageStore) startSpill() error {
	kept := s.mem
	s.mem = messages{}
	s.files = spill.New(s.dir, "messages", messageRecord)
	for i := range kept.ticket {
		if err := s.add(kept.ticket[i], kept.at[i], kept.author[i], kept.agent[i]); err != nil {
			return err
		}
	}
	return nil
}

// ranges calls f with the messages of each range of tickets lo..hi, in
// ticket order, and their order by ticket, time and input order, and
// stops at the first error f returns. Without spill files there is one
// range: all tickets. The messages and order passed to f are reused for
// the next range.
func (s *messageStore) ranges(tickets int, f func(lo, hi int32, m *messages, order []int32) error) error {
	if s.files == nil {
		err := f(0, int32(tickets), &s.mem, s.mem.order(nil))
		s.mem = messages{}
		return err
	}
	defer s.files.Close()
	var m messages
	var order []int32
	for lo := int32(0); lo < int32(tickets); lo += s.perFile {
		m.reset()
		err := s.files.Read(int(lo/s.perFile), func(b []byte) error {
			m.add(int32(binary.LittleEndian.Uint32(b[0:])), arrow.Timestamp(binary.LittleEndian.Uint64(b[4:])),
				int8(b[12]), int32(binary.LittleEndian.Uint32(b[13:])))
			return nil
		})
		if err != nil {
			return err
		}
		order = m.order(order)
		if err := f(lo, min(lo+s.perFile, int32(tickets)), &m, order); err != nil {
			return err
		}
	}
	return nil
}
