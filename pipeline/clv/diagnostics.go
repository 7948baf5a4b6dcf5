package clv

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Diagnostics are Fader and Hardie's three checks of a purchase model
// fitted on the calibration period of a summary: the calibration/holdout
// comparison by frequency, the tracking of repeat purchases week by week
// across both periods, and the period-transactions histogram.
type Diagnostics struct {
	// Model names the purchase model checked.
	Model string
	// Start, CalibrationEnd and End are local midnights starting the
	// earliest first purchase day, the last calibration day and the last
	// observed day.
	Start, CalibrationEnd, End time.Time
	// Holdout is the model's holdout accuracy with its calibration/holdout
	// buckets (frequencies 0 to Buckets−1 and "Buckets or more"); nil
	// without a holdout period.
	Holdout *HoldoutAccuracy
	// Tracking are the cohort's repeat purchases week by week from Start
	// to End, actual and expected.
	Tracking []TrackingWeek
	// Histogram is the number of customers by calibration-period
	// frequency, 0 to Buckets−1 and "Buckets or more", actual and
	// expected.
	Histogram []FrequencyCount
}

// TrackingWeek is one week of the tracking plot: the repeat purchase
// occasions the calibration cohort made in it, and as many as the model
// expects, Σ_i E[X(end − first_i)] − E[X(start − first_i)] over the
// customers' first purchase days. The last week ends at the end of
// observation and may be shorter.
type TrackingWeek struct {
	Start             time.Time // local midnight starting the week
	Days              int       // 7, or fewer for the last week
	Actual, Predicted float64
}

// FrequencyCount is one bar pair of the period-transactions histogram:
// the customers with Frequency repeat purchases in the calibration period
// (or more, for the last), and as many as the model expects,
// Σ_i P(X(T_i) = x).
type FrequencyCount struct {
	Frequency int
	Actual    int
	Predicted float64
}

// Diagnose checks m, fitted on the calibration period of s, against s:
// buckets frequency buckets (0 to buckets−1 and "buckets or more") for the
// holdout comparison and the histogram, and weekly tracking. Without a
// holdout period, Holdout is nil and the tracking stops at the
// calibration end, which is then End. The tracking needs the days of a
// summary made by a [Summarizer]; without them Tracking is nil.
func Diagnose(ctx context.Context, s *Summary, m Purchases, buckets int) (*Diagnostics, error) {
	if buckets < 1 {
		return nil, fmt.Errorf("clv: diagnose: %d buckets, want at least 1", buckets)
	}
	if m == nil || !m.valid() || m.timeUnit() != s.Unit {
		return nil, fmt.Errorf("clv: diagnose: invalid purchase model %+v for a summary in %v", m, s.Unit)
	}
	if s.Len() == 0 {
		return nil, fmt.Errorf("clv: diagnose: %w", ErrNoData)
	}
	d := &Diagnostics{Model: m.name(), Start: s.Start, CalibrationEnd: s.CalibrationEnd, End: s.End}
	if s.End.After(s.CalibrationEnd) {
		acc, err := Holdout(ctx, s, m, buckets)
		if err != nil {
			return nil, err
		}
		d.Holdout = acc
	}
	var err error
	if d.Histogram, err = histogram(ctx, s, m, buckets); err != nil {
		return nil, err
	}
	if s.Start.IsZero() {
		return d, nil // a summary not made by a Summarizer: no days to track
	}
	if d.Tracking, err = tracking(ctx, s, m); err != nil {
		return nil, err
	}
	return d, nil
}

// firstDays returns each customer's first purchase day as days after
// s.Start, from the calibration end and Age, and the days from Start to
// the calibration end and to End.
func firstDays(s *Summary) (first []int, calEnd, end int) {
	days := func(a, b time.Time) int {
		ay, am, ad := a.Date()
		by, bm, bd := b.Date()
		return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	}
	calEnd, end = days(s.Start, s.CalibrationEnd), days(s.Start, s.End)
	first = make([]int, s.Len())
	for i, age := range s.Age {
		first[i] = calEnd - int(math.Round(age*s.Unit.days()))
	}
	return first, calEnd, end
}

// histogram counts the customers by calibration frequency and sums
// their probabilities of each count, customers of equal age together.
func histogram(ctx context.Context, s *Summary, m Purchases, buckets int) ([]FrequencyCount, error) {
	out := make([]FrequencyCount, buckets+1)
	for i := range out {
		out[i].Frequency = i
	}
	byAge := map[float64]int{}
	for i, x := range s.Frequency {
		out[min(x, buckets)].Actual++
		byAge[s.Age[i]]++
	}
	// Ages in increasing order, so that the sums do not depend on map
	// order.
	ages := make([]float64, 0, len(byAge))
	for a := range byAge {
		ages = append(ages, a)
	}
	slices.Sort(ages)
	for k, age := range ages {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("clv: diagnose: %w", err)
			}
		}
		w := float64(byAge[age])
		rest := 1.0
		for x, p := range m.pmf(age, buckets) {
			out[x].Predicted += w * p
			rest -= p
		}
		out[buckets].Predicted += w * max(rest, 0)
	}
	return out, nil
}

// tracking returns the weekly repeat purchases of the calibration cohort,
// actual and expected, from Start to End.
func tracking(ctx context.Context, s *Summary, m Purchases) ([]TrackingWeek, error) {
	first, _, end := firstDays(s)
	cohort := make([]float64, end+1) // customers by first purchase day
	for _, f := range first {
		if f >= 0 && f <= end {
			cohort[f]++
		}
	}
	// E[X(j days)] for every whole number of days j.
	ex := make([]float64, end+1)
	for j := range ex {
		ex[j] = m.Expected(float64(j) / s.Unit.days())
	}
	// cum(e) is the expected repeat purchases through the end of day e.
	cum := func(e int) float64 {
		var v float64
		for f := 0; f <= e; f++ {
			if cohort[f] > 0 {
				v += cohort[f] * ex[e-f]
			}
		}
		return v
	}
	var out []TrackingWeek
	prev := 0.0
	for lo := 0; lo <= end; lo += 7 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("clv: diagnose: %w", err)
		}
		hi := min(lo+6, end)
		w := TrackingWeek{Start: s.Start.AddDate(0, 0, lo), Days: hi - lo + 1}
		for d := lo; d <= hi && d < len(s.RepeatsPerDay); d++ {
			w.Actual += float64(s.RepeatsPerDay[d])
		}
		c := cum(hi)
		w.Predicted, prev = c-prev, c
		out = append(out, w)
	}
	return out, nil
}
