package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// ticketsParquet writes the tickets of the conformance case as a Parquet
// file with row groups of rows rows.
func ticketsParquet(t testing.TB, rows int64, opts ...parquet.WriterProperty) []byte {
	return caseParquet(t, conformanceCases[0], rows, opts...)
}

// caseParquet writes the rows of a conformance case as a Parquet file
// with row groups of rows rows.
func caseParquet(t testing.TB, cc conformanceCase, rows int64, opts ...parquet.WriterProperty) []byte {
	t.Helper()
	spec, _ := SpecOf(cc.table)
	return specParquet(t, spec, cc.rows, rows, opts...)
}

// specParquet writes rows of the columns of spec as a Parquet file with
// row groups of rows rows.
func specParquet(t testing.TB, spec Spec, data [][]string, rows int64, opts ...parquet.WriterProperty) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	rec := typedRecord(t, mem, spec, data)
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(append([]parquet.WriterProperty{parquet.WithAllocator(mem), parquet.WithMaxRowGroupLength(rows)}, opts...)...)
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readParquet reads data as the Parquet file of table t with one worker and returns
// the counts and the error that ended the read (nil at io.EOF), or the
// error of Open. Memory must all be released after a read without error;
// after an error the Parquet library may leave a page buffer behind (Go
// memory, which the collector frees).
func readParquet(t testing.TB, table Table, data []byte) (_ Counts, err error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer func() {
		if err == nil {
			mem.AssertSize(t, 0)
		}
	}()
	fsys := mapFS(map[string]string{string(table) + ".parquet": string(data)})
	r, err := Open(context.Background(), fsys, table, mem, Options{Workers: 1, BatchSize: 4, Reject: func(Rejection) error { return nil }})
	if err != nil {
		return Counts{}, err
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return r.Counts(), nil
		}
		if err != nil {
			return r.Counts(), err
		}
		rec.Release()
	}
}

// footerRows returns the row count the footer of data states, or -1 when
// the Parquet library cannot read the footer.
func footerRows(data []byte) int64 {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return -1
	}
	return pf.NumRows()
}

// firstPage returns where the first data page of the first column chunk
// starts, its header's length and its size.
func firstPage(t *testing.T, data []byte) (start int64, header, size int) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := pf.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	start = cc.DataPageOffset()
	h, n, err := readPageHeader(bytes.NewReader(data), start, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return start, n, int(h.compressed)
}

func TestParquetTruncated(t *testing.T) {
	data := ticketsParquet(t, 2)
	for _, n := range []int{0, 4, 8, 100, len(data) / 2, len(data) - 9, len(data) - 1} {
		c, err := readParquet(t, Tickets, data[:n])
		if err == nil {
			t.Errorf("%d of %d bytes: read %+v, want an error", n, len(data), c)
		} else if !strings.Contains(err.Error(), "tickets.parquet") {
			t.Errorf("%d of %d bytes: error %q does not name the file", n, len(data), err)
		}
	}
}

