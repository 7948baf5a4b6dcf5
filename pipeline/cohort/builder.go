package cohort

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// noPeriod marks a customer without a signup (no customers row) or
// without a churn (still active).
const noPeriod = math.MaxInt32

// minLatest is the latest instant before any was added.
const minLatest = math.MinInt64

// Builder accumulates record batches of the customers and orders exports
// and computes their cohort [Grid]. Batches may come in any order and be
// split anywhere: the grid depends only on the rows added.
//
// Orders are kept as three compact columns (customer code, period, revenue:
// 16 bytes an order) until [Builder.Grid], because a customer's cohort is
// known only once every order (or their customers row) has been seen.
// With [Config.SpillDir] set, once about a million orders have been added
// they go to a temporary file there instead, 64Ki orders at a time, and
// Grid reads them back; what stays in memory then grows with the
// customers, not the orders. Customer ids are interned to dense int32
// codes.
//
// Whoever creates a Builder with a SpillDir must call [Builder.Close] once
// done with it (after the last Grid) to remove the file; Close is harmless
// without one.
//
// A Builder is not safe for concurrent use.
type Builder struct {
	cfg Config
	cal *calendar
	ids interner

	orders orderStore

	// indexed by customer code; Signup basis only
	signup []int32 // period of signup_at, noPeriod without a customers row
	churn  []int32 // period of churned_at, noPeriod while active

	// The acquisition channel of the customers export, by customer code:
	// an index in channels, whose entry 0 is "" (none). Customers beyond
	// the end have none.
	channel  []int32
	channels []string
	chanIdx  map[string]int32

	// sums bounds the customer × period revenue sums held at once for
	// revenue retention; 0 means sumBudget. Tests lower it.
	sums int

	latest  int64 // latest instant added, µs; for a zero AsOf
	batches map[ingest.Table]int

	// scratch, reused across batches
	codes, periods, churns []int32
}

// NewBuilder returns a builder for cfg (defaults filled in, then
// validated).
func NewBuilder(cfg Config) (*Builder, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cal, err := newCalendar(cfg.Grain, cfg.Location)
	if err != nil {
		return nil, err
	}
	return &Builder{
		cfg:      cfg,
		cal:      cal,
		ids:      interner{codes: make(map[string]int32)},
		orders:   orderStore{dir: cfg.SpillDir},
		latest:   minLatest,
		batches:  make(map[ingest.Table]int),
		channels: []string{""},
		chanIdx:  map[string]int32{"": 0},
	}, nil
}

// Close removes the builder's spill file, if it made one, and drops the
// orders and the customers. Add and Grid return [ErrClosed] afterwards; a
// second Close returns nil. A [Grid] made before stays valid.
func (b *Builder) Close() error {
	b.ids, b.signup, b.churn, b.channel = interner{}, nil, nil, nil
	return b.orders.close()
}

// Config returns the builder's configuration, defaults filled in.
func (b *Builder) Config() Config { return b.cfg }

// Add adds one record batch of table t, which must follow the export
// contract's schema (ingest.SpecOf(t).Schema(); extra columns are ignored).
// Orders are always used. Customers define the cohorts under the [Signup]
// basis; under [FirstOrder] only their acquisition_channel is read, for
// [Builder.ChannelGrid] (a batch without that column, or with none set,
// adds nothing). Batches of any other table are ignored. The record is not retained: the caller
// releases it, as after [ingest.Reader.Read].
//
// A batch that gives an error adds nothing to the grid; it still counts
// in the batch numbers of later errors. The exception is an error writing
// the spill file: orders were lost, so Add and Grid keep returning it.
func (b *Builder) Add(t ingest.Table, rec arrow.Record) error {
	if err := b.orders.err; err != nil {
		return err // closed, or orders lost
	}
	switch t {
	case ingest.Orders:
		b.batches[t]++
		return b.addOrders(rec, b.batches[t])
	case ingest.Customers:
		b.batches[t]++
		if b.cfg.Basis != Signup {
			return b.addChannels(rec, b.batches[t])
		}
		return b.addCustomers(rec, b.batches[t])
	}
	return nil
}

