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
)

// maxJSONLine is the longest line a JSON Lines source reads; a longer line
// is rejected.
const maxJSONLine = 64 << 20

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
	rd, zr, err := decompress(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	s := &jsonlSource{name: name, f: f, zr: zr, br: bufio.NewReaderSize(rd, 64<<10), p: p,
		exact: map[string][]int{}}
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
	for len(c.rows) < max {
		b, tooLong, err := s.readLine()
		if err != nil {
			return err
		}
		s.line++
		if s.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if tooLong {
			c.rows = append(c.rows, chunkRow{line: s.line, end: len(c.text), err: &rowError{col: -1,
				err: reasonf(ErrMalformedRow, "line longer than %d bytes", maxJSONLine)}})
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
	return &jsonlDecoder{exact: s.exact, cols: s.p.cols, fold: map[string][]int{}}
}

// jsonlDecoder parses the object on a line.
type jsonlDecoder struct {
	exact map[string][]int // source key -> contract columns; shared, read only
	cols  []column
	fold  map[string][]int // cache of other keys seen: contract columns matched ignoring case
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
	err := parseObject(c.str[start:end], func(idx int, key string, kind jsonKind, val string) {
		for _, ci := range d.columns(key) {
			r := &raws[ci]
			if r.kind != rawAbsent && dup == nil {
				dup = &rowError{col: ci, srcCol: idx, err: reasonf(ErrMalformedRow, "key %q appears twice in the object", key)}
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

// raw returns the line, or "" for a line too long to keep (no line kept
// is empty: blank lines are skipped).
func (d *jsonlDecoder) raw(c *chunk, i int) string {
	start, end := c.span(i)
	return strings.Clone(c.str[start:end])
}

// readLine returns the next line, without its length bounded by the
// reader's buffer but by maxJSONLine: tooLong reports a longer line, which
// is consumed but not returned.
func (s *jsonlSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(s.buf)+len(chunk) <= maxJSONLine {
			s.buf = append(s.buf, chunk...)
		} else {
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
