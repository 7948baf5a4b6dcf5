package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

// holdLock takes the run lock of dir for the rest of the test.
func holdLock(t *testing.T, dir string) {
	t.Helper()
	lk, err := schedule.Acquire(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.Release() })
}

// logLines decodes the JSON log records in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

var recoverCases = []struct {
	name    string
	setup   func(t *testing.T, out string)
	want    map[string]string // after recovery: directory name → its gen file ("" for none)
	logs    int               // recovery log records
	wantErr bool
}{
	{
		name: "staging and spill removed",
		setup: func(t *testing.T, out string) {
			newRunDir(t, out, "month=2026-10", "published")
			newRunDir(t, out, ".run-1", "unpublished")
			newRunDir(t, out, ".spill-1", "spill")
		},
		want: map[string]string{"month=2026-10": "published"},
		logs: 2,
	},
	{
		name: "exchanged previous run removed",
		setup: func(t *testing.T, out string) {
			newRunDir(t, out, "month=2026-10", "new")
			newRunDir(t, out, ".run-7", "old") // killed after the exchange
		},
		want: map[string]string{"month=2026-10": "new"},
		logs: 1,
	},
	{
		name: "aside removed when the period is in place",
		setup: func(t *testing.T, out string) {
			newRunDir(t, out, "month=2026-10", "new")
			newRunDir(t, out, ".run-7.month=2026-10.old", "old") // killed after the second rename
		},
		want: map[string]string{"month=2026-10": "new"},
		logs: 1,
	},
	{
		name: "aside put back when the period is missing",
		setup: func(t *testing.T, out string) {
			newRunDir(t, out, ".run-7.month=2026-10.old", "old") // killed between the renames
			newRunDir(t, out, ".run-7", "new, never published")
			newRunDir(t, out, "month=2026-09", "september")
		},
		want: map[string]string{"month=2026-10": "old", "month=2026-09": "september"},
		logs: 2,
	},
	{
		name: "aside of an earlier version put back by its manifest",
		setup: func(t *testing.T, out string) {
			dir := newRunDir(t, out, ".run-7.old", "old")
			m := `{"grain": "week", "period": "2026-W43"}`
			if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(m), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		want: map[string]string{"week=2026-W43": "old"},
		logs: 1,
	},
	{
		name: "aside of an unknown period left in place",
		setup: func(t *testing.T, out string) {
			newRunDir(t, out, ".run-7.old", "old") // no manifest to say its period
			newRunDir(t, out, ".spill-7", "spill")
		},
		want:    map[string]string{".run-7.old": "old"},
		logs:    2, // the warning, and the spill removed
		wantErr: true,
	},
	{
		name: "temporary files removed",
		setup: func(t *testing.T, out string) {
			dir := newRunDir(t, out, "month=2026-10", "published")
			for _, p := range []string{
				filepath.Join(dir, ".manifest.json.tmp-123"), // killed rewriting the manifest after delivery
				filepath.Join(out, "."+schedule.StateFile+".tmp-456"),
			} {
				if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		},
		want: map[string]string{"month=2026-10": "published"},
		logs: 2,
	},
	{
		name: "what runs do not leave is not touched",
		setup: func(t *testing.T, out string) {
			newRunDir(t, out, "month=2026-10", "published")
			newRunDir(t, out, "notes.old", "mine")
			newRunDir(t, out, "run-1", "mine too")
			if err := os.WriteFile(filepath.Join(out, ".run-file"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		want: map[string]string{"month=2026-10": "published", "notes.old": "mine", "run-1": "mine too", ".run-file": ""},
		logs: 1, // the file named like a staging directory is reported, not removed
	},
}

func TestRecover(t *testing.T) {
	for _, tc := range recoverCases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			tc.setup(t, out)
			holdLock(t, out)
			var buf bytes.Buffer
			err := Recover(out, slog.New(slog.NewJSONHandler(&buf, nil)))
			if (err != nil) != tc.wantErr {
				t.Errorf("Recover: err = %v, want error %v", err, tc.wantErr)
			}
			var got []string
			for _, name := range entries(t, out) {
				if name == schedule.LockFile {
					continue
				}
				got = append(got, name)
				want, ok := tc.want[name]
				switch {
				case !ok:
					t.Errorf("%s left after recovery", name)
				case want != "":
					if g := readGen(t, filepath.Join(out, name)); g != want {
						t.Errorf("%s holds %q, want %q", name, g, want)
					}
					for _, f := range entries(t, filepath.Join(out, name)) {
						if strings.HasPrefix(f, ".") {
							t.Errorf("%s left in %s", f, name)
						}
					}
				}
			}
			for name := range tc.want {
				if !slices.Contains(got, name) {
					t.Errorf("%s missing after recovery", name)
				}
			}
			if recs := logLines(t, &buf); len(recs) != tc.logs {
				t.Errorf("%d log records, want %d: %s", len(recs), tc.logs, buf.String())
			}
		})
	}
}

// Without the run lock Recover removes nothing: a live run may own the
// leftovers.
func TestRecoverNeedsTheLock(t *testing.T) {
	out := t.TempDir()
	newRunDir(t, out, ".run-1", "a live run's")
	newRunDir(t, out, ".spill-1", "a live run's")
	err := Recover(out, nil)
	if !errors.Is(err, schedule.ErrNotHeld) {
		t.Errorf("Recover without the lock: err = %v, want ErrNotHeld", err)
	}
	if got := entries(t, out); len(got) != 2 {
		t.Errorf("after Recover without the lock the directory holds %q, want both leftovers", got)
	}
}

// Recover after each publishing step of a killed run leaves the period
// whole: the previous run where the new one was not yet in place, the new
// one where it was.
func TestRecoverAfterCrashBetweenRenames(t *testing.T) {
	out := t.TempDir()
	dir := newRunDir(t, out, testPeriod, "old")
	stage := newRunDir(t, out, ".run-1", "new")
	// What replaceByRenames leaves when killed after its first rename.
	if err := os.Rename(dir, asideName(stage, dir)); err != nil {
		t.Fatal(err)
	}
	holdLock(t, out)
	if err := Recover(out, nil); err != nil {
		t.Fatal(err)
	}
	if got := readGen(t, dir); got != "old" {
		t.Errorf("after recovery the period holds %q, want the previous run", got)
	}
	if got := entries(t, out); len(got) != 2 { // the grain and the lock
		t.Errorf("after recovery the directory holds %q", got)
	}
}

// In the grain=/period= layout, a killed run's leftovers are recovered
// as in the earlier one: the aside put back into its grain directory,
// even one that the crash left empty, and the temporary files of the
// period directories removed.
func TestRecoverHiveLayout(t *testing.T) {
	out := t.TempDir()
	dir := newRunDir(t, out, testPeriod, "old")
	other := newRunDir(t, out, "grain=week/period=2026-W43", "week")
	stage := newRunDir(t, out, ".run-1", "new")
	if err := os.Rename(dir, asideName(stage, dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Dir(dir)); err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(other, ".manifest.json.tmp-1")
	if err := os.WriteFile(temp, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	holdLock(t, out)
	if err := Recover(out, nil); err != nil {
		t.Fatal(err)
	}
	if got := readGen(t, dir); got != "old" {
		t.Errorf("after recovery the period holds %q, want the previous run", got)
	}
	if _, err := os.Lstat(temp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file %s left: %v", temp, err)
	}
	if got := entries(t, out); !slices.Equal(got, []string{schedule.LockFile, "grain=month", "grain=week"}) {
		t.Errorf("after recovery the directory holds %q", got)
	}
}
