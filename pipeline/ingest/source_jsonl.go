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
	max  int   // longest line kept: the plan's maxRecord, or maxDoc for documents
	off  int64 // bytes of the (decompressed) file read so far
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
	return &jsonlSource{name: name, f: f, zr: zr, br: br, p: p, max: p.maxRecord}, nil
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
				err: reasonf(ErrMalformedRow, "line longer than %d bytes", s.max)}})
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
// buffer but by s.max: tooLong reports a longer line, which is consumed
// but of which only the start is returned.
func (s *jsonlSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.off += int64(len(chunk))
		if len(s.buf)+len(chunk) <= s.max {
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

// jsonlDocSource reads JSON Lines of which each line is a JSON document,
// such as API pages saved one per line: the plan's records path and joins
// cut each line into rows, as they cut a file of format json. A line is
// bounded by max_document_bytes, and one that cannot be cut ends the read
// with its line number: its rows are never silently lost.
type jsonlDocSource struct {
	lines *jsonlSource
	doc   *jsonDoc // the line being read; nil before the first
	next  int      // index of its next row
}

func newJSONLDocSource(ctx context.Context, fsys fs.FS, name string, p *plan) (*jsonlDocSource, error) {
	lines, err := newJSONLSource(ctx, fsys, name, p)
	if err != nil {
		return nil, err
	}
	lines.max = p.json.maxDoc
	return &jsonlDocSource{lines: lines}, nil
}

// read appends the rows of the lines that follow, each row placed by the
// line and the byte column where its element starts.
func (s *jsonlDocSource) read(c *chunk, max int) error {
	text := 0
	for len(c.rows) < max && text < maxChunkBytes {
		if s.doc == nil || s.next == len(s.doc.rows) {
			doc, err := s.nextDoc()
			if err != nil {
				return err
			}
			s.doc, s.next = doc, 0
			text += len(doc.s)
		}
		for len(c.rows) < max && s.next < len(s.doc.rows) {
			e := &s.doc.rows[s.next]
			row := chunkRow{line: s.doc.line0 + 1, col: e.start + 1, end: s.next}
			if e.err != "" {
				row.err = &rowError{col: -1, err: reasonf(ErrMalformedRow, "%s", e.err)}
			}
			c.rows = append(c.rows, row)
			s.next++
		}
		if n := len(c.docs); n > 0 && c.docs[n-1].doc == s.doc {
			c.docs[n-1].end = len(c.rows)
		} else {
			c.docs = append(c.docs, chunkDoc{doc: s.doc, end: len(c.rows)})
		}
	}
	return nil
}

// nextDoc reads, checks and cuts the next line that is not blank.
func (s *jsonlDocSource) nextDoc() (*jsonDoc, error) {
	l := s.lines
	for {
		start := l.off
		b, tooLong, err := l.readLine()
		if err != nil {
			return nil, err
		}
		l.line++
		if tooLong {
			return nil, fmt.Errorf("line %d: %w: more than %d bytes (max_document_bytes)", l.line, ErrDocumentTooLarge, l.max)
		}
		if l.line == 1 && bytes.HasPrefix(b, []byte("\uFEFF")) {
			b, start = b[len("\uFEFF"):], start+int64(len("\uFEFF"))
		}
		b = bytes.TrimRight(b, " \t\r\n")
		if len(bytes.TrimLeft(b, " \t")) == 0 {
			continue
		}
		doc, err := newDocument(&jsonDoc{s: string(b), line0: l.line - 1, byte0: int(start), oneLine: true}, l.p.json)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", l.line, err)
		}
		return doc, nil
	}
}

func (s *jsonlDocSource) decoder() decoder {
	return &jsonDecoder{p: s.lines.p, fold: map[foldKey]*pathNode{}}
}

func (s *jsonlDocSource) close() error { return s.lines.close() }
