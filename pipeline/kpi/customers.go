package kpi

import (
	"maps"
	"math/bits"
	"slices"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// customerStore keeps each customer's relationship dates and programme
// flags, and which customers bought in which period (one bit per customer
// and period). It grows with the number of customers: about 35 bytes each
// and one bit per period with an order.
type customerStore struct {
	index   ingest.KeyIndex   // by digest of the customer id; sealed at the first lookup
	signup  []arrow.Timestamp // noTime for buyers missing from the customers export
	churned []arrow.Timestamp // noTime while active
	loyal   []bool
	edu     []bool
	bought  map[int32][]uint64 // period → bitset of customers with an order
	// baseRevenue is the revenue of the orders of customers in the
	// customers export, by period (for clv_basic).
	baseRevenue map[int32]float64
}

// customersTable is the aggregator of the customers: it keeps them in the
// engine's customer store, and computes the period metrics from the
// customer base once the report's periods are known.
type customersTable struct {
	e   *Engine
	obs []periodSeries
}

func newCustomers(e *Engine) *customersTable {
	c := &customersTable{e: e}
	for _, m := range periodMetrics(e.opt) {
		c.obs = append(c.obs, periodSeries{periodMetric: m})
	}
	return c
}

func (ct *customersTable) add(rec arrow.Record) error { return ct.e.addCustomers(rec) }

func (ct *customersTable) finish() error {
	ct.e.sealCustomers()
	return nil
}

func (ct *customersTable) series() []metricGrids {
	out := make([]metricGrids, len(ct.obs))
	for i := range ct.obs {
		out[i] = metricGrids{&ct.obs[i].Metric, &ct.obs[i].grids}
	}
	return out
}

func (e *Engine) addCustomers(rec arrow.Record) error {
	cols, err := columns(rec, ingest.Customers, "customer_id", "signup_at", "churned_at", "loyalty_member", "education_participant")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	signup := cols[1].(*array.Timestamp).TimestampValues()
	churned := cols[2].(*array.Timestamp)
	loyal, edu := cols[3].(*array.Boolean), cols[4].(*array.Boolean)
	s := &e.customers
	for i := range int(rec.NumRows()) {
		if !s.index.Put(e.hasher.String(ids.Value(i)), int32(len(s.signup))) {
			// A repeat found at once: the index was sealed already.
			e.note(ingest.Customers, "customers repeat an id already read; the later copy is ignored")
			continue
		}
		s.signup = append(s.signup, signup[i])
		c := noTime
		if churned.IsValid(i) {
			c = churned.Value(i)
		}
		s.churned = append(s.churned, c)
		s.loyal = append(s.loyal, loyal.IsValid(i) && loyal.Value(i))
		s.edu = append(s.edu, edu.IsValid(i) && edu.Value(i))
	}
	return nil
}

// sealCustomers sorts the customer index before its first lookup, and
// drops the customers whose id an earlier customer already had (the first
// copy is kept).
func (e *Engine) sealCustomers() {
	s := &e.customers
	repeated := s.index.Seal() // nil once sealed
	if len(repeated) == 0 {
		return
	}
	for range repeated {
		e.note(ingest.Customers, "customers repeat an id already read; the later copy is ignored")
	}
	s.signup, s.churned = dropRows(s.signup, repeated), dropRows(s.churned, repeated)
	s.loyal, s.edu = dropRows(s.loyal, repeated), dropRows(s.edu, repeated)
	s.index.Renumber(renumber(repeated))
}

// span returns the periods from the first signup to the last signup or
// churn, for inputs with customers and no dated activity.
func (s *customerStore) span(cal *Calendar) (lo, hi int32, ok bool) {
	for i, at := range s.signup {
		if at == noTime {
			continue
		}
		p, q := cal.Number(instant(at)), cal.Number(instant(at))
		if s.churned[i] != noTime {
			q = cal.Number(instant(s.churned[i]))
		}
		if !ok {
			lo, hi, ok = p, q, true
		}
		lo, hi = min(lo, p), max(hi, q)
	}
	return lo, hi, ok
}

// periodMetric is a KPI computed per period from the customer base rather
// than from dated rows.
type periodMetric struct {
	Metric
	// value returns numerator, denominator and n of period p; ok is false
	// when the metric has no data in p.
	value func(c *customerCounts, p int) (x, w float64, n int64, ok bool)
}

type periodSeries struct {
	periodMetric
	grids [numDims]grid
}

// customerCounts are the per-period counts of the customer base, for
// periods lo+0, lo+1, …: S customers at the start, E at the end, N new,
// Lost (of S) during the period, A active at some time in the period, and
// how many of A are loyalty members, education participants and buyers.
type customerCounts struct {
	S, E, N, Lost, A, Loyal, Edu, Buyers []int64
	Orders, Referrals                    []int64
	Revenue                              []float64
	AllBuyers                            []int64   // distinct buyers, active or not
	Years                                []float64 // length of the period in years
	// Up to the end of the period, from the first period with data: the
	// revenue of the customer base's orders and its customers churned.
	BaseRevenueToDate []float64
	ChurnedToDate     []int64
}

func periodMetrics(o Options) []periodMetric {
	customers := []ingest.Table{ingest.Customers}
	rate := func(num, den func(c *customerCounts, p int) int64) func(c *customerCounts, p int) (float64, float64, int64, bool) {
		return func(c *customerCounts, p int) (float64, float64, int64, bool) {
			d := den(c, p)
			return float64(num(c, p)), float64(d), d, d > 0
		}
	}
	s := func(c *customerCounts, p int) int64 { return c.S[p] }
	a := func(c *customerCounts, p int) int64 { return c.A[p] }
	ew := o.Engagement
	return []periodMetric{
		{Metric{Name: "retention_rate", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: customers,
			Doc: "Customer Retention Rate (E − N) / S: customers at the end minus new ones, over customers at the start"},
			rate(func(c *customerCounts, p int) int64 { return c.E[p] - c.N[p] }, s)},
		{Metric{Name: "churn_rate", Unit: UnitPercent, Better: Lower, Scale: 100, Needs: customers,
			Doc: "customers lost during the period over customers at its start"},
			rate(func(c *customerCounts, p int) int64 { return c.Lost[p] }, s)},
		{Metric{Name: "customers_active", Unit: UnitCount, Better: Higher, Stat: Sum, Needs: customers,
			Doc: "customers who were customers at some time in the period"},
			func(c *customerCounts, p int) (float64, float64, int64, bool) {
				return float64(c.A[p]), 1, c.A[p], c.A[p] > 0
			}},
		{Metric{Name: "customers_new", Unit: UnitCount, Better: Higher, Stat: Sum, Needs: customers, Doc: "customers who signed up in the period"},
			func(c *customerCounts, p int) (float64, float64, int64, bool) {
				return float64(c.N[p]), 1, c.A[p], c.A[p] > 0
			}},
		{Metric{Name: "loyalty_participation", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: customers,
			Doc: "share of active customers in the loyalty programme"},
			rate(func(c *customerCounts, p int) int64 { return c.Loyal[p] }, a)},
		{Metric{Name: "education_participation", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: customers,
			Doc: "share of active customers who took part in education or training"},
			rate(func(c *customerCounts, p int) int64 { return c.Edu[p] }, a)},
		{Metric{Name: "usage_rate", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Customers, ingest.Orders},
			Doc: "share of active customers who placed an order in the period (usage frequency)"},
			rate(func(c *customerCounts, p int) int64 { return c.Buyers[p] }, a)},
		{Metric{Name: "engagement_score", Unit: UnitScore, Better: Higher, Needs: []ingest.Table{ingest.Customers, ingest.Orders},
			Doc: "weighted mean of loyalty participation, education participation and usage rate (0–100)"},
			func(c *customerCounts, p int) (float64, float64, int64, bool) {
				if c.A[p] == 0 {
					return 0, 0, 0, false
				}
				pct := func(k int64) float64 { return float64(k) / float64(c.A[p]) * 100 }
				x := ew.Loyalty*pct(c.Loyal[p]) + ew.Education*pct(c.Edu[p]) + ew.Usage*pct(c.Buyers[p])
				return x, ew.Loyalty + ew.Education + ew.Usage, c.A[p], true
			}},
		{Metric{Name: "referral_rate", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Customers, ingest.Referrals},
			Doc: "referrals made in the period per 100 active customers"},
			rate(func(c *customerCounts, p int) int64 { return c.Referrals[p] }, a)},
		// clv_basic: average order value × orders per customer-year ×
		// average lifespan in years, all from the customer base's history
		// up to the end of the period. With X the customer-years lived by
		// the base (signup to churn, or to the period's end), O and R its
		// orders and revenue and L its churned customers, that is
		// (R / O) × (O / X) × (X / L) = R / L: the lifespan X / L is the
		// maximum-likelihood mean of exponential lifetimes observed with
		// censoring, and the value does not depend on the grain.
		{Metric{Name: "clv_basic", Unit: UnitCurrency, Better: Higher, Stat: Sum, Needs: []ingest.Table{ingest.Customers, ingest.Orders},
			Doc: "average order value × orders per customer-year × average lifespan (customer-years / churned customers), over the customer base's history up to the period's end: its revenue / its churned customers"},
			func(c *customerCounts, p int) (float64, float64, int64, bool) {
				if c.ChurnedToDate[p] == 0 || c.BaseRevenueToDate[p] == 0 {
					return 0, 0, 0, false
				}
				return c.BaseRevenueToDate[p] / float64(c.ChurnedToDate[p]), 1, c.ChurnedToDate[p], true
			}},
	}
}

