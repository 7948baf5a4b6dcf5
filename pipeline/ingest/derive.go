package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// The rules of a JSON or JSON Lines table (docs/inputs.md, "Keeping rows"
// and "Derived columns"): keep_when skips the rows that are not of the
// table, and derive computes a contract column from a few declarative
// rules, the first that holds winning. A rule can compare a row's value
// with a column of a table read earlier in the run ([Lookups]).

// keepRule is one path of keep_when.
type keepRule struct {
	slot   int
	set    map[string]bool // lower-case trimmed values kept
	reason string          // "event_type: not Comment"
}

// derivePlan is the compiled derive rules of one contract column.
type derivePlan struct {
	col   int
	rules []deriveRule
}

type deriveRule struct {
	when    []condition
	present []int // slots that must hold a value
	equal   *equalCond
	value   rawValue // the value taken, unless from >= 0
	from    int      // slot whose value is taken; -1 for value
}

// condition holds when the value at slot is one of set.
type condition struct {
	slot int
	set  map[string]bool
}

// equalCond holds when the value at slot equals the lookup's value for
// the row's key, read from the row's column keyCol.
type equalCond struct {
	slot   int
	ref    lookupRef
	keyCol int
	lookup *lookup // bound when the reader opens
}

// lookupRef names a column of a table read earlier: tickets.customer_id.
type lookupRef struct {
	table  Table
	column string
}

func (r lookupRef) String() string { return string(r.table) + "." + r.column }

func (j *jsonPlan) compileDerive(spec Spec, c column, col int, rules []DeriveRule, levels int) (derivePlan, error) {
	d := derivePlan{col: col}
	at := "derive." + c.Name
	if len(rules) == 0 {
		return d, mappingErr(at, "no rules listed")
	}
	for k, r := range rules {
		at := fmt.Sprintf("%s[%d]", at, k)
		dr := deriveRule{from: -1}
		for _, path := range sortedKeys(r.When) {
			slot, err := j.extraSlot(path, levels, at+".when."+path)
			if err != nil {
				return d, err
			}
			set, err := valueSet(r.When[path], at+".when."+path)
			if err != nil {
				return d, err
			}
			dr.when = append(dr.when, condition{slot: slot, set: set})
		}
		if r.WhenPresent != nil && len(r.WhenPresent) == 0 {
			return d, mappingErr(at+".when_present", "no paths listed")
		}
		for i, path := range r.WhenPresent {
			slot, err := j.extraSlot(path, levels, fmt.Sprintf("%s.when_present[%d]", at, i))
			if err != nil {
				return d, err
			}
			dr.present = append(dr.present, slot)
		}
		if r.WhenEqual != nil {
			eq, err := j.compileEqual(spec, r.WhenEqual, levels, at+".when_equal")
			if err != nil {
				return d, err
			}
			dr.equal = eq
		}
		switch {
		case r.Value != nil && r.From != "":
			return d, mappingErr(at, "a rule takes a value or a from path, not both")
		case r.Value != nil:
			if v := strings.TrimSpace(*r.Value); v != "" {
				if _, err := c.text(v); err != nil && err != errUnmapped {
					return d, mappingErr(at+".value", "bad value for %s: %w", c.Name, err)
				}
				dr.value = rawValue{kind: rawText, text: v}
			} else {
				dr.value = rawValue{kind: rawNull}
			}
		case r.From != "":
			slot, err := j.extraSlot(r.From, levels, at+".from")
			if err != nil {
				return d, err
			}
			dr.from = slot
		default:
			return d, mappingErr(at, "a rule needs a value or a from path")
		}
		if len(dr.when) == 0 && len(dr.present) == 0 && dr.equal == nil && k < len(rules)-1 {
			return d, mappingErr(at, "a rule without conditions always holds, so the rules after it never apply; put it last")
		}
		d.rules = append(d.rules, dr)
	}
	return d, nil
}

