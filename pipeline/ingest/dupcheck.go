package ingest

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io/fs"
	"slices"
	"time"

	spillfiles "github.com/cxkpi/cxkpi/pipeline/spill" // spill is the Parquet source's copy to a temporary file
)

// The external duplicate check reads a table twice. The first pass, on
// the first Read, reads the files with a second reader of the same plan,
// so with the same chunks, conversion and workers, but reports and counts
// nothing: for every row the conversion accepts it writes the row's key
// digest and position to one of a number of partition files chosen by
// the digest. Then, one partition at a time, a map of the digests of that
// partition finds the rows whose key an earlier row already had. The
// second pass is the ordinary read, in which checkKey looks each accepted
// row up in the sorted list of duplicates instead of a map of every key.
//
// Conversion is deterministic, so both passes accept the same rows and
// the results are those of the in-memory check. An error that ends the
// first pass (a damaged file) is kept: the second pass reads the rows
// before it, then ends with it, reading no row the first did not check.
// In strict mode the first pass stops at the first rejected row, where
// the second will stop too. The partition files exist
// only during the first Read, which removes them before it returns
// however it ends, so Close has none left to remove.

// keyRecord is the size of a spilled key: the two halves of the digest
// and the row's keyPos, little-endian.
const keyRecord = 24

// Partitions of the external check: one per 32 MiB of input (about
// 650,000 CSV rows, fewer keys if the rows are longer, more if the files
// are compressed), at least 16 and at most 1,024, so that one partition's
// map holds at most about a million keys of an uncompressed table of up
// to 32 GiB. Every partition file is open, with a 64 KiB write buffer,
// during the first pass: 1 to 64 MiB in all.
const (
	keyPartBytes = 32 << 20
	minKeyParts  = 16
	maxKeyParts  = 1024
)

// keyParts returns the number of partitions for a table of size bytes.
func keyParts(size int64) int {
	return int(min(max(size/keyPartBytes, minKeyParts), maxKeyParts))
}

// useExternalKeys reports whether a reader with opt checks the keys of
// the table in files externally, and the files' total size when it does.
func useExternalKeys(fsys fs.FS, files []inputFile, p *plan, opt Options) (bool, int64, error) {
	if opt.SpillDir == "" || len(p.key) == 0 {
		return false, 0, nil
	}
	var size int64
	for _, f := range files {
		st, err := fs.Stat(fsys, f.name)
		if err != nil {
			return false, 0, fmt.Errorf("ingest: %s: %w", f.name, err)
		}
		size += st.Size()
	}
	above := opt.ExternalKeysAbove
	if above == 0 {
		above = DefaultExternalKeysAbove
	}
	return above < 0 || size > above, size, nil
}

// duplicates are the rows the first pass found to repeat the key of an
// earlier accepted row, and a cursor for the second pass.
type duplicates struct {
	rows []duplicate // in file and row order
	next int         // the first of rows the second pass has not come to

	// When an error other than cancellation ended the first pass, err is
	// that error and seen the number of rows read until then: no row
	// after them was checked.
	seen int64
	err  error
}

// duplicate is a row whose key an earlier accepted row had.
type duplicate struct{ pos, first keyPos }

// firstOf reports, for the accepted row at pos, where its key was first
// seen if it is a duplicate. The rows must come in file and row order.
func (d *duplicates) firstOf(pos keyPos) (keyPos, bool) {
	if d.next < len(d.rows) && d.rows[d.next].pos == pos {
		d.next++
		return d.rows[d.next-1].first, true
	}
	return 0, false
}

// beyond returns the error that ended the first pass if the second has
// come to rows past those the first pass read, which it could only when
// the error does not recur, as a file that fails to read the first time
// but not the second. Otherwise, and without duplicates, it returns nil.
func (d *duplicates) beyond(rows int64) error {
	if d != nil && d.err != nil && rows > d.seen {
		return d.err
	}
	return nil
}

// findDuplicates runs the first pass of the external check and sets
// r.dups.
func (r *Reader) findDuplicates() (err error) {
	start := time.Now()
	parts := keyParts(r.size)
	files := spillfiles.New(r.opt.SpillDir, "ingest-keys-"+string(r.table), keyRecord)
	defer func() {
		if cerr := files.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("ingest: duplicate check of %s: %w", r.table, cerr)
		}
	}()
	d := &duplicates{}
	keys, err := r.spillKeys(files, parts, d)
	if err != nil {
		return err
	}
	var seen KeyMap[keyPos] // reused, with its room, partition after partition
	for part := range parts {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		clear(seen.m)
		clear(seen.more)
		err := files.Read(part, func(rec []byte) error {
			h := KeyHash{binary.LittleEndian.Uint64(rec), binary.LittleEndian.Uint64(rec[8:])}
			pos := keyPos(binary.LittleEndian.Uint64(rec[16:]))
			if first, ok := seen.Get(h); ok {
				d.rows = append(d.rows, duplicate{pos: pos, first: first})
			} else {
				seen.Put(h, pos)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ingest: duplicate check of %s: %w", r.table, err)
		}
	}
	slices.SortFunc(d.rows, func(a, b duplicate) int { return cmp.Compare(a.pos, b.pos) })
	r.dups = d
	r.opt.Logger.Info("ingest: duplicate keys checked on disk", "table", string(r.table), "partitions", parts,
		"keys", keys, "duplicates", len(d.rows), "seconds", time.Since(start).Seconds())
	return nil
}

// spillKeys reads the table once, with a reader of its own, and writes
// the key of every row the conversion accepts to partition h[1] % parts
// of files, in file and row order; it returns the number of keys. It
// stops early, without an error, where the second pass will stop: at an
// error that ends the read, which it keeps in d, and in strict mode at
// the first rejected row.
func (r *Reader) spillKeys(files *spillfiles.Files, parts int, d *duplicates) (keys int64, err error) {
	scan, err := newReader(r.ctx, r.rows.fsys, r.table, r.mem, r.opt, r.plan, r.schema, r.files)
	if err != nil {
		return 0, err
	}
	defer scan.Close()
	var rec [keyRecord]byte
	for {
		if err := r.ctx.Err(); err != nil {
			return keys, err
		}
		c, err := scan.nextChunk()
		if err != nil {
			return keys, err
		}
		if c == nil {
			return keys, nil
		}
		// The chunk's accepted rows are those in neither c.rejs nor
		// c.skips, and c.hashes[j] is the digest of the j-th of them.
		rejs, skips, j := c.rejs, c.skips, 0
		for i := range c.rows {
			if len(rejs) > 0 && rejs[0].row == i {
				rejs = rejs[1:]
				continue
			}
			if len(skips) > 0 && skips[0].row == i {
				skips = skips[1:]
				continue
			}
			h := c.hashes[j]
			j++
			binary.LittleEndian.PutUint64(rec[0:], h[0])
			binary.LittleEndian.PutUint64(rec[8:], h[1])
			binary.LittleEndian.PutUint64(rec[16:], uint64(rowPos(c, i)))
			if err := files.Write(int(h[1]%uint64(parts)), rec[:]); err != nil {
				scan.recycle(c)
				return keys, fmt.Errorf("ingest: duplicate check of %s: %w", r.table, err)
			}
			keys++
		}
		d.seen += int64(len(c.rows))
		cerr, strictStop := c.err, r.opt.Strict && len(c.rejs) > 0
		scan.recycle(c)
		if cerr != nil {
			if err := r.ctx.Err(); err != nil {
				return keys, err
			}
			d.err = cerr
			return keys, nil
		}
		if strictStop {
			return keys, nil
		}
	}
}