// periods computes the customer-base counts of periods lo..hi and fills
// the period metrics' grids.
func (ct *customersTable) periods(lo, hi int32) {
	e := ct.e
	n := int(hi-lo) + 1
	c := &customerCounts{}
	for _, p := range []*[]int64{&c.S, &c.E, &c.N, &c.Lost, &c.A, &c.Loyal, &c.Edu, &c.Buyers, &c.Orders, &c.Referrals, &c.AllBuyers} {
		*p = make([]int64, n)
	}
	c.Revenue, c.Years = make([]float64, n), make([]float64, n)
	c.BaseRevenueToDate, c.ChurnedToDate = make([]float64, n), make([]int64, n)
	const year = 365.2425 * 24 * float64(time.Hour)
	for k := range n {
		p := lo + int32(k)
		c.Years[k] = float64(e.cal.Start(p+1).Sub(e.cal.Start(p))) / year
	}
	// Range counts with difference arrays over period indices clamped to
	// [-1, n]: a customer signed up in period sp and churned in cp (n if
	// never) is in S for sp < p ≤ cp, in E for sp ≤ p < cp, and active
	// for sp ≤ p ≤ cp.
	s := &e.customers
	dS, dE, dA := make([]int64, n+2), make([]int64, n+2), make([]int64, n+2)
	dL, dD, dC := make([]int64, n+2), make([]int64, n+2), make([]int64, n+2)
	add := func(d []int64, from, to int, v int64) { // to inclusive, both clamped
		from, to = max(from, 0), min(to, n-1)
		if from <= to {
			d[from] += v
			d[to+1] -= v
		}
	}
	index := func(at arrow.Timestamp) int {
		if at == noTime {
			return n + 1
		}
		return int(e.cal.Number(instant(at)) - lo)
	}
	known := func(i int) bool { return s.signup[i] != noTime }
	sp := make([]int, len(s.signup))
	cp := make([]int, len(s.signup))
	for i, at := range s.signup {
		if !known(i) {
			continue
		}
		sp[i], cp[i] = index(at), index(s.churned[i])
		add(dS, sp[i]+1, cp[i], 1)
		add(dE, sp[i], cp[i]-1, 1)
		add(dA, sp[i], cp[i], 1)
		if s.loyal[i] {
			add(dL, sp[i], cp[i], 1)
		}
		if s.edu[i] {
			add(dD, sp[i], cp[i], 1)
		}
		if sp[i] >= 0 && sp[i] < n {
			c.N[sp[i]]++
		}
		if cp[i] >= 0 && cp[i] < n && sp[i] < cp[i] {
			c.Lost[cp[i]]++
		}
		if s.churned[i] != noTime {
			add(dC, cp[i], n-1, 1) // churned by the end of cp and every later period
		}
	}
	var rs, re, ra, rl, rd, rc int64
	for k := range n {
		rs, re, ra, rl, rd, rc = rs+dS[k], re+dE[k], ra+dA[k], rl+dL[k], rd+dD[k], rc+dC[k]
		c.S[k], c.E[k], c.A[k], c.Loyal[k], c.Edu[k], c.ChurnedToDate[k] = rs, re, ra, rl, rd, rc
	}
	// The base's revenue to date, summed in period order so that the
	// result does not depend on how the orders were batched.
	periods := slices.Sorted(maps.Keys(s.baseRevenue))
	var rev float64
	j := 0
	for k := range n {
		for ; j < len(periods) && periods[j] <= lo+int32(k); j++ {
			rev += s.baseRevenue[periods[j]]
		}
		c.BaseRevenueToDate[k] = rev
	}
	for k := range n {
		for w, word := range s.bought[lo+int32(k)] {
			for word != 0 {
				i := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				c.AllBuyers[k]++
				if known(i) && sp[i] <= k && k <= cp[i] {
					c.Buyers[k]++
				}
			}
		}
	}
	orders, revenue, referrals := e.grids("orders"), e.grids("revenue"), e.grids("referrals")
	for k := range n {
		p := lo + int32(k)
		if cell := orders[dimAll].at(p, 0); cell != nil {
			c.Orders[k] = cell.n
		}
		if cell := revenue[dimAll].at(p, 0); cell != nil {
			c.Revenue[k] = cell.x
		}
		if cell := referrals[dimAll].at(p, 0); cell != nil {
			c.Referrals[k] = cell.n
		}
	}
	for i := range ct.obs {
		ps := &ct.obs[i]
		for k := range n {
			x, w, cnt, ok := ps.value(c, k)
			if !ok {
				continue
			}
			p := lo + int32(k)
			ps.grids[dimAll].ensure(p, p, 0)
			*ps.grids[dimAll].at(p, 0) = cell{x: x, w: w, n: cnt}
		}
	}
}
