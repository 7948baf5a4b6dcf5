package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// deadPID returns the pid of a child process that has exited and been
// reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0") // race builds sleep at exit
	if err := cmd.Run(); err != nil {
		t.Fatalf("run child: %v", err)
	}
	return cmd.Process.Pid
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatalf("hostname: %v", err)
	}
	return h
}

func readLockInfo(t *testing.T, dir string) lockInfo {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatalf("read lock: %v", err)
	}
	var li lockInfo
	if err := json.Unmarshal(data, &li); err != nil {
		t.Fatalf("lock content %q: %v", data, err)
	}
	return li
}

// writeLock writes a lock file with the given content and modification time.
func writeLock(t *testing.T, dir, content string, mtime time.Time) {
	t.Helper()
	path := filepath.Join(dir, LockFile)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func lockJSON(t *testing.T, li lockInfo) string {
	t.Helper()
	b, err := json.Marshal(li)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)
	lk, err := Acquire(dir, fixedClock(now))
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	li := readLockInfo(t, dir)
	if li.PID != os.Getpid() || li.Host != hostname(t) || !li.Started.Equal(now) {
		t.Errorf("lock content = %+v, want pid %d, host %q, started %s", li, os.Getpid(), hostname(t), now)
	}

	_, err = Acquire(dir, time.Now)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: got %v, want ErrLocked", err)
	}
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), "since 2026-10-01T03:00:00Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	if err := lk.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after Release: stat err %v, want not exist", err)
	}
	if err := lk.Release(); err != nil {
		t.Errorf("second Release: %v, want nil", err)
	}
	lk2, err := Acquire(dir, time.Now)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if err := lk2.Release(); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// contend runs n goroutines calling acquire at once and returns the locks
// won; every other result must be ErrLocked.
func contend(t *testing.T, n int, acquire func() (*Lock, error)) []*Lock {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		won   []*Lock
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			lk, err := acquire()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, lk)
			case !errors.Is(err, ErrLocked):
				t.Errorf("Acquire: got %v, want nil or ErrLocked", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return won
}

func TestAcquireConcurrent(t *testing.T) {
	dir := t.TempDir()
	for round := range 20 {
		won := contend(t, 12, func() (*Lock, error) { return Acquire(dir, time.Now) })
		if len(won) != 1 {
			t.Fatalf("round %d: %d acquirers won, want exactly 1", round, len(won))
		}
		if err := won[0].Release(); err != nil {
			t.Fatalf("round %d: Release: %v", round, err)
		}
	}
}

func TestAcquireConcurrentTakeover(t *testing.T) {
	dir := t.TempDir()
	dead := deadPID(t)
	stale := lockJSON(t, lockInfo{PID: dead, Host: hostname(t), Started: time.Now().Add(-time.Hour)})
	for round := range 20 {
		writeLock(t, dir, stale, time.Now().Add(-time.Hour))
		won := contend(t, 12, func() (*Lock, error) { return Acquire(dir, time.Now) })
		if len(won) != 1 {
			t.Fatalf("round %d: %d acquirers took over the stale lock, want exactly 1", round, len(won))
		}
		if li := readLockInfo(t, dir); li.PID != os.Getpid() {
			t.Fatalf("round %d: lock holds pid %d, want %d", round, li.PID, os.Getpid())
		}
		if err := won[0].Release(); err != nil {
			t.Fatalf("round %d: Release: %v", round, err)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, LockFile+"*"))
		if len(leftovers) != 0 {
			t.Fatalf("round %d: files left behind: %v", round, leftovers)
		}
	}
}

type staleCase struct {
	name string
	// setup writes the existing lock file; it may return a Lock to release
	// at the end.
	setup    func(t *testing.T, dir string, now time.Time) *Lock
	takeOver bool
}

var staleCases = []staleCase{
	{
		name: "dead pid on this host",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			writeLock(t, dir, lockJSON(t, lockInfo{PID: deadPID(t), Host: hostname(t), Started: now.Add(-time.Minute)}), now)
			return nil
		},
		takeOver: true,
	},
	{
		name: "live holder: this process through another Lock",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			lk, err := Acquire(dir, fixedClock(now.Add(-time.Minute)))
			if err != nil {
				t.Fatalf("holder Acquire: %v", err)
			}
			return lk
		},
		takeOver: false,
	},
	{
		name: "live pid, old lock: age does not matter on this host",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			start, _ := processStart(os.Getpid())
			writeLock(t, dir, lockJSON(t, lockInfo{PID: os.Getpid(), Host: hostname(t), Started: now.Add(-48 * time.Hour), PIDStart: start}), now.Add(-48*time.Hour))
			return nil
		},
		takeOver: false,
	},
	{
		name: "another host, fresh",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			writeLock(t, dir, lockJSON(t, lockInfo{PID: 1, Host: "elsewhere", Started: now.Add(-time.Hour)}), now.Add(-time.Hour))
			return nil
		},
		takeOver: false,
	},
	{
		name: "another host, older than the stale age",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			writeLock(t, dir, lockJSON(t, lockInfo{PID: 1, Host: "elsewhere", Started: now.Add(-13 * time.Hour)}), now.Add(-13*time.Hour))
			return nil
		},
		takeOver: true,
	},
	{
		name: "garbage, fresh (maybe being written)",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			writeLock(t, dir, "", now.Add(-time.Second))
			return nil
		},
		takeOver: false,
	},
	{
		name: "garbage, older than the stale age",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			writeLock(t, dir, "{not json", now.Add(-13*time.Hour))
			return nil
		},
		takeOver: true,
	},
	{
		name: "pid 0 is garbage, not a process group",
		setup: func(t *testing.T, dir string, now time.Time) *Lock {
			writeLock(t, dir, lockJSON(t, lockInfo{PID: 0, Host: hostname(t)}), now.Add(-13*time.Hour))
			return nil
		},
		takeOver: true,
	},
}

