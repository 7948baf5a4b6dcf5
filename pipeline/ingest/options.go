package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"time"
)

// DefaultBatchSize is the number of rows per record batch when
// [Options.BatchSize] is zero.
const DefaultBatchSize = 8192

// MaxBatchSize is the largest [Options.BatchSize]: 1,048,576 rows. A
// reader holds up to two chunks of BatchSize rows per worker, so a larger
// batch buys no speed and can exhaust memory.
const MaxBatchSize = 1 << 20

// CheckBatchSize reports whether n is a usable batch size: 0 (the
// default) or 1 to [MaxBatchSize]. The configuration file, the run and
// the reader all check it with this function.
func CheckBatchSize(n int) error {
	if n < 0 || n > MaxBatchSize {
		return fmt.Errorf("batch size %d is outside 1..%d (0 means %d)", n, MaxBatchSize, DefaultBatchSize)
	}
	return nil
}

// DefaultExternalKeysAbove is the size of a table's files, in bytes,
// above which a reader with [Options.SpillDir] checks duplicate keys
// externally when [Options.ExternalKeysAbove] is zero: 256 MiB, about
// five million CSV rows, whose digests would take 150–200 MB in memory.
// Below it the in-memory check costs little memory, and less time than
// parsing the table twice.
const DefaultExternalKeysAbove = 256 << 20

// Options control how a [Reader] reads one table.
type Options struct {
	// BatchSize is the most rows of a record batch; 0 means
	// DefaultBatchSize. The files are cut into chunks of BatchSize rows,
	// and each chunk gives one batch of the rows it accepts. A reader
	// holds up to two chunks per worker in memory.
	BatchSize int
	// Workers is the number of goroutines that parse and convert rows;
	// 0 means runtime.GOMAXPROCS(0), and 1 does all the work on the
	// goroutine that calls Read. Batches, rejections and counts do not
	// depend on it. With more than one worker the allocator must be safe
	// for concurrent use, as Arrow's allocators are.
	Workers int
	// Location is the zone of timestamps written without an offset; nil
	// means UTC. Mapping.TimeZone overrides it.
	Location *time.Location
	// Strict makes the first row that breaks the contract end the read
	// with a *ParseError instead of being quarantined.
	Strict bool
	// Mapping says where the table's files are and how they are laid out;
	// the zero value means files named after the table with the
	// contract's column names.
	Mapping TableMapping
	// Reject receives every rejected row when Strict is false; it is
	// required then. It is called by Read, on the caller's goroutine, in
	// file and row order. An error it returns ends the read.
	Reject func(Rejection) error
	// Logger receives one line per file read, and one per external
	// duplicate check; nil discards them.
	Logger *slog.Logger
	// SpillDir is a directory for temporary files; empty means the
	// duplicate-key check is always in memory, where it takes about 32
	// bytes per row of the table. With a SpillDir, the check of a table
	// larger than ExternalKeysAbove is external: the first Read parses
	// the table once without handing anything on, writes the key digest
	// and position of every row it accepts to files in SpillDir, finds
	// the duplicates one hash partition at a time and removes the files;
	// then the read goes on as usual, keeping 16 bytes per duplicate row
	// only. Batches, rejections and counts are the same either way.
	SpillDir string
	// ExternalKeysAbove is the total size in bytes of a table's files
	// above which the duplicate check is external, when SpillDir is set; 0
	// means DefaultExternalKeysAbove, and a negative value means always.
	ExternalKeysAbove int64
	// Lookups holds the columns of tables read earlier that the
	// mapping's derive rules compare with (when_equal); required when
	// they do. See [NewLookups].
	Lookups *Lookups
	// Window bounds the instants of every Time column: a value outside
	// it is quarantined as implausible, like a ticket dated year 1 or
	// next year. The zero value accepts years 0000 to 9999.
	Window Window
}

// Window is a range of plausible instants, From inclusive, To exclusive;
// a zero bound is no bound.
type Window struct {
	From, To time.Time
}

