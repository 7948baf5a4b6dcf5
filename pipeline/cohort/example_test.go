package cohort_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/cohort"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Monthly first-order cohorts in Berlin time, as of the start of April:
// January, February and March are observed.
func Example() {
	mem := memory.NewGoAllocator()
	spec, err := ingest.SpecOf(ingest.Orders)
	if err != nil {
		log.Fatal(err)
	}
	rb := array.NewRecordBuilder(mem, spec.Schema())
	defer rb.Release()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	for i, o := range []struct {
		customer string
		at       time.Time
		revenue  float64
	}{
		{"ann", time.Date(2024, 1, 3, 9, 0, 0, 0, berlin), 40},
		{"bob", time.Date(2024, 1, 31, 23, 30, 0, 0, berlin), 25}, // still January in Berlin
		{"ann", time.Date(2024, 2, 14, 12, 0, 0, 0, berlin), 60},
		{"cat", time.Date(2024, 2, 20, 12, 0, 0, 0, berlin), 30},
		{"bob", time.Date(2024, 3, 2, 12, 0, 0, 0, berlin), 15},
		{"cat", time.Date(2024, 4, 2, 12, 0, 0, 0, berlin), 99}, // April: not observed yet
	} {
		rb.Field(0).(*array.StringBuilder).Append(fmt.Sprint("o", i))
		rb.Field(1).(*array.StringBuilder).Append(o.customer)
		rb.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(o.at.UnixMicro()))
		rb.Field(3).(*array.Float64Builder).Append(o.revenue)
		rb.Field(4).AppendNull()
	}
	orders := rb.NewRecord()
	defer orders.Release()

	b, err := cohort.NewBuilder(cohort.Config{
		Basis:    cohort.FirstOrder,
		Grain:    cohort.Month,
		Location: berlin,
		AsOf:     time.Date(2024, 4, 1, 0, 0, 0, 0, berlin),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Add(ingest.Orders, orders); err != nil {
		log.Fatal(err)
	}
	g, err := b.Grid(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cohort  k  size  kept  pct    revenue  cum/cust")
	for _, r := range g.Rows() {
		fmt.Printf("%s  %d  %4d  %4d  %5.1f  %7.2f  %8.2f\n", r.CohortStart.In(berlin).Format("2006-01"),
			r.PeriodIndex, r.Customers, r.Retained, r.RetentionPct.V, r.Revenue, r.CumulativeRevenuePerCustomer)
	}
	// Output:
	// cohort  k  size  kept  pct    revenue  cum/cust
	// 2024-01  0     2     2  100.0    65.00     32.50
	// 2024-01  1     2     1   50.0    60.00     62.50
	// 2024-01  2     2     1   50.0    15.00     70.00
	// 2024-02  0     1     1  100.0    30.00     30.00
	// 2024-02  1     1     0    0.0     0.00     30.00
}

// The "regular" customers of Fader and Hardie (2007): fitted to years 0–7,
// projected to years 8–12, whose actual counts were 223, 207, 194, 183 and
// 173.
func ExampleFitSBG() {
	survivors := []int64{1000, 631, 468, 382, 326, 289, 262, 241}
	m, err := cohort.FitSBG(survivors)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("alpha %.3f, beta %.3f, LL %.1f, n %d\n", m.Alpha, m.Beta, m.LogLik, m.N)
	for _, p := range m.Project(5) {
		fmt.Printf("year %d: survival %.3f, retention %.3f, survivors %.0f\n", p.Period, p.Survival, p.Retention, p.Survivors)
	}
	// Output:
	// alpha 0.704, beta 1.182, LL -1680.3, n 1000
	// year 8: survival 0.220, retention 0.921, survivors 220
	// year 9: survival 0.204, retention 0.929, survivors 204
	// year 10: survival 0.191, retention 0.935, survivors 191
	// year 11: survival 0.180, retention 0.941, survivors 180
	// year 12: survival 0.170, retention 0.945, survivors 170
}
