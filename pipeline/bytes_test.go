package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// A ticket export in Windows-1252 (team "Café" on T2), with a stray
// quote opening a field on T3's line; the rows after it must be read.
const tickets1252 = "ticket_id,customer_id,channel,created_at,solved_at,status,priority,agent_id,team,is_complaint,reopens\n" +
	"T1,c1,email,2026-10-05T10:00:00Z,,open,,,Support,,\n" +
	"T2,c1,email,2026-10-05T11:00:00Z,,open,,,Caf\xe9,,\n" +
	"T3,c1,chat,2026-10-06T10:00:00Z,,open,,,\"Support,,\n" +
	"T4,c1,chat,2026-10-06T11:00:00Z,,open,,,Support,,\n" +
	"T5,c1,chat,2026-10-07T10:00:00Z,,open,,,Support,,\n"

// TestBadBytesNeverReachOutputs runs the job on the export above, read as
// UTF-8 and as Windows-1252: every row is accounted for, and no output
// holds text that is not valid UTF-8.
func TestBadBytesNeverReachOutputs(t *testing.T) {
	tests := []struct {
		name     string
		encoding string
		accepted int64
		team     bool // "Café" is a dimension value in kpis.parquet
	}{
		{"utf-8", "", 3, false},
		{"windows-1252", "windows-1252", 4, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, fstest.MapFS{"tickets.csv": {Data: []byte(tickets1252)}})
			cfg.Mapping = ingest.Mapping{Tables: map[ingest.Table]ingest.TableMapping{ingest.Tickets: {Encoding: tc.encoding}}}
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, ts := range sum.Tables {
				if ts.Table == ingest.Tickets && (ts.Read != 5 || ts.Accepted != tc.accepted || ts.Rejected != 5-tc.accepted) {
					t.Errorf("tickets read %d, accepted %d, rejected %d; want 5, %d, %d", ts.Read, ts.Accepted, ts.Rejected, tc.accepted, 5-tc.accepted)
				}
			}
			q, err := os.ReadFile(filepath.Join(sum.Dir, QuarantineFile))
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(q) || !strings.Contains(string(q), `T3,c1,chat,2026-10-06T10:00:00Z,,open,,,""Support,,`) {
				t.Errorf("quarantine.csv is not UTF-8 or lacks T3's raw line:\n%q", q)
			}
			var all []string
			for _, name := range []string{KPIFile, "quarantine.parquet"} {
				strs := parquetStrings(t, filepath.Join(sum.Dir, name))
				for _, s := range strs {
					if !utf8.ValidString(s) {
						t.Errorf("%s holds %q, not valid UTF-8", name, s)
					}
				}
				all = append(all, strs...)
			}
			if got := slices.Contains(all, "Café"); got != tc.team {
				t.Errorf("outputs hold team Café: %v, want %v", got, tc.team)
			}
		})
	}
}

// parquetStrings returns every value of every string column of a
// Parquet file.
func parquetStrings(t *testing.T, path string) []string {
	t.Helper()
	tbl := readParquet(t, path)
	var out []string
	for i := range int(tbl.NumCols()) {
		for _, chunk := range tbl.Column(i).Data().Chunks() {
			if s, ok := chunk.(*array.String); ok {
				for j := range s.Len() {
					out = append(out, s.Value(j))
				}
			}
		}
	}
	return out
}
