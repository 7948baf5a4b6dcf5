package kpi

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
)

// Long inputs are split across cores; every row must come out as if
// computed alone.
func TestDurationsSplitMatchesRowByRow(t *testing.T) {
	bh := DefaultBusinessHours(time.UTC)
	r := rand.New(rand.NewPCG(8, 9))
	const n = 20_000
	a, b := make([]arrow.Timestamp, n), make([]arrow.Timestamp, n)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range a {
		a[i] = arrow.Timestamp(base + r.Int64N(90*24*3600e6))
		b[i] = a[i] + arrow.Timestamp(r.Int64N(10*24*3600e6))
		if i%11 == 0 {
			b[i] = noTime
		}
	}
	cal, biz := durations(bh, a, b, nil, nil)
	for i := range a {
		c1, b1 := durations(bh, a[i:i+1], b[i:i+1], nil, nil)
		if c1[0] != cal[i] || b1[0] != biz[i] {
			t.Fatalf("row %d: split gives %v/%v, alone %v/%v", i, cal[i], biz[i], c1[0], b1[0])
		}
	}
	if !slices.ContainsFunc(biz, func(x float64) bool { return x > 0 }) {
		t.Fatal("no business-hours duration > 0: the test says nothing")
	}
}
