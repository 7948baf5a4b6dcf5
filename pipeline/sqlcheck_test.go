package pipeline

// An independent recomputation of cohort_retention.parquet and of the
// data columns of customer_clv.parquet in SQL (SQLite), from the raw
// customers.csv and orders.csv. The SQL side shares no code with the
// ingest, cohort or clv packages: it reads the CSV with encoding/csv and
// applies the input contract itself. The one assumption it shares is the
// calendar of the reporting zone (local midnights, ISO weeks, months,
// quarters, years), built here with time.Date into a table of period
// boundaries that the SQL joins the UTC timestamps to.

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"

	_ "modernc.org/sqlite"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// sqlFixture builds customers.csv and orders.csv in Europe/Madrid: 150
// customers drawn with a fixed seed, and the edge cases by hand.
func sqlFixture() (customers, orders string) {
	var cs, os strings.Builder
	cs.WriteString("customer_id,signup_at,churned_at,loyalty_member,education_participant\n")
	os.WriteString("order_id,customer_id,ordered_at,revenue,cost\n")
	n := 0
	order := func(cust, at, revenue, cost string) {
		n++
		fmt.Fprintf(&os, "O%05d,%s,%s,%s,%s\n", n, cust, at, revenue, cost)
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 150; i++ {
		id := fmt.Sprintf("g%03d", i)
		signup := start.Add(time.Duration(rng.Int64N(int64(640 * 24 * time.Hour))))
		churn := ""
		stop := last
		if rng.IntN(3) == 0 {
			c := signup.Add(time.Duration(30+rng.IntN(200)) * 24 * time.Hour)
			if c.Before(last) {
				churn, stop = c.Format(time.RFC3339), c
			}
		}
		fmt.Fprintf(&cs, "%s,%s,%s,false,false\n", id, signup.Format(time.RFC3339), churn)
		gap := 10 + rng.Float64()*60
		spend := 20 + rng.ExpFloat64()*60 // each customer's own mean, for Gamma-Gamma
		at := signup.Add(time.Duration(rng.IntN(5*24*3600)) * time.Second)
		for at.Before(stop) {
			rev := strconv.FormatFloat(math.Round(spend*(0.2+1.6*rng.Float64())*100)/100, 'f', 2, 64)
			cost := ""
			if rng.IntN(5) > 0 {
				v, _ := strconv.ParseFloat(rev, 64)
				cost = strconv.FormatFloat(math.Round(v*55)/100, 'f', 2, 64)
			}
			order(id, at.Format(time.RFC3339), rev, cost)
			at = at.Add(time.Duration(rng.ExpFloat64() * gap * float64(24*time.Hour)))
		}
	}
	edge := []string{
		// Local midnights on month, quarter, year and ISO week boundaries,
		// and the last microsecond before them.
		"e_bound,2025-11-03T10:00:00Z,,,",
		"e_dst,2025-06-01T10:00:00Z,2026-06-30T10:00:00Z,,",
		"e_asof,2026-10-05T10:00:00Z,,,",
		"e_none,2025-05-05T10:00:00Z,2025-09-01T00:00:00Z,,",
		"e_before,2026-05-10T10:00:00Z,,,",
		"e_refund,2025-08-08T10:00:00Z,2026-02-01T00:00:00+01:00,,",
		"e_late,2026-11-09T10:00:00Z,,,",
	}
	for _, e := range edge {
		cs.WriteString(e + "\n")
	}
	for _, o := range [][4]string{
		{"e_bound", "2025-12-31T23:59:59.999999+01:00", "10.00", "4.00"},
		{"e_bound", "2026-01-01T00:00:00+01:00", "11.00", "4.00"},
		{"e_bound", "2026-02-28T23:59:59+01:00", "12.00", ""},
		{"e_bound", "2026-03-01T00:00:00+01:00", "13.00", ""},
		{"e_bound", "2026-05-31T23:59:59+02:00", "14.00", "5.00"},
		{"e_bound", "2026-06-01T00:00:00+02:00", "15.00", "5.00"}, // a Monday
		{"e_bound", "2026-09-30T23:59:59+02:00", "16.00", ""},
		{"e_bound", "2026-10-01T00:00:00+02:00", "17.00", ""},
		// Daylight saving: 29 March 2026 has 23 hours, 26 October 2025 25.
		{"e_dst", "2025-10-25T22:30:00Z", "20.00", "8.00"}, // 00:30 CEST on the 26th
		{"e_dst", "2025-10-26T01:30:00Z", "21.00", "8.00"}, // 02:30 CET, same day
		{"e_dst", "2025-10-26T22:59:59Z", "22.00", ""},     // 23:59:59 CET, same day
		{"e_dst", "2026-03-28T23:00:00Z", "23.00", ""},     // 00:00 CET on the 29th
		{"e_dst", "2026-03-29T01:30:00Z", "24.00", "9.00"}, // 03:30 CEST, same day
		{"e_dst", "2026-03-29T22:00:00Z", "25.00", "9.00"}, // 00:00 CEST on the 30th
		// Signs up and buys in the as-of month, before and after the 17th.
		{"e_asof", "2026-10-05T11:00:00Z", "30.00", "10.00"},
		{"e_asof", "2026-10-16T21:59:59Z", "31.00", ""},
		{"e_asof", "2026-10-20T11:00:00Z", "32.00", "10.00"},
		// Orders before signing up.
		{"e_before", "2026-03-02T09:00:00Z", "40.00", "20.00"},
		{"e_before", "2026-06-15T09:00:00Z", "41.00", ""},
		// A refund, a free order, a refund larger than the day's orders.
		{"e_refund", "2025-08-08T11:00:00Z", "100.00", "60.00"},
		{"e_refund", "2025-08-08T15:00:00Z", "-100.00", "-60.00"},
		{"e_refund", "2025-09-12T15:00:00Z", "0", ""},
		{"e_refund", "2025-10-01T15:00:00Z", "50.00", ""},
		{"e_refund", "2025-10-02T15:00:00Z", "-80.00", ""},
		// A buyer missing from customers.csv, and one who only buys late.
		{"e_unknown", "2025-04-04T12:00:00Z", "60.00", "30.00"},
		{"e_unknown", "2026-04-04T12:00:00Z", "61.00", "30.00"},
		{"e_late", "2026-11-10T12:00:00Z", "70.00", "30.00"},
	} {
		order(o[0], o[1], o[2], o[3])
	}
	return cs.String(), os.String()
}

// sqlDB loads customers.csv and orders.csv of input into SQLite tables,
// applying the input contract (docs/inputs.md) independently of ingest:
// a row with a missing required value, an unreadable time or number, a
// non-finite number, a time outside [2000-01-01, now + 1 day), a churn
// before signup, or a repeated key is left out.
func sqlDB(t *testing.T, input fs.FS, now time.Time) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	t.Cleanup(func() { db.Close() })
	sqlExec(t, db, `CREATE TABLE customers (customer_id TEXT PRIMARY KEY, signup_us INTEGER NOT NULL, churned_us INTEGER)`)
	sqlExec(t, db, `CREATE TABLE orders (order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, ordered_us INTEGER NOT NULL, revenue REAL NOT NULL, cost REAL)`)
	from, to := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), now.Add(24*time.Hour)
	ts := func(s string) (int64, bool) {
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || at.Before(from) || at.After(to) {
			return 0, false
		}
		return at.UnixMicro(), true
	}
	num := func(s string) (float64, bool) {
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
	}
	read := func(name string, row func(rec map[string]string)) {
		f, err := input.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			if len(rec) != len(recs[0]) {
				continue
			}
			m := map[string]string{}
			for i, h := range recs[0] {
				m[h] = rec[i]
			}
			row(m)
		}
	}
	read("customers.csv", func(r map[string]string) {
		signup, ok := ts(r["signup_at"])
		if r["customer_id"] == "" || !ok {
			return
		}
		var churned any
		if c := r["churned_at"]; c != "" {
			v, ok := ts(c)
			if !ok || v < signup {
				return
			}
			churned = v
		}
		sqlExec(t, db, `INSERT OR IGNORE INTO customers VALUES (?, ?, ?)`, r["customer_id"], signup, churned)
	})
	read("orders.csv", func(r map[string]string) {
		at, ok := ts(r["ordered_at"])
		rev, okr := num(r["revenue"])
		if r["order_id"] == "" || r["customer_id"] == "" || !ok || !okr {
			return
		}
		var cost any
		if c := r["cost"]; c != "" {
			v, ok := num(c)
			if !ok {
				return
			}
			cost = v
		}
		sqlExec(t, db, `INSERT OR IGNORE INTO orders VALUES (?, ?, ?, ?, ?)`, r["order_id"], r["customer_id"], at, rev, cost)
	})
	return db
}

