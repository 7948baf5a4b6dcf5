package sample

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// cellKind is what a cell holds.
type cellKind uint8

const (
	cellNull cellKind = iota
	cellText
	cellID
	cellTime
	cellFloat
	cellInt
	cellBool
)

// cell is one value of a row, kept typed until it is encoded so that rows
// cost no allocation and both CSV and Parquet can be written from them.
// It takes 32 bytes: rows are copied on their way to the encoders.
type cell struct {
	kind cellKind
	prec uint8 // digits of an ID, decimals of a float
	b    bool
	n    int64  // ID number, Unix seconds, integer, the bits of a float
	s    string // text, ID prefix
}

// floatCell returns a cell holding f, to be written with decimals digits
// after the point.
func floatCell(f float64, decimals uint8) cell {
	return cell{kind: cellFloat, n: int64(math.Float64bits(f)), prec: decimals}
}

// float returns the value of a float cell.
func (c *cell) float() float64 { return math.Float64frombits(uint64(c.n)) }

// id names a kind of identifier: a prefix followed by a zero-padded number.
type id uint8

// The identifiers of the generated rows.
const (
	customerID id = iota
	ticketID
	messageID
	responseID
	reviewID
	callID
	feedbackID
	mentionID
	orderID
	referralID
	agentID
)

func (x id) prefix() string {
	return [...]string{"C", "T", "M", "S", "QA", "CL", "F", "SM", "O", "R", "A"}[x]
}

func (x id) width() uint8 {
	return [...]uint8{6, 7, 8, 7, 6, 7, 6, 6, 7, 6, 2}[x]
}

// table writes the rows of one export. Rows are built cell by cell in
// contract column order between begin and end; the first error sticks and
// is reported by Generate.
type table struct {
	name     ingest.Table
	spec     ingest.Spec
	file     string // base name of the output file
	cells    []cell // the row being built, then the last row written
	scratch  []cell // a bad row being built
	enc      encoder
	rows     int64 // data rows written, bad ones included
	header   int64 // 1 if the file has a header line, else 0
	good     int64 // good data rows written
	next     int64 // next identifier number to hand out
	bad      []badPlan
	nextBad  int
	injected []BadRow
	progress func(table string, rows int64)
	err      error
}

// fresh hands out the next identifier number of the table's first column.
func (t *table) fresh() int64 {
	t.next++
	return t.next
}

func (t *table) begin() { t.cells = t.cells[:0] }

func (t *table) id(x id, n int64) {
	t.cells = append(t.cells, cell{kind: cellID, s: x.prefix(), prec: x.width(), n: n})
}

// optID writes identifier x n, or nothing when n is 0.
func (t *table) optID(x id, n int64) {
	if n == 0 {
		t.null()
		return
	}
	t.id(x, n)
}

func (t *table) text(s string) { t.cells = append(t.cells, cell{kind: cellText, s: s}) }

func (t *table) time(sec int64) { t.cells = append(t.cells, cell{kind: cellTime, n: sec}) }

// optTime writes the instant sec, or nothing when sec is 0.
func (t *table) optTime(sec int64) {
	if sec == 0 {
		t.null()
		return
	}
	t.time(sec)
}

func (t *table) float(f float64, decimals uint8) {
	t.cells = append(t.cells, floatCell(f, decimals))
}

func (t *table) int(n int64)   { t.cells = append(t.cells, cell{kind: cellInt, n: n}) }
func (t *table) bool(b bool)   { t.cells = append(t.cells, cell{kind: cellBool, b: b}) }
func (t *table) null()         { t.cells = append(t.cells, cell{}) }
func (t *table) failed() error { return t.err }

// end writes the row built since begin, then any bad rows planned after it.
func (t *table) end() {
	if t.err != nil {
		return
	}
	if err := t.check(t.cells); err != nil {
		t.err = err
		return
	}
	t.put(t.cells)
}

