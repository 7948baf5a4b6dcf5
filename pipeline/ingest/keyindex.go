package ingest

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// KeyIndex maps key digests to int32 values, as a [KeyMap] does, in about
// 17 bytes a key instead of about 34. It suits an index that is built in
// one go and then read, such as the tickets or the customers of the KPI
// engine:
//
//   - Digests put before the first lookup are appended to a list. [Seal],
//     which the first [KeyIndex.Get] calls, sorts them once into an array
//     searched through a directory of their leading bits. A digest put
//     more than once by then keeps its smallest value; Seal reports the
//     others.
//   - Digests put after sealing go to a KeyMap beside the array.
//
// The array keeps 96 bits of each digest: two different keys share them
// with probability about n²/2⁹⁷ among n keys (below 10⁻¹⁴ for 10⁸ keys),
// which the index treats as never. The zero value is ready to use; a
// KeyIndex is not safe for concurrent use.
type KeyIndex struct {
	added  [][]indexEntry // put before sealing, in chunks of indexChunk
	sealed bool
	sorted []indexEntry // by digest, then value, once sealed
	dir    []int32      // dir[b] is the first entry whose top bits are ≥ b
	shift  uint8        // digest bits below the directory's
	later  KeyMap[int32]
}

type indexEntry struct {
	hi uint64
	lo uint32
	v  int32
}

// indexChunk is the number of entries of one chunk of the list of digests
// put before sealing: appending never copies more than a chunk.
const indexChunk = 1 << 16

func (e indexEntry) compare(o indexEntry) int {
	if c := cmp.Compare(e.hi, o.hi); c != 0 {
		return c
	}
	if c := cmp.Compare(e.lo, o.lo); c != 0 {
		return c
	}
	return cmp.Compare(e.v, o.v)
}

// Put adds h with the value v, unless h is already known: the first value
// put stays. After sealing, Put reports false for a known h at once;
// before, it reports true and [KeyIndex.Seal] reports the repeats.
func (x *KeyIndex) Put(h KeyHash, v int32) bool {
	if x.sealed {
		if _, ok := x.Get(h); ok {
			return false
		}
		x.later.Put(h, v)
		return true
	}
	if n := len(x.added); n == 0 || len(x.added[n-1]) == indexChunk {
		x.added = append(x.added, make([]indexEntry, 0, indexChunk))
	}
	last := &x.added[len(x.added)-1]
	*last = append(*last, indexEntry{hi: h[0], lo: uint32(h[1]), v: v})
	return true
}

// Get returns the value of h and whether h is in the index. The first Get
// seals the index.
func (x *KeyIndex) Get(h KeyHash) (int32, bool) {
	x.Seal()
	if i, ok := x.find(h); ok {
		return x.sorted[i].v, true
	}
	if x.later.Len() == 0 {
		return 0, false
	}
	return x.later.Get(h)
}

// Len returns the number of digests in the index (once sealed, not
// counting the repeated ones).
func (x *KeyIndex) Len() int {
	n := len(x.sorted) + x.later.Len()
	for _, c := range x.added {
		n += len(c)
	}
	return n
}

// Seal sorts the digests put so far, if it has not been done, and returns
// the values of the digests that were put again: for each digest put more
// than once, every value but the smallest, in increasing order. Later
// calls return nil. The list of digests is freed chunk by chunk as the
// sorted array fills, so sealing needs little more memory than the array.
func (x *KeyIndex) Seal() (repeated []int32) {
	if x.sealed {
		return nil
	}
	x.sealed = true
	n := 0
	for _, c := range x.added {
		n += len(c)
	}
	x.sorted = make([]indexEntry, 0, n)
	for i, c := range x.added {
		x.sorted = append(x.sorted, c...)
		x.added[i] = nil
	}
	x.added = nil
	sortEntries(x.sorted)
	// Drop the repeats: equal digests are adjacent, smallest value first.
	kept := 0
	for i, e := range x.sorted {
		if i > 0 && e.hi == x.sorted[kept-1].hi && e.lo == x.sorted[kept-1].lo {
			repeated = append(repeated, e.v)
			continue
		}
		x.sorted[kept] = e
		kept++
	}
	x.sorted = x.sorted[:kept]
	slices.Sort(repeated)
	x.buildDir()
	return repeated
}

// Renumber replaces the value v of every digest with f(v), and removes the
// digests for which f returns false: for an owner that drops the rows the
// repeated digests pointed to and renumbers the others.
func (x *KeyIndex) Renumber(f func(v int32) (int32, bool)) {
	x.Seal()
	kept := x.sorted[:0]
	for _, e := range x.sorted {
		if v, ok := f(e.v); ok {
			e.v = v
			kept = append(kept, e)
		}
	}
	x.sorted = kept
	x.buildDir()
	if x.later.Len() == 0 {
		return
	}
	old := x.later
	x.later = KeyMap[int32]{}
	for k, e := range old.m {
		if v, ok := f(e.v); ok {
			x.later.Put(KeyHash{k, e.lo}, v)
		}
	}
	for h, v := range old.more {
		if v, ok := f(v); ok {
			x.later.Put(h, v)
		}
	}
}

// buildDir indexes the sorted array by the top bits of the digests, about
// four entries a slot.
func (x *KeyIndex) buildDir() {
	b := 0
	if len(x.sorted) > 4 {
		b = bits.Len(uint(len(x.sorted))) - 2
	}
	x.shift = uint8(64 - b)
	x.dir = make([]int32, 1<<b+1)
	slot := 0
	for i, e := range x.sorted {
		for s := int(e.hi >> x.shift); slot <= s; slot++ {
			x.dir[slot] = int32(i)
		}
	}
	for ; slot < len(x.dir); slot++ {
		x.dir[slot] = int32(len(x.sorted))
	}
}

// find returns the position of h in the sorted array.
func (x *KeyIndex) find(h KeyHash) (int, bool) {
	if len(x.sorted) == 0 {
		return 0, false
	}
	s := h[0] >> x.shift // 0 when the directory has one slot (shift 64)
	lo, hi := int(x.dir[s]), int(x.dir[s+1])
	want := indexEntry{hi: h[0], lo: uint32(h[1])}
	for i := lo; i < hi; i++ {
		e := x.sorted[i]
		if e.hi == want.hi && e.lo == want.lo {
			return i, true
		}
		if e.hi > want.hi {
			break
		}
	}
	return 0, false
}

// sortEntries sorts entries by digest, then value: it splits them in place
// into 256 buckets by the top byte of the digest, then sorts the buckets on
// all cores.
func sortEntries(es []indexEntry) {
	if len(es) < 1<<14 {
		slices.SortFunc(es, indexEntry.compare)
		return
	}
	var start, next [257]int
	for _, e := range es {
		start[e.hi>>56+1]++
	}
	for b := range 256 {
		start[b+1] += start[b]
	}
	copy(next[:], start[:])
	// American flag sort: move each entry to its bucket, one cycle at a time.
	for b := range 256 {
		for next[b] < start[b+1] {
			e := es[next[b]]
			for t := int(e.hi >> 56); t != b; t = int(e.hi >> 56) {
				es[next[t]], e = e, es[next[t]]
				next[t]++
			}
			es[next[b]] = e
			next[b]++
		}
	}
	buckets := make(chan int, 256)
	for b := range 256 {
		buckets <- b
	}
	close(buckets)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range buckets {
				slices.SortFunc(es[start[b]:start[b+1]], indexEntry.compare)
			}
		}()
	}
	wg.Wait()
}
