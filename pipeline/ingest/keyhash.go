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
