package ingest

import (
	"errors"
	"fmt"
	"strings"
)

// Paths into JSON (docs/inputs.md, "Paths"). A column of a JSON or JSON
// Lines table names a member of the row's object by a path: member names
// separated by dots ("via.channel"), read from the row's element, or from
// an enclosing element with one "../" per level ("../ticket_id"). A
// backslash escapes a dot or a backslash in a name ("a\.b" is the member
// "a.b"). The records of a JSON document are named the same way, with
// "[]" after each array whose elements are iterated
// ("ticket_events[].child_events[]"); the last array is iterated whether
// or not it says so.

// jsonPath is a parsed column path.
type jsonPath struct {
	up    int      // levels above the row's element: one per "../"
	names []string // member names, outermost first
}

// String renders the path as it is written.
func (p jsonPath) String() string {
	var b strings.Builder
	for range p.up {
		b.WriteString("../")
	}
	for i, n := range p.names {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(escapeName(n))
	}
	return b.String()
}

func escapeName(n string) string {
	if !strings.ContainsAny(n, `.\`) {
		return n
	}
	return strings.NewReplacer(`\`, `\\`, `.`, `\.`).Replace(n)
}

// errPathSyntax marks a path that cannot be parsed.
var errPathSyntax = errors.New("bad path")

// parsePath parses a column path. It never fails on a path of one name
// without dots, escapes or "../": every CSV header is such a name.
func parsePath(s string) (jsonPath, error) {
	var p jsonPath
	rest := s
	for strings.HasPrefix(rest, "../") {
		p.up++
		rest = rest[3:]
	}
	names, err := splitNames(rest)
	if err != nil {
		return jsonPath{}, fmt.Errorf("%w %q: %v", errPathSyntax, s, err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, "[]") {
			return jsonPath{}, fmt.Errorf("%w %q: %q is an array; a column reads one value (make the array's elements rows with records: …[])", errPathSyntax, s, n)
		}
	}
	p.names = names
	return p, nil
}

// splitNames splits a dotted path into its member names, unescaping
// them. No name may be empty.
func splitNames(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("no member name")
	}
	var names []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || (s[i+1] != '.' && s[i+1] != '\\') {
				return nil, fmt.Errorf(`a backslash must be followed by "." or "\" (at byte %d)`, i+1)
			}
			i++
			b.WriteByte(s[i])
		case '.':
			if b.Len() == 0 {
				return nil, fmt.Errorf("empty member name before byte %d", i+1)
			}
			names = append(names, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return nil, errors.New("empty member name at the end")
	}
	return append(names, b.String()), nil
}

// recordStep is one member on the way from a document's root to its rows.
type recordStep struct {
	name    string // "" for the document itself (only the first step)
	iterate bool   // the member is an array whose elements are read one by one
}

// recordsPath is a parsed records path: the steps from the document's
// root to the arrays whose elements are rows. It iterates at least once,
// at the last step.
type recordsPath []recordStep

// levels returns the number of arrays iterated: 1 for "tickets", 2 for
// "ticket_events[].child_events[]". A column may reach up levels-1
// elements with "../".
func (r recordsPath) levels() int {
	n := 0
	for _, s := range r {
		if s.iterate {
			n++
		}
	}
	return n
}

// String renders the path as it is written, "" for the document itself.
func (r recordsPath) String() string {
	var b strings.Builder
	for i, s := range r {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(escapeName(s.name))
		if s.iterate && (s.name == "" || i < len(r)-1) {
			b.WriteString("[]")
		}
	}
	return b.String()
}

// parseRecords parses a records path: "" (or "[]") for a document that is
// itself the array of rows, "tickets", "data.tickets",
// "ticket_events[].child_events[]", or "[].comments" for the elements of
// arrays inside the elements of a top-level array.
func parseRecords(s string) (recordsPath, error) {
	if s == "" || s == "[]" {
		return recordsPath{{iterate: true}}, nil
	}
	var r recordsPath
	rest := s
	if strings.HasPrefix(rest, "[].") {
		r = append(r, recordStep{iterate: true})
		rest = rest[3:]
	}
	names, err := splitNames(rest)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", errPathSyntax, s, err)
	}
	for i, n := range names {
		it := strings.HasSuffix(n, "[]")
		if it {
			n = strings.TrimSuffix(n, "[]")
		}
		if n == "" || strings.Contains(n, "[]") {
			return nil, fmt.Errorf("%w %q: %q, want a member name, optionally followed by []", errPathSyntax, s, names[i])
		}
		r = append(r, recordStep{name: n, iterate: it || i == len(names)-1})
	}
	return r, nil
}

