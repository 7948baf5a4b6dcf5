package pipeline

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Defaults of the data gates ([Gates]).
const (
	// DefaultMaxRejectedShare is the share of a table's rows that may be
	// rejected before the run fails: 5%.
	DefaultMaxRejectedShare = 0.05
	// DefaultRejectedMinRows is the number of rows a table needs before
	// its rejected share is judged: below it, a few bad rows make a large
	// share of a small table, and only a table with every row rejected
	// fails the gate.
	DefaultRejectedMinRows = 100
	// DefaultMaxInputAge is how much older than the as-of time the newest
	// event may be: 3 days. A nightly export that stopped a day ago is
	// then caught within two nights, while a weekend without a single
	// ticket, survey or order (Friday evening's is newest on Sunday's
	// run) still passes.
	DefaultMaxInputAge = 3 * 24 * time.Hour
)

// Gates are the health checks a run passes before it publishes anything.
// A run whose data fails one of them ends with a [*GateError] and leaves
// the previous outputs of its period as they were. The zero value is the
// safe default: every gate on, with the default thresholds.
type Gates struct {
	// MaxRejectedShare fails a table that rejects more than this share of
	// the rows it read (gate rejected_share); 0 means
	// DefaultMaxRejectedShare and 1 or more turns the gate off.
	MaxRejectedShare float64
	// RejectedMinRows is the number of rows read from which a table's
	// rejected share is judged; a smaller table fails only if it accepted
	// no row at all. 0 means DefaultRejectedMinRows.
	RejectedMinRows int64
	// AllowEmptyInput turns off gate empty_input: an input with no file
	// that a table reads, or no row in all the files.
	AllowEmptyInput bool
	// AllowEmptyPeriod turns off gate empty_period: a report period in
	// which no event happened, that is no accepted row of any table but
	// customers whose event time (tickets.created_at,
	// messages.created_at, surveys.responded_at, qa_reviews.reviewed_at,
	// calls.queued_at, feedback.received_at, social_mentions.posted_at,
	// orders.ordered_at, referrals.referred_at) is inside the period.
	AllowEmptyPeriod bool
	// MaxInputAge fails a run whose newest event (over the same tables
	// and times) is older than the as-of time minus MaxInputAge (gate
	// stale_input); 0 means DefaultMaxInputAge.
	MaxInputAge time.Duration
	// AllowStale turns off gate stale_input.
	AllowStale bool
}

func (g *Gates) ensureDefaults() {
	if g.MaxRejectedShare == 0 {
		g.MaxRejectedShare = DefaultMaxRejectedShare
	}
	if g.RejectedMinRows == 0 {
		g.RejectedMinRows = DefaultRejectedMinRows
	}
	if g.MaxInputAge == 0 {
		g.MaxInputAge = DefaultMaxInputAge
	}
}

func (g *Gates) validate() error {
	switch {
	case g.MaxRejectedShare < 0 || g.MaxRejectedShare != g.MaxRejectedShare:
		return fmt.Errorf("pipeline: max rejected share %v is negative", g.MaxRejectedShare)
	case g.RejectedMinRows < 0:
		return fmt.Errorf("pipeline: rejected min rows %d is negative", g.RejectedMinRows)
	case g.MaxInputAge < 0:
		return fmt.Errorf("pipeline: max input age %s is negative", g.MaxInputAge)
	}
	return nil
}

// ErrGate is wrapped by the error of a run that a data gate stopped.
var ErrGate = errors.New("pipeline: data gate failed")

// GateFailure is one failed gate: which, about what, the value measured
// and the threshold it broke.
type GateFailure struct {
	Gate      string // rejected_share, empty_input, empty_period or stale_input
	Subject   string // "table orders", "input exports/", "period 2026-10"
	Value     string // what was measured
	Threshold string
}

func (f GateFailure) String() string {
	return fmt.Sprintf("%s: %s: %s, threshold %s", f.Gate, f.Subject, f.Value, f.Threshold)
}

// GateError is the error of a run stopped by its data gates. It prints on
// one line, every failed gate after the other, and wraps [ErrGate].
type GateError struct {
	Failures []GateFailure
}

func (e *GateError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = f.String()
	}
	return ErrGate.Error() + ": " + strings.Join(parts, "; ")
}

func (e *GateError) Unwrap() error { return ErrGate }

