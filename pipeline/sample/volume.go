package sample

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Volume targets: the tables whose number of rows a [Config] can set, at
// their positions in a volumes array.
const (
	vTickets = iota
	vMessages
	vSurveys
	vOrders
	numVolumes
)

func volumeNames() [numVolumes]string {
	return [numVolumes]string{"tickets", "messages", "surveys", "orders"}
}

// volumeTables returns the generator's position of each volume's table.
func volumeTables() [numVolumes]int { return [numVolumes]int{tTickets, tMessages, tSurveys, tOrders} }

// perCustomerYear is about how many rows of each volume a customer writes
// in a year at the model's own rates; it sets the number of customers when
// a Config leaves it to the volumes.
func perCustomerYear() [numVolumes]float64 { return [numVolumes]float64{5, 20, 2.5, 2.5} }

// Bounds of the messages a ticket has, for targets of both.
const (
	minMessagesPerTicket = 2
	maxMessagesPerTicket = 50
)

// volumes returns c's volume targets.
func (c Config) volumes() [numVolumes]int64 {
	return [numVolumes]int64{c.Tickets, c.Messages, c.Surveys, c.Orders}
}

// scaled reports whether c sets a volume target.
func (c Config) scaled() bool { return c.volumes() != [numVolumes]int64{} }

// customersFor returns the default number of customers of c: 400, or, with
// a volume target, as many as the first target needs at the model's rates.
func (c Config) customersFor() int {
	for i, v := range c.volumes() {
		if v > 0 && c.Months > 0 {
			n := math.Ceil(float64(v) * 12 / (perCustomerYear()[i] * float64(c.Months)))
			return int(min(n, MaxCustomers))
		}
	}
	return 400
}

// validateVolumes reports the first volume target of c that is out of
// range; c has its defaults and valid customers and months.
func (c Config) validateVolumes() error {
	names := volumeNames()
	customerMonths := float64(c.Customers) * float64(c.Months)
	for i, v := range c.volumes() {
		switch {
		case v < 0 || v > MaxVolume:
			return fmt.Errorf("%w: %s %d not in 0..%d", ErrConfig, names[i], v, int64(MaxVolume))
		case float64(v) > MaxVolumePerCustomerMonth*customerMonths:
			return fmt.Errorf("%w: %s %d is more than %d a customer-month for %d customers over %d months; raise the customers or leave them to the volumes",
				ErrConfig, names[i], v, MaxVolumePerCustomerMonth, c.Customers, c.Months)
		}
	}
	if c.Tickets > 0 && c.Messages > 0 {
		switch r := float64(c.Messages) / float64(c.Tickets); {
		case r < minMessagesPerTicket:
			return fmt.Errorf("%w: messages %d for tickets %d is fewer than %d a ticket (the customer's message and a reply)",
				ErrConfig, c.Messages, c.Tickets, minMessagesPerTicket)
		case r > maxMessagesPerTicket:
			return fmt.Errorf("%w: messages %d for tickets %d is more than %d a ticket", ErrConfig, c.Messages, c.Tickets, maxMessagesPerTicket)
		}
	}
	return nil
}

// scale holds the factors, one per volume, by which the model's rates are
// multiplied: tickets per customer-month, the mean number of optional
// messages of a ticket (internal notes and further exchanges), the
// response rates of CSAT, CES and NPS surveys, and the purchase rate (with
// the dropout after a purchase divided by as much, so that customers stay
// as long).
type scale [numVolumes]float64

// scaleBy multiplies m's rates by s.
func (m *model) scaleBy(s scale) {
	m.ticketScale *= s[vTickets]
	m.onboardingTickets *= s[vTickets]
	m.internalNote *= s[vMessages]
	m.exchanges *= s[vMessages]
	m.csatResponse *= s[vSurveys]
	m.cesResponse *= s[vSurveys]
	m.npsResponse *= s[vSurveys]
	m.purchaseScale *= s[vOrders]
	m.dropoutScale /= s[vOrders]
}

