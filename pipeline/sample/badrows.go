package sample

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// BadRowsFile is the name of the file, next to the generated data, that
// lists the deliberately malformed rows.
const BadRowsFile = "BAD_ROWS.md"

// BadRow is one deliberately malformed row.
type BadRow struct {
	File    string // base name of the data file, e.g. tickets.csv
	Line    int64  // line in a CSV file, counting the header as line 1; row (from 1) in a Parquet file
	Column  string // the column that is wrong
	Problem string // what is wrong, e.g. `invalid time "2026-13-45T25:00:00Z"`
}

// problem is a way of breaking a row.
type problem uint8

const (
	badTime    problem = iota // an impossible instant
	missing                   // no value in a required column
	duplicate                 // the key of the row before
	badValue                  // text that is not a value of the column
	outOfScale                // a survey score outside its declared scale
)

// badKind breaks column of a row with problem, writing value where the
// problem needs one.
type badKind struct {
	problem problem
	column  string
	value   string
}

// invalidTime is the value of a badTime column.
const invalidTime = "2026-13-45T25:00:00Z"

// badKinds returns the ways rows of table t are broken, in the order they
// are used: the k-th bad row of a table is broken the (k mod n)-th way.
func badKinds(t ingest.Table) []badKind {
	switch t {
	case ingest.Customers:
		return []badKind{{badTime, "signup_at", ""}, {missing, "customer_id", ""}, {duplicate, "customer_id", ""}, {badValue, "loyalty_member", "maybe"}}
	case ingest.Tickets:
		return []badKind{{badValue, "channel", "fax"}, {duplicate, "ticket_id", ""}, {badTime, "created_at", ""}, {missing, "ticket_id", ""}, {badValue, "status", "deleted"}}
	case ingest.Messages:
		return []badKind{{missing, "ticket_id", ""}, {badTime, "created_at", ""}, {badValue, "author", "bot"}, {duplicate, "message_id", ""}}
	case ingest.Surveys:
		return []badKind{{outOfScale, "score", ""}, {badTime, "responded_at", ""}, {badValue, "kind", "csat2"}, {badValue, "score", "n/a"}, {missing, "response_id", ""}, {duplicate, "response_id", ""}}
	case ingest.QAReviews:
		return []badKind{{missing, "agent_id", ""}, {badTime, "reviewed_at", ""}, {badValue, "score", "good"}, {duplicate, "review_id", ""}}
	case ingest.Calls:
		return []badKind{{badTime, "queued_at", ""}, {missing, "call_id", ""}, {badValue, "abandoned", "maybe"}, {duplicate, "call_id", ""}}
	case ingest.Feedback:
		return []badKind{{badValue, "channel", "fax"}, {badTime, "received_at", ""}, {missing, "feedback_id", ""}, {duplicate, "feedback_id", ""}}
	case ingest.SocialMentions:
		return []badKind{{badValue, "sentiment", "angry"}, {missing, "posted_at", ""}, {badTime, "posted_at", ""}, {duplicate, "mention_id", ""}}
	case ingest.Orders:
		return []badKind{{badValue, "revenue", "12,50"}, {missing, "customer_id", ""}, {badTime, "ordered_at", ""}, {duplicate, "order_id", ""}}
	case ingest.Referrals:
		return []badKind{{badTime, "referred_at", ""}, {missing, "referrer_id", ""}, {duplicate, "referral_id", ""}}
	}
	return nil
}

// representable reports whether k can be written in format: Parquet's
// typed, non-nullable columns cannot hold an invalid time, text in a number
// column or a missing required value.
func (k badKind) representable(spec ingest.Spec, format string) bool {
	if format == CSV {
		return true
	}
	switch k.problem {
	case duplicate, outOfScale:
		return true
	case badValue:
		i := spec.Index(k.column)
		return i >= 0 && kindCell(spec.Columns[i].Kind) == cellText
	}
	return false
}

// badPlan is a bad row to write once after good rows have been written.
type badPlan struct {
	after int64
	kind  badKind
}

// planBad spreads n bad rows over a table expected to hold about est good
// rows, breaking them in the ways format can represent.
func planBad(r *rand.Rand, spec ingest.Spec, format string, n int, est float64) []badPlan {
	var kinds []badKind
	for _, k := range badKinds(spec.Table) {
		if k.representable(spec, format) {
			kinds = append(kinds, k)
		}
	}
	if n == 0 || len(kinds) == 0 {
		return nil
	}
	est = max(est, 1)
	plans := make([]badPlan, n)
	for k := range plans {
		after := int64((float64(k) + r.Float64()) * est / float64(n))
		plans[k] = badPlan{after: max(after, 1), kind: kinds[k%len(kinds)]}
	}
	return plans
}

