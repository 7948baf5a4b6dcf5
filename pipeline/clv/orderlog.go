package clv

import (
	"encoding/binary"
	"math"

	"github.com/cxkpi/cxkpi/pipeline/spill"
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
	files *spill.Files // nil unless spilled
	rec   [orderRecord]byte
}

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
	b := s.rec[:]
	binary.LittleEndian.PutUint32(b[0:], uint32(cust))
	binary.LittleEndian.PutUint32(b[4:], uint32(day))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(rev))
	binary.LittleEndian.PutUint64(b[16:], math.Float64bits(gm))
	return s.files.Write(int(cust/s.perFile), b)
}

// spill moves the orders kept in memory into files.
func (s *orderStore) spill() error {
	kept := s.mem
	s.mem = orderLog{}
	s.files = spill.New(s.dir, "orders", orderRecord)
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
	for lo := int32(0); lo < int32(customers); lo += s.perFile {
		l.reset()
		err := s.files.Read(int(lo/s.perFile), func(b []byte) error {
			l.add(int32(binary.LittleEndian.Uint32(b[0:])), int32(binary.LittleEndian.Uint32(b[4:])),
				math.Float64frombits(binary.LittleEndian.Uint64(b[8:])), math.Float64frombits(binary.LittleEndian.Uint64(b[16:])))
			return nil
		})
		if err != nil {
			return err
		}
		f(lo, min(lo+s.perFile, int32(customers)), &l)
	}
	return nil
}

// close removes the spill files.
func (s *orderStore) close() error {
	if s.files == nil {
		return nil
	}
	return s.files.Close()
}
