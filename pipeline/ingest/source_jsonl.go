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
)

// jsonlSource reads JSON Lines: one object per line, whose members are
// matched to contract columns by their paths (jsonDecoder). Blank lines
// are skipped; unknown keys are ignored, whatever their value.
type jsonlSource struct {
	name string
	f    fs.File
	zr   *gzip.Reader
	br   *bufio.Reader
	p    *plan
	line int
	buf  []byte
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
	return &jsonlSource{name: name, f: f, zr: zr, br: br, p: p}, nil
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
	return &jsonDecoder{p: s.p, fold: map[foldKey]*pathNode{}}
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