// check evaluates the gates on what the run read and returns a
// *GateError listing the failed ones, or nil.
func (g *Gates) check(sum *Manifest, input string) error {
	var fails []GateFailure
	files := 0
	for _, t := range sum.Tables {
		files += len(t.files)
	}
	if !g.AllowEmptyInput {
		switch read := sum.Read(); {
		case files == 0:
			v := "no file that a table reads"
			if len(sum.Unrecognised) > 0 {
				v += " (unrecognised: " + strings.Join(sum.Unrecognised, ", ") + ")"
			}
			fails = append(fails, GateFailure{"empty_input", "input " + input, v,
				"1 file named <table>.csv, .csv.gz, .jsonl, .ndjson, .jsonl.gz or .parquet, or as the mapping says"})
		case read == 0:
			fails = append(fails, GateFailure{"empty_input", "input " + input, fmt.Sprintf("0 rows read in %d files", files), "1 row"})
		}
		if len(fails) > 0 {
			return &GateError{fails} // the other gates would only repeat it
		}
	}
	if g.MaxRejectedShare < 1 {
		for _, t := range sum.Tables {
			// Skipped rows (non-events such as surveys offered and not
			// answered) are neither good nor bad data: the share is of
			// the rows that are data, accepted or rejected.
			data := t.Read - t.Skipped
			if data == 0 || t.Rejected == 0 {
				continue
			}
			share := float64(t.Rejected) / float64(data)
			if (data >= g.RejectedMinRows && share > g.MaxRejectedShare) || t.Accepted == 0 {
				fails = append(fails, GateFailure{"rejected_share", "table " + string(t.Table),
					fmt.Sprintf("%s of %d rows rejected (%d)", percent(share), data, t.Rejected),
					fmt.Sprintf("%s (judged from %d rows; below, only a table with no row accepted fails)", percent(g.MaxRejectedShare), g.RejectedMinRows)})
			}
		}
	}
	var events int64
	var newest time.Time
	newestIn := ""
	for _, t := range sum.Tables {
		events += t.EventsInPeriod
		if t.NewestEvent.After(newest) {
			newest, newestIn = t.NewestEvent, string(t.Table)
		}
	}
	if !g.AllowEmptyPeriod && events == 0 {
		fails = append(fails, GateFailure{"empty_period", "period " + sum.Period,
			fmt.Sprintf("0 events from %s to %s", sum.PeriodStart.Format(time.RFC3339), sum.PeriodEnd.Format(time.RFC3339)), "1 event"})
	}
	if !g.AllowStale {
		limit := sum.AsOf.Add(-g.MaxInputAge)
		// Without any event the input is empty, which empty_input and
		// empty_period judge.
		if !newest.IsZero() && newest.Before(limit) {
			fails = append(fails, GateFailure{"stale_input", "table " + newestIn,
				fmt.Sprintf("newest event %s is %s before as-of %s", newest.UTC().Format(time.RFC3339), days(sum.AsOf.Sub(newest)), sum.AsOf.UTC().Format(time.RFC3339)),
				days(g.MaxInputAge)})
		}
	}
	if len(fails) > 0 {
		return &GateError{fails}
	}
	return nil
}

func percent(f float64) string { return fmt.Sprintf("%.2f%%", f*100) }

func days(d time.Duration) string { return fmt.Sprintf("%.1f days", d.Hours()/24) }

// events counts the rows of a table's batches whose event time falls in
// a period, and keeps the newest: what gates empty_period and
// stale_input judge.
type events struct {
	col        int   // index of the event time in the batches; -1 for no events
	start, end int64 // the report period, µs since the epoch
	inPeriod   int64
	newest     int64
	any        bool
}

// newEvents watches the event time of table t: its first required time
// column. Customers have none: a sign-up is not an event of the report.
func newEvents(t ingest.Table, start, end time.Time) *events {
	e := &events{col: -1, start: start.UnixMicro(), end: end.UnixMicro()}
	spec, err := ingest.SpecOf(t)
	if err != nil || t == ingest.Customers {
		return e
	}
	for i, c := range spec.Columns {
		if c.Kind == ingest.Time && c.Required {
			e.col = i
			break
		}
	}
	return e
}

func (e *events) add(rec arrow.Record) {
	if e.col < 0 {
		return
	}
	col, ok := rec.Column(e.col).(*array.Timestamp)
	if !ok {
		return
	}
	for i, v := range col.TimestampValues() {
		if col.IsNull(i) {
			continue
		}
		us := int64(v)
		if us >= e.start && us < e.end {
			e.inPeriod++
		}
		if !e.any || us > e.newest {
			e.newest, e.any = us, true
		}
	}
}

// record copies the counts into ts.
func (e *events) record(ts *TableCounts) {
	ts.EventsInPeriod = e.inPeriod
	if e.any {
		ts.NewestEvent = time.UnixMicro(e.newest).UTC()
	}
}
