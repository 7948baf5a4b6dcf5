package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// benchTickets returns n valid tickets as CSV and as JSON Lines.
func benchTickets(n int) (csvData, jsonData string) {
	var c, j strings.Builder
	c.WriteString(ticketsHeader)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		created := base.Add(time.Duration(i) * 37 * time.Second)
		solved := created.Add(time.Duration(i%7200) * time.Second)
		ch := Channels()[i%len(Channels())]
		fmt.Fprintf(&c, "T%d,C%d,%s,%s,%s,solved,normal,A%d,Team %d,%v,%d\n",
			i, i%5000, ch, created.Format(time.RFC3339), solved.Format("2006-01-02 15:04:05"), i%40, i%6, i%9 == 0, i%3)
		fmt.Fprintf(&j, `{"ticket_id":"T%d","customer_id":"C%d","channel":%q,"created_at":%q,"solved_at":%q,"status":"solved","priority":"normal","agent_id":"A%d","team":"Team %d","is_complaint":%v,"reopens":%d}`+"\n",
			i, i%5000, ch, created.Format(time.RFC3339), solved.Format("2006-01-02 15:04:05"), i%40, i%6, i%9 == 0, i%3)
	}
	return c.String(), j.String()
}

// readRows reads table t from fsys to the end once, releasing every batch,
// and fails unless it gives want rows.
func readRows(tb testing.TB, fsys fs.FS, t Table, mem memory.Allocator, opt Options, want int) {
	r, err := Open(context.Background(), fsys, t, mem, opt)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var n int64
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n += rec.NumRows()
		rec.Release()
	}
	if n != int64(want) {
		tb.Fatalf("read %d rows, want %d", n, want)
	}
}

// benchRead reads table t from fsys to the end, b.N times.
func benchRead(b *testing.B, fsys fs.FS, t Table, rows int) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		readRows(b, fsys, t, mem, Options{Strict: true}, rows)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

func BenchmarkCSV(b *testing.B) {
	for _, n := range []int{1e4, 1e5} {
		csvData, _ := benchTickets(n)
		fsys := mapFS(map[string]string{"tickets.csv": csvData})
		b.Run(fmt.Sprintf("rows=%.0e", float64(n)), func(b *testing.B) {
			b.SetBytes(int64(len(csvData)))
			benchRead(b, fsys, Tickets, n)
		})
	}
}

func BenchmarkJSONL(b *testing.B) {
	const n = 1e5
	_, jsonData := benchTickets(n)
	fsys := mapFS(map[string]string{"tickets.jsonl": jsonData})
	b.Run("rows=1e+05", func(b *testing.B) {
		b.SetBytes(int64(len(jsonData)))
		benchRead(b, fsys, Tickets, n)
	})
}

// BenchmarkJSONDocument reads the tickets of BenchmarkJSONL as one API
// page, minified, with every ticket's metric set joined by key.
func BenchmarkJSONDocument(b *testing.B) {
	const n = 100000
	_, jsonData := benchTickets(n)
	var doc strings.Builder
	doc.WriteString(`{"tickets":[`)
	doc.WriteString(strings.ReplaceAll(strings.TrimSuffix(jsonData, "\n"), "}\n{", "},{"))
	doc.WriteString(`],"metric_sets":[`)
	for i := n - 1; i >= 0; i-- {
		if i < n-1 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `{"ticket_id":"T%d","reopens":%d,"replies":2}`, i, i%3)
	}
	doc.WriteString(`],"end_of_stream":true}`)
	data := doc.String()
	fsys := mapFS(map[string]string{"tickets.json": data})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	opt := Options{Strict: true, Mapping: TableMapping{Files: []string{"tickets.json"}, Records: "tickets",
		Join: map[string]Join{"metric_set": {Records: "metric_sets", Key: "ticket_id", On: "ticket_id"}}, Columns: map[string]string{"reopens": "metric_set.reopens"}}}
	b.Run("rows=1e+05", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			readRows(b, fsys, Tickets, mem, opt, n)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	})
}

func BenchmarkParquet(b *testing.B) {
	const n = 1e5
	csvData, _ := benchTickets(n)
	mem := memory.NewGoAllocator()
	rec, _ := readTable(b, mem, mapFS(map[string]string{"tickets.csv": csvData}), Tickets, Options{})
	data := parquetBytesRowGroups(b, mem, rec, 64<<10)
	rec.Release()
	fsys := mapFS(map[string]string{"tickets.parquet": data})
	b.Run("rows=1e+05", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		benchRead(b, fsys, Tickets, n)
	})
}