// String describes the window in quarantine reasons.
func (w Window) String() string {
	from, to := "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"
	if !w.From.IsZero() {
		from = w.From.UTC().Format(time.RFC3339)
	}
	if !w.To.IsZero() {
		to = w.To.UTC().Format(time.RFC3339)
	}
	return from + " to " + to
}

// Counts reconcile a read: Read == Accepted + Skipped + Rejected.
type Counts struct {
	Read     int64 // rows read from the files
	Accepted int64 // rows handed on in record batches
	Skipped  int64 // rows marked as legitimate non-events by the mapping's skip_when: neither handed on nor quarantined
	Rejected int64 // rows quarantined (or, in strict mode, the one that stopped the read)
}

func (o *Options) ensureDefaults() error {
	if err := CheckBatchSize(o.BatchSize); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if !o.Window.From.IsZero() && !o.Window.To.IsZero() && !o.Window.From.Before(o.Window.To) {
		return fmt.Errorf("ingest: time window %s is empty", o.Window)
	}
	switch {
	case o.Workers < 0:
		return fmt.Errorf("ingest: %d workers is negative", o.Workers)
	case o.Workers == 0:
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if !o.Strict && o.Reject == nil {
		return errors.New("ingest: options need a Reject function unless Strict")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// inputFile is one file of a table and the format to read it with.
type inputFile struct {
	name   string
	format string
}

// resolve lists the files of table t, in sorted order. Without mapped
// patterns it looks for the default names and returns ErrNoInput when none
// exists; a mapped pattern that matches nothing is an error naming it. A
// named pipe, device or socket among them is an error wrapping
// ErrSpecialFile: it is never opened.
func resolve(fsys fs.FS, t Table, p *plan) ([]inputFile, error) {
	var names []string
	if len(p.files) == 0 {
		for _, ext := range defaultExts() {
			name := string(t) + ext
			if st, err := fs.Stat(fsys, name); err == nil {
				if err := regular(name, st.Mode()); err != nil {
					return nil, fmt.Errorf("ingest: files of %s: %w", t, err)
				}
				names = append(names, name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("ingest: %s: %w", name, err)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%w for table %s (looked for %s.csv, .csv.gz, .jsonl, .ndjson, .jsonl.gz, .parquet)", ErrNoInput, t, t)
		}
	} else {
		for _, pat := range p.files {
			matches, err := fs.Glob(fsys, pat)
			if err != nil {
				return nil, fmt.Errorf("ingest: files of %s: %q: %w", t, pat, err)
			}
			if len(matches) == 0 {
				if p.optional {
					continue
				}
				return nil, fmt.Errorf("ingest: files of %s: %s: %w", t, pat, fs.ErrNotExist)
			}
			for _, m := range matches {
				st, err := fs.Stat(fsys, m)
				if err != nil {
					return nil, fmt.Errorf("ingest: %s: %w", m, err)
				}
				if err := regular(m, st.Mode()); err != nil {
					return nil, fmt.Errorf("ingest: files of %s: %w", t, err)
				}
				if st.IsDir() {
					if !hasMeta(pat) {
						return nil, fmt.Errorf("ingest: files of %s: %s is a directory", t, m)
					}
					continue
				}
				names = append(names, m)
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	files := make([]inputFile, 0, len(names))
	for _, n := range names {
		f := p.format
		if f == "" {
			f = formatOf(n)
		}
		if f == "" {
			return nil, fmt.Errorf("ingest: %s: cannot tell the format from the name; set the table's format to csv, jsonl or parquet", n)
		}
		files = append(files, inputFile{name: n, format: f})
	}
	if len(files) == 0 && p.optional {
		return nil, fmt.Errorf("%w for table %s (its files are optional; looked for %s)", ErrNoInput, t, strings.Join(p.files, ", "))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("ingest: files of %s: %s: %w", t, strings.Join(p.files, ", "), fs.ErrNotExist)
	}
	return files, nil
}

func hasMeta(pat string) bool {
	return strings.ContainsAny(pat, `*?[\`)
}
