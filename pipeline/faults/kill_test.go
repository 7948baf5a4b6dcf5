//go:build faults && linux

package faults

import (
	"context"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

// killCase is a run killed with SIGKILL at a fault point.
type killCase struct {
	point      string
	noExchange bool // publish with two renames, as without an atomic exchange
	fresh      bool // no previous run of the period in place
	published  bool // killed after the new run was in place
	// recoverKill, if set, is a fault point at which the first recovering
	// run is killed as well, before a second one recovers.
	recoverKill string
}

// killCases are every stage boundary of a run and every step of
// publishing it, with and without the atomic exchange.
func killCases() []killCase {
	cs := []killCase{{point: "start"}}
	for _, tb := range ingest.Tables() {
		cs = append(cs, killCase{point: "read." + string(tb)})
	}
	cs = append(cs,
		killCase{point: "kpi"},
		killCase{point: "models"},
		killCase{point: "render"},
		killCase{point: "manifest"},
		killCase{point: "publish"},
		killCase{point: "publish.exchanged", published: true},
		killCase{point: "publish.removed", published: true},
		killCase{point: "publish", noExchange: true},
		killCase{point: "publish.aside", noExchange: true},
		killCase{point: "publish.renamed", noExchange: true, published: true},
		killCase{point: "publish.removed", noExchange: true, published: true},
		killCase{point: "manifest", fresh: true},
		killCase{point: "publish.renamed", fresh: true, published: true},
		// Killed again while recovering: after putting the previous run
		// back, before removing the unpublished one.
		killCase{point: "publish.aside", noExchange: true, recoverKill: "recovering"},
		killCase{point: "publish.exchanged", published: true, recoverKill: "recovering"},
	)
	return cs
}

func (c killCase) name() string {
	n := c.point
	if c.noExchange {
		n += "/two-renames"
	}
	if c.fresh {
		n += "/first-run"
	}
	if c.recoverKill != "" {
		n += "/killed-" + c.recoverKill
	}
	return n
}

// A run killed at any point leaves, once the next start has recovered,
// either the previous outputs byte for byte or the new run complete; the
// next normal run then succeeds and leaves nothing behind.
func TestKill(t *testing.T) {
	for _, tc := range killCases() {
		t.Run(tc.name(), func(t *testing.T) {
			t.Parallel()
			in, out := newCase(t, s.csv, tc.fresh)
			before := snapshot(t, out)
			env := []string{faultEnv + "=" + tc.point}
			if tc.noExchange {
				env = append(env, noExchangeEnv+"=1")
			}
			r := s.run(context.Background(), env, in, out)
			if r.err != nil || !r.killed {
				t.Fatalf("run with fault point %s: %s %v, want it killed there\n%s", tc.point, r, r.err, tail(r.stderr))
			}

			if tc.recoverKill != "" {
				r = s.run(context.Background(), []string{faultEnv + "=" + tc.recoverKill}, in, out)
				if r.err != nil || !r.killed {
					t.Fatalf("recovering run with fault point %s: %s %v, want it killed there\n%s", tc.recoverKill, r, r.err, tail(r.stderr))
				}
			}
			// The next start takes over the lock and recovers; stop it
			// right there to see what recovery left.
			r = s.run(context.Background(), []string{faultEnv + "=recovered"}, in, out)
			if r.err != nil || !r.killed {
				t.Fatalf("recovering run: %s %v, want it killed after recovery\n%s", r, r.err, tail(r.stderr))
			}
			if !strings.Contains(r.stderr, "took over stale run lock") {
				t.Errorf("the recovering run did not log taking over the killed run's lock:\n%s", tail(r.stderr))
			}
			if !tc.published {
				sameTree(t, "after recovery", snapshot(t, out, schedule.LockFile), before)
			} else {
				dir := filepath.Join(out, period)
				checkComplete(t, dir)
				if !tc.fresh && readManifest(t, dir).RunID == readManifest(t, filepath.Join(s.template, period)).RunID {
					t.Errorf("killed after publishing, but %s holds the previous run", period)
				}
				after := snapshot(t, out, schedule.LockFile)
				for p := range after {
					if p != "." && p != path.Dir(period) && p != path.Join(path.Dir(period), pipeline.HistoryFile) && p != period && !strings.HasPrefix(p, period+"/") && p != pipeline.RunLogFile {
						t.Errorf("left after recovery: %s", p)
					}
				}
			}
			normalRun(t, out)
		})
	}
}