func TestAcquireStale(t *testing.T) {
	for _, tc := range staleCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			holder := tc.setup(t, dir, now)
			var logs bytes.Buffer
			l := Locker{Dir: dir, StaleAge: 12 * time.Hour, Now: fixedClock(now), Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			lk, err := l.Acquire()
			if !tc.takeOver {
				if !errors.Is(err, ErrLocked) {
					t.Fatalf("Acquire: got %v, want ErrLocked", err)
				}
				if holder != nil {
					if err := holder.Release(); err != nil {
						t.Errorf("holder Release: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Acquire: got %v, want a takeover", err)
			}
			if li := readLockInfo(t, dir); li.PID != os.Getpid() || !li.Started.Equal(now) {
				t.Errorf("lock after takeover = %+v, want pid %d started %s", li, os.Getpid(), now)
			}
			if !strings.Contains(logs.String(), "took over stale run lock") {
				t.Errorf("no takeover logged; log: %s", logs.String())
			}
			if err := lk.Release(); err != nil {
				t.Errorf("Release: %v", err)
			}
		})
	}
}

func TestAcquireRecycledPID(t *testing.T) {
	start, ok := processStart(os.Getpid())
	if !ok {
		t.Skip("no /proc: process start times unavailable")
	}
	dir := t.TempDir()
	// Our own pid, but recorded by a process that started at another time:
	// the pid was recycled (pid 1 in a restarted container).
	writeLock(t, dir, lockJSON(t, lockInfo{PID: os.Getpid(), Host: hostname(t), Started: time.Now(), PIDStart: start + 1}), time.Now())
	lk, err := Acquire(dir, time.Now)
	if err != nil {
		t.Fatalf("Acquire: got %v, want a takeover of the recycled pid's lock", err)
	}
	if err := lk.Release(); err != nil {
		t.Errorf("Release: %v", err)
	}
}

func TestTakeoverClaims(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		claimAge time.Duration
		wantErr  error
	}{
		{name: "claim in progress", claimAge: time.Second, wantErr: ErrLocked},
		{name: "abandoned claim", claimAge: 13 * time.Hour, wantErr: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLock(t, dir, "{garbage", now.Add(-24*time.Hour))
			fi, err := os.Stat(filepath.Join(dir, LockFile))
			if err != nil {
				t.Fatal(err)
			}
			claim := fmt.Sprintf("%s.takeover-%s.0", filepath.Join(dir, LockFile), fileID(fi))
			if err := os.WriteFile(claim, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(claim, now.Add(-tc.claimAge), now.Add(-tc.claimAge)); err != nil {
				t.Fatal(err)
			}
			lk, err := Locker{Dir: dir, Now: fixedClock(now)}.Acquire()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Acquire: got %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if err := lk.Release(); err != nil {
				t.Errorf("Release: %v", err)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, LockFile+"*")); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func TestReleaseLost(t *testing.T) {
	dir := t.TempDir()
	lk, err := Acquire(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Another host's process judged our lock stale and replaced it.
	path := filepath.Join(dir, LockFile)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	writeLock(t, dir, lockJSON(t, lockInfo{PID: 7, Host: "elsewhere", Started: time.Now()}), time.Now())
	if err := lk.Release(); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Release: got %v, want ErrLockLost", err)
	}
	if li := readLockInfo(t, dir); li.Host != "elsewhere" {
		t.Errorf("Release removed the other holder's lock: %+v", li)
	}
}

// A contender that judged the lock stale, then was slow, must not replace
// the lock someone else took over in the meantime.
func TestTakeoverAfterAnotherTakeover(t *testing.T) {
	dir := t.TempDir()
	writeLock(t, dir, lockJSON(t, lockInfo{PID: deadPID(t), Host: hostname(t), Started: time.Now()}), time.Now())
	slow := Locker{Dir: dir}.withDefaults()
	o, err := slow.inspect(filepath.Join(dir, LockFile), hostname(t))
	if err != nil || o.live {
		t.Fatalf("inspect: live %v, err %v; want a stale lock", o.live, err)
	}
	winner, err := Acquire(dir, time.Now)
	if err != nil {
		t.Fatalf("winner Acquire: %v", err)
	}
	before := readLockInfo(t, dir)
	if _, err := slow.takeOver(filepath.Join(dir, LockFile), o, []byte(`{"pid":99}`)); !errors.Is(err, errRetry) {
		t.Fatalf("slow takeOver: got %v, want errRetry", err)
	}
	if after := readLockInfo(t, dir); after != before {
		t.Errorf("lock changed from %+v to %+v", before, after)
	}
	if err := winner.Release(); err != nil {
		t.Errorf("winner Release: %v", err)
	}
}

func TestCheckHeld(t *testing.T) {
	dir := t.TempDir()
	if err := CheckHeld(dir); !errors.Is(err, ErrNotHeld) {
		t.Errorf("no lock: err = %v, want ErrNotHeld", err)
	}
	lk, err := Acquire(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckHeld(dir); err != nil {
		t.Errorf("held by this process: err = %v, want nil", err)
	}
	if err := lk.Release(); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{
		lockJSON(t, lockInfo{PID: deadPID(t), Host: hostname(t)}),
		lockJSON(t, lockInfo{PID: os.Getpid(), Host: "elsewhere"}),
		"{",
	} {
		writeLock(t, dir, content, time.Now())
		if err := CheckHeld(dir); !errors.Is(err, ErrNotHeld) {
			t.Errorf("lock %s: err = %v, want ErrNotHeld", content, err)
		}
	}
}