// TestParquetDamagedPage damages the first data page of a file in ways
// the Parquet library reads as an early end of the row group, or would
// allocate for: the read must fail, naming the file and the row group.
// The file has pages large enough for sizes of three-byte varints.
func TestParquetDamagedPage(t *testing.T) {
	tests := []struct {
		name  string
		codec compress.Compression
		edit  func(t *testing.T, data []byte, start int64, header, size int)
	}{
		{"snappy data overwritten", compress.Codecs.Snappy, func(t *testing.T, d []byte, s int64, h, n int) {
			copy(d[s+int64(h)+2:], bytes.Repeat([]byte{0xff}, n-4))
		}},
		{"compressed size grown", compress.Codecs.Uncompressed, func(t *testing.T, d []byte, s int64, h, n int) {
			patchHeaderField(t, d[s:], 3, int32(n+100))
		}},
		{"uncompressed size differs", compress.Codecs.Uncompressed, func(t *testing.T, d []byte, s int64, h, n int) {
			patchHeaderField(t, d[s:], 2, int32(n+1))
		}},
		{"uncompressed size implausible", compress.Codecs.Snappy, func(t *testing.T, d []byte, s int64, h, n int) {
			patchHeaderField(t, d[s:], 2, 1_000_000)
		}},
		{"header overwritten", compress.Codecs.Uncompressed, func(t *testing.T, d []byte, s int64, h, n int) {
			copy(d[s:], bytes.Repeat([]byte{0x99}, h))
		}},
	}
	spec, _ := SpecOf(Tickets)
	var rows [][]string
	for i := range 2000 {
		rows = append(rows, []string{fmt.Sprintf("T%d", i), "C1", "email", "2024-01-02T10:00:00Z", "", "open", "", "", "", "", ""})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := specParquet(t, spec, rows, 5000, parquet.WithCompression(tc.codec), parquet.WithDictionaryDefault(false))
			if c, err := readParquet(t, Tickets, data); err != nil || c.Read != 2000 {
				t.Fatalf("undamaged: read %+v, %v", c, err)
			}
			start, header, size := firstPage(t, data)
			tc.edit(t, data, start, header, size)
			c, err := readParquet(t, Tickets, data)
			if err == nil {
				t.Fatalf("read %+v, want an error", c)
			}
			t.Log(err)
			if msg := err.Error(); !strings.Contains(msg, "tickets.parquet") || !strings.Contains(msg, "row group 0") {
				t.Errorf("error %q, want one naming tickets.parquet and row group 0", msg)
			}
			if c.Read != 0 {
				t.Errorf("read %d rows before the error, want 0", c.Read)
			}
		})
	}
}

// TestParquetFooterRows changes the row counts of a footer: rows the
// pages do not hold are an error naming the row group.
func TestParquetFooterRows(t *testing.T) {
	data := ticketsParquet(t, 3) // 6 rows in 2 row groups
	fileRows, groupRows := footerRowFields(t, data)
	if len(groupRows) != 2 {
		t.Fatalf("%d row groups, want 2", len(groupRows))
	}
	tests := []struct {
		name string
		edit func(d []byte)
		want string
	}{
		{"file rows", func(d []byte) { d[fileRows] = zigzag(7) }, "footer says 7 rows, its row groups 6"},
		{"row group rows", func(d []byte) { d[fileRows], d[groupRows[1]] = zigzag(8), zigzag(5) },
			"row group 1: read 3 rows, the footer says 5"},
		{"row group rows short", func(d []byte) { d[fileRows], d[groupRows[0]] = zigzag(5), zigzag(2) },
			"row group 0: read 3 rows, the footer says 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := bytes.Clone(data)
			tc.edit(d)
			c, err := readParquet(t, Tickets, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "tickets.parquet") {
				t.Fatalf("read %+v, error %v; want an error naming tickets.parquet with %q", c, err, tc.want)
			}
		})
	}
	if c, err := readParquet(t, Tickets, data); err != nil || c.Read != 6 {
		t.Errorf("undamaged file: read %+v, %v; want 6 rows", c, err)
	}
}

func zigzag(v int64) byte { return byte(v << 1) }

// footerRowFields finds, in the footer of a small Parquet file, the byte
// holding FileMetaData.num_rows and the byte of each RowGroup.num_rows
// (one-byte varints).
func footerRowFields(t *testing.T, data []byte) (int, []int) {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	base := len(data) - 8 - n
	d := compactDecoder{b: data[base : len(data)-8]}
	fileRows := -1
	var groups []int
	err := d.structFields(func(id int16, typ byte) error {
		switch {
		case id == 3 && typ == ctI64:
			fileRows = base + d.pos
		case id == 4 && typ == ctList:
			c, _ := d.byte()
			for range c >> 4 {
				err := d.structFields(func(id int16, typ byte) error {
					if id == 3 && typ == ctI64 {
						groups = append(groups, base+d.pos)
					}
					return d.skip(typ, 0)
				})
				if err != nil {
					return err
				}
			}
			return nil
		}
		return d.skip(typ, 0)
	})
	if err != nil || fileRows < 0 {
		t.Fatalf("footer: %v", err)
	}
	return fileRows, groups
}