// compileEqual compiles when_equal: [path, "table.column"].
func (j *jsonPlan) compileEqual(spec Spec, pair []string, levels int, at string) (*equalCond, error) {
	if len(pair) != 2 {
		return nil, mappingErr(at, "want [path, table.column], got %d items", len(pair))
	}
	slot, err := j.extraSlot(pair[0], levels, at+"[0]")
	if err != nil {
		return nil, err
	}
	at += "[1]"
	tname, cname, ok := strings.Cut(strings.TrimSpace(pair[1]), ".")
	other, err := SpecOf(Table(tname))
	if !ok || err != nil {
		return nil, mappingErr(at, "bad lookup %q, want table.column of a table read before %s (such as tickets.customer_id)", pair[1], spec.Table)
	}
	before := slices.Index(Tables(), other.Table) < slices.Index(Tables(), spec.Table)
	switch {
	case !before:
		return nil, mappingErr(at, "table %s is not read before %s; a lookup reads a table read earlier in the run (in the order %s)", other.Table, spec.Table, tableList())
	case other.Index(cname) < 0:
		return nil, mappingErr(at, "unknown contract column %q of table %s", cname, other.Table)
	case other.Columns[other.Index(cname)].Kind != String && other.Columns[other.Index(cname)].Kind != Enum:
		return nil, mappingErr(at, "column %s of %s is a %v; a lookup compares text columns", cname, other.Table, other.Columns[other.Index(cname)].Kind)
	case len(other.Key) != 1:
		return nil, mappingErr(at, "table %s has no single key column to look a row up by", other.Table)
	}
	keyCol := spec.Index(other.Key[0])
	if keyCol < 0 {
		return nil, mappingErr(at, "%s has no column %s to find the row of %s by", spec.Table, other.Key[0], other.Table)
	}
	ref := lookupRef{table: other.Table, column: cname}
	if !slices.Contains(j.needs, ref) {
		j.needs = append(j.needs, ref)
	}
	return &equalCond{slot: slot, ref: ref, keyCol: keyCol}, nil
}

// keepSkip returns the reason the row of raws is skipped by keep_when, or
// "" when it is kept.
func (j *jsonPlan) keepSkip(raws []rawValue) string {
	for _, k := range j.keep {
		r := &raws[k.slot]
		if r.kind != rawText || !k.set[strings.ToLower(strings.TrimSpace(r.text))] {
			return k.reason
		}
	}
	return ""
}

// applyDerive sets the derived columns of raws by their rules. The key
// of a lookup is read from the row's key column, converted by its rules.
func (p *plan) applyDerive(raws []rawValue) {
	for _, d := range p.json.derive {
		v := rawValue{}
		for _, r := range d.rules {
			if !p.holds(&r, raws) {
				continue
			}
			if r.from >= 0 {
				v = raws[r.from]
			} else {
				v = r.value
			}
			break
		}
		raws[d.col] = v
	}
}

func (p *plan) holds(r *deriveRule, raws []rawValue) bool {
	for _, c := range r.when {
		v := &raws[c.slot]
		if v.kind != rawText || !c.set[strings.ToLower(strings.TrimSpace(v.text))] {
			return false
		}
	}
	for _, slot := range r.present {
		v := &raws[slot]
		if !(v.kind == rawText && strings.TrimSpace(v.text) != "" || v.kind == rawNested) {
			return false
		}
	}
	if e := r.equal; e != nil {
		v := &raws[e.slot]
		k := &raws[e.keyCol]
		if v.kind != rawText || k.kind != rawText || e.lookup == nil {
			return false
		}
		key, err := p.cols[e.keyCol].text(k.text)
		if err != nil || !key.valid {
			return false
		}
		return e.lookup.equal(key.s, strings.TrimSpace(v.text))
	}
	return true
}