// inject writes a bad row made from last, the good row just written, and
// records it.
func (t *table) inject(last []cell, k badKind) {
	col := t.spec.Index(k.column)
	if col < 0 || len(last) == 0 {
		t.err = fmt.Errorf("sample: cannot break %s.%s", t.name, k.column)
		return
	}
	templateLine := t.rows + t.header // the row just written
	t.scratch = append(t.scratch[:0], last...)
	row := t.scratch
	if k.problem != duplicate && !(k.problem == missing && col == 0) {
		// A fresh identifier, so that the row has exactly one problem.
		row[0].n = t.fresh()
	}
	var what string
	switch k.problem {
	case badTime:
		row[col] = cell{kind: cellText, s: invalidTime}
		what = fmt.Sprintf("invalid time %q", invalidTime)
	case missing:
		row[col] = cell{}
		what = "required value missing"
	case duplicate:
		what = fmt.Sprintf("duplicate key (%s) of %s %d", strings.Join(t.spec.Key, ", "), [...]string{"row", "line"}[t.header], templateLine)
	case badValue:
		row[col] = cell{kind: cellText, s: k.value}
		switch kindCell(t.spec.Columns[col].Kind) {
		case cellFloat, cellInt:
			what = fmt.Sprintf("%q is not a number", k.value)
		case cellBool:
			what = fmt.Sprintf("%q is not a boolean", k.value)
		default:
			what = fmt.Sprintf("%q is not an allowed value", k.value)
		}
	case outOfScale:
		lo, hi := row[t.spec.Index("scale_min")].n, row[t.spec.Index("scale_max")].n
		row[col] = floatCell(float64(hi+2), 0)
		what = fmt.Sprintf("score %d outside scale %d..%d", hi+2, lo, hi)
	}
	t.write(row)
	t.injected = append(t.injected, BadRow{File: t.file, Line: t.rows + t.header, Column: k.column, Problem: what})
}

// finish writes the bad rows planned beyond the last good row, t.cells.
func (t *table) finish() {
	if len(t.cells) == 0 {
		return // an empty table has no row to break
	}
	for ; t.nextBad < len(t.bad) && t.err == nil; t.nextBad++ {
		t.inject(t.cells, t.bad[t.nextBad].kind)
	}
}

// formatBadRows renders the list of bad rows as Markdown.
func formatBadRows(cfg Config, rows []BadRow) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Deliberately malformed rows\n\n")
	fmt.Fprintf(&b, "Generated with seed %d, %d customers, %d months ending %s, %d bad rows per table, format %s.\n",
		cfg.Seed, cfg.Customers, cfg.Months, cfg.End.Format("2006-01-02T15:04:05Z07:00"), cfg.BadRows, cfg.Format)
	if cfg.scaled() {
		fmt.Fprintf(&b, "Volume targets: %d tickets, %d messages, %d surveys, %d orders (0: as the model gives).\n",
			cfg.Tickets, cfg.Messages, cfg.Surveys, cfg.Orders)
	}
	fmt.Fprintf(&b, "Each row below was added to its file on purpose and has exactly one problem;\n")
	fmt.Fprintf(&b, "every other row is valid. In a CSV file the header is line 1; in a Parquet\n")
	fmt.Fprintf(&b, "file the line is the row number, from 1.\n\n")
	fmt.Fprintf(&b, "| file | line | column | problem |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", r.File, r.Line, r.Column, r.Problem)
	}
	return b.Bytes()
}

// ReadBadRows reads the list of deliberately malformed rows, BAD_ROWS.md,
// from the directory fsys written by [Generate].
func ReadBadRows(fsys fs.FS) ([]BadRow, error) {
	data, err := fs.ReadFile(fsys, BadRowsFile)
	if err != nil {
		return nil, fmt.Errorf("read bad rows: %w", err)
	}
	var rows []BadRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| file ") || strings.HasPrefix(line, "| --- ") {
			continue
		}
		f := strings.SplitN(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), " | ", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want 4 cells, got %d", BadRowsFile, n, len(f))
		}
		ln, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: line: %w", BadRowsFile, n, err)
		}
		rows = append(rows, BadRow{File: f[0], Line: ln, Column: f[2], Problem: f[3]})
	}
	return rows, nil
}
