package ingest

import (
	"cmp"
	"slices"
	"strings"
)

// SkipCount counts the rows of a table skipped for one reason.
type SkipCount struct {
	Reason string // the column and the export value that marked the rows, "score: offered"
	N      int64
}

// Unmapped counts the export values of one enum column that were outside
// its vocabulary and became its catch-all ([TableMapping.Unmapped]), in
// rows that were accepted.
type Unmapped struct {
	Column string       // contract column
	As     string       // the catch-all value they became
	Rows   int64        // rows with such a value
	Values []ValueCount // the most frequent values, most rows first, at most MaxUnmappedValues
	Others int64        // rows with a value not in Values
}

// ValueCount counts the rows with one export value.
type ValueCount struct {
	Value string
	N     int64
}

// MaxUnmappedValues is the number of distinct values an [Unmapped]
// lists; the rows of the others are counted together.
const MaxUnmappedValues = 10

// maxTrackedValues bounds the distinct values counted per column: a
// column whose every value is different (an id mapped by mistake) must
// not hold them all in memory. Values first seen after it is reached are
// counted as others.
const maxTrackedValues = 1000

// tally counts what a Reader skipped and kept with a catch-all. It is
// used on the goroutine that calls Read.
type tally struct {
	skips    map[string]int64
	unmapped map[int]*valueTally // by contract column
}

type valueTally struct {
	rows     int64
	values   map[string]int64
	untraced int64 // rows whose value came after maxTrackedValues others
}

func (t *tally) skip(reason string) {
	if t.skips == nil {
		t.skips = map[string]int64{}
	}
	t.skips[reason]++
}

// hit counts one value of column col; value may alias memory that is
// reused, so it is copied when kept.
func (t *tally) hit(col int, value string) {
	if t.unmapped == nil {
		t.unmapped = map[int]*valueTally{}
	}
	v := t.unmapped[col]
	if v == nil {
		v = &valueTally{values: map[string]int64{}}
		t.unmapped[col] = v
	}
	v.rows++
	if _, ok := v.values[value]; ok {
		v.values[value]++
	} else if len(v.values) < maxTrackedValues {
		v.values[strings.Clone(value)] = 1
	} else {
		v.untraced++
	}
}

func (t *tally) skipCounts() []SkipCount {
	out := make([]SkipCount, 0, len(t.skips))
	for r, n := range t.skips {
		out = append(out, SkipCount{Reason: r, N: n})
	}
	slices.SortFunc(out, func(a, b SkipCount) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Reason, b.Reason)) })
	return out
}

func (t *tally) unmappedCounts(p *plan) []Unmapped {
	var out []Unmapped
	for i := range p.cols {
		v := t.unmapped[i]
		if v == nil {
			continue
		}
		u := Unmapped{Column: p.cols[i].Name, As: p.cols[i].unmapped, Rows: v.rows}
		for val, n := range v.values {
			u.Values = append(u.Values, ValueCount{Value: val, N: n})
		}
		slices.SortFunc(u.Values, func(a, b ValueCount) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Value, b.Value)) })
		u.Values = slices.Clip(u.Values[:min(len(u.Values), MaxUnmappedValues)])
		u.Others = u.Rows
		for _, vc := range u.Values {
			u.Others -= vc.N
		}
		out = append(out, u)
	}
	return out
}
