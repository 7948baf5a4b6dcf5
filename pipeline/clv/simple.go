package clv

// The seed formulas below are back-of-the-envelope CLVs, kept because
// reports quote them. They ignore churn dynamics, discounting and (except
// the historical CLV) margin; the model-based value is [Predict].

// BasicCLV returns the "basic CLV" of the seed: average purchase value ×
// purchase frequency (purchases per year) × average customer lifespan
// (years). It is revenue, not margin, and undiscounted.
func BasicCLV(avgPurchaseValue, purchasesPerYear, lifespanYears float64) float64 {
	return avgPurchaseValue * purchasesPerYear * lifespanYears
}

// SeedPredictiveCLV returns what the seed calls "predictive CLV": average
// monthly transactions × average order value × average lifespan (months).
// Despite its name it is a static formula, BasicCLV in monthly units; it is
// not the model-based prediction of [Predict].
func SeedPredictiveCLV(monthlyTransactions, avgOrderValue, lifespanMonths float64) float64 {
	return monthlyTransactions * avgOrderValue * lifespanMonths
}

// Averages are cohort averages of a [Summary], the inputs of [BasicCLV]
// and [SeedPredictiveCLV] apart from the lifespan, which the data of one
// observation window cannot give.
type Averages struct {
	// OrderValue is the average order value: ΣRevenue / ΣOrders.
	OrderValue float64
	// PurchasesPerYear is the number of orders per customer per year of
	// the calibration window (from the earliest first purchase to the
	// calibration end day, inclusive).
	PurchasesPerYear float64
	// MarginRatio is ΣGrossMargin / ΣRevenue.
	MarginRatio float64
}

// MonthlyTransactions returns PurchasesPerYear / 12.
func (a Averages) MonthlyTransactions() float64 { return a.PurchasesPerYear / 12 }

// Averages returns the cohort averages of s; they are zero for an empty
// summary or one without orders or revenue.
func (s *Summary) Averages() Averages {
	var orders, rev, gm, span float64
	for i := range s.Customers {
		orders += float64(s.Orders[i])
		rev += s.Revenue[i]
		gm += s.GrossMargin[i]
		span = max(span, s.Age[i])
	}
	var a Averages
	if orders > 0 {
		a.OrderValue = rev / orders
		years := (span*s.Unit.days() + 1) / 365.25
		a.PurchasesPerYear = orders / float64(s.Len()) / years
	}
	if rev != 0 {
		a.MarginRatio = gm / rev
	}
	return a
}

// HistoricalCLV returns each customer's historical CLV, the sum of their
// purchases × gross margin ratio, which is their gross margin to date:
// Summary.GrossMargin, returned as is (not copied).
func (s *Summary) HistoricalCLV() []float64 { return s.GrossMargin }
