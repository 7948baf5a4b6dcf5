package cohort

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cxkpi/cxkpi/pipeline/spill"
)

// chunkLen is the capacity of one chunk of the order store.
const chunkLen = 1 << 16

// spillAfter is how many orders the store keeps in memory before it moves
// full chunks to its spill file, when it has a directory for one: 16
// chunks, 16 MiB.
const spillAfter = 16 * chunkLen

// orderBytes is the size of one order in the spill file.
const orderBytes = 4 + 4 + 8

// orderStore keeps the orders added so far as three columns (customer
// code, period number, revenue) in fixed-size chunks, so that growing it
// never copies what is already stored.
//
// With a spill directory, once spillAfter orders have been added every
// full chunk goes to one temporary file there, and only the chunk being
// filled stays in memory. A chunk is written as three little-endian
// blocks, its customer codes, periods and revenues, so the file holds
// full chunks only, back to back. [orderStore.each] reads them back in
// order.
//
// The zero value keeps every order in memory.
type orderStore struct {
	chunks []orderChunk // in memory, after those in the file
	n      int          // orders added, in the file or not

	dir   string // spill directory; "" keeps every order in memory
	after int    // orders kept in memory before spilling; 0 means spillAfter
	size  int    // orders a chunk; 0 means chunkLen

	file    *spill.Files // one partition of encoded chunks; nil until the first spill
	spilled int          // full chunks in the file
	spare   orderChunk   // storage of a spilled chunk, for the next one
	read    orderChunk   // a chunk read back from the file
	buf     []byte       // one chunk encoded
	err     error        // sticky: the store lost orders
}

// orderChunk holds up to one chunk of orders; its three slices have equal
// lengths.
type orderChunk struct {
	cust   []int32
	period []int32
	rev    []float64
}

func (s *orderStore) chunkSize() int {
	if s.size > 0 {
		return s.size
	}
	return chunkLen
}

func (s *orderStore) spillThreshold() int {
	if s.after > 0 {
		return s.after
	}
	return spillAfter
}

// append adds the orders given as parallel columns. An error writing the
// spill file loses orders, so the store keeps returning it.
func (s *orderStore) append(cust, period []int32, rev []float64) error {
	if s.err != nil {
		return s.err
	}
	size := s.chunkSize()
	for len(cust) > 0 {
		if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1].cust) == size {
			s.chunks = append(s.chunks, s.newChunk(size))
		}
		c := &s.chunks[len(s.chunks)-1]
		k := min(size-len(c.cust), len(cust))
		c.cust = append(c.cust, cust[:k]...)
		c.period = append(c.period, period[:k]...)
		c.rev = append(c.rev, rev[:k]...)
		cust, period, rev = cust[k:], period[k:], rev[k:]
		s.n += k
		if len(c.cust) == size && s.dir != "" && s.n >= s.spillThreshold() {
			if err := s.spill(); err != nil {
				s.err = err
				return err
			}
		}
	}
	return nil
}

// newChunk returns an empty chunk of capacity size, reusing the storage
// of the last chunk spilled.
func (s *orderStore) newChunk(size int) orderChunk {
	if c := s.spare; c.cust != nil {
		s.spare = orderChunk{}
		return c
	}
	return orderChunk{
		cust:   make([]int32, 0, size),
		period: make([]int32, 0, size),
		rev:    make([]float64, 0, size),
	}
}

// spill appends the chunks in memory, all full, to the spill file and
// drops them, keeping the storage of one for the next.
func (s *orderStore) spill() error {
	n := s.chunkSize() * orderBytes
	if s.file == nil {
		s.file = spill.New(s.dir, "cohort-orders", n)
	}
	if cap(s.buf) < n {
		s.buf = make([]byte, 0, n)
	}
	for _, c := range s.chunks {
		s.buf = encodeChunk(s.buf[:0], c)
		if err := s.file.Write(0, s.buf); err != nil {
			return fmt.Errorf("cohort: %w", err)
		}
		s.spilled++
	}
	last := s.chunks[len(s.chunks)-1]
	s.spare = orderChunk{cust: last.cust[:0], period: last.period[:0], rev: last.rev[:0]}
	clear(s.chunks) // let the spilled chunks go
	s.chunks = s.chunks[:0]
	return nil
}

// encodeChunk appends the three columns of c to buf.
func encodeChunk(buf []byte, c orderChunk) []byte {
	le := binary.LittleEndian
	for _, v := range c.cust {
		buf = le.AppendUint32(buf, uint32(v))
	}
	for _, v := range c.period {
		buf = le.AppendUint32(buf, uint32(v))
	}
	for _, v := range c.rev {
		buf = le.AppendUint64(buf, math.Float64bits(v))
	}
	return buf
}

// decodeChunk fills c, whose slices have the length of the chunk, from
// buf as written by encodeChunk.
func decodeChunk(c orderChunk, buf []byte) {
	le := binary.LittleEndian
	n := len(c.cust)
	for i := range c.cust {
		c.cust[i] = int32(le.Uint32(buf[4*i:]))
	}
	buf = buf[4*n:]
	for i := range c.period {
		c.period[i] = int32(le.Uint32(buf[4*i:]))
	}
	buf = buf[4*n:]
	for i := range c.rev {
		c.rev[i] = math.Float64frombits(le.Uint64(buf[8*i:]))
	}
}

// each calls f with the orders in the order they were added, one chunk at
// a time, first those in the spill file, then those in memory. The slices
// are valid only during the call: a chunk read from the file is read into
// the same storage as the one before. each stops at the first error of f.
func (s *orderStore) each(f func(cust, period []int32, rev []float64) error) error {
	if s.err != nil {
		return s.err
	}
	if s.spilled > 0 {
		size := s.chunkSize()
		if s.read.cust == nil {
			s.read = orderChunk{
				cust:   make([]int32, size),
				period: make([]int32, size),
				rev:    make([]float64, size),
			}
		}
		err := s.file.Read(0, func(buf []byte) error {
			decodeChunk(s.read, buf)
			return f(s.read.cust, s.read.period, s.read.rev)
		})
		if err != nil {
			return err
		}
	}
	for _, c := range s.chunks {
		if err := f(c.cust, c.period, c.rev); err != nil {
			return err
		}
	}
	return nil
}

// close drops the orders and removes the spill file. Later calls of
// append and each return [ErrClosed].
func (s *orderStore) close() error {
	if s.err == ErrClosed {
		return nil
	}
	file := s.file
	*s = orderStore{err: ErrClosed}
	if file == nil {
		return nil
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("cohort: %w", err)
	}
	return nil
}