// put writes row, a good row, then any bad rows planned after it.
func (t *table) put(row []cell) {
	t.write(row)
	t.good++
	for t.nextBad < len(t.bad) && t.bad[t.nextBad].after <= t.good {
		t.inject(row, t.bad[t.nextBad].kind)
		t.nextBad++
	}
}

// write encodes one row.
func (t *table) write(row []cell) {
	if t.err != nil {
		return
	}
	if err := t.enc.write(row); err != nil {
		t.err = fmt.Errorf("write %s: %w", t.file, err)
		return
	}
	t.rows++
	if t.progress != nil && t.rows%1_000_000 == 0 {
		t.progress(string(t.name), t.rows)
	}
}

// check verifies that a good row matches the contract: one cell per
// column, of the column's kind, and a value in every required column.
func (t *table) check(row []cell) error {
	if len(row) != len(t.spec.Columns) {
		return fmt.Errorf("sample: %s row has %d cells, contract has %d columns", t.name, len(row), len(t.spec.Columns))
	}
	for i, c := range t.spec.Columns {
		k := row[i].kind
		if k == cellNull {
			if c.Required {
				return fmt.Errorf("sample: %s.%s: required value missing", t.name, c.Name)
			}
			continue
		}
		if want := kindCell(c.Kind); k != want && !(want == cellText && k == cellID) {
			return fmt.Errorf("sample: %s.%s: %s cell in a %s column", t.name, c.Name, cellName(k), c.Kind)
		}
	}
	return nil
}

// kindCell returns the cell kind that holds a value of contract kind k.
func kindCell(k ingest.Kind) cellKind {
	switch k {
	case ingest.Time:
		return cellTime
	case ingest.Float:
		return cellFloat
	case ingest.Int:
		return cellInt
	case ingest.Bool:
		return cellBool
	}
	return cellText
}

func cellName(k cellKind) string {
	return [...]string{"null", "text", "id", "time", "float", "int", "bool"}[k]
}

// appendCell appends the CSV text of c to b.
func appendCell(b []byte, c *cell) []byte {
	switch c.kind {
	case cellText:
		return appendCSVText(b, c.s)
	case cellID:
		return appendID(b, c)
	case cellTime:
		return appendTime(b, c.n)
	case cellFloat:
		return strconv.AppendFloat(b, c.float(), 'f', int(c.prec), 64)
	case cellInt:
		return strconv.AppendInt(b, c.n, 10)
	case cellBool:
		return strconv.AppendBool(b, c.b)
	}
	return b
}

// maxFastTime is the first instant, in Unix seconds, of the year 10000.
const maxFastTime = 253402300800

// appendTime appends the instant t (Unix seconds) in RFC 3339 and UTC,
// like time.Time.AppendFormat with time.RFC3339 and with the same bytes,
// but computing the civil date directly (H. Hinnant's civil_from_days).
func appendTime(b []byte, t int64) []byte {
	if t < 0 || t >= maxFastTime {
		return time.Unix(t, 0).UTC().AppendFormat(b, time.RFC3339)
	}
	z := t/day + 719468 // days since 0000-03-01
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	s := t % day
	h, mi, sec := s/hour, s/minute%60, s%60
	text := [20]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10), 'T',
		byte('0' + h/10), byte('0' + h%10), ':', byte('0' + mi/10), byte('0' + mi%10), ':',
		byte('0' + sec/10), byte('0' + sec%10), 'Z',
	}
	return append(b, text[:]...)
}

// appendID appends the identifier held by c.
func appendID(b []byte, c *cell) []byte {
	b = append(b, c.s...)
	var d [20]byte
	digits := strconv.AppendInt(d[:0], c.n, 10)
	for i := len(digits); i < int(c.prec); i++ {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// appendCSVText appends s as a CSV field, quoted when it must be.
func appendCSVText(b []byte, s string) []byte {
	quote := s != "" && (s[0] == ' ' || s[0] == '\t')
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
