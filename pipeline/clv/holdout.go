package clv

import (
	"context"
	"fmt"
	"math"
)

// HoldoutBucket compares forecast and actual holdout purchases for the
// customers with one calibration frequency (or more, for the last bucket).
type HoldoutBucket struct {
	Frequency int     // x; the last bucket holds every x at or above it
	Customers int     // customers in the bucket
	Predicted float64 // mean expected holdout purchases, E[Y(t) | x, t_x, T]
	Actual    float64 // mean holdout purchase occasions
}

// HoldoutAccuracy is how well a purchase model fitted on the calibration
// period forecasts the holdout period, customer by customer and in total.
type HoldoutAccuracy struct {
	// Customers is the calibration cohort; Length the holdout period in
	// the summary's unit.
	Customers int
	Length    float64
	// Predicted and Actual are the cohort's expected and actual holdout
	// purchases.
	Predicted, Actual float64
	// RMSE is the root mean squared error of the per-customer forecasts,
	// √(Σ (E[Y(t) | x, t_x, T] − x*)² / n), in purchases; MAE the mean
	// absolute error.
	RMSE, MAE float64
	// Buckets is the calibration/holdout comparison by frequency of
	// [HoldoutReport].
	Buckets []HoldoutBucket
}

// HoldoutReport is the calibration/holdout check of Fader, Hardie and Lee
// (2005, figure 4): for each calibration frequency 0, 1, …, maxFreq−1 and
// "maxFreq or more", the mean number of purchases the fitted model expects
// in the holdout period against the mean actually made. The holdout lasts
// from the calibration end to the end of s, in s's unit. It returns an
// error when s has no holdout period.
func HoldoutReport(ctx context.Context, s *Summary, m Purchases, maxFreq int) ([]HoldoutBucket, error) {
	acc, err := Holdout(ctx, s, m, maxFreq)
	if err != nil {
		return nil, err
	}
	return acc.Buckets, nil
}

// Holdout measures the holdout accuracy of m, fitted on the calibration
// period of s: totals, per-customer errors and the buckets of
// [HoldoutReport] up to maxFreq. It returns an error when s has no
// holdout period.
func Holdout(ctx context.Context, s *Summary, m Purchases, maxFreq int) (*HoldoutAccuracy, error) {
	if !s.End.After(s.CalibrationEnd) {
		return nil, fmt.Errorf("clv: holdout report: the summary has no holdout period")
	}
	if maxFreq < 1 {
		return nil, fmt.Errorf("clv: holdout report: maxFreq %d < 1", maxFreq)
	}
	t := s.End.Sub(s.CalibrationEnd).Hours() / 24 / s.Unit.days()
	acc := &HoldoutAccuracy{Customers: s.Len(), Length: t, Buckets: make([]HoldoutBucket, maxFreq+1)}
	out := acc.Buckets
	for i := range out {
		out[i].Frequency = i
	}
	var sq, abs float64
	for i, x := range s.Frequency {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := &out[min(x, maxFreq)]
		e := m.ConditionalExpected(t, x, s.Recency[i], s.Age[i])
		a := float64(s.Holdout[i])
		b.Customers++
		b.Predicted += e
		b.Actual += a
		acc.Predicted += e
		acc.Actual += a
		sq += (e - a) * (e - a)
		abs += math.Abs(e - a)
	}
	for i := range out {
		if n := float64(out[i].Customers); n > 0 {
			out[i].Predicted /= n
			out[i].Actual /= n
		}
	}
	if n := float64(s.Len()); n > 0 {
		acc.RMSE, acc.MAE = math.Sqrt(sq/n), abs/n
	}
	return acc, nil
}
