package cohort

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// refCalendar is a deliberately plain calendar for the reference grid:
// local dates and time.Date only, no period numbers.
type refCalendar struct {
	grain Grain
	loc   *time.Location
}

// periodStart returns the start of the week or month containing t.
func (c refCalendar) periodStart(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	if c.grain == Month {
		return time.Date(y, m, 1, 0, 0, 0, 0, c.loc)
	}
	sinceMonday := (int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 6) % 7
	return time.Date(y, m, d-sinceMonday, 0, 0, 0, 0, c.loc)
}

// add returns the start of the k-th period after the one starting at s.
func (c refCalendar) add(s time.Time, k int) time.Time {
	y, m, d := s.In(c.loc).Date()
	if c.grain == Month {
		return time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, c.loc)
	}
	return time.Date(y, m, d+7*k, 0, 0, 0, 0, c.loc)
}

// index returns the period of t counted from the one starting at s, or -1
// before it.
func (c refCalendar) index(s, t time.Time) int {
	if t.Before(s) {
		return -1
	}
	k := 0
	for !t.Before(c.add(s, k+1)) {
		k++
	}
	return k
}

type refCell struct {
	retained map[string]bool
	revenue  float64
	byCust   map[string]float64 // revenue of each customer in the cell
}

// reference computes the cohort table and the bracket table the slow,
// obvious way.
func reference(cfg Config, cs []customer, os []order, times []time.Time) ([]Row, []BracketRow) {
	cfg.EnsureDefaults()
	cal := refCalendar{cfg.Grain, cfg.Location}
	acquired := map[string]time.Time{} // customer → acquisition instant
	churned := map[string]time.Time{}
	if cfg.Basis == Signup {
		for _, c := range cs {
			acquired[c.id], _ = time.Parse(time.RFC3339Nano, c.signup)
			if c.churned != "" {
				churned[c.id], _ = time.Parse(time.RFC3339Nano, c.churned)
			}
		}
	} else {
		for i, o := range os {
			if a, ok := acquired[o.customer]; !ok || times[i].Before(a) {
				acquired[o.customer] = times[i]
			}
		}
	}
	observed := func(start time.Time, k int) bool {
		return !cal.add(start, k+1).After(cfg.AsOf) && (cfg.MaxPeriods == 0 || k <= cfg.MaxPeriods)
	}
	size := map[time.Time]int64{}
	cells := map[time.Time][]*refCell{}
	members := map[time.Time][]string{}
	for id, a := range acquired {
		s := cal.periodStart(a)
		if !observed(s, 0) {
			continue
		}
		size[s]++
		members[s] = append(members[s], id)
		if cells[s] == nil {
			for k := 0; observed(s, k); k++ {
				cells[s] = append(cells[s], &refCell{retained: map[string]bool{}, byCust: map[string]float64{}})
			}
		}
		if cfg.Basis == Signup {
			for k, cell := range cells[s] {
				if ch, ok := churned[id]; !ok || !ch.Before(cal.add(s, k+1)) {
					cell.retained[id] = true
				}
			}
		}
	}
	lastActive := map[string]int{} // FirstOrder: the last fully observed period with an order
	for i, o := range os {
		a, ok := acquired[o.customer]
		if !ok {
			continue
		}
		s := cal.periodStart(a)
		k := cal.index(s, times[i])
		if k >= 0 && cells[s] != nil && !cal.add(s, k+1).After(cfg.AsOf) {
			lastActive[o.customer] = max(lastActive[o.customer], k)
		}
		if k < 0 || k >= len(cells[s]) {
			continue
		}
		cells[s][k].revenue += o.revenue
		cells[s][k].byCust[o.customer] += o.revenue
		if cfg.Basis == FirstOrder {
			cells[s][k].retained[o.customer] = true
		}
	}
	var starts []time.Time
	for s := range cells {
		starts = append(starts, s)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	var rows []Row
	var brackets []BracketRow
	for _, s := range starts {
		n := size[s]
		cum := 0.0
		base := 0.0
		for _, id := range members[s] {
			if r := cells[s][0].byCust[id]; r > 0 {
				base += r
			}
		}
		for k, cell := range cells[s] {
			cum += cell.revenue
			kept := int64(len(cell.retained))
			active := kept
			if cfg.Basis == FirstOrder {
				active = 0
				for _, id := range members[s] {
					if lastActive[id] >= k {
						active++
					}
				}
			}
			capped := 0.0
			for _, id := range members[s] {
				if r0 := cells[s][0].byCust[id]; r0 > 0 {
					capped += min(max(cell.byCust[id], 0), r0)
				}
			}
			r := Row{
				CohortStart: s.UTC(), CohortEnd: cal.add(s, 1).UTC(), PeriodIndex: int64(k),
				Customers: n, Retained: kept, RetentionPct: pct(100 * float64(kept) / float64(n)),
				Revenue: cell.revenue, CumulativeRevenuePerCustomer: cum / float64(n),
				RetainedUnbounded: active, UnboundedRetentionPct: pct(100 * float64(active) / float64(n)),
			}
			if r0 := cells[s][0].revenue; r0 > 0 {
				r.NetRevenueRetentionPct = pct(100 * cell.revenue / r0)
			}
			if base > 0 {
				r.GrossRevenueRetentionPct = pct(100 * capped / base)
			}
			rows = append(rows, r)
		}
		brs := cfg.Brackets
		for _, br := range brs {
			if br.To >= len(cells[s]) {
				continue
			}
			in := map[string]bool{}
			for k := br.From; k <= br.To; k++ {
				for id := range cells[s][k].retained {
					in[id] = true
				}
				if cfg.Basis == Signup {
					break // not churned by the end of the first period
				}
			}
			kept := int64(len(in))
			brackets = append(brackets, BracketRow{CohortStart: s.UTC(), CohortEnd: cal.add(s, 1).UTC(), Bracket: br,
				Customers: n, Retained: kept, RetentionPct: pct(100 * float64(kept) / float64(n))})
		}
	}
	return rows, brackets
}

// TestReference compares the builder with the plain computation on random
// data, across bases, grains and zones.
func TestReference(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs, os, times := synthetic(42, 300, 6000)
	customers := customersRecord(t, mem, cs)
	defer customers.Release()
	orders := ordersRecordTimes(t, mem, os, times)
	defer orders.Release()
	asOf := time.Date(2024, 7, 1, 3, 0, 0, 0, time.UTC)
	for _, zone := range []string{"UTC", "America/New_York", "Pacific/Auckland"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("no time zone data: %v", err)
		}
		for _, basis := range []Basis{FirstOrder, Signup} {
			for _, g := range []Grain{Week, Month} {
				for _, maxP := range []int{0, 5} {
					cfg := Config{Basis: basis, Grain: g, Location: loc, AsOf: asOf, MaxPeriods: maxP}
					t.Run(zone+"/"+string(basis)+"/"+string(g), func(t *testing.T) {
						g := grid(t, cfg, customers, orders, 1000)
						want, wantBr := reference(cfg, cs, os, times)
						if len(want) < 15 || len(wantBr) < 5 {
							t.Fatalf("reference has only %d rows and %d brackets", len(want), len(wantBr))
						}
						checkRows(t, g.Rows(), want)
						if got := g.BracketRows(); !reflect.DeepEqual(got, wantBr) {
							t.Errorf("brackets:\n got %+v\nwant %+v", got, wantBr)
						}
					})
				}
			}
		}
	}
}
