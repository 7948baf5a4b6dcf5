package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// maxFoldCache bounds the cache of keys matched ignoring case.
const maxFoldCache = 4096

// jsonlSource reads JSON Lines: one object per line, whose members are
// matched to contract columns by key (exactly, else ignoring case and
// surrounding space). Blank lines are skipped; unknown keys are ignored,
// whatever their value.
type jsonlSource struct {
	name  string
	f     fs.File
	zr    *gzip.Reader
	br    *bufio.Reader
	exact map[string][]int // source key -> contract columns
	p     *plan
	line  int
	buf   []byte
}

func newJSONLSource(ctx context.Context, fsys fs.FS, name string, p *plan) (*jsonlSource, error) {
	f, err := openFile(ctx, fsys, name)
	if err != nil {
		return nil, fmt.Errorf("ingest: open %s: %w", name, err)
	}
	br, zr, err := openText(f, p)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	s := &jsonlSource{name: name, f: f, zr: zr, br: br, p: p, exact: map[string][]int{}}
	for i, c := range p.cols {
		s.exact[c.source] = append(s.exact[c.source], i)
	}
	return s, nil
}

// read cuts lines, leaving the JSON to the decoder. The lines of a chunk
// become one string, and each row ends at its line's end in it.
func (s *jsonlSource) read(c *chunk, max int) error {
	err := s.readLines(c, max)
	c.str = string(c.text)
	return err
}

func (s *jsonlSource) readLines(c *chunk, max int) error {
	for len(c.rows) < max && len(c.text) < maxChunkBytes {
		b, tooLong, err := s.readLine()
		if err != nil {
			return err
		}
		s.line++
		if s.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if tooLong {
			c.text = append(c.text, b[:min(len(b), maxRawBytes+1)]...) // for the quarantine
			c.rows = append(c.rows, chunkRow{line: s.line, end: len(c.text), err: &rowError{col: -1,
				err: reasonf(ErrMalformedRow, "line longer than %d bytes", s.p.maxRecord)}})
			continue
		}
		b = bytes.TrimRight(b, " \t\r\n")
		if len(bytes.TrimLeft(b, " \t")) == 0 {
			continue
		}
		c.text = append(c.text, b...)
		c.rows = append(c.rows, chunkRow{line: s.line, end: len(c.text)})
	}
	return nil
}

func (s *jsonlSource) decoder() decoder {
	return &jsonlDecoder{exact: s.exact, cols: s.p.cols, fold: map[string][]int{}, replaceUTF8: s.p.replaceUTF8}
}

// jsonlDecoder parses the object on a line.
type jsonlDecoder struct {
	exact map[string][]int // source key -> contract columns; shared, read only
	cols  []column
	fold  map[string][]int // cache of other keys seen: contract columns matched ignoring case

	replaceUTF8 bool // else a contract member with invalid UTF-8 rejects the row
}

// columns returns the contract columns a key maps to.
func (d *jsonlDecoder) columns(key string) []int {
	if cols, ok := d.exact[key]; ok {
		return cols
	}
	if cols, ok := d.fold[key]; ok {
		return cols
	}
	var cols []int
	k := strings.TrimSpace(key)
	for i, c := range d.cols {
		if strings.EqualFold(strings.TrimSpace(c.source), k) {
			cols = append(cols, i)
		}
	}
	if len(d.fold) < maxFoldCache {
		d.fold[strings.Clone(key)] = cols
	}
	return cols
}

func (d *jsonlDecoder) decode(c *chunk, i int, raws []rawValue) error {
	start, end := c.span(i)
	clear(raws)
	var dup *rowError
	line := c.str[start:end]
	// The parser makes invalid UTF-8 U+FFFD; unless that is the rule,
	// find the contract member that had it.
	check := !d.replaceUTF8 && !utf8.ValidString(line)
	err := parseObject(line, func(idx int, key string, kind jsonKind, val, raw string) {
		for _, ci := range d.columns(key) {
			r := &raws[ci]
			if r.kind != rawAbsent && dup == nil {
				dup = &rowError{col: ci, srcCol: idx, err: reasonf(ErrMalformedRow, "key %q appears twice in the object", key)}
			}
			if check && dup == nil && !utf8.ValidString(raw) {
				dup = &rowError{col: ci, srcCol: idx, err: invalidUTF8(raw)}
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
	if err != nil {
		return &rowError{col: -1, err: reasonf(ErrMalformedRow, "malformed JSON: %v", err)}
	}
	if dup != nil {
		return dup
	}
	return nil
}

// raw returns the line, or the start of a line too long to keep.
func (d *jsonlDecoder) raw(c *chunk, i int) string {
	start, end := c.span(i)
	return strings.Clone(c.str[start:end])
}

// readLine returns the next line, its length bounded not by the reader's
// buffer but by the plan's maxRecord: tooLong reports a longer line, which
// is consumed but of which only the start is returned.
func (s *jsonlSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(s.buf)+len(chunk) <= s.p.maxRecord {
			s.buf = append(s.buf, chunk...)
		} else {
			s.buf = append(s.buf, chunk[:min(len(chunk), max(0, maxRawBytes+1-len(s.buf)))]...)
			tooLong = true
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(s.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return s.buf, tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return s.buf, tooLong, nil
	}
}

func (s *jsonlSource) close() error {
	var err error
	if s.zr != nil {
		err = s.zr.Close()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
