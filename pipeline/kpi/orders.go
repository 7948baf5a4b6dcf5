package kpi

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// orderView is a batch of orders, observed when placed.
type orderView struct {
	rows
	revenue []float64
}

func orderMetrics() []observer[orderView] {
	orders := []ingest.Table{ingest.Orders}
	every := func(*orderView, int) bool { return true }
	rev := func(v *orderView, i int) float64 { return v.revenue[i] }
	return []observer[orderView]{
		{Metric{Name: "orders", Unit: UnitCount, Better: Higher, Stat: Count, Needs: orders, Doc: "orders placed in the period"},
			mean(every, func(*orderView, int) float64 { return 1 })},
		{Metric{Name: "revenue", Unit: UnitCurrency, Better: Higher, Stat: Sum, Needs: orders, Doc: "revenue of the orders placed in the period"},
			mean(every, rev)},
		{Metric{Name: "average_order_value", Unit: UnitCurrency, Better: Higher, Needs: orders, Doc: "revenue / orders"},
			mean(every, rev)},
	}
}

// ordersTable is the aggregator of the orders: it observes the order
// metrics, and marks in the customer store who bought in which period.
type ordersTable struct {
	e    *Engine
	view orderView
	obs  []series[orderView]
}

func newOrders(e *Engine) *ordersTable { return &ordersTable{e: e, obs: newSeries(orderMetrics())} }

// add observes a batch of orders and marks their buyers.
func (o *ordersTable) add(rec arrow.Record) error {
	e := o.e
	cols, err := columns(rec, ingest.Orders, "ordered_at", "revenue", "customer_id")
	if err != nil {
		return err
	}
	v := &o.view
	v.at = cols[0].(*array.Timestamp).TimestampValues()
	v.revenue = cols[1].(*array.Float64).Float64Values()
	observe(e, o.obs, v, &v.rows)

	// e.period now holds each order's period: mark the buyers.
	ids := cols[2].(*array.String)
	e.sealCustomers()
	s := &e.customers
	if s.bought == nil {
		s.bought = map[int32][]uint64{}
		s.baseRevenue = map[int32]float64{}
	}
	for i := range int(rec.NumRows()) {
		id := e.hasher.String(ids.Value(i))
		c, ok := s.index.Get(id)
		if !ok {
			e.note(ingest.Orders, "orders come from a customer missing from the customers export; counted as buyers only")
			c = int32(len(s.signup))
			s.index.Put(id, c)
			s.signup, s.churned = append(s.signup, noTime), append(s.churned, noTime)
			s.loyal, s.edu = append(s.loyal, false), append(s.edu, false)
		}
		if s.signup[c] != noTime {
			s.baseRevenue[e.period[i]] += v.revenue[i]
		}
		set := s.bought[e.period[i]]
		if need := int(c)/64 + 1; len(set) < need {
			set = append(set, make([]uint64, need-len(set))...)
		}
		set[c/64] |= 1 << (c % 64)
		s.bought[e.period[i]] = set
	}
	return nil
}

func (o *ordersTable) finish() error { return nil }

func (o *ordersTable) series() []metricGrids { return gridsOf(o.obs) }
