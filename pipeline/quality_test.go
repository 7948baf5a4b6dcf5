package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/reports"
)

// A helpdesk with a custom status and a survey tool that exports the
// surveys it sent but that were never answered.
const customTicketsCSV = `ticket_id,channel,created_at,status
T1,email,2026-10-05T10:00:00Z,open
T2,email,2026-10-05T11:00:00Z,Waiting on Engineering
T3,chat,2026-10-06T10:00:00Z,Waiting on Engineering
T4,chat,2026-10-06T11:00:00Z,solved
`

const offeredSurveysCSV = `response_id,ticket_id,kind,score,scale_min,scale_max,responded_at
S1,T1,csat,5,1,5,2026-10-10T00:00:00Z
S2,T2,csat,offered,1,5,
S3,T3,csat,Offered,1,5,
S4,T4,csat,2,1,5,2026-10-11T00:00:00Z
`

// TestSkippedAndUnmapped runs the job on a custom status and unanswered
// surveys, without and with a mapping that keeps the one and skips the
// others: the manifest, run_manifest.parquet and the counts reconcile
// either way.
func TestSkippedAndUnmapped(t *testing.T) {
	input := fstest.MapFS{
		"tickets.csv": {Data: []byte(customTicketsCSV)},
		"surveys.csv": {Data: []byte(offeredSurveysCSV)},
	}
	mapping := ingest.Mapping{Tables: map[ingest.Table]ingest.TableMapping{
		ingest.Tickets: {Unmapped: map[string]string{"status": "open"}},
		ingest.Surveys: {SkipWhen: map[string][]string{"score": {"offered"}}},
	}}
	tests := []struct {
		name    string
		mapping ingest.Mapping
		want    map[ingest.Table][4]int64 // read, accepted, skipped, rejected
		skips   []reports.ReasonCount
		unmap   []reports.Unmapped
	}{
		{"without mapping", ingest.Mapping{}, map[ingest.Table][4]int64{ingest.Tickets: {4, 2, 0, 2}, ingest.Surveys: {4, 2, 0, 2}}, nil, nil},
		{"with mapping", mapping, map[ingest.Table][4]int64{ingest.Tickets: {4, 4, 0, 0}, ingest.Surveys: {4, 2, 2, 0}},
			[]reports.ReasonCount{{Reason: "score: offered", N: 2}},
			[]reports.Unmapped{{Column: "status", As: "open", Rows: 2, Values: []reports.ValueCount{{Value: "Waiting on Engineering", N: 2}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, input)
			cfg.Mapping = tc.mapping
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(sum.Dir, ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			var m Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			got := map[ingest.Table][4]int64{}
			for _, ts := range m.Tables {
				if ts.Read != ts.Accepted+ts.Skipped+ts.Rejected {
					t.Errorf("%s: read %d != accepted %d + skipped %d + rejected %d", ts.Table, ts.Read, ts.Accepted, ts.Skipped, ts.Rejected)
				}
				if ts.Present {
					got[ts.Table] = [4]int64{ts.Read, ts.Accepted, ts.Skipped, ts.Rejected}
				}
				switch ts.Table {
				case ingest.Tickets:
					if !reflect.DeepEqual(ts.Unmapped, tc.unmap) {
						t.Errorf("tickets unmapped %+v, want %+v", ts.Unmapped, tc.unmap)
					}
				case ingest.Surveys:
					if !reflect.DeepEqual(ts.SkipReasons, tc.skips) {
						t.Errorf("surveys skip reasons %+v, want %+v", ts.SkipReasons, tc.skips)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("counts %v, want %v", got, tc.want)
			}
			rows := manifestRows(t, filepath.Join(sum.Dir, RunManifestFile))
			for table, w := range tc.want {
				var unmapped int64
				for _, u := range tc.unmap {
					if table == ingest.Tickets {
						unmapped += u.Rows
					}
				}
				if r := rows[string(table)]; r != [3]int64{w[2], w[3], unmapped} {
					t.Errorf("run_manifest.parquet %s: skipped, rejected, unmapped %v, want %v", table, r, [3]int64{w[2], w[3], unmapped})
				}
			}
		})
	}
}

// manifestRows reads rows_skipped, rows_rejected and rows_unmapped of
// run_manifest.parquet by table.
func manifestRows(t *testing.T, path string) map[string][3]int64 {
	t.Helper()
	tbl := readParquet(t, path)
	rec := array.NewTableReader(tbl, -1)
	defer rec.Release()
	out := map[string][3]int64{}
	sc := tbl.Schema()
	col := func(name string) int { return sc.FieldIndices(name)[0] }
	for rec.Next() {
		r := rec.Record()
		names := r.Column(col("input_table")).(*array.String)
		skipped := r.Column(col("rows_skipped")).(*array.Int64)
		rejected := r.Column(col("rows_rejected")).(*array.Int64)
		unmapped := r.Column(col("rows_unmapped")).(*array.Int64)
		for i := range int(r.NumRows()) {
			out[names.Value(i)] = [3]int64{skipped.Value(i), rejected.Value(i), unmapped.Value(i)}
		}
	}
	return out
}
