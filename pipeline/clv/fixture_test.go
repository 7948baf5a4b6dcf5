package clv

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

var nan = math.NaN()

// order is one row of the orders table; a NaN cost is written as null.
type order struct {
	id, customer string
	at           time.Time
	revenue      float64
	cost         float64
}

func ordersSchema(tb testing.TB) *arrow.Schema {
	tb.Helper()
	spec, err := ingest.SpecOf(ingest.Orders)
	if err != nil {
		tb.Fatal(err)
	}
	return spec.Schema()
}

// buildOrders returns rows as one record batch of the orders contract.
func buildOrders(tb testing.TB, mem memory.Allocator, rows []order) arrow.Record {
	tb.Helper()
	b := array.NewRecordBuilder(mem, ordersSchema(tb))
	defer b.Release()
	ids := b.Field(0).(*array.StringBuilder)
	customers := b.Field(1).(*array.StringBuilder)
	at := b.Field(2).(*array.TimestampBuilder)
	revenue := b.Field(3).(*array.Float64Builder)
	cost := b.Field(4).(*array.Float64Builder)
	for _, r := range rows {
		ids.Append(r.id)
		customers.Append(r.customer)
		at.Append(arrow.Timestamp(r.at.UnixMicro()))
		revenue.Append(r.revenue)
		if r.cost != r.cost {
			cost.AppendNull()
		} else {
			cost.Append(r.cost)
		}
	}
	return b.NewRecord()
}

// recordSlice is an arrio.Reader over records it owns.
type recordSlice struct {
	recs []arrow.Record
	next int
}

func (r *recordSlice) Read() (arrow.Record, error) {
	if r.next == len(r.recs) {
		return nil, io.EOF
	}
	r.next++
	return r.recs[r.next-1], nil
}

func (r *recordSlice) Release() {
	for _, rec := range r.recs {
		rec.Release()
	}
}

// batched splits rows into record batches of at most size rows.
func batched(tb testing.TB, mem memory.Allocator, rows []order, size int) *recordSlice {
	tb.Helper()
	rs := &recordSlice{}
	for lo := 0; lo < len(rows); lo += size {
		rs.recs = append(rs.recs, buildOrders(tb, mem, rows[lo:min(lo+size, len(rows))]))
	}
	return rs
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cdnowSHA256 is the checksum of the published CDNOW_sample.txt.
const cdnowSHA256 = "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a"

// cdnowPaths are where the tests look for CDNOW_sample.txt, which the
// repository does not carry (testdata/README.md): $CXKPI_CDNOW, this
// package's testdata, and the shared data folder beside the checkout.
func cdnowPaths() []string {
	return []string{os.Getenv("CXKPI_CDNOW"), "testdata/CDNOW_sample.txt", "../../../shared/datasets/CDNOW_sample.txt"}
}

// loadCDNOW reads CDNOW_sample.txt (see testdata/README.md): one line per
// purchase with the master id, the sample id (1 to 2357), the date
// (YYYYMMDD), the number of CDs and the amount in dollars. Customers are
// identified by their sample id, like the published analyses. The test is
// skipped when the file is not found, but fails under CI; a file with
// another checksum fails.
func loadCDNOW(tb testing.TB) []order {
	tb.Helper()
	var data []byte
	for _, p := range cdnowPaths() {
		if p == "" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			data = b
			break
		}
	}
	if data == nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("CDNOW_sample.txt not found in %q; CI must run the published-value tests (testdata/README.md)", cdnowPaths())
		}
		tb.Skipf("CDNOW_sample.txt not found in %q; see testdata/README.md", cdnowPaths())
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != cdnowSHA256 {
		tb.Fatalf("CDNOW_sample.txt has SHA-256 %x, want %s", sum, cdnowSHA256)
	}
	var rows []order
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			tb.Fatalf("CDNOW_sample.txt:%d: %d fields, want 5", line, len(fs))
		}
		id, err1 := strconv.Atoi(fs[1])
		at, err2 := time.Parse("20060102", fs[2])
		amount, err3 := strconv.ParseFloat(fs[4], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			tb.Fatalf("CDNOW_sample.txt:%d: bad line %q", line, sc.Text())
		}
		rows = append(rows, order{
			id:       fmt.Sprintf("o%05d", line),
			customer: fmt.Sprintf("%04d", id),
			at:       at,
			revenue:  amount,
			cost:     nan,
		})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// checkGradient compares grad, the analytic gradient of f at theta, with
// central finite differences.
func checkGradient(t *testing.T, model any, f func(theta, grad []float64) float64, theta, grad []float64) {
	t.Helper()
	for j := range theta {
		const h = 1e-6
		up, down := append([]float64(nil), theta...), append([]float64(nil), theta...)
		up[j] += h
		down[j] -= h
		fd := (f(up, nil) - f(down, nil)) / (2 * h)
		if math.Abs(fd-grad[j]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("%+v: gradient[%d] got %.9g, want %.9g", model, j, grad[j], fd)
		}
	}
}
