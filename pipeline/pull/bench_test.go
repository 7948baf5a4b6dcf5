package pull

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkZendeskFirstPull measures a first pull of a Zendesk account
// of n tickets (pages of 1,000, with metric sets) from a local server,
// with a checkpoint every page or every ten: the files are rewritten
// whole at each checkpoint, so the checkpoint interval is a cost
// against what a broken pull refetches.
func BenchmarkZendeskFirstPull(b *testing.B) {
	for _, n := range []int{10000, 50000} {
		for _, every := range []int{1, 10} {
			b.Run(fmt.Sprintf("tickets=%d/checkpoint=%d", n, every), func(b *testing.B) {
				t := &testing.T{}
				z, f := newZendesk(t)
				z.pageSize = 1000
				tmpl := fixture(t, "zendesk/ticket.json", nil)
				for id := 1; id <= n; id++ {
					v := make(map[string]any, len(tmpl))
					for k, x := range tmpl {
						v[k] = x
					}
					at := testStart.Add(time.Duration(id) * time.Second)
					v["id"], v["updated_at"], v["generated_timestamp"] = id, at.Format(time.RFC3339), at.Unix()
					z.versions = append(z.versions, v)
				}
				b.Cleanup(f.srv.Close)
				b.ReportAllocs()
				var size int64
				for b.Loop() {
					dir := b.TempDir()
					cfg, _, _ := testConfig(t, Zendesk, f, dir)
					cfg.CheckpointPages = every
					if _, err := Run(b.Context(), cfg); err != nil {
						b.Fatal(err)
					}
					st, err := os.Stat(filepath.Join(dir, "tickets.json"))
					if err != nil {
						b.Fatal(err)
					}
					size = st.Size()
				}
				b.ReportMetric(float64(size)/(1<<20), "MiB")
			})
		}
	}
}