func (b *Builder) addOrders(rec arrow.Record, batch int) error {
	id, err := column[*array.String](rec, ingest.Orders, "customer_id")
	if err != nil {
		return err
	}
	at, err := timeColumn(rec, ingest.Orders, "ordered_at")
	if err != nil {
		return err
	}
	rev, err := column[*array.Float64](rec, ingest.Orders, "revenue")
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		a    arrow.Array
	}{{"customer_id", id}, {"ordered_at", at}, {"revenue", rev}} {
		if i := firstNull(c.a); i >= 0 {
			return &RowError{Table: ingest.Orders, Batch: batch, Row: i, Column: c.name, Err: ErrMissingValue}
		}
	}
	n := int(rec.NumRows())
	b.codes = grow(b.codes, n)
	b.periods = grow(b.periods, n)
	b.ids.intern(id, b.codes)
	b.cal.assign(at, b.periods)
	if err := b.orders.append(b.codes, b.periods, rev.Float64Values()); err != nil {
		return err
	}
	b.noteLatest(at)
	return nil
}

func (b *Builder) addCustomers(rec arrow.Record, batch int) error {
	id, err := column[*array.String](rec, ingest.Customers, "customer_id")
	if err != nil {
		return err
	}
	signup, err := timeColumn(rec, ingest.Customers, "signup_at")
	if err != nil {
		return err
	}
	churned, err := timeColumn(rec, ingest.Customers, "churned_at")
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		a    arrow.Array
	}{{"customer_id", id}, {"signup_at", signup}} {
		if i := firstNull(c.a); i >= 0 {
			return &RowError{Table: ingest.Customers, Batch: batch, Row: i, Column: c.name, Err: ErrMissingValue}
		}
	}
	n := int(rec.NumRows())
	b.codes = grow(b.codes, n)
	b.periods = grow(b.periods, n)
	b.churns = grow(b.churns, n)
	ch, err := channelColumn(rec)
	if err != nil {
		return err
	}
	b.ids.intern(id, b.codes)
	b.cal.assign(signup, b.periods)
	for i := range b.churns {
		b.churns[i] = noPeriod // left as is for null churned_at
	}
	b.cal.assign(churned, b.churns)
	b.signup = growFill(b.signup, b.ids.n, noPeriod)
	b.churn = growFill(b.churn, b.ids.n, noPeriod)
	for i, c := range b.codes {
		if b.signup[c] != noPeriod {
			for _, done := range b.codes[:i] { // undo the rows of this batch
				b.signup[done], b.churn[done] = noPeriod, noPeriod
			}
			return &RowError{Table: ingest.Customers, Batch: batch, Row: i, Column: "customer_id",
				Err: fmt.Errorf("%w %q", ErrDuplicateCustomer, id.Value(i))}
		}
		b.signup[c] = b.periods[i]
		b.churn[c] = b.churns[i]
	}
	if ch != nil {
		b.setChannels(ch, b.codes)
	}
	b.noteLatest(signup)
	b.noteLatest(churned)
	return nil
}

// addChannels reads the acquisition channels of a customers batch under
// the FirstOrder basis: only rows with a channel are kept.
func (b *Builder) addChannels(rec arrow.Record, batch int) error {
	ch, err := channelColumn(rec)
	if err != nil || ch == nil || ch.NullN() == ch.Len() {
		return err
	}
	id, err := column[*array.String](rec, ingest.Customers, "customer_id")
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		if ch.IsValid(i) && id.IsNull(i) {
			return &RowError{Table: ingest.Customers, Batch: batch, Row: i, Column: "customer_id", Err: ErrMissingValue}
		}
	}
	b.codes = grow(b.codes, n)
	off, data := id.ValueOffsets(), id.ValueBytes()
	for i := 0; i < n; i++ {
		if ch.IsValid(i) {
			b.codes[i] = b.ids.code(data[off[i]-off[0] : off[i+1]-off[0]])
		}
	}
	b.setChannels(ch, b.codes)
	return nil
}

