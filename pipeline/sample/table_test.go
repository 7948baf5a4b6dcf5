package sample

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendTime checks appendTime against the time package at the edges
// of its fast path and at random instants.
func TestAppendTime(t *testing.T) {
	at := []int64{0, 1, day - 1, day, 951782400, 951868800, 4107542399, 4107542400, maxFastTime - 1, maxFastTime, -1, -day - 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		at = append(at, r.Int64N(maxFastTime))
	}
	for _, sec := range at {
		want := time.Unix(sec, 0).UTC().Format(time.RFC3339)
		if got := string(appendTime(nil, sec)); got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", sec, got, want)
		}
	}
}