// scaleBounds returns the factors beyond which a scale makes no sense: no
// optional messages at all or fifty times as many, every survey answered.
func (m *model) scaleBounds() (lo, hi scale) {
	surveys := 1 / min(m.csatAsked*m.csatResponse, m.cesAsked*m.cesResponse, m.npsResponse)
	return scale{1e-6, 0, 0, 1e-6}, scale{1e6, 50, surveys, 1e6}
}

// scaleCount returns n scaled by f on average: each of n kept with
// probability f for f < 1, n and about (f-1)·n more for f > 1.
func scaleCount(r *rand.Rand, n int, f float64) int {
	if f >= 1 {
		return n + poissonRand(r, (f-1)*float64(n))
	}
	k := 0
	for range n {
		if chance(r, f) {
			k++
		}
	}
	return k
}

// Calibration of volumes.
const (
	pilotCustomers = 20_000 // customers in a pilot run, at most
	maxPilots      = 2      // pilot runs, at most
	pilotTolerance = 0.01   // the relative error at which calibration stops
	reachTolerance = 0.05   // the relative error beyond which a target out of the scale's bounds fails
)

// pilotCounts is what a pilot run predicts for all customers: the rows of
// every table, and the optional messages, the NPS answers and the orders
// at signup among them.
type pilotCounts struct {
	rows                  [numTables]float64
	optional, nps, signup float64
}

func (p pilotCounts) volumes() [numVolumes]float64 {
	var v [numVolumes]float64
	for i, t := range volumeTables() {
		v[i] = p.rows[t]
	}
	return v
}

// calibrate scales g's model so that it writes about the volumes the
// config asks for. Each pilot run draws the full history of an even sample
// of the customers, the same rows the run will draw for them, and counts
// them; the scale is corrected from the counts until they predict every
// target within pilotTolerance, or maxPilots ran (the last correction is
// not checked by a pilot). It fails with ErrConfig for a target the model
// cannot reach. The rows the last pilot predicted go to g.expected.
func (g *generator) calibrate(ctx context.Context, specs [numTables]ingest.Spec) error {
	want := g.cfg.volumes()
	lo, hi := g.model.scaleBounds()
	sample := pilotSample(len(g.cust), pilotCustomers)
	s := scale{1, 1, 1, 1}
	for n := 1; ; n++ {
		p, err := g.pilot(ctx, specs, s, sample)
		if err != nil {
			return err
		}
		g.expected = p.rows
		if err := g.reachable(s, lo, hi, p); err != nil {
			return err
		}
		got, done := p.volumes(), true
		for i, w := range want {
			if w > 0 && math.Abs(got[i]/float64(w)-1) > pilotTolerance {
				done = false
			}
		}
		if done {
			break
		}
		s = p.next(s, want)
		for i := range s {
			s[i] = min(max(s[i], lo[i]), hi[i])
		}
		if n == maxPilots {
			break
		}
	}
	g.model.scaleBy(s)
	return nil
}

// reachable returns an error for a target that the pilot p, run at scale
// s, misses by more than reachTolerance with a factor at its bound.
func (g *generator) reachable(s, lo, hi scale, p pilotCounts) error {
	got := p.volumes()
	for i, w := range g.cfg.volumes() {
		if w == 0 {
			continue
		}
		ratio := got[i] / float64(w)
		var bound string
		switch {
		case s[i] <= lo[i] && ratio > 1+reachTolerance:
			bound = "at least"
		case s[i] >= hi[i] && ratio < 1-reachTolerance:
			bound = "at most"
		default:
			continue
		}
		return fmt.Errorf("%w: %s %d out of reach: the model writes %s about %.0f for %d customers over %d months (and about %.0f tickets)",
			ErrConfig, volumeNames()[i], w, bound, got[i], g.cfg.Customers, g.cfg.Months, p.rows[tTickets])
	}
	return nil
}

