package ingest

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/metadata"
)

// Parquet's reader trusts the sizes a file states: a damaged footer or
// page header can make it allocate gigabytes, skip the rest of a column
// chunk (a page it cannot read ends the row group, silently), or spin on
// headers it cannot decode. Before a row group is decoded, checkRowGroup
// walks the page headers of every column chunk it will read and checks
// them against the chunk's byte range; checkFooter checks the footer's
// row counts and byte ranges before anything is read. Damage these checks
// cannot see, such as a flipped byte inside a page's values, is caught
// by the page's CRC when the writer stored one, and otherwise by the row
// count of the row group when it loses rows.

// maxPageHeader is the largest page header read, as in the Parquet
// library; headers hold a page's statistics and are small in practice.
const maxPageHeader = 4 << 20

// maxPageSize is the largest uncompressed page accepted. Writers cut
// pages of about 1 MiB; the format allows 2 GiB.
const maxPageSize = 1 << 30

// Parquet page types (parquet.thrift PageType).
const (
	pageData       = 0
	pageIndex      = 1
	pageDictionary = 2
	pageDataV2     = 3
)

// checkFooter checks what the footer of a Parquet file says against
// itself and the file's size: the row groups' rows add up to the file's,
// and every column chunk lies inside the file.
func checkFooter(pf *file.Reader, size int64) error {
	md := pf.MetaData()
	var rows int64
	for rg := range pf.NumRowGroups() {
		g := md.RowGroup(rg)
		if g.NumRows() < 0 {
			return fmt.Errorf("row group %d: footer says %d rows", rg, g.NumRows())
		}
		rows += g.NumRows()
		for c := range g.NumColumns() {
			cc, err := g.ColumnChunk(c)
			if err != nil {
				return fmt.Errorf("row group %d: column %d: %w", rg, c, err)
			}
			if _, _, err := chunkRange(md, cc, size); err != nil {
				return fmt.Errorf("row group %d: column %s: %w", rg, cc.PathInSchema(), err)
			}
		}
	}
	if rows != pf.NumRows() {
		return fmt.Errorf("footer says %d rows, its row groups %d", pf.NumRows(), rows)
	}
	return nil
}

// chunkRange returns where a column chunk starts and ends in a file of
// size bytes, as the Parquet library computes it (a dictionary page may
// come first; old parquet-mr files understate the length, so theirs runs
// to the end of the file at most).
func chunkRange(md *metadata.FileMetaData, cc *metadata.ColumnChunkMetaData, size int64) (start, end int64, err error) {
	start = cc.DataPageOffset()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
		start = cc.DictionaryPageOffset()
	}
	n := cc.TotalCompressedSize()
	if start < 0 || n < 0 || cc.NumValues() < 0 {
		return 0, 0, fmt.Errorf("bad column chunk: offset %d, %d bytes, %d values", start, n, cc.NumValues())
	}
	if md.WriterVersion().LessThan(metadata.Parquet816FixedVersion) {
		n = min(n+100, size-start) // the library pads by up to 100 bytes
	}
	if start > size || n > size-start {
		return 0, 0, fmt.Errorf("column chunk at bytes %d–%d lies beyond the end of the file (%d bytes): truncated?", start, start+n, size)
	}
	return start, start + n, nil
}

// checkRowGroup walks the pages of the given leaf columns of row group
// rg: each header must decode, each page fit in its chunk and have a
// plausible size, a stored CRC must match, and the data pages must hold
// the chunk's number of values.
func checkRowGroup(pf *file.Reader, r io.ReaderAt, size int64, rg int, leaves []int) error {
	md := pf.MetaData()
	g := md.RowGroup(rg)
	var buf []byte
	for _, leaf := range leaves {
		cc, err := g.ColumnChunk(leaf)
		if err != nil {
			return fmt.Errorf("row group %d: column %d: %w", rg, leaf, err)
		}
		if cc.CryptoMetadata() != nil {
			continue // encrypted headers; the library refuses the file
		}
		start, end, err := chunkRange(md, cc, size)
		if err == nil {
			buf, err = checkChunk(r, start, end, cc.NumValues(), cc.Compression(), buf)
		}
		if err != nil {
			return fmt.Errorf("row group %d: column %s: %w", rg, cc.PathInSchema(), err)
		}
	}
	return nil
}

