package ingest

import (
	"strings"
	"unicode/utf8"
)

// jsonDecoder turns a JSON object into raw values: the object on a line
// of JSON Lines, or an element of a JSON document with the elements
// enclosing it and the elements joined to it. Members are found by the
// paths of the plan's columns and rules, each name matched exactly, else
// ignoring case and surrounding space.
type jsonDecoder struct {
	p    *plan
	fold map[foldKey]*pathNode // cache of names matched ignoring case

	// The values read from the enclosing elements of the last row, per
	// level: the rows of one element's inner array share them, and an
	// element with many is parsed once, not once per row. They are those
	// of document last.
	above []parentValues
	last  *jsonDoc
}

type parentValues struct {
	elem int32 // index in doc.parents; -1 for none yet
	vals []rawValue
}

// maxFoldCache bounds the cache of keys matched ignoring case.
const maxFoldCache = 4096

func (d *jsonDecoder) decode(c *chunk, i int, raws []rawValue) error {
	clear(raws)
	j := d.p.json
	doc := c.doc(i)
	if doc == nil {
		start, end := c.span(i)
		line := c.str[start:end]
		// The parser makes invalid UTF-8 U+FFFD; unless that is the rule,
		// find the contract member that had it.
		check := !d.p.replaceUTF8 && !utf8.ValidString(line)
		if err := d.object(line, j.tries[0], raws, check, true); err != nil {
			return err
		}
		return nil
	}
	check := !d.p.replaceUTF8 && !doc.valid
	e := doc.rows[c.rows[i].end]
	if doc.s[e.start] != '{' {
		return &rowError{col: -1, err: reasonf(ErrMalformedRow, "record is %s, want a JSON object", describeJSON(&jsonParser{s: doc.s, i: e.start}))}
	}
	if err := d.object(doc.s[e.start:e.end], j.tries[0], raws, check, false); err != nil {
		return err
	}
	if d.above == nil || d.last != doc {
		d.last = doc
		d.above = make([]parentValues, len(j.tries))
		for i := range d.above {
			d.above[i].elem = -1
		}
	}
	parent := e.parent
	for level := 1; level < len(j.tries) && parent >= 0; level++ {
		pe := doc.parents[parent]
		if slots := j.levelSlots[level]; len(slots) > 0 {
			a := &d.above[level]
			if a.elem != parent {
				if err := d.object(doc.s[pe.start:pe.end], j.tries[level], raws, check, false); err != nil {
					a.elem = -1
					return err
				}
				a.elem, a.vals = parent, a.vals[:0]
				for _, slot := range slots {
					a.vals = append(a.vals, raws[slot])
				}
			} else {
				for k, slot := range slots {
					raws[slot] = a.vals[k]
				}
			}
		}
		parent = pe.parent
	}
	for k, jp := range j.joins {
		on := &raws[jp.on]
		if on.kind != rawText || jp.tree.empty() {
			continue
		}
		key := strings.TrimSpace(on.text)
		at, ok := doc.joins[k][key]
		switch {
		case !ok:
			continue
		case at < 0:
			return &rowError{col: -1, err: reasonf(ErrMalformedRow, "join %s: %d elements of %s have %s %q", jp.name, -at, jp.spec.Records, jp.spec.Key, key)}
		}
		je := doc.spans[k][at]
		if err := d.object(doc.s[je.start:je.end], jp.tree, raws, check, false); err != nil {
			return err
		}
	}
	return nil
}

// object fills raws from the object s by the tree n. line says s is a
// whole line, which may hold nothing after the object.
func (d *jsonDecoder) object(s string, n *pathNode, raws []rawValue, check, line bool) error {
	ncols := d.p.json.ncols
	var bad *rowError
	p := jsonParser{s: s}
	p.space()
	err := p.walk(n, 0, 0, d.fold, func(n *pathNode, idx int, key string, kind jsonKind, val, raw string) {
		for _, slot := range n.slots {
			r := &raws[slot]
			col := -1
			if slot < ncols {
				col = slot
			}
			if r.kind != rawAbsent && bad == nil {
				bad = &rowError{col: col, srcCol: idx, err: reasonf(ErrMalformedRow, "key %q appears twice in the object", key)}
			}
			if check && bad == nil && col >= 0 && !utf8.ValidString(raw) {
				bad = &rowError{col: col, srcCol: idx, err: invalidUTF8(raw)}
			}
			*r = rawValue{kind: rawText, text: val, col: idx}
			switch kind {
			case jsonNull:
				r.kind = rawNull
			case jsonNested:
				r.kind = rawNested
			}
		}
	})
	if err == nil && line {
		err = p.end()
	}
	if err != nil {
		return &rowError{col: -1, err: reasonf(ErrMalformedRow, "malformed JSON: %v", err)}
	}
	if bad != nil {
		return bad
	}
	return nil
}

// raw returns the line, or the start of a line too long to keep; for a
// JSON document, the row's element.
func (d *jsonDecoder) raw(c *chunk, i int) string {
	if doc := c.doc(i); doc != nil {
		e := doc.rows[c.rows[i].end]
		return strings.Clone(doc.s[e.start:min(e.end, e.start+2*maxRawBytes)])
	}
	start, end := c.span(i)
	return strings.Clone(c.str[start:end])
}

// record returns the path of row i in its JSON document, "" for JSON
// Lines.
func (d *jsonDecoder) record(c *chunk, i int) string {
	doc := c.doc(i)
	if doc == nil {
		return ""
	}
	return doc.record(c.rows[i].end)
}
