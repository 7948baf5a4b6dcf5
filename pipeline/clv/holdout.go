package clv

import (
	"context"
	"fmt"
)

// HoldoutBucket compares forecast and actual holdout purchases for the
// customers with one calibration frequency (or more, for the last bucket).
type HoldoutBucket struct {
	Frequency int     // x; the last bucket holds every x at or above it
	Customers int     // customers in the bucket
	Predicted float64 // mean expected holdout purchases, E[Y(t) | x, t_x, T]
	Actual    float64 // mean holdout purchase occasions
}

// HoldoutReport is the calibration/holdout check of Fader, Hardie and Lee
// (2005, figure 4): for each calibration frequency 0, 1, …, maxFreq−1 and
// "maxFreq or more", the mean number of purchases the fitted model expects
// in the holdout period against the mean actually made. The holdout lasts
// from the calibration end to the end of s, in s's unit. It returns an
// error when s has no holdout period.
func HoldoutReport(ctx context.Context, s *Summary, bg BGNBD, maxFreq int) ([]HoldoutBucket, error) {
	if !s.End.After(s.CalibrationEnd) {
		return nil, fmt.Errorf("clv: holdout report: the summary has no holdout period")
	}
	if maxFreq < 1 {
		return nil, fmt.Errorf("clv: holdout report: maxFreq %d < 1", maxFreq)
	}
	t := s.End.Sub(s.CalibrationEnd).Hours() / 24 / s.Unit.days()
	out := make([]HoldoutBucket, maxFreq+1)
	for i := range out {
		out[i].Frequency = i
	}
	for i, x := range s.Frequency {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := &out[min(x, maxFreq)]
		b.Customers++
		b.Predicted += bg.ConditionalExpected(t, x, s.Recency[i], s.Age[i])
		b.Actual += float64(s.Holdout[i])
	}
	for i := range out {
		if n := float64(out[i].Customers); n > 0 {
			out[i].Predicted /= n
			out[i].Actual /= n
		}
	}
	return out, nil
}
