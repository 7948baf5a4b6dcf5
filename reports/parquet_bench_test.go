package reports

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	pqgo "github.com/xitongsys/parquet-go/parquet"
	pqgowriter "github.com/xitongsys/parquet-go/writer"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// benchRows is a KPI table of n rows with a null in every seventh value.
func benchRows(n int) []kpi.Row {
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	metrics := []string{"csat", "nps", "ces", "first_reply_time", "tickets"}
	rows := make([]kpi.Row, n)
	for i := range rows {
		p := start.AddDate(0, i%72, 0)
		rows[i] = kpi.Row{
			PeriodStart: p, PeriodEnd: p.AddDate(0, 1, 0), Metric: metrics[i%len(metrics)], Unit: "%",
			Dimension: "agent", DimensionValue: fmt.Sprintf("agent%03d", i%300),
			Value: kpi.Some(float64(i%1000) / 10), Numerator: kpi.Some(float64(i % 97)), Denominator: kpi.Some(97), N: int64(i % 97),
		}
		if i%7 == 0 {
			rows[i].Value = kpi.Num{}
		}
	}
	return rows
}

// BenchmarkWriteParquet compares the two Parquet writers the design card
// names on the same KPI rows: pqarrow writes the Arrow record the pipeline
// already holds; xitongsys/parquet-go has to be fed Go structs row by row
// (its Arrow writer targets an old, incompatible Arrow module).
func BenchmarkWriteParquet(b *testing.B) {
	const n = 200_000
	rows := benchRows(n)
	b.Run("writer=pqarrow", func(b *testing.B) {
		rec := kpi.Record(memory.DefaultAllocator, rows)
		defer rec.Release()
		b.ReportAllocs()
		for b.Loop() {
			rr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
			if err != nil {
				b.Fatal(err)
			}
			if err := EncodeParquet(io.Discard, rr, memory.DefaultAllocator); err != nil {
				b.Fatal(err)
			}
			rr.Release()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("writer=parquet-go", func(b *testing.B) {
		type row struct {
			PeriodStart    int64    `parquet:"name=period_start, type=INT64, convertedtype=TIMESTAMP_MICROS"`
			PeriodEnd      int64    `parquet:"name=period_end, type=INT64, convertedtype=TIMESTAMP_MICROS"`
			Metric         string   `parquet:"name=metric, type=BYTE_ARRAY, convertedtype=UTF8, encoding=PLAIN_DICTIONARY"`
			Unit           string   `parquet:"name=unit, type=BYTE_ARRAY, convertedtype=UTF8, encoding=PLAIN_DICTIONARY"`
			Dimension      string   `parquet:"name=dimension, type=BYTE_ARRAY, convertedtype=UTF8, encoding=PLAIN_DICTIONARY"`
			DimensionValue string   `parquet:"name=dimension_value, type=BYTE_ARRAY, convertedtype=UTF8, encoding=PLAIN_DICTIONARY"`
			Value          *float64 `parquet:"name=value, type=DOUBLE"`
			Numerator      *float64 `parquet:"name=numerator, type=DOUBLE"`
			Denominator    *float64 `parquet:"name=denominator, type=DOUBLE"`
			N              int64    `parquet:"name=n, type=INT64"`
		}
		opt := func(v kpi.Num) *float64 {
			if !v.Valid {
				return nil
			}
			return &v.V
		}
		b.ReportAllocs()
		for b.Loop() {
			w, err := pqgowriter.NewParquetWriterFromWriter(io.Discard, new(row), 2)
			if err != nil {
				b.Fatal(err)
			}
			w.CompressionType = pqgo.CompressionCodec_ZSTD
			for _, r := range rows {
				if err := w.Write(row{r.PeriodStart.UnixMicro(), r.PeriodEnd.UnixMicro(), r.Metric, string(r.Unit), r.Dimension, r.DimensionValue,
					opt(r.Value), opt(r.Numerator), opt(r.Denominator), r.N}); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.WriteStop(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
