package sample

import (
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ErrConfig is returned, wrapped with the reason, by [Generate] for a
// [Config] that cannot be generated.
var ErrConfig = errors.New("sample: invalid config")

// Limits of a [Config].
const (
	MaxCustomers = 50_000_000
	MaxMonths    = 120
	MaxBadRows   = 10_000
	// MaxVolume bounds each of the volume targets (Config.Tickets, …).
	MaxVolume = 10_000_000_000
	// MaxVolumePerCustomerMonth bounds a volume target by the customers
	// and months that must hold it.
	MaxVolumePerCustomerMonth = 100
)

// Formats of the generated files.
const (
	CSV     = "csv"
	Parquet = "parquet"
)

// Config says what [Generate] writes. Its zero value is useful: 400
// customers, six months ending 2026-11-01, seed 0, no bad rows, CSV.
type Config struct {
	// Seed picks the data. The same Seed and Config give byte-identical files.
	Seed uint64
	// Customers is the number of customers (rows of customers); default
	// 400, or, when a volume target is set, as many as the first target
	// set (in the order Tickets, Messages, Surveys, Orders) needs at the
	// model's own rates: about 5 tickets, 20 messages, 2.5 survey answers
	// and 2.5 orders a customer a year.
	Customers int
	// Months is the length of the window of activity, ending at End; default 6.
	Months int
	// End is the exclusive end of the data; default 2026-11-01T00:00:00Z.
	// Generation never looks at the clock.
	End time.Time
	// BadRows is the number of deliberately malformed rows added to every
	// table (listed in BAD_ROWS.md); default 0.
	BadRows int
	// Tickets, Messages, Surveys and Orders are volume targets: when not
	// zero, about how many rows of that table to write. The generator
	// then scales the model's rates — tickets per customer-month, the
	// further messages of a ticket, the response rates of surveys, the
	// purchase rate — until a pilot run over a sample of the customers
	// predicts these volumes, and generates with the rates it found. The
	// volumes come out within a few percent of the targets (closer the
	// larger they are) and are, like everything else, the same for the
	// same Config. Zero, the default, leaves a table to the model; the
	// other tables (calls, QA reviews, feedback, …) always follow it, so
	// they grow with the tickets and customers. A target must be at most
	// [MaxVolume] and [MaxVolumePerCustomerMonth] a customer-month, and a
	// ticket has between 2 and 50 messages.
	Tickets, Messages, Surveys, Orders int64
	// Format is [CSV] (the default) or [Parquet].
	Format string
	// Mem allocates the Arrow record batches of Parquet output; default
	// memory.DefaultAllocator.
	Mem memory.Allocator

	// For tests: the goroutines that draw customers' histories (default
	// GOMAXPROCS) and the customers of a chunk (default: about 8,192
	// rows' worth). Neither changes the files.
	workers, chunkCustomers int
}

// DefaultEnd is the End of a [Config] that leaves it zero.
func DefaultEnd() time.Time { return time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC) }

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Months == 0 {
		c.Months = 6
	}
	if c.Customers == 0 {
		c.Customers = c.customersFor()
	}
	if c.End.IsZero() {
		c.End = DefaultEnd()
	}
	c.End = c.End.UTC()
	if c.Format == "" {
		c.Format = CSV
	}
	if c.Mem == nil {
		c.Mem = memory.DefaultAllocator
	}
	return c
}

// validate reports the first reason c cannot be generated.
func (c Config) validate() error {
	switch {
	case c.Customers < 1 || c.Customers > MaxCustomers:
		return fmt.Errorf("%w: customers %d not in 1..%d", ErrConfig, c.Customers, MaxCustomers)
	case c.Months < 1 || c.Months > MaxMonths:
		return fmt.Errorf("%w: months %d not in 1..%d", ErrConfig, c.Months, MaxMonths)
	case c.BadRows < 0 || c.BadRows > MaxBadRows:
		return fmt.Errorf("%w: bad rows %d not in 0..%d", ErrConfig, c.BadRows, MaxBadRows)
	case c.Format != CSV && c.Format != Parquet:
		return fmt.Errorf("%w: format %q is neither %q nor %q", ErrConfig, c.Format, CSV, Parquet)
	case c.End.Year() < 1990 || c.End.Year() > 9000:
		return fmt.Errorf("%w: end %s out of range", ErrConfig, c.End.Format(time.RFC3339))
	}
	return c.validateVolumes()
}
