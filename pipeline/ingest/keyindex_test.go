package ingest

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// A KeyIndex answers every lookup as a Go map of first-put values does,
// before and after sealing, with repeated digests reported once each,
// whatever the number of keys (around the sizes where the sort and the
// directory change shape).
func TestKeyIndexMatchesMap(t *testing.T) {
	h := NewKeyHasher()
	for _, n := range []int{0, 1, 3, 5, 100, 1 << 14, 1<<14 + 1, 70000} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		var x KeyIndex
		want := map[string]int32{}
		var repeated []int32
		for v := range int32(n) {
			k := strconv.Itoa(rng.IntN(n + n/10 + 1)) // about one key in ten repeats
			if !x.Put(h.String(k), v) {
				t.Fatalf("n=%d: Put before sealing reports a repeat", n)
			}
			if _, ok := want[k]; ok {
				repeated = append(repeated, v)
				continue
			}
			want[k] = v
		}
		if got := x.Seal(); !slices.Equal(got, repeated) {
			t.Fatalf("n=%d: Seal reports %d repeated values, want %d", n, len(got), len(repeated))
		}
		if x.Seal() != nil {
			t.Fatalf("n=%d: a second Seal reports repeats again", n)
		}
		// After sealing, new keys go beside the array, and a known key,
		// in the array or beside it, keeps its first value.
		for i := range 50 {
			k := "late" + strconv.Itoa(i)
			want[k] = int32(n + i)
			if !x.Put(h.String(k), int32(n+i)) {
				t.Fatalf("n=%d: Put(%q) after sealing reports a new key as known", n, k)
			}
		}
		for k := range want {
			if x.Put(h.String(k), -1) {
				t.Fatalf("n=%d: Put(%q) after sealing takes a known key again", n, k)
			}
		}
		if x.Len() != len(want) {
			t.Fatalf("n=%d: Len %d, want %d", n, x.Len(), len(want))
		}
		for k, v := range want {
			if got, ok := x.Get(h.String(k)); !ok || got != v {
				t.Fatalf("n=%d: Get(%q) = %d, %v; want %d", n, k, got, ok, v)
			}
		}
		for i := range 1000 {
			k := "absent" + strconv.Itoa(i)
			if _, ok := x.Get(h.String(k)); ok {
				t.Fatalf("n=%d: Get(%q) finds a key never put", n, k)
			}
		}
	}
}

// Renumber rewrites the values and drops the keys it is told to, in the
// sorted array and beside it.
func TestKeyIndexRenumber(t *testing.T) {
	h := NewKeyHasher()
	var x KeyIndex
	for v := range int32(1000) {
		x.Put(h.String(strconv.Itoa(int(v))), v)
	}
	x.Seal()
	x.Put(h.String("late"), 1000)
	x.Renumber(func(v int32) (int32, bool) { return v / 2, v%2 == 0 })
	for v := range 1001 {
		k := strconv.Itoa(v)
		if v == 1000 {
			k = "late"
		}
		got, ok := x.Get(h.String(k))
		if ok != (v%2 == 0) || (ok && got != int32(v/2)) {
			t.Fatalf("after Renumber, Get(%q) = %d, %v", k, got, ok)
		}
	}
}

func BenchmarkKeyIndex(b *testing.B) {
	const n = 1 << 20
	h := NewKeyHasher()
	keys := make([]KeyHash, n)
	for i := range keys {
		keys[i] = h.String("T" + strconv.Itoa(i))
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var x KeyIndex
			for i, k := range keys {
				x.Put(k, int32(i))
			}
			x.Seal()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
	b.Run("get", func(b *testing.B) {
		var x KeyIndex
		for i, k := range keys {
			x.Put(k, int32(i))
		}
		x.Seal()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := x.Get(keys[i&(n-1)]); !ok {
				b.Fatal("missing key")
			}
			i += 7919
		}
	})
	b.Run("keymap-get", func(b *testing.B) {
		var x KeyMap[int32]
		for i, k := range keys {
			x.Put(k, int32(i))
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := x.Get(keys[i&(n-1)]); !ok {
				b.Fatal("missing key")
			}
			i += 7919
		}
	})
}
