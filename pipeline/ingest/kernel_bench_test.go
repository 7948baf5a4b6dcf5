package ingest

import (
	"fmt"
	"io/fs"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Kernel benchmarks of the read stage: the CSV tables that BenchmarkCSV
// (tickets) leaves out, per row, and the time parser on every shape of
// timestamp the contract accepts.

// benchMessages returns n valid messages as CSV: customer messages and
// agent replies, a few internal notes, ten messages per ticket.
func benchMessages(n int) string {
	var c strings.Builder
	c.WriteString("message_id,ticket_id,author,agent_id,created_at\n")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	authors := []string{"customer", "agent", "customer", "agent", "internal"}
	for i := range n {
		at := base.Add(time.Duration(i) * 31 * time.Second)
		author := authors[i%len(authors)]
		agent := ""
		if author != "customer" {
			agent = "A" + strconv.Itoa(i%40)
		}
		fmt.Fprintf(&c, "M%d,T%d,%s,%s,%s\n", i, i/10, author, agent, at.Format(time.RFC3339))
	}
	return c.String()
}

// benchSurveys returns n valid survey answers as CSV: CSAT on 1–5, NPS on
// 0–10, CES on 1–7, half of them linked to a ticket.
func benchSurveys(n int) string {
	var c strings.Builder
	c.WriteString("response_id,customer_id,ticket_id,kind,score,scale_min,scale_max,responded_at\n")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := base.Add(time.Duration(i) * 97 * time.Second)
		ticket := ""
		if i%2 == 0 {
			ticket = "T" + strconv.Itoa(i/2)
		}
		kind, lo, hi := "csat", 1, 5
		switch i % 3 {
		case 1:
			kind, lo, hi = "nps", 0, 10
		case 2:
			kind, lo, hi = "ces", 1, 7
		}
		score := lo + i*7%(hi-lo+1)
		fmt.Fprintf(&c, "R%d,C%d,%s,%s,%d,%d,%d,%s\n", i, i%5000, ticket, kind, score, lo, hi, at.Format(time.RFC3339))
	}
	return c.String()
}

// BenchmarkCSVTables reads 1e5 rows of the messages and surveys tables
// from CSV to Arrow (open, parse, check, convert, duplicate keys) with the
// reader's default options, and reports the cost per row.
func BenchmarkCSVTables(b *testing.B) {
	const n = 1e5
	for _, tc := range []struct {
		table Table
		data  string
	}{
		{Messages, benchMessages(n)},
		{Surveys, benchSurveys(n)},
	} {
		fsys := mapFS(map[string]string{string(tc.table) + ".csv": tc.data})
		b.Run(fmt.Sprintf("table=%s/rows=%.0e", tc.table, float64(n)), func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			benchReadRows(b, fsys, tc.table, n)
		})
	}
}

// benchReadRows reads table t from fsys to the end b.N times, checks that
// each read gives rows rows, and reports ns/row, rows/s, B/row and
// allocs/row (the Go heap's, measured around the loop like -benchmem).
func benchReadRows(b *testing.B, fsys fs.FS, t Table, rows int) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		readRows(b, fsys, t, mem, Options{Strict: true}, rows)
	}
	runtime.ReadMemStats(&after)
	reportPerRow(b, float64(b.N)*float64(rows), &before, &after)
}

// reportPerRow reports the loop's time and Go heap allocations per row of
// total rows.
func reportPerRow(b *testing.B, total float64, before, after *runtime.MemStats) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/row")
}

// parseSink keeps the parsed instants alive so that the compiler cannot
// drop the parses.
var parseSink int64

// BenchmarkParseTime parses one Time cell, as the CSV and JSON Lines
// converters do, for each shape the contract accepts: RFC 3339 with "Z",
// with an offset and with microseconds; "2006-01-02 15:04:05" without an
// offset, read in UTC (pure arithmetic) and in Europe/Lisbon (time.Date);
// a mapped Go layout, "02/01/2006 15:04" in Lisbon (time.ParseInLocation);
// and Unix seconds. Each case cycles through 4,096 distinct instants of
// 2026 so that no input is a constant.
func BenchmarkParseTime(b *testing.B) {
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		b.Skip(err)
	}
	cases := []struct {
		name   string
		f      timeFormat
		layout string // how the inputs are written
		loc    *time.Location
		unix   bool
	}{
		{"rfc3339_Z", timeFormat{loc: time.UTC}, time.RFC3339, time.UTC, false},
		{"rfc3339_offset", timeFormat{loc: time.UTC}, time.RFC3339, time.FixedZone("", 5*3600+30*60), false},
		{"rfc3339_fraction", timeFormat{loc: time.UTC}, "2006-01-02T15:04:05.000000Z07:00", time.UTC, false},
		{"local_UTC", timeFormat{loc: time.UTC}, time.DateTime, time.UTC, false},
		{"local_Lisbon", timeFormat{loc: lisbon}, time.DateTime, lisbon, false},
		{"goLayout_Lisbon", timeFormat{layout: "02/01/2006 15:04", loc: lisbon}, "02/01/2006 15:04", lisbon, false},
		{"unix", timeFormat{layout: LayoutUnix, loc: time.UTC}, "", time.UTC, true},
	}
	for _, tc := range cases {
		ins := make([]string, 4096)
		want := make([]int64, len(ins))
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range ins {
			t := base.Add(time.Duration(i) * 7717 * time.Second).Add(time.Duration(i%1000) * 1234 * time.Microsecond).In(tc.loc)
			if tc.unix {
				ins[i] = strconv.FormatInt(t.Unix(), 10)
				want[i] = t.Unix() * 1e6
				continue
			}
			ins[i] = t.Format(tc.layout)
			p, err := time.ParseInLocation(tc.layout, ins[i], tc.loc)
			if err != nil {
				b.Fatal(err)
			}
			want[i] = p.UnixMicro()
		}
		// The parser must agree with the time package before it is timed.
		for i, s := range ins {
			got, err := tc.f.parse(s)
			if err != nil || got != want[i] {
				b.Fatalf("%s: parse(%q) = %d, %v, want %d", tc.name, s, got, err, want[i])
			}
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var sum int64
			i := 0
			for b.Loop() {
				us, err := tc.f.parse(ins[i&(len(ins)-1)])
				if err != nil {
					b.Fatal(err)
				}
				sum += us
				i++
			}
			parseSink = sum
		})
	}
}