// sqlCalendar writes the periods of every grain in loc from 2000 to 2030
// into the table cal(grain, idx, start_us, end_us, day): idx numbers the
// periods of a grain in order, day is a local day's date as days since
// 1970-01-01. This is the one assumption shared with cxkpi: periods start
// at local midnight, weeks on Monday, quarters in January, April, July
// and October.
func sqlCalendar(t *testing.T, db *sql.DB, loc *time.Location) {
	t.Helper()
	sqlExec(t, db, `CREATE TABLE cal (grain TEXT, idx INTEGER, start_us INTEGER, end_us INTEGER, day INTEGER, PRIMARY KEY (grain, start_us))`)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2000, 1, 3, 0, 0, 0, 0, loc) // a Monday
	for _, g := range []struct {
		name string
		next func(time.Time) time.Time
	}{
		{"day", func(d time.Time) time.Time { return d.AddDate(0, 0, 1) }},
		{"week", func(d time.Time) time.Time { return d.AddDate(0, 0, 7) }},
		{"month", func(d time.Time) time.Time { return d.AddDate(0, 1, 0) }},
		{"quarter", func(d time.Time) time.Time { return d.AddDate(0, 3, 0) }},
		{"year", func(d time.Time) time.Time { return d.AddDate(1, 0, 0) }},
	} {
		d := first // a local date at midnight (time.Date normalises)
		if g.name != "day" && g.name != "week" {
			d = time.Date(2000, 1, 1, 0, 0, 0, 0, loc)
		}
		for i := 0; d.Year() < 2030; i++ {
			nd := g.next(d)
			s := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
			e := time.Date(nd.Year(), nd.Month(), nd.Day(), 0, 0, 0, 0, loc)
			day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
			if _, err := tx.Exec(`INSERT INTO cal VALUES (?, ?, ?, ?, ?)`, g.name, i, s.UnixMicro(), e.UnixMicro(), day); err != nil {
				t.Fatal(err)
			}
			d = nd
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func sqlExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
}

// sqlObservedEnd is the end of the models' observation for a run at asOf
// with grain: the end of the as-of day, or of the report period if that
// comes first (docs/outputs.md).
const sqlObservedEnd = `SELECT MIN(
  (SELECT end_us FROM cal WHERE grain = 'day' AND start_us <= :asof AND :asof < end_us),
  (SELECT end_us FROM cal WHERE grain = :grain AND start_us <= :asof AND :asof < end_us))`

// sqlCohorts is the cohort table by first order (docs/cohort.md): cohorts
// of :cg ('week' or 'month'), and only the cells whose period has ended by
// :end.
const sqlCohorts = `
WITH o AS MATERIALIZED (
  SELECT o.customer_id, o.revenue, c.idx AS p
  FROM orders o JOIN cal c ON c.grain = :cg
    AND c.start_us = (SELECT MAX(start_us) FROM cal WHERE grain = :cg AND start_us <= o.ordered_us)),
acq AS MATERIALIZED (SELECT customer_id, MIN(p) AS cp FROM o GROUP BY customer_id),
size AS MATERIALIZED (SELECT cp, COUNT(*) AS n FROM acq GROUP BY cp),
act AS MATERIALIZED (
  SELECT a.cp, o.p, COUNT(DISTINCT o.customer_id) AS retained, SUM(o.revenue) AS revenue
  FROM o JOIN acq a USING (customer_id) GROUP BY a.cp, o.p),
cells AS MATERIALIZED (
  SELECT s.cp, s.n, c.idx - s.cp AS k, COALESCE(x.retained, 0) AS retained, COALESCE(x.revenue, 0.0) AS revenue
  FROM size s JOIN cal c ON c.grain = :cg AND c.idx >= s.cp AND c.end_us <= :end
  LEFT JOIN act x ON x.cp = s.cp AND x.p = c.idx)
SELECT c0.start_us, c0.end_us, k, n, retained, 100.0 * retained / n, revenue,
  SUM(revenue) OVER (PARTITION BY cells.cp ORDER BY k) / n
FROM cells JOIN cal c0 ON c0.grain = :cg AND c0.idx = cells.cp
ORDER BY c0.start_us, k`

// sqlCustomers is the RFM summary and historical CLV of docs/clv.md: one
// row per customer with an order before :end, purchase days in the zone,
// times in weeks, orders without cost valued at :margin or, when that is
// 0, at the margin ratio of the observed orders with a cost; then
// P(alive) from the fitted BG/NBD (:mbg = 0) or MBG/NBD (:mbg = 1)
// parameters.
const sqlCustomers = `
WITH od AS MATERIALIZED (
  SELECT o.customer_id, d.day, o.revenue, o.cost
  FROM orders o JOIN cal d ON d.grain = 'day'
    AND d.start_us = (SELECT MAX(start_us) FROM cal WHERE grain = 'day' AND start_us <= o.ordered_us)
  WHERE o.ordered_us < :end),
endday AS (SELECT day FROM cal WHERE grain = 'day' AND end_us = :end),
margin AS MATERIALIZED (
  SELECT CASE WHEN :margin > 0 THEN :margin
    WHEN SUM(cost IS NULL) > 0 THEN SUM(CASE WHEN cost IS NOT NULL THEN revenue - cost END) / SUM(CASE WHEN cost IS NOT NULL THEN revenue END)
    ELSE 0 END AS m FROM od),
days AS MATERIALIZED (SELECT customer_id, day, SUM(revenue) AS rev FROM od GROUP BY customer_id, day),
cust AS MATERIALIZED (
  SELECT customer_id, COUNT(*) - 1 AS x, MIN(day) AS first, MAX(day) AS last FROM days GROUP BY customer_id),
rfm AS MATERIALIZED (
  SELECT c.customer_id, c.x, (c.last - c.first) / 7.0 AS tx, ((SELECT day FROM endday) - c.first) / 7.0 AS age,
    COALESCE((SELECT AVG(d.rev) FROM days d WHERE d.customer_id = c.customer_id AND d.day > c.first), 0.0) AS monetary,
    (SELECT SUM(CASE WHEN o.cost IS NULL THEN o.revenue * (SELECT m FROM margin) ELSE o.revenue - o.cost END)
       FROM od o WHERE o.customer_id = c.customer_id) AS historical
  FROM cust c)
SELECT customer_id, x, tx, age, monetary, historical,
  CASE WHEN x = 0 AND :mbg = 0 THEN 1.0
    ELSE 1.0 / (1.0 + :a / (:b + :mbg + x - 1) * pow((:alpha + age) / (:alpha + tx), :r + x)) END
FROM rfm ORDER BY customer_id`

type sqlCohortRow struct {
	start, end                   int64
	k, customers, retained       int64
	pct, revenue, cumPerCustomer float64
}

type sqlCustomerRow struct {
	id                                   string
	x                                    int64
	tx, age, monetary, historical, alive float64
}

// TestSQLRecomputation runs cxkpi on the fixture at every grain, on
// mid-period as-of dates and at a period's end, and on the embedded
// sample, and compares every cell of cohort_retention.parquet and the
// data columns of customer_clv.parquet with the SQL recomputation:
// counts exactly, amounts and probabilities within 1e-9 relative (of
// the larger magnitude, or of 1 near 0).
func TestSQLRecomputation(t *testing.T) {
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	customers, orders := sqlFixture()
	fixture := fstest.MapFS{"customers.csv": {Data: []byte(customers)}, "orders.csv": {Data: []byte(orders)}}
	for _, tc := range []struct {
		name   string
		input  fs.FS
		loc    *time.Location
		grain  kpi.Grain
		asOf   time.Time // a local date
		model  string
		margin float64
	}{
		{"day, a Wednesday", fixture, madrid, kpi.Day, time.Date(2026, 10, 14, 0, 0, 0, 0, madrid), "bgnbd", 0},
		{"week, a Wednesday", fixture, madrid, kpi.Week, time.Date(2026, 10, 14, 0, 0, 0, 0, madrid), "bgnbd", 0},
		{"week, its Sunday", fixture, madrid, kpi.Week, time.Date(2026, 10, 18, 0, 0, 0, 0, madrid), "mbgnbd", 0},
		{"month, the 17th", fixture, madrid, kpi.Month, time.Date(2026, 10, 17, 0, 0, 0, 0, madrid), "bgnbd", 0},
		{"month, its last day, set margin", fixture, madrid, kpi.Month, time.Date(2026, 9, 30, 0, 0, 0, 0, madrid), "mbgnbd", 0.4},
		{"quarter, mid-quarter", fixture, madrid, kpi.Quarter, time.Date(2026, 8, 17, 0, 0, 0, 0, madrid), "bgnbd", 0},
		{"year, mid-year", fixture, madrid, kpi.Year, time.Date(2026, 10, 17, 0, 0, 0, 0, madrid), "bgnbd", 0},
		{"sample, month", cxkpi.Sample(), time.UTC, kpi.Month, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), "bgnbd", 0},
		{"sample, week, a Wednesday", cxkpi.Sample(), time.UTC, kpi.Week, time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC), "bgnbd", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, fstest.MapFS{})
			cfg.Input = tc.input
			cfg.KPI.Grain, cfg.KPI.Location, cfg.AsOf = tc.grain, tc.loc, tc.asOf
			settings := clv.DefaultSettings()
			settings.PurchaseModels, settings.UncostedMargin = []string{tc.model}, tc.margin
			cfg.CLV = &settings
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			db := sqlDB(t, tc.input, fixedNow)
			sqlCalendar(t, db, tc.loc)
			var end int64
			if err := db.QueryRow(sqlObservedEnd, sql.Named("asof", tc.asOf.UnixMicro()), sql.Named("grain", string(tc.grain))).Scan(&end); err != nil {
				t.Fatal(err)
			}
			if got := sum.Observed.UnixMicro(); got != end {
				t.Errorf("observed until %s, SQL %s", sum.Observed, time.UnixMicro(end).UTC())
			}
			cg := "month"
			if tc.grain == kpi.Day || tc.grain == kpi.Week {
				cg = "week"
			}
			compareCohorts(t, db, filepath.Join(sum.Dir, CohortFile), cg, end)
			compareCustomers(t, db, sum.Dir, tc.model, tc.margin, end, sum.ModelNotes)
		})
	}
}

