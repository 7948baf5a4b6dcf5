package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// newRunDir makes a directory under out holding one file, gen, whose
// content names the run.
func newRunDir(t *testing.T, out, name, gen string) string {
	t.Helper()
	dir := filepath.Join(out, filepath.FromSlash(name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gen"), []byte(gen), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readGen(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "gen"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// testPeriod is the directory of a period's run, relative to the output.
const testPeriod = "grain=month/period=2026-10"

// While runs replace a period over and over, a reader never finds the
// period's directory missing or holding anything but one whole run.
func TestReplaceDirNeverMissing(t *testing.T) {
	out := t.TempDir()
	dir := newRunDir(t, out, testPeriod, "0")
	probe := newRunDir(t, out, ".run-probe", "probe")
	if err := exchange(probe, dir); errors.Is(err, errNoExchange) {
		t.Skipf("no atomic exchange on %s/%s here (%v): runs publish with two renames", runtime.GOOS, runtime.GOARCH, err)
	} else if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(probe)
	if err := os.WriteFile(filepath.Join(dir, "gen"), []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}

	const replaces = 300
	var stop atomic.Bool
	var looks, missing, torn atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			looks.Add(1)
			if _, err := os.Stat(dir); err != nil {
				missing.Add(1)
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, "gen")); err != nil || len(b) == 0 {
				torn.Add(1)
			}
		}
	}()
	for i := 1; i <= replaces; i++ {
		stage := newRunDir(t, out, fmt.Sprintf(".run-%d", i), fmt.Sprint(i))
		if err := replaceDir(stage, dir, exchange); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("replace %d: %v", i, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if missing.Load() != 0 || torn.Load() != 0 {
		t.Errorf("in %d looks during %d replaces the directory was missing %d times and without its file %d times, want 0",
			looks.Load(), replaces, missing.Load(), torn.Load())
	}
	if got := readGen(t, dir); got != fmt.Sprint(replaces) {
		t.Errorf("after the replaces the directory holds run %s, want %d", got, replaces)
	}
	if got := entries(t, out); len(got) != 1 {
		t.Errorf("output directory holds %q, want only the period", got)
	}
}

func noExchange(a, b string) error { return errNoExchange }

var replaceCases = []struct {
	name     string
	exchange func(a, b string) error
	previous bool // a previous run of the period is in place
}{
	{"first run", exchange, false},
	{"exchange", exchange, true},
	{"two renames", noExchange, true},
	{"two renames, first run", noExchange, false},
}

func TestReplaceDir(t *testing.T) {
	for _, tc := range replaceCases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			dir := filepath.Join(out, testPeriod)
			if tc.previous {
				newRunDir(t, out, testPeriod, "old")
			}
			stage := newRunDir(t, out, ".run-1", "new")
			if err := replaceDir(stage, dir, tc.exchange); err != nil {
				t.Fatal(err)
			}
			if got := readGen(t, dir); got != "new" {
				t.Errorf("published run %q, want new", got)
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != DirMode {
				t.Errorf("published directory mode %v, want %v", fi.Mode().Perm(), DirMode)
			}
			if got := entries(t, out); len(got) != 1 {
				t.Errorf("output directory holds %q, want only the period", got)
			}
		})
	}
}

// When the second of the two renames fails, the previous run is put back.
func TestReplaceDirRenamesPutBack(t *testing.T) {
	out := t.TempDir()
	dir := newRunDir(t, out, testPeriod, "old")
	stage := filepath.Join(out, ".run-1") // never created: the rename fails
	err := replaceByRenames(stage, dir)
	if err == nil {
		t.Fatal("replace from a missing staging directory succeeded")
	}
	if got := readGen(t, dir); got != "old" {
		t.Errorf("after a failed replace the period holds %q, want old", got)
	}
	if got := entries(t, out); len(got) != 1 {
		t.Errorf("output directory holds %q, want only the period", got)
	}
}

// An exchange that fails for another reason than lack of support fails the
// publication and leaves both directories as they were.
func TestReplaceDirExchangeFails(t *testing.T) {
	out := t.TempDir()
	dir := newRunDir(t, out, testPeriod, "old")
	stage := newRunDir(t, out, ".run-1", "new")
	boom := errors.New("boom")
	err := replaceDir(stage, dir, func(a, b string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got := readGen(t, dir); got != "old" {
		t.Errorf("period holds %q, want old", got)
	}
	if got := readGen(t, stage); got != "new" {
		t.Errorf("staging holds %q, want new", got)
	}
}
