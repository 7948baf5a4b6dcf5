package kpi

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/cxkpi/cxkpi/pipeline/spill"
)

// factRecord is the size of one spilled ticket fact: created (8 bytes),
// solved (8), flags (1: bit 0 complaint, bit 1 reopened, bit 2 unsolved
// now), little-endian.
const factRecord = 17

// factCols are the facts of tickets that only finishing them reads, in
// columns indexed by ticket (from the first ticket of a range).
type factCols struct {
	created   []arrow.Timestamp
	solved    []arrow.Timestamp // noTime while unsolved
	complaint []bool
	reopened  []bool
	// openNow: the export's status is unsolved (new, open, pending,
	// hold) though solved_at is set: reopened after its last solution.
	openNow []bool
}

func (c *factCols) add(created, solved arrow.Timestamp, complaint, reopened, openNow bool) {
	c.created = append(c.created, created)
	c.solved = append(c.solved, solved)
	c.complaint = append(c.complaint, complaint)
	c.reopened = append(c.reopened, reopened)
	c.openNow = append(c.openNow, openNow)
}

func (c *factCols) reset() {
	c.created, c.solved, c.complaint, c.reopened = c.created[:0], c.solved[:0], c.complaint[:0], c.reopened[:0]
	c.openNow = c.openNow[:0]
}

// factStore keeps the creation and solution instants and the complaint,
// reopened and unsolved-now flags of the tickets until they are finished.
// Without a spill directory they stay in memory, 19 bytes a ticket. With one, and once
// tickets outnumber perFile, they go to files instead, 17 bytes a ticket,
// one file per range of perFile tickets (the ranges of the
// [messageStore]), so that memory holds the facts of one range at a time
// when the tickets are finished.
type factStore struct {
	dir     string // spill directory; "" keeps the facts in memory
	perFile int32  // tickets per spill file

	n     int          // tickets kept
	mem   factCols     // facts of the tickets, unless spilled
	files *spill.Files // nil unless spilled
	buf   factCols     // a range read back from its file
	rec   [factRecord]byte
}

// spilled reports whether the facts are kept in files.
func (s *factStore) spilled() bool { return s.files != nil }

// add keeps the facts of the next ticket, spilling them all to files when
// the tickets come to outnumber perFile and a spill directory is set.
func (s *factStore) add(created, solved arrow.Timestamp, complaint, reopened, openNow bool) error {
	if s.files == nil && s.dir != "" && s.n >= int(s.perFile) {
		if err := s.startSpill(); err != nil {
			return err
		}
	}
	if s.files == nil {
		s.mem.add(created, solved, complaint, reopened, openNow)
		s.n++
		return nil
	}
	b := s.rec[:]
	binary.LittleEndian.PutUint64(b[0:], uint64(created))
	binary.LittleEndian.PutUint64(b[8:], uint64(solved))
	b[16] = 0
	if complaint {
		b[16] |= 1
	}
	if reopened {
		b[16] |= 2
	}
	if openNow {
		b[16] |= 4
	}
	return s.write(b)
}

// write appends one record as the next ticket's.
func (s *factStore) write(rec []byte) error {
	if err := s.files.Write(s.n/int(s.perFile), rec); err != nil {
		return err
	}
	s.n++
	return nil
}

// startSpill moves the facts kept so far into spill files.
func (s *factStore) startSpill() error {
	kept := s.mem
	s.mem, s.n = factCols{}, 0
	s.files = spill.New(s.dir, "ticket-facts", factRecord)
	for i := range kept.created {
		if err := s.add(kept.created[i], kept.solved[i], kept.complaint[i], kept.reopened[i], kept.openNow[i]); err != nil {
			return err
		}
	}
	return nil
}

// drop removes the tickets at the given increasing positions; the tickets
// after them move up. Spilled facts are copied into new files without
// them: repeated tickets are rare.
func (s *factStore) drop(rows []int32) error {
	if len(rows) == 0 {
		return nil
	}
	if s.files == nil {
		s.mem.created, s.mem.solved = dropRows(s.mem.created, rows), dropRows(s.mem.solved, rows)
		s.mem.complaint, s.mem.reopened = dropRows(s.mem.complaint, rows), dropRows(s.mem.reopened, rows)
		s.mem.openNow = dropRows(s.mem.openNow, rows)
		s.n = len(s.mem.created)
		return nil
	}
	old, n := s.files, s.n
	defer old.Close()
	s.files, s.n = spill.New(s.dir, "ticket-facts", factRecord), 0
	row := int32(0)
	for part := range old.Parts() {
		err := old.Read(part, func(rec []byte) error {
			r := row
			row++
			if len(rows) > 0 && rows[0] == r {
				rows = rows[1:]
				return nil
			}
			return s.write(rec)
		})
		if err != nil {
			return err
		}
	}
	if int(row) != n || len(rows) > 0 {
		return fmt.Errorf("kpi: spilled ticket facts: read %d of %d tickets", row, n)
	}
	return old.Close()
}

// load returns the facts of the tickets lo..hi: a whole range of perFile
// tickets (or the last, shorter one) when spilled, any span otherwise.
// What it returns is valid until the next load.
func (s *factStore) load(lo, hi int32) (*factCols, error) {
	if s.files == nil {
		m := &s.mem
		return &factCols{m.created[lo:hi], m.solved[lo:hi], m.complaint[lo:hi], m.reopened[lo:hi], m.openNow[lo:hi]}, nil
	}
	if lo%s.perFile != 0 || hi-lo > s.perFile {
		return nil, fmt.Errorf("kpi: spilled ticket facts: tickets %d..%d are not one range of %d", lo, hi, s.perFile)
	}
	c := &s.buf
	c.reset()
	err := s.files.Read(int(lo/s.perFile), func(b []byte) error {
		c.add(arrow.Timestamp(binary.LittleEndian.Uint64(b[0:])), arrow.Timestamp(binary.LittleEndian.Uint64(b[8:])),
			b[16]&1 != 0, b[16]&2 != 0, b[16]&4 != 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.created) != int(hi-lo) {
		return nil, fmt.Errorf("kpi: spilled ticket facts: %d records for tickets %d..%d", len(c.created), lo, hi)
	}
	return c, nil
}

// close removes the spill files, if any.
func (s *factStore) close() error {
	if s.files == nil {
		return nil
	}
	err := s.files.Close()
	s.files = nil
	return err
}
