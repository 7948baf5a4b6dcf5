//go:build faults && linux

package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline"
)

// room is how much free space the full disk leaves a run: far less than
// the outputs of one run (about 180 KiB here).
const room = 32 << 10

// A run that fills the disk fails and leaves the previous outputs as they
// were; once there is room again, the next run succeeds. The output
// directory is a small tmpfs, which needs root (CI runs as root).
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("disk full: mounting a small tmpfs needs root (CI runs as root); run the suite as root to include it")
	}
	in, _ := newCase(t, s.csv, true)
	out := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", out, "tmpfs", 0, "size=16m,mode=0755"); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("disk full: cannot mount a tmpfs here (%v): the container lacks CAP_SYS_ADMIN", err)
		}
		t.Fatalf("mount tmpfs on %s: %v", out, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(out, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", out, err)
		}
	})
	copyTree(t, s.template, out)
	resize := func(size int64) {
		t.Helper()
		if err := syscall.Mount("tmpfs", out, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d", size)); err != nil {
			t.Fatalf("resize the tmpfs to %d bytes: %v", size, err)
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(out, &st); err != nil {
		t.Fatal(err)
	}
	used := int64(st.Blocks-st.Bfree) * st.Bsize
	resize(used + room)
	before := snapshot(t, out, pipeline.RunLogFile)
	runLog := readRunLog(t, out)

	r := s.run(context.Background(), nil, in, out)
	t.Logf("%s: %s", r, firstError(r))
	switch {
	case r.err != nil:
		t.Fatal(r.err)
	case r.code == 0:
		t.Fatalf("the run succeeded with %d bytes free: the test must leave it less room", room)
	case r.timedOut || r.killed:
		t.Errorf("the run %s\n%s", r, tail(r.stderr))
	default:
		if !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("the run failed without naming the full disk:\n%s", tail(r.stderr))
		}
		sameTree(t, "after a run on a full disk", snapshot(t, out, pipeline.RunLogFile), before)
		checkFailureLogged(t, out, runLog, false) // the line itself may not fit on the disk
	}
	resize(16 << 20)
	normalRun(t, out)
}
