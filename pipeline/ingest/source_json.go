package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors about a JSON document as a whole. Each ends the read of its
// table, naming the file.
var (
	// ErrDocumentTooLarge means a JSON document is larger than
	// [TableMapping.MaxDocumentBytes].
	ErrDocumentTooLarge = errors.New("ingest: JSON document too large")
	// ErrMalformedDocument means a file of format json is not one valid
	// JSON document, or its records are not where the mapping says.
	ErrMalformedDocument = errors.New("ingest: malformed JSON document")
)

// jsonSource reads a JSON document: the whole file, bounded by the plan's
// maxDoc, checked, and cut into the elements its records path names.
// Nothing is read before the first read, so that opening the table's
// files to check them reads no document.
type jsonSource struct {
	ctx  context.Context
	fsys fs.FS
	name string
	p    *plan
	doc  *jsonDoc
	next int // index of the next row in doc.rows

	// For positions: a byte offset of doc, the line it is on and the
	// offset of the last line end before it (-1 for none).
	lineAt, line, lineEnd int
}

// jsonDoc is a document cut into rows. It is read only once cut, and
// shared by the decoders of its rows.
type jsonDoc struct {
	s       string
	rows    []docElem
	parents []docElem
	joins   []map[string]int32 // per join: key -> element index in its array; -n when n elements have it
	spans   [][]docElem        // per join: its array's elements
	valid   bool               // s is valid UTF-8
	begin   int                // where the JSON starts: after a byte order mark
	line0   int                // lines of the file before the document: 0 but for a line of JSON Lines
	byte0   int                // bytes of the file before the document
	oneLine bool               // the document is a line of JSON Lines
	levels  []string           // per level, the records path up to its array: "ticket_events", ".child_events"
}

// docElem is one element of an array the records path iterates.
type docElem struct {
	start, end int
	parent     int32 // index in doc.parents of the enclosing element; -1 for none
	index      int32 // position in its array
	level      int8  // 0 for the outermost array
	err        string
}

func newJSONSource(ctx context.Context, fsys fs.FS, name string, p *plan) (*jsonSource, error) {
	return &jsonSource{ctx: ctx, fsys: fsys, name: name, p: p}, nil
}

func (s *jsonSource) read(c *chunk, max int) error {
	if s.doc == nil {
		doc, err := loadDocument(s.ctx, s.fsys, s.name, s.p)
		if err != nil {
			return err
		}
		s.doc, s.line, s.lineEnd = doc, 1, -1
	}
	for len(c.rows) < max && s.next < len(s.doc.rows) {
		e := &s.doc.rows[s.next]
		line, col := s.position(e.start)
		row := chunkRow{line: line, col: col, end: s.next}
		if e.err != "" {
			row.err = &rowError{col: -1, err: reasonf(ErrMalformedRow, "%s", e.err)}
		}
		c.rows = append(c.rows, row)
		s.next++
	}
	c.docs = append(c.docs, chunkDoc{doc: s.doc, end: len(c.rows)})
	if s.next == len(s.doc.rows) {
		return io.EOF
	}
	return nil
}

// position returns the line and byte column of offset off, counting from
// the last position asked for: rows come in document order, so the
// positions of a document's rows take one pass over it, even when it is
// all one line.
func (s *jsonSource) position(off int) (line, col int) {
	if off < s.lineAt {
		s.lineAt, s.line, s.lineEnd = 0, 1, -1
	}
	between := s.doc.s[s.lineAt:off]
	if n := strings.Count(between, "\n"); n > 0 {
		s.line += n
		s.lineEnd = s.lineAt + strings.LastIndexByte(between, '\n')
	}
	s.lineAt = off
	return s.line, off - s.lineEnd
}

func (s *jsonSource) decoder() decoder {
	return &jsonDecoder{p: s.p, fold: map[foldKey]*pathNode{}}
}

func (s *jsonSource) close() error { return nil }

// loadDocument reads, checks and cuts the document of one file.
func loadDocument(ctx context.Context, fsys fs.FS, name string, p *plan) (*jsonDoc, error) {
	f, err := openFile(ctx, fsys, name)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	br, zr, err := openText(f, p)
	if err != nil {
		return nil, err
	}
	if zr != nil {
		defer zr.Close()
	}
	max := p.json.maxDoc
	var b strings.Builder
	if st, err := f.Stat(); err == nil && zr == nil && p.enc == nil && st.Size() > 0 {
		b.Grow(int(min(st.Size(), int64(max))) + 1) // one allocation, not a doubling series
	}
	if _, err := io.Copy(&b, io.LimitReader(br, int64(max)+1)); err != nil {
		return nil, err
	}
	if b.Len() > max {
		return nil, fmt.Errorf("%w: more than %d bytes (max_document_bytes)", ErrDocumentTooLarge, max)
	}
	return newDocument(&jsonDoc{s: b.String()}, p.json)
}

