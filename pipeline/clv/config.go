package clv

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Unit is the time unit of recency, customer age and model time: the BG/NBD
// rate parameter alpha and every horizon are expressed in it.
type Unit int

// Time units. A week is 7 days.
const (
	Days Unit = iota
	Weeks
)

// String returns "days" or "weeks".
func (u Unit) String() string {
	switch u {
	case Days:
		return "days"
	case Weeks:
		return "weeks"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// days returns the length of the unit in days.
func (u Unit) days() float64 {
	if u == Weeks {
		return 7
	}
	return 1
}

// daysPerMonth is the average Gregorian month, 365.25/12 days.
const daysPerMonth = 365.25 / 12

// Config says how orders become a [Summary]. Only End is required.
type Config struct {
	// End is the last day of observation, inclusive: orders on a later day
	// are ignored (and counted in Summary.Late). Only its calendar date
	// matters, read in End's own location (time.Date(2024, 3, 31, 0, 0, 0,
	// 0, time.UTC) is 31 March whatever Location is).
	End time.Time
	// CalibrationEnd, when set, splits the observation into a calibration
	// period (up to and including this day) that the summary's RFM columns
	// describe and a holdout period (the following days up to End) whose
	// purchases are only counted, to validate forecasts. Zero means no
	// holdout: the calibration period ends at End. Its date is read like
	// End's.
	CalibrationEnd time.Time
	// Unit is the time unit of Recency and Age; the zero value is Days.
	Unit Unit
	// Location defines calendar days: two orders are the same purchase
	// occasion when they fall on the same local date. Nil means UTC.
	Location *time.Location
	// AverageMargin is the gross margin ratio, (revenue - cost) / revenue,
	// assumed for orders whose cost is null. It must lie in [0, 1]; zero
	// means "not configured", and then the orders without cost are valued
	// at the margin ratio of the orders with one (Σ(revenue − cost) /
	// Σrevenue over the observed orders); [Summarizer.Summary] fails with
	// an error wrapping [ErrNoCost] when no order has a cost to take it
	// from. [Summary.Margin] tells which was used.
	AverageMargin float64
	// SpillDir is a directory where a [Summarizer] may keep the orders of
	// many customers (more than 262,144) in temporary files rather than
	// in memory; [Summarizer.Close] removes them. Empty keeps everything
	// in memory.
	SpillDir string

	customersPerSpill int32 // customers per spill file; 0 means customersPerSpill (tests make it small)
}

// Settings are the business settings of a run's CLV models, those a
// configuration file gives: the margin of orders without cost, the
// horizon and the discount rate. See [DefaultSettings].
type Settings struct {
	// UncostedMargin is [Config.AverageMargin], the gross margin ratio of
	// orders without cost, in [0, 1]; 0 values them at the ratio of the
	// orders with a cost.
	UncostedMargin float64
	// HorizonMonths is [ValueConfig.Months], from 1 to 120.
	HorizonMonths int
	// AnnualDiscountRate is [ValueConfig.AnnualDiscountRate], in [0, 1);
	// 0 is no discounting.
	AnnualDiscountRate float64
	// PurchaseModels are the purchase models fitted and chosen from
	// ([FitCustomers]); empty means all of [CustomerModels].
	PurchaseModels []string
	// IntervalMethod is [IntervalConfig.Method]: IntervalDelta (the
	// default of a run, [DefaultSettings]) or IntervalBootstrap.
	IntervalMethod string
	// IntervalLevel is [IntervalConfig.Level], in (0, 1); 0 means 0.90.
	IntervalLevel float64
	// IntervalDraws is [IntervalConfig.Draws], from 20 to 10,000; 0
	// means 200.
	IntervalDraws int
}

// DefaultSettings are a 12-month horizon discounted at 10 % a year, with
// orders without cost valued at the margin ratio of the orders with one,
// and 90 % intervals by the delta method (200 draws should the bootstrap
// be chosen).
func DefaultSettings() Settings {
	return Settings{HorizonMonths: 12, AnnualDiscountRate: 0.10, IntervalMethod: IntervalDelta, IntervalLevel: 0.90, IntervalDraws: 200}
}

// Validate reports the first setting out of its range.
func (s Settings) Validate() error {
	switch {
	case !(s.UncostedMargin >= 0 && s.UncostedMargin <= 1):
		return fmt.Errorf("clv: margin for orders without cost %v outside [0, 1]", s.UncostedMargin)
	case s.HorizonMonths < 1 || s.HorizonMonths > 120:
		return fmt.Errorf("clv: horizon of %d months outside 1 to 120", s.HorizonMonths)
	case !(s.AnnualDiscountRate >= 0 && s.AnnualDiscountRate < 1):
		return fmt.Errorf("clv: annual discount rate %v outside [0, 1)", s.AnnualDiscountRate)
	case s.IntervalMethod != "" && s.IntervalMethod != IntervalDelta && s.IntervalMethod != IntervalBootstrap:
		return fmt.Errorf("clv: interval method %q, want %s or %s", s.IntervalMethod, IntervalDelta, IntervalBootstrap)
	case !(s.IntervalLevel >= 0 && s.IntervalLevel < 1):
		return fmt.Errorf("clv: interval level %v outside (0, 1)", s.IntervalLevel)
	case s.IntervalDraws != 0 && (s.IntervalDraws < 20 || s.IntervalDraws > 10_000):
		return fmt.Errorf("clv: %d interval draws outside 20 to 10000", s.IntervalDraws)
	}
	for _, m := range s.PurchaseModels {
		if customerFit(m) == nil {
			return fmt.Errorf("clv: unknown purchase model %q, want one of %s", m, strings.Join(CustomerModels(), ", "))
		}
	}
	return nil
}

// validate checks c and returns the calibration and observation end days
// (days since 1970-01-01 in c.Location).
func (c *Config) validate() (calEnd, end int32, err error) {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.End.IsZero() {
		return 0, 0, fmt.Errorf("clv: config: End is required")
	}
	if c.Unit != Days && c.Unit != Weeks {
		return 0, 0, fmt.Errorf("clv: config: unknown unit %v", c.Unit)
	}
	if math.IsNaN(c.AverageMargin) || c.AverageMargin < 0 || c.AverageMargin > 1 {
		return 0, 0, fmt.Errorf("clv: config: AverageMargin %v outside [0, 1]", c.AverageMargin)
	}
	end = dateDay(c.End)
	calEnd = end
	if !c.CalibrationEnd.IsZero() {
		calEnd = dateDay(c.CalibrationEnd)
		if calEnd > end {
			return 0, 0, fmt.Errorf("clv: config: CalibrationEnd %s after End %s",
				c.CalibrationEnd.Format(time.DateOnly), c.End.Format(time.DateOnly))
		}
	}
	return calEnd, end, nil
}

// dateDay returns the number of days from 1970-01-01 to t's date (in t's
// location).
func dateDay(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayTime returns local midnight starting day (days since 1970-01-01).
func dayTime(day int32, loc *time.Location) time.Time {
	t := time.Unix(int64(day)*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}
