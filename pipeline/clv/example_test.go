package clv_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// ordersBatch builds one record batch of the orders contract.
func ordersBatch(mem memory.Allocator, customers []string, days []string, revenue []float64) arrow.Record {
	spec, err := ingest.SpecOf(ingest.Orders)
	if err != nil {
		log.Fatal(err)
	}
	b := array.NewRecordBuilder(mem, spec.Schema())
	defer b.Release()
	for i, c := range customers {
		t, err := time.Parse(time.DateOnly, days[i])
		if err != nil {
			log.Fatal(err)
		}
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprint("o", i))
		b.Field(1).(*array.StringBuilder).Append(c)
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		b.Field(3).(*array.Float64Builder).Append(revenue[i])
		b.Field(4).(*array.Float64Builder).Append(revenue[i] * 0.6) // cost
	}
	return b.NewRecord()
}

func ExampleSummarizer() {
	mem := memory.NewGoAllocator()
	rec := ordersBatch(mem,
		[]string{"ann", "ann", "ann", "bob", "ann"},
		[]string{"2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01", "2024-03-04"},
		[]float64{20, 5, 30, 12, 50})
	defer rec.Release()

	s, err := clv.NewSummarizer(clv.Config{End: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), Unit: clv.Weeks})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Add(rec); err != nil {
		log.Fatal(err)
	}
	sum, err := s.Summary()
	if err != nil {
		log.Fatal(err)
	}
	for i, id := range sum.Customers {
		fmt.Printf("%s x=%d t_x=%.2f T=%.2f m=%.2f revenue=%.2f margin=%.2f\n", id,
			sum.Frequency[i], sum.Recency[i], sum.Age[i], sum.Monetary[i], sum.Revenue[i], sum.GrossMargin[i])
	}
	// Output:
	// ann x=2 t_x=9.00 T=12.86 m=40.00 revenue=105.00 margin=42.00
	// bob x=0 t_x=0.00 T=8.43 m=0.00 revenue=12.00 margin=4.80
}

// The CDNOW estimates of Fader, Hardie and Lee (2005), time in weeks, and
// their customer 1516: 26 repeat purchases, the last at 30.86 weeks,
// observed for 31 weeks.
func ExampleBGNBD() {
	m := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426, Unit: clv.Weeks}
	fmt.Printf("P(alive) = %.3f\n", m.PAlive(26, 30.86, 31))
	fmt.Printf("E[Y(52) | history] = %.2f\n", m.ConditionalExpected(52, 26, 30.86, 31))
	fmt.Printf("E[X(52)] for a new customer = %.3f\n", m.Expected(52))
	// Output:
	// P(alive) = 0.969
	// E[Y(52) | history] = 25.76
	// E[X(52)] for a new customer = 1.446
}

// The CDNOW spend estimates: a customer whose two repeat purchases
// averaged $22.35 is expected to spend more next time, pulled towards the
// population mean.
func ExampleGammaGamma_ExpectedValue() {
	m := clv.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	fmt.Printf("population mean: %.2f\n", m.Mean())
	fmt.Printf("x=2, m=22.35: %.2f\n", m.ExpectedValue(2, 22.35))
	fmt.Printf("x=20, m=22.35: %.2f\n", m.ExpectedValue(20, 22.35))
	// Output:
	// population mean: 35.22
	// x=2, m=22.35: 24.66
	// x=20, m=22.35: 22.63
}

func ExamplePredict() {
	s := &clv.Summary{
		Unit:        clv.Weeks,
		Customers:   []string{"loyal", "lapsed", "new"},
		Frequency:   []int{10, 10, 0},
		Recency:     []float64{38, 8, 0},
		Age:         []float64{39, 39, 39},
		Monetary:    []float64{30, 30, 0},
		Revenue:     []float64{330, 330, 25},
		GrossMargin: []float64{99, 99, 7.5},
	}
	bg := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426, Unit: clv.Weeks}
	gg := clv.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	p, err := clv.Predict(context.Background(), s, bg, gg, clv.ValueConfig{Months: 12, AnnualDiscountRate: 0.1})
	if err != nil {
		log.Fatal(err)
	}
	for i, id := range s.Customers {
		fmt.Printf("%-6s P(alive)=%.2f purchases=%.2f value=%.2f CLV=%.2f historical=%.2f\n",
			id, p.PAlive[i], p.ExpectedPurchases[i], p.ExpectedValue[i], p.CLV[i], p.Historical[i])
	}
	// Output:
	// loyal  P(alive)=0.92 purchases=8.40 value=30.22 CLV=72.65 historical=99.00
	// lapsed P(alive)=0.00 purchases=0.00 value=30.22 CLV=0.00 historical=99.00
	// new    P(alive)=1.00 purchases=0.25 value=35.22 CLV=2.54 historical=7.50
}

func ExampleBasicCLV() {
	// $40 per purchase, 5 purchases a year, customers stay 3 years.
	fmt.Println(clv.BasicCLV(40, 5, 3))
	// The seed's "predictive" variant in months: 0.4 purchases a month,
	// $40 each, 36 months.
	fmt.Println(clv.SeedPredictiveCLV(0.4, 40, 36))
	// Output:
	// 600
	// 576
}

// A one-time buyer is certainly alive under BG/NBD, not under MBG/NBD or
// Pareto/NBD. Parameters: the CDNOW fits (docs/clv.md).
func ExampleMBGNBD_PAlive() {
	bg := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426, Unit: clv.Weeks}
	mbg := clv.MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614, Unit: clv.Weeks}
	pnbd := clv.ParetoNBD{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669, Unit: clv.Weeks}
	// No repeat purchase in 38.86 weeks.
	fmt.Printf("BG/NBD %.3f, MBG/NBD %.3f, Pareto/NBD %.3f\n", bg.PAlive(0, 0, 38.86), mbg.PAlive(0, 0, 38.86), pnbd.PAlive(0, 0, 38.86))
	// Output: BG/NBD 1.000, MBG/NBD 0.390, Pareto/NBD 0.295
}

// Choose ranks fitted candidates; a failed fit is never chosen.
func ExampleChoose() {
	cands := []clv.Candidate{
		{Name: clv.ModelBGNBD, Model: clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426, Unit: clv.Weeks}, AIC: 19172.86, BIC: 19195.92},
		{Name: clv.ModelMBGNBD, Model: clv.MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614, Unit: clv.Weeks}, AIC: 19172.27, BIC: 19195.33},
		{Name: clv.ModelParetoNBD, Err: clv.ErrNoConvergence},
	}
	best, err := clv.Choose(cands, clv.ByBIC)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(best.Name, best.Params())
	_, err = clv.Choose(cands, clv.ByHoldout)
	fmt.Println(err)
	// Output:
	// mbgnbd [{r 0.525} {alpha 6.183} {a 0.891} {b 1.614}]
	// clv: choose by holdout: no fitted candidate has a holdout period: clv: no customer model to choose from
}
