package ingest

import (
	"strconv"
	"testing"
)

func TestKeyMap(t *testing.T) {
	var m KeyMap[int]
	h := NewKeyHasher()
	for i := range 1000 {
		m.Put(h.String(strconv.Itoa(i)), i)
	}
	// Digests sharing a first half, as two different keys would in the
	// rare case; both must be kept apart.
	a, b := KeyHash{7, 1}, KeyHash{7, 2}
	m.Put(a, -1)
	m.Put(b, -2)
	m.Put(a, -3) // overwrite
	for _, tc := range []struct {
		h    KeyHash
		want int
		ok   bool
	}{
		{h.String("0"), 0, true},
		{h.String("999"), 999, true},
		{h.Bytes([]byte("500")), 500, true},
		{h.String("1000"), 0, false},
		{a, -3, true},
		{b, -2, true},
		{KeyHash{7, 3}, 0, false},
	} {
		got, ok := m.Get(tc.h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Get(%v) = %d, %v; want %d, %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
	if m.Len() != 1002 {
		t.Errorf("Len = %d, want 1002", m.Len())
	}
}
