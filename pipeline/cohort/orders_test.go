package cohort

import "testing"

// TestOrderStore appends runs of awkward lengths across several chunks
// and checks that every order comes back in order, with chunks full
// except the last.
func TestOrderStore(t *testing.T) {
	var s orderStore
	next := int32(0)
	for _, n := range []int{0, 1, chunkLen - 1, 2, chunkLen, 3 * chunkLen / 2, 7} {
		cust := make([]int32, n)
		period := make([]int32, n)
		rev := make([]float64, n)
		for i := range cust {
			cust[i], period[i], rev[i] = next, -next, float64(next)/2
			next++
		}
		s.append(cust, period, rev)
	}
	if s.n != int(next) {
		t.Fatalf("n = %d, want %d", s.n, next)
	}
	want := int32(0)
	for i, ch := range s.chunks {
		if i < len(s.chunks)-1 && len(ch.cust) != chunkLen {
			t.Errorf("chunk %d holds %d, want %d", i, len(ch.cust), chunkLen)
		}
		for j, c := range ch.cust {
			if c != want || ch.period[j] != -want || ch.rev[j] != float64(want)/2 {
				t.Fatalf("order %d = (%d, %d, %v), want (%d, %d, %v)", want, c, ch.period[j], ch.rev[j], want, -want, float64(want)/2)
			}
			want++
		}
	}
	if want != next {
		t.Errorf("read back %d orders, want %d", want, next)
	}
}
