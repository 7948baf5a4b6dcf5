package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/reports/mail"
	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

// With a currency, amounts carry it: its code in kpis.parquet's currency
// column (null on other units), its symbol in the report and the email,
// placed as the locale places it.
func TestCurrency(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(t, nil)
	cfg.Currency, cfg.Locale = "EUR", "es"
	cfg.Mail = &mail.Config{Host: "127.0.0.1", Port: srv.Port, Security: mail.SecurityNone,
		From: "cxkpi <kpi@example.com>", To: []string{"ops@example.com"}, Retries: -1}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, col := kpiColumns(t, filepath.Join(sum.Dir, KPIFile))
	unit, cur := col("unit").(*array.String), col("currency").(*array.String)
	var money, others int
	for i := range n {
		switch {
		case unit.Value(i) == "currency" && cur.IsValid(i) && cur.Value(i) == "EUR":
			money++
		case unit.Value(i) != "currency" && cur.IsNull(i):
			others++
		default:
			t.Fatalf("row %d: unit %q, currency %q (valid %v)", i, unit.Value(i), cur.Value(i), cur.IsValid(i))
		}
	}
	if money == 0 || others == 0 {
		t.Errorf("%d amounts and %d other rows", money, others)
	}
	if text := pdfText(t, filepath.Join(sum.Dir, ReportFile)); text != "" && !strings.Contains(text, "563,73 €") {
		t.Errorf("the report does not show the basic CLV as 563,73 €")
	}
	msgs := srv.Deliveries()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	if text := mailtest.Parse(t, msgs[0].Data).Text; !strings.Contains(text, "563,73 €") {
		t.Errorf("the email does not show the basic CLV as 563,73 €:\n%s", text)
	}
	cc := readColumns(t, filepath.Join(sum.Dir, CustomerFile))["currency"].(*array.String)
	if cc.Len() == 0 || cc.NullN() != 0 || cc.Value(0) != "EUR" {
		t.Errorf("customer_clv.parquet currency: %d rows, %d null, first %q; want EUR on every row", cc.Len(), cc.NullN(), cc.Value(0))
	}
	if sum.Currency != "EUR" {
		t.Errorf("manifest currency %q", sum.Currency)
	}
}

// The period column names each period in the reporting zone, where its
// start instant in UTC falls on the day before.
func TestPeriodLabelIsLocal(t *testing.T) {
	cfg := testConfig(t, nil)
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cfg.KPI.Location = loc
	cfg.AsOf = time.Date(2026, 10, 31, 12, 0, 0, 0, loc)
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, col := kpiColumns(t, filepath.Join(sum.Dir, KPIFile))
	start, period := col("period_start").(*array.Timestamp), col("period").(*array.String)
	seen := map[string]bool{}
	for i := range n {
		utc := time.UnixMicro(int64(start.Value(i))).UTC()
		if want := utc.In(loc).Format("2006-01"); period.Value(i) != want {
			t.Fatalf("period %q for a start of %s, want %q", period.Value(i), utc, want)
		}
		seen[period.Value(i)] = true
		if period.Value(i) == "2026-10" && (utc.Month() != time.September || utc.Day() != 30) {
			t.Fatalf("October starts at %s, want 30 September 22:00 UTC", utc)
		}
	}
	if !seen["2026-10"] {
		t.Error("no October row")
	}
}

// kpiColumns reads a kpis.parquet whole and returns its number of rows
// and its columns by name.
func kpiColumns(t *testing.T, path string) (int, func(name string) arrow.Array) {
	t.Helper()
	tbl := readParquet(t, path)
	tr := array.NewTableReader(tbl, max(1, tbl.NumRows()))
	t.Cleanup(tr.Release)
	if !tr.Next() {
		return 0, func(string) arrow.Array { return nil }
	}
	rec := tr.Record()
	return int(rec.NumRows()), func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
}

func TestParseCurrency(t *testing.T) {
	for in, want := range map[string]string{"": "", "EUR": "EUR", "eur": "EUR", " usd": ""} {
		got, err := ParseCurrency(in)
		if (err != nil) != (want == "" && in != "") || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