// checkChunk checks the pages of one column chunk, bytes start to end of
// r, that holds want values compressed with codec. buf is scratch space,
// returned for reuse.
func checkChunk(r io.ReaderAt, start, end, want int64, codec compress.Compression, buf []byte) ([]byte, error) {
	var values int64
	pos := start
	for values < want { // the library reads pages until it has the chunk's values
		if pos >= end {
			return buf, fmt.Errorf("column chunk ends after %d of its %d values", values, want)
		}
		h, n, err := readPageHeader(r, pos, end)
		if err != nil {
			return buf, fmt.Errorf("page at byte %d: %w", pos, err)
		}
		at := pos // where the page starts, for messages
		pos += int64(n)
		switch {
		case h.compressed < 0 || h.uncompressed < 0 || h.values < 0:
			return buf, fmt.Errorf("page at byte %d: bad header: %d bytes, %d uncompressed, %d values", at, h.compressed, h.uncompressed, h.values)
		case int64(h.compressed) > end-pos:
			return buf, fmt.Errorf("page at byte %d: %d bytes, but the column chunk has %d left", at, h.compressed, end-pos)
		case h.uncompressed > maxPageSize:
			return buf, fmt.Errorf("page at byte %d: %d bytes uncompressed, more than %d", at, h.uncompressed, maxPageSize)
		case !plainPage(h, codec) && tooExpanded(codec, h.compressed, h.uncompressed):
			return buf, fmt.Errorf("page at byte %d: %d compressed bytes cannot hold %d", at, h.compressed, h.uncompressed)
		case plainPage(h, codec) && h.uncompressed != h.compressed:
			return buf, fmt.Errorf("page at byte %d: uncompressed page of %d bytes says %d uncompressed", at, h.compressed, h.uncompressed)
		}
		if h.hasCRC {
			if cap(buf) < int(h.compressed) {
				buf = make([]byte, h.compressed)
			}
			b := buf[:h.compressed]
			if _, err := r.ReadAt(b, pos); err != nil {
				return buf, fmt.Errorf("page at byte %d: %w", at, err)
			}
			if crc32.ChecksumIEEE(b) != h.crc {
				return buf, fmt.Errorf("page at byte %d: checksum mismatch: the page is damaged", at)
			}
		}
		if h.typ == pageData || h.typ == pageDataV2 {
			values += int64(h.values)
		}
		pos += int64(h.compressed)
	}
	if values != want {
		return buf, fmt.Errorf("data pages hold %d values, the footer says %d", values, want)
	}
	return buf, nil
}

// plainPage reports whether a page is stored uncompressed, so its sizes
// must agree.
func plainPage(h pageHeader, codec compress.Compression) bool {
	if h.typ == pageDataV2 {
		return !h.v2Compressed || codec == compress.Codecs.Uncompressed
	}
	return codec == compress.Codecs.Uncompressed
}

// tooExpanded reports whether n compressed bytes cannot decompress to
// size bytes with codec: snappy expands at most about 21 times (a 64-byte
// copy in 3 bytes), gzip about 1032 times and LZ4 255 times. Zstd and
// Brotli can expand far more, so only maxPageSize bounds them.
func tooExpanded(codec compress.Compression, n, size int32) bool {
	var ratio int64
	switch codec {
	case compress.Codecs.Snappy:
		ratio = 22
	case compress.Codecs.Gzip:
		ratio = 1040
	case compress.Codecs.Lz4:
		ratio = 256
	default:
		return false
	}
	return int64(size) > int64(n)*ratio+64
}

// pageHeader is what checkChunk needs of a Parquet page header.
type pageHeader struct {
	typ                      int32
	uncompressed, compressed int32
	crc                      uint32
	hasCRC                   bool
	values                   int32 // data or dictionary page's num_values
	v2Compressed             bool  // DataPageHeaderV2.is_compressed; true when absent
}

// readPageHeader decodes the page header at pos, reading no further than
// end, and returns it with its length in bytes.
func readPageHeader(r io.ReaderAt, pos, end int64) (pageHeader, int, error) {
	size := int64(16 << 10)
	for {
		n := min(size, end-pos)
		b := make([]byte, n)
		if _, err := r.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return pageHeader{}, 0, err
		}
		h, used, err := decodePageHeader(b)
		if errors.Is(err, errShortHeader) && n == size && size < maxPageHeader {
			size *= 4 // a header with large statistics
			continue
		}
		if err != nil {
			return pageHeader{}, 0, fmt.Errorf("bad page header: %w", err)
		}
		return h, used, nil
	}
}

var errShortHeader = errors.New("header cut short")

