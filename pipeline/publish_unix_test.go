//go:build unix

package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Published directories are 0755 and their files 0644 whatever the umask,
// so that a BI service account can read them. The test sets the process's
// umask, so it must not run in parallel with others.
func TestPublishedModes(t *testing.T) {
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	cfg := testConfig(t, nil)
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sum.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != DirMode {
		t.Errorf("%s: mode %v, want %v", sum.Dir, fi.Mode().Perm(), DirMode)
	}
	es, err := os.ReadDir(sum.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 8 {
		t.Fatalf("run directory holds %d files, want every output", len(es))
	}
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", filepath.Join(sum.Dir, e.Name()), fi.Mode())
		}
	}
}