// pathNode is a node of the tree of paths a decoder reads from one
// object: its children are members, and slots are the values (contract
// columns, then the plan's other paths) that a member is.
type pathNode struct {
	slots    []int
	children map[string]*pathNode
	order    []string // children's names, in the order added, for matching ignoring case
}

// add puts the path of names under n as slot.
func (n *pathNode) add(names []string, slot int) {
	for _, name := range names {
		if n.children == nil {
			n.children = map[string]*pathNode{}
		}
		c, ok := n.children[name]
		if !ok {
			c = &pathNode{}
			n.children[name] = c
			n.order = append(n.order, name)
		}
		n = c
	}
	n.slots = append(n.slots, slot)
}

// allSlots appends the slots of n and of all nodes below it.
func (n *pathNode) allSlots(out []int) []int {
	out = append(out, n.slots...)
	for _, name := range n.order {
		out = n.children[name].allSlots(out)
	}
	return out
}

// empty reports whether nothing is read from the object.
func (n *pathNode) empty() bool { return n == nil || (len(n.slots) == 0 && len(n.children) == 0) }

// child returns the member node for key: exactly, else ignoring case and
// surrounding space (as CSV headers match); nil when the member is not
// read. fold caches the second kind of match.
func (n *pathNode) child(key string, fold map[foldKey]*pathNode) *pathNode {
	if c, ok := n.children[key]; ok {
		return c
	}
	if len(n.children) == 0 {
		return nil
	}
	if c, ok := fold[foldKey{n, key}]; ok {
		return c
	}
	var c *pathNode
	k := strings.TrimSpace(key)
	for _, name := range n.order {
		if strings.EqualFold(strings.TrimSpace(name), k) {
			c = n.children[name]
			break
		}
	}
	if len(fold) < maxFoldCache {
		fold[foldKey{n, strings.Clone(key)}] = c
	}
	return c
}

type foldKey struct {
	n   *pathNode
	key string
}

// memberVisit receives a value that a path of the tree names: the node
// with its slots, the 1-based index of the top-level member it is in, the
// member's name, and the value as parseObject gives it.
type memberVisit func(n *pathNode, idx int, key string, kind jsonKind, val, raw string)

// walk parses the object at p.i, which must be one, and calls visit for
// every member the tree n names, descending into the objects of members
// whose nodes have children. Other values are checked and skipped. idx is
// the top-level member index to report; 0 means this object is the top.
func (p *jsonParser) walk(n *pathNode, depth, idx int, fold map[foldKey]*pathNode, visit memberVisit) error {
	if !p.eat('{') {
		return p.fail("want a JSON object")
	}
	p.space()
	if p.eat('}') {
		return nil
	}
	for k := 1; ; k++ {
		p.space()
		if p.peek() != '"' {
			return p.fail("want a member name")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if !p.eat(':') {
			return p.fail("want ':' after member name")
		}
		p.space()
		at := idx
		if at == 0 {
			at = k
		}
		start := p.i
		c := n.child(key, fold)
		switch {
		case c != nil && len(c.children) > 0 && p.peek() == '{':
			if depth >= maxJSONDepth {
				return p.fail("value nested too deep")
			}
			if err := p.walk(c, depth+1, at, fold, visit); err != nil {
				return err
			}
			if len(c.slots) > 0 {
				raw := p.s[start:p.i]
				visit(c, at, key, jsonNested, raw, raw)
			}
		default:
			kind, val, err := p.value(depth)
			if err != nil {
				return err
			}
			if c != nil && len(c.slots) > 0 {
				raw := p.s[start:p.i]
				if kind == jsonNested {
					val = raw
				}
				visit(c, at, key, kind, val, raw)
			}
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return nil
		}
		return p.fail("want ',' or '}'")
	}
}