// channelColumn returns the acquisition_channel column of a customers
// batch, or nil when the batch has none (the column is optional).
func channelColumn(rec arrow.Record) (*array.String, error) {
	if len(rec.Schema().FieldIndices("acquisition_channel")) == 0 {
		return nil, nil
	}
	return column[*array.String](rec, ingest.Customers, "acquisition_channel")
}

// setChannels records the channel of every row of ch that has one, for
// the customer of codes[i].
func (b *Builder) setChannels(ch *array.String, codes []int32) {
	b.channel = growFill(b.channel, b.ids.n, 0)
	for i, c := range codes {
		if ch.IsNull(i) {
			continue
		}
		name := ch.Value(i)
		k, ok := b.chanIdx[name]
		if !ok {
			k = int32(len(b.channels))
			name = strings.Clone(name) // not into Arrow memory
			b.chanIdx[name] = k
			b.channels = append(b.channels, name)
		}
		b.channel[c] = k
	}
}

// noteLatest records the latest valid instant of a.
func (b *Builder) noteLatest(a *array.Timestamp) {
	nulls := a.NullN() > 0
	for i, t := range a.TimestampValues() {
		if v := int64(t); v > b.latest && !(nulls && a.IsNull(i)) {
			b.latest = v
		}
	}
}

// column returns the named column of rec as an A.
func column[A arrow.Array](rec arrow.Record, t ingest.Table, name string) (A, error) {
	var zero A
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return zero, fmt.Errorf("%w: %s has no column %s", ErrSchema, t, name)
	}
	col := rec.Column(idx[0])
	a, ok := col.(A)
	if !ok {
		return zero, fmt.Errorf("%w: %s.%s is %s", ErrSchema, t, name, col.DataType())
	}
	return a, nil
}

// timeColumn returns the named timestamp column of rec, which must hold
// microseconds as the contract says.
func timeColumn(rec arrow.Record, t ingest.Table, name string) (*array.Timestamp, error) {
	a, err := column[*array.Timestamp](rec, t, name)
	if err != nil {
		return nil, err
	}
	if u := a.DataType().(*arrow.TimestampType).Unit; u != arrow.Microsecond {
		return nil, fmt.Errorf("%w: %s.%s is in %s, want microseconds", ErrSchema, t, name, u)
	}
	return a, nil
}

// firstNull returns the index of the first null of a, or -1.
func firstNull(a arrow.Array) int {
	if a.NullN() == 0 {
		return -1
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			return i
		}
	}
	return -1
}

// interner gives customer ids dense codes 0, 1, 2, … in order of first
// appearance.
type interner struct {
	codes map[string]int32
	n     int32
}

// intern writes the code of each value of a into out. It reads the
// string column's offsets and bytes directly; only a new id is copied, so
// the map never points into Arrow memory.
func (in *interner) intern(a *array.String, out []int32) {
	off := a.ValueOffsets()
	data := a.ValueBytes()
	base := off[0]
	for i := range out {
		out[i] = in.code(data[off[i]-base : off[i+1]-base])
	}
}

// code returns the code of id, giving it the next one if it is new.
func (in *interner) code(id []byte) int32 {
	code, ok := in.codes[string(id)]
	if !ok {
		code = in.n
		in.codes[string(id)] = code
		in.n++
	}
	return code
}

// grow returns s resized to n, reusing its storage when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// growFill extends s to length n, filling new entries with v.
func growFill(s []int32, n int32, v int32) []int32 {
	for int32(len(s)) < n {
		s = append(s, v)
	}
	return s
}
