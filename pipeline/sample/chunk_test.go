package sample

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestChunks checks that the files do not depend on how many goroutines
// draw the customers' histories nor on how many customers a chunk holds,
// bad rows (which take identifiers of their own) included.
func TestChunks(t *testing.T) {
	for _, tc := range chunkTests {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := generate(t, tc.cfg)
			for _, split := range [][2]int{{1, 1}, {3, 7}, {2, 1000}} {
				cfg := tc.cfg
				cfg.workers, cfg.chunkCustomers = split[0], split[1]
				dir, _ := generate(t, cfg)
				for _, name := range files(t, want) {
					x, err := os.ReadFile(filepath.Join(want, name))
					if err != nil {
						t.Fatal(err)
					}
					y, err := os.ReadFile(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(x, y) {
						t.Errorf("%s differs with %d workers and chunks of %d customers", name, split[0], split[1])
					}
				}
			}
		})
	}
}

var chunkTests = []struct {
	name string
	cfg  Config
}{
	{"small", small()},
	{"many bad rows", Config{Seed: 5, Customers: 20, Months: 2, BadRows: 40}},
	{"volume targets, Parquet", Config{Seed: 8, Months: 2, Tickets: 1500, Messages: 5000, Surveys: 1200, Orders: 2000, BadRows: 5, Format: Parquet}},
}

// TestCancelWhileDrawing checks that cancelling a run while its customers
// are being drawn stops it with the context's error, leaves no file behind
// and no goroutine running.
func TestCancelWhileDrawing(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	time.AfterFunc(100*time.Millisecond, cancel) // well before 200,000 customers are drawn
	_, err := Generate(ctx, dir, Config{Seed: 1, Customers: 200_000, chunkCustomers: 500}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if names := files(t, dir); len(names) != 0 {
		t.Errorf("a cancelled run left %v", names)
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines after a cancelled run, %d before", runtime.NumGoroutine(), before)
}