// next returns the scale that should meet the targets want, from the
// pilot p run at scale s: tickets in proportion; orders from those at
// signup and, in proportion, the others; messages from the mandatory and
// the optional messages of a ticket at the new ticket rate; surveys from
// the NPS answers and, at the new ticket rate, the answers about tickets.
func (p pilotCounts) next(s scale, want [numVolumes]int64) scale {
	t := s
	got := p.volumes()
	if want[vTickets] > 0 {
		if got[vTickets] > 0 {
			t[vTickets] *= float64(want[vTickets]) / got[vTickets]
		} else {
			t[vTickets] *= 8 // nothing to go by: try more
		}
	}
	if want[vOrders] > 0 {
		if scaled := got[vOrders] - p.signup; scaled > 0 {
			t[vOrders] *= max(float64(want[vOrders])-p.signup, 0) / scaled
		} else {
			t[vOrders] *= 8
		}
	}
	tickets := got[vTickets] * t[vTickets] / s[vTickets] // at the new rate
	if want[vMessages] > 0 && got[vTickets] > 0 {
		optional := p.optional / got[vTickets]
		mandatory := got[vMessages]/got[vTickets] - optional
		goal := float64(want[vMessages]) / tickets
		switch {
		case optional > 0:
			t[vMessages] *= (goal - mandatory) / optional
		case goal > mandatory:
			t[vMessages] = max(2*t[vMessages], 0.25)
		}
	}
	if want[vSurveys] > 0 {
		predicted := p.nps
		if got[vTickets] > 0 {
			predicted += (got[vSurveys] - p.nps) * tickets / got[vTickets]
		}
		if predicted > 0 {
			t[vSurveys] *= float64(want[vSurveys]) / predicted
		} else {
			t[vSurveys] = max(2*t[vSurveys], 0.25)
		}
	}
	return t
}

// pilotSample returns n customers spread evenly over the k, all of them
// when k <= n. Customers are ordered by signup.
func pilotSample(k, n int) []int {
	n = min(n, k)
	out := make([]int, n)
	for j := range out {
		out[j] = int(int64(j) * int64(k) / int64(n))
	}
	return out
}

// pilot draws the histories of the customers in sample with g's model
// scaled by s, on all cores, counting rows instead of writing them, and
// returns the counts scaled up to all customers. The counts do not depend
// on how the sample is split: every customer's history has its own
// random stream.
func (g *generator) pilot(ctx context.Context, specs [numTables]ingest.Spec, s scale, sample []int) (pilotCounts, error) {
	m := g.model
	m.scaleBy(s)
	workers := max(min(runtime.GOMAXPROCS(0), len(sample)/1024), 1)
	parts := make([]pilotCounts, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part := sample[w*len(sample)/workers : (w+1)*len(sample)/workers]
			parts[w], errs[w] = g.fork(m, specs, func(int) encoder { return discard{} }).count(ctx, part)
		}()
	}
	wg.Wait()
	var total pilotCounts
	for w, p := range parts {
		if errs[w] != nil {
			return pilotCounts{}, errs[w]
		}
		for i := range p.rows {
			total.rows[i] += p.rows[i]
		}
		total.optional += p.optional
		total.nps += p.nps
		total.signup += p.signup
	}
	f := float64(len(g.cust)) / float64(max(len(sample), 1))
	for i := range total.rows {
		total.rows[i] *= f
	}
	total.optional *= f
	total.nps *= f
	total.signup *= f
	return total, nil
}

// count draws the histories of the customers in part and returns their
// rows.
func (g *generator) count(ctx context.Context, part []int) (pilotCounts, error) {
	for k, i := range part {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return pilotCounts{}, err
			}
		}
		g.reseed(i)
		g.history(i)
		if err := g.failed(); err != nil {
			return pilotCounts{}, err
		}
	}
	var p pilotCounts
	for i, t := range g.tabs {
		p.rows[i] = float64(t.rows)
	}
	p.optional, p.nps, p.signup = float64(g.optionalMessages), float64(g.npsAnswers), float64(g.signupOrders)
	return p, nil
}

// discard is an encoder that writes nothing.
type discard struct{}

func (discard) write([]cell) error { return nil }
func (discard) close() error       { return nil }
