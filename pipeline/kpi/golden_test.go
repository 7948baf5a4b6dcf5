package kpi

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The whole tidy table of a fixture, rendered as text, is compared with a
// golden file: regenerate with go test -run Golden -update and review the
// diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		in   input
		opt  Options
	}{
		{"hand", handFixture(), Options{}},
		{"tickets", ticketFixture(), Options{}},
		{"customers_lisbon", customerFixture(), Options{Location: mustZone(t, "Europe/Lisbon")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			num := func(n Num) string {
				if !n.Valid {
					return "null"
				}
				return strconv.FormatFloat(n.V, 'g', 10, 64)
			}
			fmt.Fprintln(&buf, "period_start\tmetric\tunit\tdimension\tdimension_value\tvalue\tnumerator\tdenominator\tn\tprevious\tchange\tchange_pct")
			for _, r := range compute(t, tc.in, tc.opt, 3, nil) {
				fmt.Fprintf(&buf, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
					r.PeriodStart.Format(time.RFC3339), r.Metric, r.Unit, r.Dimension, r.DimensionValue,
					num(r.Value), num(r.Numerator), num(r.Denominator), r.N, num(r.Previous), num(r.Change), num(r.ChangePct))
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("table differs from %s; run go test -run Golden -update and review the diff", path)
			}
		})
	}
}