// bind gives the plan's lookups their values, which the table read
// earlier filled.
func (j *jsonPlan) bind(l *Lookups, t Table) error {
	for di := range j.derive {
		for ri := range j.derive[di].rules {
			e := j.derive[di].rules[ri].equal
			if e == nil {
				continue
			}
			lk := l.get(e.ref)
			switch {
			case lk == nil:
				return fmt.Errorf("ingest: %s: derive rule compares with %s, which the reader was not given (Options.Lookups)", t, e.ref)
			case !lk.filled:
				return fmt.Errorf("ingest: %s: derive rule compares with %s, but table %s has not been read: it has no input, or was read after %s", t, e.ref, e.ref.table, t)
			}
			e.lookup = lk
		}
	}
	return nil
}

// Lookups holds columns of tables read earlier in a run, by the tables'
// keys, for the derive rules of the tables read later (when_equal:
// [author_id, tickets.customer_id]). [NewLookups] makes the ones a mapping
// needs; the run hands every record batch of a table to [Lookups.Add] as
// it reads it, and gives the Lookups to the readers of later tables in
// [Options.Lookups]. It keeps two 128-bit digests per row of the table
// looked into, whatever the lengths of the values, so memory grows with
// the rows of that table (the tickets), not with the rows reading it.
// Add is not safe for concurrent use; once a table is read, its lookups
// are read-only and may be read from any goroutine.
type Lookups struct {
	hasher KeyHasher
	all    []*lookup
}

type lookup struct {
	ref            lookupRef
	keyCol, valCol int
	m              KeyMap[KeyHash] // digest of the key -> digest of the value
	hasher         KeyHasher
	filled         bool // a batch of the table was added, or the table was read
}

// NewLookups returns the lookups that the derive rules of m need, empty;
// nil when they need none.
func NewLookups(m Mapping) (*Lookups, error) {
	var l *Lookups
	for _, t := range sortedTables(m.Tables) {
		spec, err := SpecOf(t)
		if err != nil {
			return nil, err
		}
		p, err := compile(spec, m.Tables[t], nil)
		if err != nil {
			return nil, fmt.Errorf("ingest: mapping of %s: %w", t, err)
		}
		for _, ref := range p.json.needs {
			if l == nil {
				l = &Lookups{hasher: NewKeyHasher()}
			}
			if l.get(ref) != nil {
				continue
			}
			other, _ := SpecOf(ref.table)
			l.all = append(l.all, &lookup{ref: ref, keyCol: other.Index(other.Key[0]), valCol: other.Index(ref.column), hasher: l.hasher})
		}
	}
	return l, nil
}

func (l *Lookups) get(ref lookupRef) *lookup {
	if l == nil {
		return nil
	}
	for _, lk := range l.all {
		if lk.ref == ref {
			return lk
		}
	}
	return nil
}

// Needs reports whether a lookup reads table t: the run hands its
// batches to Add only then.
func (l *Lookups) Needs(t Table) bool {
	if l == nil {
		return false
	}
	return slices.ContainsFunc(l.all, func(lk *lookup) bool { return lk.ref.table == t })
}

// Read marks table t as read, even if it had no rows, so that its
// lookups are usable.
func (l *Lookups) Read(t Table) {
	if l == nil {
		return
	}
	for _, lk := range l.all {
		if lk.ref.table == t {
			lk.filled = true
		}
	}
}

// Add records the rows of rec, a record batch of table t in its
// contract's schema, in the lookups that read t. A row whose key or value
// is null adds nothing.
func (l *Lookups) Add(t Table, rec arrow.Record) {
	if l == nil {
		return
	}
	for _, lk := range l.all {
		if lk.ref.table != t {
			continue
		}
		lk.filled = true
		keys, ok1 := rec.Column(lk.keyCol).(*array.String)
		vals, ok2 := rec.Column(lk.valCol).(*array.String)
		if !ok1 || !ok2 {
			continue
		}
		for i := range keys.Len() {
			if keys.IsNull(i) || vals.IsNull(i) {
				continue
			}
			lk.m.Put(lk.hasher.String(keys.Value(i)), lk.hasher.String(vals.Value(i)))
		}
	}
}

// equal reports whether the row keyed key has the value v.
func (lk *lookup) equal(key, v string) bool {
	h, ok := lk.m.Get(lk.hasher.String(key))
	return ok && h == lk.hasher.String(v)
}