// newDocument checks and cuts doc, of which s and the position in its
// file are set.
func newDocument(doc *jsonDoc, j *jsonPlan) (*jsonDoc, error) {
	if strings.HasPrefix(doc.s, "\uFEFF") {
		doc.begin = len("\uFEFF") // kept, so that columns count the file's bytes
	}
	doc.valid = utf8.ValidString(doc.s)
	if err := doc.check(); err != nil {
		return nil, err
	}
	if err := doc.cut(j); err != nil {
		return nil, err
	}
	return doc, nil
}

// at renders a byte offset of the document as line:column.
func (d *jsonDoc) at(off int) string {
	off = min(off, len(d.s))
	line := d.line0 + strings.Count(d.s[:off], "\n") + 1
	col := off - strings.LastIndexByte(d.s[:off], '\n')
	return strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

// check makes sure the document is one JSON value.
func (d *jsonDoc) check() error {
	p := jsonParser{s: d.s, i: d.begin}
	p.space()
	if p.i == len(d.s) {
		return fmt.Errorf("%w: the file is empty, want a JSON object or array", ErrMalformedDocument)
	}
	_, _, err := p.value(0)
	if err == nil {
		p.space()
		if p.i != len(d.s) {
			err = p.fail("want the end of the document after its value")
		}
	}
	var se *jsonSyntaxError
	if errors.As(err, &se) {
		end := ", got the end of the file"
		if d.oneLine {
			end = ", got the end of the line"
		}
		msg := strings.Replace(se.msg, ", got end of line", end, 1)
		return fmt.Errorf("%w: %s (byte %d): %s", ErrMalformedDocument, d.at(se.off), d.byte0+se.off+1, msg)
	}
	return err
}

// cut finds the rows and the joined arrays of a checked document.
func (d *jsonDoc) cut(j *jsonPlan) error {
	recs := j.records
	if recs == nil {
		recs = recordsPath{{iterate: true}}
	}
	prefix := ""
	for _, st := range recs {
		if st.name != "" {
			if prefix != "" || len(d.levels) > 0 {
				prefix += "."
			}
			prefix += escapeName(st.name)
		}
		if st.iterate {
			d.levels = append(d.levels, prefix)
			prefix = ""
		}
	}
	p := &jsonParser{s: d.s, i: d.begin}
	p.space()
	if d.s[p.i] == 'n' && parentless(recs) {
		return fmt.Errorf("%w: the document is null, want an array of rows", ErrMalformedDocument)
	}
	if err := d.descend(p, recs, 0, -1); err != nil {
		return err
	}
	for _, jp := range j.joins {
		elems, index, err := d.joinIndex(jp)
		if err != nil {
			return err
		}
		d.spans = append(d.spans, elems)
		d.joins = append(d.joins, index)
	}
	return nil
}

// parentless reports whether the records are the elements of the
// document itself.
func parentless(r recordsPath) bool { return r[0].name == "" }

// errInner is a problem with the records inside one element: that
// element becomes a rejected row.
type errInner struct{ msg string }

func (e *errInner) Error() string { return e.msg }

// descend reads the value at p.i along steps, adding the rows it leads
// to. parent is the enclosing element of level-1, -1 at the top. A
// problem inside an element is an *errInner; at the top, an error about
// the document.
func (d *jsonDoc) descend(p *jsonParser, steps recordsPath, level int, parent int32) error {
	st := steps[0]
	if st.name != "" {
		if p.peek() != '{' {
			return d.problem(parent, level, fmt.Sprintf("want an object with member %q, got %s", st.name, describeJSON(p)))
		}
		found := d.member(p, st.name)
		if found < 0 {
			if parent < 0 {
				return fmt.Errorf("%w: no member %q in the document's top object (records: %s)", ErrMalformedDocument, st.name, d.path(level, -1, -1))
			}
			return nil // an element without inner records has none
		}
		p.i = found
	}
	if strings.HasPrefix(d.s[p.i:], "null") {
		return nil
	}
	if !st.iterate {
		return d.descend(p, steps[1:], level, parent)
	}
	if p.peek() != '[' {
		return d.problem(parent, level, fmt.Sprintf("want an array, got %s", describeJSON(p)))
	}
	p.i++
	for k := int32(0); ; k++ {
		p.space()
		if p.eat(']') {
			return nil
		}
		if k > 0 {
			p.eat(',')
			p.space()
		}
		start := p.i
		p.skip()
		e := docElem{start: start, end: p.i, parent: parent, index: k, level: int8(level)}
		if len(steps) == 1 {
			d.rows = append(d.rows, e)
			continue
		}
		d.parents = append(d.parents, e)
		q := &jsonParser{s: d.s, i: start}
		if err := d.descend(q, steps[1:], level+1, int32(len(d.parents)-1)); err != nil {
			var ie *errInner
			if !errors.As(err, &ie) {
				return err
			}
			e.err = ie.msg
			d.rows = append(d.rows, e)
		}
	}
}

// problem reports records that are not where the mapping says: about the
// document at the top, else about the enclosing element.
func (d *jsonDoc) problem(parent int32, level int, msg string) error {
	switch {
	case parent < 0 && d.levels[0] == "":
		return fmt.Errorf("%w: the document is %s, want an array of rows (or records: the member that holds them)", ErrMalformedDocument, strings.TrimPrefix(msg, "want an array, got "))
	case parent < 0:
		return fmt.Errorf("%w: records %s: %s", ErrMalformedDocument, d.path(level, -1, -1), msg)
	}
	return &errInner{msg: strings.TrimPrefix(d.levels[min(level, len(d.levels)-1)], ".") + ": " + msg}
}

// member finds the member name of the object at p.i, exactly, else
// ignoring case and surrounding space, and returns the offset of its
// value; -1 when the object has none. The document has been checked.
func (d *jsonDoc) member(p *jsonParser, name string) int {
	p.i++
	exact, fold := -1, -1
	for {
		p.space()
		if p.eat('}') {
			break
		}
		p.eat(',')
		p.space()
		key, _ := p.str()
		p.space()
		p.eat(':')
		p.space()
		switch {
		case key == name && exact < 0:
			exact = p.i
		case fold < 0 && strings.EqualFold(strings.TrimSpace(key), strings.TrimSpace(name)):
			fold = p.i
		}
		p.skip()
	}
	if exact >= 0 {
		return exact
	}
	return fold
}

// path renders the records path of an element at level with its index
// (ticket_events[3].child_events[1]); index -1 leaves out the indices,
// naming the array.
func (d *jsonDoc) path(level int, parent, index int32) string {
	if level >= len(d.levels) {
		level = len(d.levels) - 1
	}
	var parts []string
	for l := level; l >= 0; l-- {
		s := d.levels[l]
		if index >= 0 {
			s += "[" + strconv.Itoa(int(index)) + "]"
		} else if l < level {
			s += "[]"
		}
		parts = append(parts, s)
		if parent >= 0 {
			e := d.parents[parent]
			parent, index = e.parent, e.index
		} else {
			index = -1
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	if b.Len() == 0 {
		return "the document"
	}
	return b.String()
}

// record returns the path of row i.
func (d *jsonDoc) record(i int) string {
	e := d.rows[i]
	return d.path(int(e.level), e.parent, e.index)
}

// joinIndex indexes the elements of a join's array by their keys.
func (d *jsonDoc) joinIndex(jp joinPlan) ([]docElem, map[string]int32, error) {
	p := &jsonParser{s: d.s, i: d.begin}
	p.space()
	where := "join " + jp.name + ": records " + jp.spec.Records
	for _, name := range jp.records {
		if p.peek() != '{' {
			return nil, nil, fmt.Errorf("%w: %s: want an object with member %q, got %s", ErrMalformedDocument, where, name, describeJSON(p))
		}
		at := d.member(p, name)
		if at < 0 {
			return nil, map[string]int32{}, nil // no side-load: no row is joined
		}
		p.i = at
	}
	if strings.HasPrefix(d.s[p.i:], "null") {
		return nil, map[string]int32{}, nil
	}
	if p.peek() != '[' {
		return nil, nil, fmt.Errorf("%w: %s: want an array, got %s", ErrMalformedDocument, where, describeJSON(p))
	}
	p.i++
	var elems []docElem
	index := map[string]int32{}
	fold := map[foldKey]*pathNode{}
	for k := int32(0); ; k++ {
		p.space()
		if p.eat(']') {
			return elems, index, nil
		}
		if k > 0 {
			p.eat(',')
			p.space()
		}
		start := p.i
		p.skip()
		elems = append(elems, docElem{start: start, end: p.i, parent: -1, index: k})
		if d.s[start] != '{' {
			continue // no key: joined to no row
		}
		var key string
		var ok bool
		q := &jsonParser{s: d.s[start:p.i]}
		err := q.walk(jp.key, 0, 0, fold, func(_ *pathNode, _ int, _ string, kind jsonKind, val, _ string) {
			if kind == jsonString || kind == jsonNumber || kind == jsonBool {
				key, ok = strings.TrimSpace(val), true
			}
		})
		if err != nil || !ok || key == "" {
			continue
		}
		switch n, seen := index[key]; {
		case !seen:
			index[key] = int32(len(elems) - 1)
		case n >= 0:
			index[key] = -2
		default:
			index[key] = n - 1
		}
	}
}

// skip moves past the value at p.i of a checked document without
// decoding it: strings are not unquoted, numbers not parsed.
func (p *jsonParser) skip() {
	if c := p.peek(); c != '"' && c != '{' && c != '[' {
		for p.i < len(p.s) && !strings.ContainsRune(",}] \t\r\n", rune(p.s[p.i])) {
			p.i++
		}
		return
	}
	depth := 0
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '"':
			for p.i++; p.i < len(p.s) && p.s[p.i] != '"'; p.i++ {
				if p.s[p.i] == '\\' {
					p.i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		p.i++
		if depth == 0 {
			return
		}
	}
}

// describeJSON names the kind of value at p.i for messages.
func describeJSON(p *jsonParser) string {
	switch c := p.peek(); {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == 0:
		return "nothing"
	}
	return "a number"
}
