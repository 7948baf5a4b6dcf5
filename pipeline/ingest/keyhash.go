package ingest

import "hash/maphash"

// KeyHash is a 128-bit digest of a key. Sets and indexes of many keys (the
// duplicate check of a table, the ticket index of the KPI engine) keep
// digests instead of the keys: 16 bytes a key whatever its length, and no
// reference into the record batch the key came from.
//
// Two different keys share a digest with probability about n²/2¹²⁹ among
// n keys (below 10⁻²² for a billion keys), which the set treats as never.
type KeyHash [2]uint64

// KeyHasher computes [KeyHash] digests. Its two seeds are drawn at random
// when it is made, so digests are comparable only between the values of
// one hasher, within one process.
type KeyHasher struct{ a, b maphash.Seed }

// NewKeyHasher returns a hasher with fresh random seeds.
func NewKeyHasher() KeyHasher {
	return KeyHasher{a: maphash.MakeSeed(), b: maphash.MakeSeed()}
}

// String returns the digest of s.
func (h KeyHasher) String(s string) KeyHash {
	return KeyHash{maphash.String(h.a, s), maphash.String(h.b, s)}
}

// Bytes returns the digest of b, equal to String(string(b)).
func (h KeyHasher) Bytes(b []byte) KeyHash {
	return KeyHash{maphash.Bytes(h.a, b), maphash.Bytes(h.b, b)}
}

// KeyMap maps key digests to values. It keys a Go map on the first half of
// the digest, which takes the runtime's fast path for 64-bit keys (about
// 2.5 times faster than a map keyed by the whole digest, once the map
// outgrows the caches), and keeps the second half beside the value. The
// rare digest whose first half another digest already holds goes into a
// second map. The zero value is ready to use.
type KeyMap[V any] struct {
	m    map[uint64]keyed[V]
	more map[KeyHash]V
}

type keyed[V any] struct {
	lo uint64 // the second half of the digest
	v  V
}

// Get returns the value of h and whether h is in the map.
func (k *KeyMap[V]) Get(h KeyHash) (V, bool) {
	e, ok := k.m[h[0]]
	if ok && e.lo == h[1] {
		return e.v, true
	}
	if ok && k.more != nil {
		v, ok := k.more[h]
		return v, ok
	}
	var zero V
	return zero, false
}

// Put sets the value of h.
func (k *KeyMap[V]) Put(h KeyHash, v V) {
	if k.m == nil {
		k.m = map[uint64]keyed[V]{}
	}
	e, ok := k.m[h[0]]
	if !ok || e.lo == h[1] {
		k.m[h[0]] = keyed[V]{h[1], v}
		return
	}
	if k.more == nil {
		k.more = map[KeyHash]V{}
	}
	k.more[h] = v
}

// Len returns the number of digests in the map.
func (k *KeyMap[V]) Len() int { return len(k.m) + len(k.more) }
