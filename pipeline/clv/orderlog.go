package clv

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// customersPerSpill is how many customers (by code) share one spill file
// of orders: with a few orders each, a file holds about a million orders
// (24 MB), and Summary reads one file at a time.
const customersPerSpill = 1 << 18

// orderRecord is the size of one spilled order: customer, day (4 bytes
// each), revenue and gross margin (8 each), little-endian.
const orderRecord = 24

// orderLog holds orders (customer code, day, revenue, gross margin) in
// input order, 24 bytes each.
type orderLog struct {
	cust, day []int32
	rev, gm   []float64
}

func (l *orderLog) add(cust, day int32, rev, gm float64) {
	l.cust, l.day = append(l.cust, cust), append(l.day, day)
	l.rev, l.gm = append(l.rev, rev), append(l.gm, gm)
}

func (l *orderLog) reset() {
	l.cust, l.day, l.rev, l.gm = l.cust[:0], l.day[:0], l.rev[:0], l.gm[:0]
}

// orderStore keeps the orders in memory, or, given a spill directory and
// once the customers outnumber perFile, in files: one per range of
// perFile customer codes, so that Summary holds the orders of one range
// at a time. Within a file, orders keep their input order.
type orderStore struct {
	dir     string
	perFile int32

	mem   orderLog
	files []*os.File
	bufs  []*bufio.Writer
	rec   [orderRecord]byte
}

func (s *orderStore) len() int { return len(s.mem.cust) }

// add keeps one order of customer cust; customers is the number of
// customers known so far.
func (s *orderStore) add(customers int, cust, day int32, rev, gm float64) error {
	if s.files == nil && s.dir != "" && customers > int(s.perFile) {
		if err := s.spill(); err != nil {
			return err
		}
	}
	if s.files == nil {
		s.mem.add(cust, day, rev, gm)
		return nil
	}
	i := int(cust / s.perFile)
	for i >= len(s.files) {
		f, err := os.CreateTemp(s.dir, fmt.Sprintf("orders-%04d-*.bin", len(s.files)))
		if err != nil {
			return fmt.Errorf("spill orders: %w", err)
		}
		s.files = append(s.files, f)
		s.bufs = append(s.bufs, bufio.NewWriterSize(f, 64<<10))
	}
	b := s.rec[:]
	binary.LittleEndian.PutUint32(b[0:], uint32(cust))
	binary.LittleEndian.PutUint32(b[4:], uint32(day))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(rev))
	binary.LittleEndian.PutUint64(b[16:], math.Float64bits(gm))
	if _, err := s.bufs[i].Write(b); err != nil {
		return fmt.Errorf("spill orders: %w", err)
	}
	return nil
}

// spill moves the orders kept in memory into files.
func (s *orderStore) spill() error {
	kept := s.mem
	s.mem = orderLog{}
	s.files = []*os.File{}
	for i := range kept.cust {
		if err := s.add(0, kept.cust[i], kept.day[i], kept.rev[i], kept.gm[i]); err != nil {
			return err
		}
	}
	return nil
}

// ranges calls f with the orders of each range of customer codes lo..hi,
// in code order; customers is the number of customers. Without files there
// is one range. The log passed to f is reused for the next range.
func (s *orderStore) ranges(customers int, f func(lo, hi int32, l *orderLog)) error {
	if s.files == nil {
		f(0, int32(customers), &s.mem)
		return nil
	}
	var l orderLog
	for i, file := range s.files {
		if err := s.bufs[i].Flush(); err != nil {
			return fmt.Errorf("spill orders: %w", err)
		}
		if err := l.load(file); err != nil {
			return fmt.Errorf("read spilled orders %s: %w", file.Name(), err)
		}
		lo := int32(i) * s.perFile
		f(lo, min(lo+s.perFile, int32(customers)), &l)
	}
	return nil
}

// load replaces l with the orders of a spill file.
func (l *orderLog) load(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	l.reset()
	r := bufio.NewReaderSize(f, 1<<20)
	var b [orderRecord]byte
	for {
		_, err := io.ReadFull(r, b[:])
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		l.add(int32(binary.LittleEndian.Uint32(b[0:])), int32(binary.LittleEndian.Uint32(b[4:])),
			math.Float64frombits(binary.LittleEndian.Uint64(b[8:])), math.Float64frombits(binary.LittleEndian.Uint64(b[16:])))
	}
	// Later writes append at the end of the file.
	_, err := f.Seek(0, io.SeekEnd)
	return err
}

// close removes the spill files.
func (s *orderStore) close() error {
	var first error
	for _, f := range s.files {
		f.Close()
		if err := os.Remove(f.Name()); err != nil && first == nil {
			first = err
		}
	}
	s.files, s.bufs = nil, nil
	return first
}
