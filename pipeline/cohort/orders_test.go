package cohort

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// TestOrderStore appends runs of awkward lengths across several chunks
// and checks that every order comes back in order, with chunks full
// except the last.
func TestOrderStore(t *testing.T) {
	var s orderStore
	next := int32(0)
	for _, n := range []int{0, 1, chunkLen - 1, 2, chunkLen, 3 * chunkLen / 2, 7} {
		cust := make([]int32, n)
		period := make([]int32, n)
		rev := make([]float64, n)
		for i := range cust {
			cust[i], period[i], rev[i] = next, -next, float64(next)/2
			next++
		}
		s.append(cust, period, rev)
	}
	if s.n != int(next) {
		t.Fatalf("n = %d, want %d", s.n, next)
	}
	want := int32(0)
	for i, ch := range s.chunks {
		if i < len(s.chunks)-1 && len(ch.cust) != chunkLen {
			t.Errorf("chunk %d holds %d, want %d", i, len(ch.cust), chunkLen)
		}
		for j, c := range ch.cust {
			if c != want || ch.period[j] != -want || ch.rev[j] != float64(want)/2 {
				t.Fatalf("order %d = (%d, %d, %v), want (%d, %d, %v)", want, c, ch.period[j], ch.rev[j], want, -want, float64(want)/2)
			}
			want++
		}
	}
	if want != next {
		t.Errorf("read back %d orders, want %d", want, next)
	}
}

// TestOrderStoreSpill spills tiny chunks and checks that each gives every
// order back in order, from the file and from memory, and that close
// removes the file.
func TestOrderStoreSpill(t *testing.T) {
	dir := t.TempDir()
	s := orderStore{dir: dir, size: 7, after: 10}
	next := int32(0)
	for _, n := range []int{0, 1, 6, 2, 7, 30, 3} {
		cust := make([]int32, n)
		period := make([]int32, n)
		rev := make([]float64, n)
		for i := range cust {
			cust[i], period[i], rev[i] = next, -next, float64(next)/3
			next++
		}
		if err := s.append(cust, period, rev); err != nil {
			t.Fatal(err)
		}
	}
	if s.n != int(next) {
		t.Fatalf("n = %d, want %d", s.n, next)
	}
	// 49 orders: the first full chunk at or past 10 orders (14) spills
	// with the one before it, then every chunk filled: 7 in the file.
	if s.spilled != 7 || len(s.chunks) != 0 {
		t.Errorf("%d chunks spilled, %d in memory; want 7 and 0", s.spilled, len(s.chunks))
	}
	for range 2 { // each can be called again
		want := int32(0)
		err := s.each(func(cust, period []int32, rev []float64) error {
			for j, c := range cust {
				if c != want || period[j] != -want || rev[j] != float64(want)/3 {
					t.Fatalf("order %d = (%d, %d, %v), want (%d, %d, %v)", want, c, period[j], rev[j], want, -want, float64(want)/3)
				}
				want++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want != next {
			t.Errorf("read back %d orders, want %d", want, next)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("after close, %s holds %v", dir, left)
	}
	if err := s.each(func([]int32, []int32, []float64) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("each after close: got %v, want ErrClosed", err)
	}
	if err := s.close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// TestSpillGrid checks that a builder that spills its orders computes the
// same grid, bit for bit, as one that keeps them in memory, whatever the
// batches, chunk size and threshold, also when Grid is called between
// batches; and that Close removes the file.
func TestSpillGrid(t *testing.T) {
	mem := checkedAllocator(t)
	cs, rows, times := synthetic(5, 1500, 20000)
	customers := customersRecord(t, mem, cs)
	defer customers.Release()
	orders := ordersRecordTimes(t, mem, rows, times)
	defer orders.Release()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.UTC
	}
	asOf := time.Date(2024, 9, 15, 0, 0, 0, 0, time.UTC)
	stores := []struct{ size, after int }{{7, 10}, {1000, 1}, {4096, 3 * 4096}}
	for _, cfg := range []Config{
		{Basis: FirstOrder, Grain: Month, Location: ny, AsOf: asOf},
		{Basis: FirstOrder, Grain: Week, AsOf: asOf},
		{Basis: FirstOrder, Grain: Week, AsOf: asOf, MaxPeriods: 10},
		{Basis: Signup, Grain: Month, Location: ny, AsOf: asOf},
		{Basis: Signup, Grain: Week, AsOf: asOf, MaxPeriods: 20},
	} {
		want := grid(t, cfg, customers, orders, 1<<30)
		for _, st := range stores {
			for _, batch := range []int{1, 13, 999} {
				if batch == 1 && st.size != 7 {
					continue // slow, and nothing new
				}
				name := fmt.Sprintf("%s/%s/max%d/chunk%d/after%d/batch%d", cfg.Basis, cfg.Grain, cfg.MaxPeriods, st.size, st.after, batch)
				t.Run(name, func(t *testing.T) {
					dir := t.TempDir()
					c := cfg
					c.SpillDir = dir
					b, err := NewBuilder(c)
					if err != nil {
						t.Fatal(err)
					}
					b.orders.size, b.orders.after = st.size, st.after
					addSplit(t, b, ingest.Customers, customers, batch)
					half := orders.NewSlice(0, orders.NumRows()/2)
					rest := orders.NewSlice(orders.NumRows()/2, orders.NumRows())
					defer half.Release()
					defer rest.Release()
					addSplit(t, b, ingest.Orders, half, batch)
					if _, err := b.Grid(context.Background()); err != nil {
						t.Fatal(err)
					}
					addSplit(t, b, ingest.Orders, rest, batch)
					if b.orders.spilled == 0 {
						t.Fatal("nothing spilled")
					}
					got, err := b.Grid(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("spilled grid differs:\n got %+v\nwant %+v", got.Rows(), want.Rows())
					}
					if err := b.Close(); err != nil {
						t.Fatal(err)
					}
					if left, _ := os.ReadDir(dir); len(left) != 0 {
						t.Errorf("after Close, the spill directory holds %v", left)
					}
					if _, err := b.Grid(context.Background()); !errors.Is(err, ErrClosed) {
						t.Errorf("Grid after Close: got %v, want ErrClosed", err)
					}
					if err := b.Add(ingest.Orders, rest); !errors.Is(err, ErrClosed) {
						t.Errorf("Add after Close: got %v, want ErrClosed", err)
					}
				})
			}
		}
	}
}

// TestSpillError checks that a spill directory that cannot be written
// fails the batch that would spill, with the cause, and every later call.
func TestSpillError(t *testing.T) {
	mem := checkedAllocator(t)
	_, rows, times := synthetic(6, 100, 50)
	orders := ordersRecordTimes(t, mem, rows, times)
	defer orders.Release()
	b, err := NewBuilder(Config{SpillDir: filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatal(err)
	}
	b.orders.size, b.orders.after = 4, 4
	err = b.Add(ingest.Orders, orders)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Add: got %v, want fs.ErrNotExist", err)
	}
	if err2 := b.Add(ingest.Orders, orders); !errors.Is(err2, fs.ErrNotExist) {
		t.Errorf("second Add: got %v, want fs.ErrNotExist", err2)
	}
	if _, err2 := b.Grid(context.Background()); !errors.Is(err2, fs.ErrNotExist) {
		t.Errorf("Grid: got %v, want fs.ErrNotExist", err2)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
