package ingest

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// The text of a CSV or JSON Lines file is its bytes, gunzipped when they
// start with the gzip magic number, then decoded from the table's
// character encoding to UTF-8.

// gzipSlack is the output a gzip stream may have beyond its ratio, so
// that a small file of little but header can be read.
const gzipSlack = 1 << 20

// textEncoding returns the encoding named name, nil for UTF-8.
func textEncoding(name string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, nil
	case "iso-8859-1", "latin-1", "latin1":
		return charmap.ISO8859_1, nil
	case "utf-16":
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), nil
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	return nil, fmt.Errorf("unknown encoding %q, want utf-8, windows-1252, iso-8859-1, latin-1, utf-16, utf-16le or utf-16be", name)
}

// openText returns a buffered reader of the text of f, and the gzip
// reader to close when f is compressed.
func openText(f io.Reader, p *plan) (*bufio.Reader, *gzip.Reader, error) {
	cr := &countReader{r: bufio.NewReaderSize(f, 64<<10)}
	magic, err := cr.r.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	var rd io.Reader = cr.r
	var zr *gzip.Reader
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if zr, err = gzip.NewReader(cr); err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		rd = &gzipStream{zr: zr, in: cr, ratio: int64(p.gzipRatio)}
	}
	if p.enc != nil {
		rd = transform.NewReader(rd, p.enc.NewDecoder())
	}
	return bufio.NewReaderSize(rd, 64<<10), zr, nil
}

// countReader counts the bytes read through it. It is an io.ByteReader,
// so that gzip reads exactly what it needs, and the count is the
// compressed bytes consumed.
type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// gzipStream is the output of a gzip stream, which may not exceed ratio
// times the compressed bytes read plus gzipSlack.
type gzipStream struct {
	zr    *gzip.Reader
	in    *countReader
	ratio int64
	out   int64
}

func (g *gzipStream) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	g.out += int64(n)
	if limit := g.ratio*g.in.n + gzipSlack; g.out > limit {
		return n, fmt.Errorf("%w: %d bytes from the first %d, more than %d times as many (max_gzip_ratio)", ErrGzipRatio, g.out, g.in.n, g.ratio)
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return n, fmt.Errorf("gzip: stream truncated after %d compressed bytes: %w", g.in.n, err)
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("gzip: %w", err)
	}
	return n, err
}
