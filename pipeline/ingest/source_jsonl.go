package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
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
	fold  map[string][]int // cache of other keys seen: contract columns matched ignoring case
	p     *plan
	line  int
	text  string
	buf   []byte
}

func newJSONLSource(fsys fs.FS, name string, p *plan) (*jsonlSource, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("ingest: open %s: %w", name, err)
	}
	rd, zr, err := decompress(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	s := &jsonlSource{name: name, f: f, zr: zr, br: bufio.NewReaderSize(rd, 64<<10), p: p,
		exact: map[string][]int{}, fold: map[string][]int{}}
	for i, c := range p.cols {
		s.exact[c.source] = append(s.exact[c.source], i)
	}
	return s, nil
}

// columns returns the contract columns a key maps to.
func (s *jsonlSource) columns(key string) []int {
	if cols, ok := s.exact[key]; ok {
		return cols
	}
	if cols, ok := s.fold[key]; ok {
		return cols
	}
	var cols []int
	k := strings.TrimSpace(key)
	for i, c := range s.p.cols {
		if strings.EqualFold(strings.TrimSpace(c.source), k) {
			cols = append(cols, i)
		}
	}
	if len(s.fold) < maxFoldCache {
		s.fold[strings.Clone(key)] = cols
	}
	return cols
}

func (s *jsonlSource) next(raws []rawValue) (int, error) {
	for {
		b, tooLong, err := s.readLine()
		if err != nil {
			return 0, err
		}
		s.line++
		if s.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if tooLong {
			s.text = ""
			return s.line, &rowError{col: -1, err: reasonf(ErrMalformedRow, "line longer than %d bytes", maxJSONLine)}
		}
		b = bytes.TrimRight(b, " \t\r\n")
		if len(bytes.TrimLeft(b, " \t")) == 0 {
			continue
		}
		s.text = string(b)
		clear(raws)
		var dup *rowError
		err = parseObject(s.text, func(idx int, key string, kind jsonKind, val string) {
			for _, ci := range s.columns(key) {
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
			return s.line, &rowError{col: -1, err: reasonf(ErrMalformedRow, "malformed JSON: %v", err)}
		}
		if dup != nil {
			return s.line, dup
		}
		return s.line, nil
	}
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

func (s *jsonlSource) raw() string { return s.text }

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