// decodePageHeader decodes a PageHeader in Thrift's compact protocol,
// keeping the fields checkChunk needs and skipping the others.
func decodePageHeader(b []byte) (pageHeader, int, error) {
	d := compactDecoder{b: b}
	h := pageHeader{v2Compressed: true}
	var seen [4]bool // type, sizes
	err := d.structFields(func(id int16, typ byte) error {
		switch {
		case id >= 1 && id <= 4 && typ == ctI32:
			v, err := d.i32()
			switch id {
			case 1:
				h.typ = v
			case 2:
				h.uncompressed = v
			case 3:
				h.compressed = v
			case 4:
				h.crc, h.hasCRC = uint32(v), true
			}
			seen[id-1] = true
			return err
		case (id == 5 || id == 7 || id == 8) && typ == ctStruct:
			return d.structFields(func(fid int16, ftyp byte) error {
				switch {
				case fid == 1 && ftyp == ctI32:
					v, err := d.i32()
					h.values = v
					return err
				case id == 8 && fid == 7 && (ftyp == ctTrue || ftyp == ctFalse):
					h.v2Compressed = ftyp == ctTrue
					return nil
				}
				return d.skip(ftyp, 0)
			})
		}
		return d.skip(typ, 0)
	})
	if err != nil {
		return h, 0, err
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return h, 0, errors.New("required field missing")
	}
	return h, d.pos, nil
}

// Thrift compact protocol types.
const (
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

// maxThriftDepth bounds nesting, as Thrift's own decoder does.
const maxThriftDepth = 64

// compactDecoder reads Thrift's compact protocol from b.
type compactDecoder struct {
	b     []byte
	pos   int
	depth int
}

func (d *compactDecoder) byte() (byte, error) {
	if d.pos >= len(d.b) {
		return 0, errShortHeader
	}
	c := d.b[d.pos]
	d.pos++
	return c, nil
}

func (d *compactDecoder) uvarint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := d.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint too long")
}

func (d *compactDecoder) varint() (int64, error) {
	u, err := d.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

func (d *compactDecoder) i32() (int32, error) {
	v, err := d.varint()
	if err == nil && (v < -1<<31 || v >= 1<<31) {
		err = fmt.Errorf("i32 %d out of range", v)
	}
	return int32(v), err
}

// structFields calls fn with the id and type of every field of a struct
// until its stop byte; fn must consume the field's value.
func (d *compactDecoder) structFields(fn func(id int16, typ byte) error) error {
	if d.depth++; d.depth > maxThriftDepth {
		return errors.New("nested too deep")
	}
	defer func() { d.depth-- }()
	var last int16
	for {
		c, err := d.byte()
		if err != nil {
			return err
		}
		typ := c & 0x0f
		if typ == 0 {
			return nil // stop
		}
		id := last + int16(c>>4)
		if c>>4 == 0 {
			v, err := d.varint()
			if err != nil {
				return err
			}
			id = int16(v)
		}
		if typ > ctStruct {
			return fmt.Errorf("unknown field type %d", typ)
		}
		if err := fn(id, typ); err != nil {
			return err
		}
		last = id
	}
}

// skip consumes a value of type typ; elem says that it is an element of a
// list, set or map, where booleans take a byte.
func (d *compactDecoder) skip(typ byte, elem int) error {
	switch typ {
	case ctTrue, ctFalse:
		if elem > 0 {
			_, err := d.byte()
			return err
		}
		return nil
	case ctByte:
		_, err := d.byte()
		return err
	case ctI16, ctI32, ctI64:
		_, err := d.uvarint()
		return err
	case ctDouble:
		return d.bytes(8)
	case ctBinary:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		return d.bytes(n)
	case ctList, ctSet:
		c, err := d.byte()
		if err != nil {
			return err
		}
		n := uint64(c >> 4)
		if n == 15 {
			if n, err = d.uvarint(); err != nil {
				return err
			}
		}
		return d.elems(n, c&0x0f, 0)
	case ctMap:
		n, err := d.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := d.byte()
		if err != nil {
			return err
		}
		return d.elems(n, kv>>4, kv&0x0f)
	case ctStruct:
		return d.structFields(func(_ int16, t byte) error { return d.skip(t, 0) })
	}
	return fmt.Errorf("unknown type %d", typ)
}

// bytes consumes n bytes.
func (d *compactDecoder) bytes(n uint64) error {
	if n > uint64(len(d.b)-d.pos) {
		d.pos = len(d.b)
		return errShortHeader
	}
	d.pos += int(n)
	return nil
}

// elems consumes n elements of type t (and, for a map, of type v after
// each). Every element takes at least one byte, so n is bounded by what
// is left.
func (d *compactDecoder) elems(n uint64, t, v byte) error {
	if n > uint64(len(d.b)-d.pos) {
		return errShortHeader
	}
	if t > ctStruct || v > ctStruct || t == 0 && n > 0 {
		return fmt.Errorf("unknown element type %d", t)
	}
	if d.depth++; d.depth > maxThriftDepth {
		return errors.New("nested too deep")
	}
	defer func() { d.depth-- }()
	for range n {
		if err := d.skip(t, 1); err != nil {
			return err
		}
		if v != 0 {
			if err := d.skip(v, 1); err != nil {
				return err
			}
		}
	}
	return nil
}