func compareCohorts(t *testing.T, db *sql.DB, path, grain string, end int64) {
	t.Helper()
	rows, err := db.Query(sqlCohorts, sql.Named("cg", grain), sql.Named("end", end))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var want []sqlCohortRow
	for rows.Next() {
		var r sqlCohortRow
		if err := rows.Scan(&r.start, &r.end, &r.k, &r.customers, &r.retained, &r.pct, &r.revenue, &r.cumPerCustomer); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	col := readColumns(t, path)
	ts := func(name string) *array.Timestamp { return col[name].(*array.Timestamp) }
	i64 := func(name string) *array.Int64 { return col[name].(*array.Int64) }
	f64 := func(name string) *array.Float64 { return col[name].(*array.Float64) }
	n := col["cohort_start"].Len()
	if n != len(want) || n == 0 {
		t.Fatalf("%d cohort cells, SQL %d", n, len(want))
	}
	for i, w := range want {
		if pct := f64("retention_pct"); pct.IsNull(i) {
			t.Errorf("cell %d: retention_pct null, SQL %v", i, w.pct)
			continue
		}
		got := sqlCohortRow{int64(ts("cohort_start").Value(i)), int64(ts("cohort_end").Value(i)),
			i64("period_index").Value(i), i64("customers").Value(i), i64("retained").Value(i),
			f64("retention_pct").Value(i), f64("revenue").Value(i), f64("cumulative_revenue_per_customer").Value(i)}
		if got.start != w.start || got.end != w.end || got.k != w.k || got.customers != w.customers || got.retained != w.retained ||
			!sqlClose(got.pct, w.pct) || !sqlClose(got.revenue, w.revenue) || !sqlClose(got.cumPerCustomer, w.cumPerCustomer) {
			t.Errorf("cohort %s k=%d:\n got %+v\nSQL %+v", time.UnixMicro(w.start).UTC(), w.k, got, w)
		}
	}
}

func compareCustomers(t *testing.T, db *sql.DB, dir, model string, margin float64, end int64, notes []string) {
	t.Helper()
	fit := readColumns(t, filepath.Join(dir, ModelFitFile))
	fm, fp, fv := fit["model"].(*array.String), fit["parameter"].(*array.String), fit["value"].(*array.Float64)
	params := map[string]float64{}
	for i := range fm.Len() {
		if fm.Value(i) == model {
			params[fp.Value(i)] = fv.Value(i)
		}
	}
	if params["chosen"] != 1 {
		t.Fatalf("%s not chosen: %v; model notes %q", model, params, notes)
	}
	mbg := 0
	if model == "mbgnbd" {
		mbg = 1
	}
	rows, err := db.Query(sqlCustomers, sql.Named("end", end), sql.Named("margin", margin), sql.Named("mbg", mbg),
		sql.Named("r", params["r"]), sql.Named("alpha", params["alpha"]), sql.Named("a", params["a"]), sql.Named("b", params["b"]))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var want []sqlCustomerRow
	for rows.Next() {
		var r sqlCustomerRow
		if err := rows.Scan(&r.id, &r.x, &r.tx, &r.age, &r.monetary, &r.historical, &r.alive); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	col := readColumns(t, filepath.Join(dir, CustomerFile))
	ids := col["customer_id"].(*array.String)
	f64 := func(name string) *array.Float64 { return col[name].(*array.Float64) }
	got := make([]sqlCustomerRow, ids.Len())
	for i := range got {
		got[i] = sqlCustomerRow{ids.Value(i), col["frequency"].(*array.Int64).Value(i), f64("recency").Value(i), f64("age").Value(i),
			f64("monetary").Value(i), f64("historical_clv").Value(i), f64("p_alive").Value(i)}
		for _, name := range []string{"frequency", "recency", "age", "monetary", "historical_clv", "p_alive"} {
			if col[name].IsNull(i) {
				t.Errorf("customer %s: %s null", got[i].id, name)
			}
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i].id < got[j].id })
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d customers, SQL %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.id != w.id || g.x != w.x || !sqlClose(g.tx, w.tx) || !sqlClose(g.age, w.age) || !sqlClose(g.monetary, w.monetary) ||
			!sqlClose(g.historical, w.historical) || !sqlClose(g.alive, w.alive) {
			t.Errorf("customer:\n got %+v\nSQL %+v", g, w)
		}
	}
}

// sqlClose compares within 1e-9 of the larger magnitude, or of 1 for
// values near 0 (a cohort's refunds can cancel its revenue).
func sqlClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b))
}
