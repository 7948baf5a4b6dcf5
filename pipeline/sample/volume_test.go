package sample

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// TestVolumes checks that volume targets are met within 5% at a small
// scale, and that the customers follow the first target when not given.
func TestVolumes(t *testing.T) {
	for _, tc := range volumeTests {
		t.Run(tc.name, func(t *testing.T) {
			_, rows := generate(t, tc.cfg)
			names, want := volumeNames(), tc.cfg.volumes()
			for i, w := range want {
				if w == 0 {
					continue
				}
				if got := rows[names[i]]; math.Abs(float64(got)/float64(w)-1) > 0.05 {
					t.Errorf("%s: got %d rows, want %d ±5%%", names[i], got, w)
				}
			}
			if got := rows["customers"]; got != int64(tc.customers) {
				t.Errorf("got %d customers, want %d", got, tc.customers)
			}
		})
	}
}

var volumeTests = []struct {
	name      string
	cfg       Config
	customers int
}{
	// As `cxkpi gen -rows 70000`: 10,000 tickets over six months at
	// about 5 a customer a year need 4,000 customers.
	{"rows 70000", Config{Seed: 1, Tickets: 10_000, Messages: 30_000, Surveys: 10_000, Orders: 20_000}, 4000},
	{"tickets only", Config{Seed: 2, Months: 12, Tickets: 6000}, 1200},
	{"orders only", Config{Seed: 3, Orders: 5000}, 4000},
	{"customers given", Config{Seed: 4, Customers: 1500, Months: 3, Tickets: 4000, Surveys: 5000}, 1500},
	{"chatty tickets", Config{Seed: 5, Tickets: 3000, Messages: 30_000}, 1200},
	{"few orders, many surveys", Config{Seed: 6, Customers: 2000, Orders: 2000, Surveys: 6000}, 2000},
}

// TestVolumesDeterminism checks that a config with volume targets gives
// byte-identical files, in both formats.
func TestVolumesDeterminism(t *testing.T) {
	for _, format := range []string{CSV, Parquet} {
		t.Run(format, func(t *testing.T) {
			cfg := Config{Seed: 9, Months: 3, Tickets: 2000, Messages: 7000, Surveys: 2000, Orders: 4000, BadRows: 2, Format: format}
			a, _ := generate(t, cfg)
			b, _ := generate(t, cfg)
			for _, name := range files(t, a) {
				x, err := os.ReadFile(filepath.Join(a, name))
				if err != nil {
					t.Fatal(err)
				}
				y, err := os.ReadFile(filepath.Join(b, name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(x, y) {
					t.Errorf("%s differs between two runs of the same config", name)
				}
			}
		})
	}
}

// TestPilotSplit checks that what a pilot run counts does not depend on
// how its sample is split between goroutines, so that the generated files
// do not depend on the number of cores.
func TestPilotSplit(t *testing.T) {
	cfg := Config{Seed: 3, Customers: 3000, Tickets: 5000}.withDefaults()
	loc, err := time.LoadLocation(BusinessZone)
	if err != nil {
		t.Fatal(err)
	}
	var specs [numTables]ingest.Spec
	for i, name := range tables() {
		if specs[i], err = Spec(name); err != nil {
			t.Fatal(err)
		}
	}
	g := newGenerator(cfg, loc)
	m := g.model
	m.scaleBy(scale{1.5, 0.5, 2, 3})
	sample := pilotSample(len(g.cust), 2000)
	whole, err := g.fork(m, specs, func(int) encoder { return discard{} }).count(context.Background(), sample)
	if err != nil {
		t.Fatal(err)
	}
	var sum pilotCounts
	for _, part := range [][]int{sample[:700], sample[700:1500], sample[1500:]} {
		p, err := g.fork(m, specs, func(int) encoder { return discard{} }).count(context.Background(), part)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.rows {
			sum.rows[i] += p.rows[i]
		}
		sum.optional += p.optional
		sum.nps += p.nps
		sum.signup += p.signup
	}
	if sum != whole {
		t.Errorf("split in three, a pilot counts %+v; whole, %+v", sum, whole)
	}
}

// TestVolumeErrors checks that volume targets out of range or out of reach
// fail with ErrConfig, a reason, and no files.
func TestVolumeErrors(t *testing.T) {
	for _, tc := range volumeErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Generate(context.Background(), dir, tc.cfg, nil)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want ErrConfig saying %q", err, tc.want)
			}
			if names := files(t, dir); len(names) != 0 {
				t.Errorf("wrote %v for an invalid config", names)
			}
		})
	}
}

var volumeErrorTests = []struct {
	name string
	cfg  Config
	want string // in the error
}{
	{"negative tickets", Config{Tickets: -1}, "tickets -1 not in 0..10000000000"},
	{"negative orders", Config{Customers: 100, Orders: -5}, "orders -5 not in"},
	{"absurd messages", Config{Messages: MaxVolume + 1}, "messages 10000000001 not in"},
	{"too many a customer", Config{Customers: 10, Months: 2, Tickets: 2001}, "tickets 2001 is more than 100 a customer-month for 10 customers over 2 months"},
	{"too few messages", Config{Tickets: 1000, Messages: 1500}, "fewer than 2 a ticket"},
	{"too many messages", Config{Tickets: 1000, Messages: 60_000}, "more than 50 a ticket"},
	{"surveys out of reach", Config{Customers: 300, Tickets: 1000, Surveys: 20_000}, "surveys 20000 out of reach: the model writes at most about"},
	{"orders out of reach", Config{Customers: 2000, Orders: 50}, "orders 50 out of reach: the model writes at least about"},
}