// patchHeaderField sets i32 field id of the page header at the start of
// b, keeping its varint's length; v must fit in it.
func patchHeaderField(t *testing.T, b []byte, id int16, v int32) {
	t.Helper()
	d := compactDecoder{b: b}
	found := false
	d.structFields(func(fid int16, typ byte) error {
		if fid != id {
			return d.skip(typ, 0)
		}
		found = true
		start := d.pos
		d.uvarint()
		n := d.pos - start
		u := uint64(uint32(v<<1) ^ uint32(v>>31))
		if u >= 1<<(7*n) {
			t.Fatalf("%d does not fit in the %d-byte varint of field %d", v, n, id)
		}
		for i := range n {
			c := byte(u & 0x7f)
			u >>= 7
			if i < n-1 {
				c |= 0x80
			}
			b[start+i] = c
		}
		return nil
	})
	if !found {
		t.Fatalf("no field %d", id)
	}
}

func TestDecodePageHeader(t *testing.T) {
	// type 0, uncompressed 10, compressed 10, crc 7, data page header with
	// 3 values and statistics holding a binary max.
	hdr := []byte{0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x15, 0x0e, 0x1c, 0x15, 0x06, 0x15, 0x00, 0x15, 0x00, 0x15, 0x00,
		0x1c, 0x18, 0x02, 'a', 'b', 0x00, 0x00, 0x00}
	h, n, err := decodePageHeader(hdr)
	if err != nil || n != len(hdr) {
		t.Fatalf("decodePageHeader: %v, %d bytes of %d", err, n, len(hdr))
	}
	if h.typ != 0 || h.uncompressed != 10 || h.compressed != 10 || !h.hasCRC || h.crc != 7 || h.values != 3 {
		t.Errorf("header %+v", h)
	}
	for i := range len(hdr) - 1 {
		if _, _, err := decodePageHeader(hdr[:i]); err == nil {
			t.Errorf("%d of %d bytes: no error", i, len(hdr))
		}
	}
	// A list claiming more elements than bytes left.
	if _, _, err := decodePageHeader([]byte{0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x07}); err == nil {
		t.Error("huge list: no error")
	}
}

// TestPageCRC checks a page against the CRC its header stores: a flipped
// byte of its data is an error.
func TestPageCRC(t *testing.T) {
	data := []byte("abcd")
	crc := int32(crc32.ChecksumIEEE(data))
	u := uint32(crc<<1) ^ uint32(crc>>31)
	hdr := []byte{0x15, 0x00, 0x15, 0x08, 0x15, 0x08, 0x15} // data page, 4 bytes, CRC follows
	for ; u >= 0x80; u >>= 7 {
		hdr = append(hdr, byte(u)|0x80)
	}
	hdr = append(hdr, byte(u), 0x1c, 0x15, 0x06, 0x00, 0x00) // 3 values
	page := append(hdr, data...)
	if _, err := checkChunk(bytes.NewReader(page), 0, int64(len(page)), 3, compress.Codecs.Uncompressed, nil); err != nil {
		t.Fatalf("intact page: %v", err)
	}
	page[len(page)-2] ^= 1
	if _, err := checkChunk(bytes.NewReader(page), 0, int64(len(page)), 3, compress.Codecs.Uncompressed, nil); err == nil ||
		!strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("damaged page: error %v, want a checksum mismatch", err)
	}
	page[len(page)-2] ^= 1
	if _, err := checkChunk(bytes.NewReader(page), 0, int64(len(page)), 4, compress.Codecs.Uncompressed, nil); err == nil ||
		!strings.Contains(err.Error(), "ends after 3 of its 4 values") {
		t.Errorf("a chunk of 4 values with a page of 3: error %v", err)
	}
}
