package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// wait is how long a test waits for something that should happen within
// a second or two; generous for a loaded CI machine.
const wait = 20 * time.Second

// logSink collects JSON log records.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records returns the records whose message is msg.
func (s *logSink) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// startRun runs Run in a goroutine; the returned function cancels it and
// returns Run's error once it has returned.
func startRun(t *testing.T, cfg Config, job Job) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, job) }()
	t.Cleanup(cancel)
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(wait):
			t.Fatal("Run did not return after cancellation")
			return nil
		}
	}
}

// await waits for ch or fails the test.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
	}
}

type span struct {
	start, end, asOf time.Time
}

func TestRunEverySecondNoOverlap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs logSink
	var (
		mu    sync.Mutex
		runs  []span
		twice = make(chan struct{})
	)
	job := func(ctx context.Context, asOf time.Time) error {
		s := span{start: time.Now(), asOf: asOf}
		// Longer than the schedule's interval, so firings arrive mid-run.
		time.Sleep(1200 * time.Millisecond)
		s.end = time.Now()
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, s)
		if len(runs) == 2 {
			close(twice)
		}
		return nil
	}
	stop := startRun(t, Config{Cron: "* * * * * *", Location: time.UTC, StateDir: dir, Logger: logs.logger()}, job)
	await(t, twice, "two completed runs")
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	for i, r := range runs {
		if i > 0 && r.start.Before(runs[i-1].end) {
			t.Errorf("run %d started at %s, before run %d ended at %s", i, r.start, i-1, runs[i-1].end)
		}
		if r.asOf.Hour() != 0 || r.asOf.Location() != time.UTC {
			t.Errorf("run %d: as-of %s is not a UTC midnight", i, r.asOf)
		}
		if d := r.start.Sub(r.asOf); d < 24*time.Hour || d > 48*time.Hour+10*time.Second {
			t.Errorf("run %d: as-of %s is not the day before its start %s", i, r.asOf, r.start)
		}
	}

	started, finished := logs.records(t, "run started"), logs.records(t, "run finished")
	if len(started) < 2 || len(finished) < 2 {
		t.Fatalf("logged %d starts and %d finishes, want at least 2 each", len(started), len(finished))
	}
	var prev string
	for i, rec := range finished {
		if _, ok := rec["duration"]; !ok {
			t.Errorf("finish record %d has no duration: %v", i, rec)
		}
		sch, _ := rec["scheduled"].(string)
		if sch <= prev {
			t.Errorf("finish record %d scheduled %q, not after the previous run's %q", i, sch, prev)
		}
		prev = sch
	}

	st, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastSuccess.IsZero() || !st.LastSuccessAsOf.Equal(asOfFor(st.LastSuccessScheduled, time.UTC)) {
		t.Errorf("state = %+v, want a success whose as-of is the day before its scheduled time", st)
	}
	if st.LastSuccessScheduled.Nanosecond() != 0 {
		t.Errorf("recorded scheduled time %s is not a whole second", st.LastSuccessScheduled)
	}
}

func TestRunCancelMidRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var (
		calls    atomic.Int32
		returned atomic.Bool
		sawErr   error
		started  = make(chan struct{})
	)
	job := func(ctx context.Context, asOf time.Time) error {
		if calls.Add(1) == 1 {
			close(started)
		}
		select {
		case <-ctx.Done():
			sawErr = ctx.Err()
		case <-time.After(wait):
			sawErr = errors.New("never cancelled")
		}
		time.Sleep(300 * time.Millisecond) // clean up partial output
		returned.Store(true)
		return sawErr
	}
	stop := startRun(t, Config{Cron: "* * * * * *", Location: time.UTC, StateDir: dir}, job)
	await(t, started, "the first run")
	err := stop()
	if !returned.Load() {
		t.Fatal("Run returned before the job did")
	}
	if err != nil {
		t.Errorf("Run: got %v, want nil", err)
	}
	if !errors.Is(sawErr, context.Canceled) {
		t.Errorf("job saw %v, want context.Canceled", sawErr)
	}
	time.Sleep(1500 * time.Millisecond) // a second would fire by now
	if n := calls.Load(); n != 1 {
		t.Errorf("job ran %d times, want 1: no runs after cancellation", n)
	}
	st, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !st.LastSuccess.IsZero() || !strings.Contains(st.LastError, "context canceled") {
		t.Errorf("state = %+v, want the aborted run recorded as an error", st)
	}
}

var catchUpTests = []struct {
	name      string
	catchUp   bool
	state     *State // nil: no state file
	wantRunAt time.Time
}{
	{name: "no state file", catchUp: true, wantRunAt: time.Date(2026, 8, 15, 1, 0, 0, 0, time.UTC)},
	{name: "last success a night ago", catchUp: true,
		state:     &State{LastSuccessScheduled: time.Date(2026, 8, 14, 1, 0, 0, 0, time.UTC)},
		wantRunAt: time.Date(2026, 8, 15, 1, 0, 0, 0, time.UTC)},
	{name: "last success for the latest night", catchUp: true,
		state: &State{LastSuccessScheduled: time.Date(2026, 8, 15, 1, 0, 0, 0, time.UTC)}},
	{name: "catch-up off", catchUp: false,
		state: &State{LastSuccessScheduled: time.Date(2026, 8, 10, 1, 0, 0, 0, time.UTC)}},
}

func TestRunCatchUp(t *testing.T) {
	t.Parallel()
	berlin := mustLoad(t, "Europe/Berlin")
	for _, tc := range catchUpTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.state != nil {
				if err := writeState(dir, *tc.state); err != nil {
					t.Fatal(err)
				}
			}
			// A clock reading 12:00 UTC on 15 August 2026 and running on:
			// the latest 03:00 in Berlin was 01:00 UTC that day.
			offset := time.Until(time.Date(2026, 8, 15, 12, 0, 0, 0, time.UTC))
			now := func() time.Time { return time.Now().Add(offset) }
			var logs logSink
			var (
				calls atomic.Int32
				asOf  atomic.Value
				ran   = make(chan struct{}, 1)
			)
			job := func(ctx context.Context, t time.Time) error {
				calls.Add(1)
				asOf.Store(t)
				ran <- struct{}{}
				return nil
			}
			cfg := Config{Cron: "0 3 * * *", Location: berlin, CatchUp: tc.catchUp, StateDir: dir, Logger: logs.logger(), Now: now}
			stop := startRun(t, cfg, job)

			if tc.wantRunAt.IsZero() {
				time.Sleep(1500 * time.Millisecond) // an immediate run would have started
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if n := calls.Load(); n != 0 {
					t.Errorf("job ran %d times, want no catch-up run", n)
				}
				return
			}
			await(t, ran, "the catch-up run")
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := time.Date(2026, 8, 14, 0, 0, 0, 0, berlin)
			if got := asOf.Load().(time.Time); !got.Equal(want) {
				t.Errorf("as-of %s, want %s", got, want)
			}
			st, err := ReadState(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !st.LastSuccessScheduled.Equal(tc.wantRunAt) {
				t.Errorf("recorded scheduled time %s, want %s", st.LastSuccessScheduled, tc.wantRunAt)
			}
			if len(logs.records(t, "catching up: last success is older than the last scheduled time")) == 0 &&
				tc.state != nil {
				t.Error("catch-up not logged")
			}
		})
	}
}

func TestRunFailuresKeepGoing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs logSink
	var (
		calls     atomic.Int32
		seenState State
		third     = make(chan struct{})
	)
	job := func(ctx context.Context, asOf time.Time) error {
		switch calls.Add(1) {
		case 1:
			panic("bad row")
		case 2:
			// The run lock is held, so the state is settled.
			st, err := ReadState(dir)
			if err != nil {
				return err
			}
			seenState = st
			return errBoom
		case 3:
			close(third)
		}
		return nil
	}
	stop := startRun(t, Config{Cron: "* * * * * *", Location: time.UTC, StateDir: dir, Logger: logs.logger()}, job)
	await(t, third, "a third run")
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(seenState.LastError, ErrPanic.Error()) || !strings.Contains(seenState.LastError, "bad row") {
		t.Errorf("state after the panic: last error %q, want the panic recorded", seenState.LastError)
	}
	st, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastError != errBoom.Error() || !st.LastErrorAt.Before(st.LastSuccess) ||
		!st.LastErrorScheduled.Before(st.LastSuccessScheduled) {
		t.Errorf("state = %+v, want the error of run 2 followed by a later success", st)
	}
	failed := logs.records(t, "run failed")
	if len(failed) != 2 {
		t.Fatalf("logged %d failures, want 2", len(failed))
	}
	if e, _ := failed[1]["err"].(string); e != "boom" {
		t.Errorf("second failure logged err %q, want boom", e)
	}
	if len(logs.records(t, "job panicked")) != 1 {
		t.Error("panic stack not logged")
	}
}

func TestRunWaitsForLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	held, err := Acquire(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var logs logSink
	var (
		released atomic.Bool
		early    atomic.Int32
		ran      = make(chan struct{})
		once     sync.Once
	)
	job := func(ctx context.Context, asOf time.Time) error {
		if !released.Load() {
			early.Add(1)
		}
		once.Do(func() { close(ran) })
		return nil
	}
	cfg := Config{Cron: "* * * * * *", Location: time.UTC, StateDir: dir, Logger: logs.logger(), LockRetry: 50 * time.Millisecond}
	stop := startRun(t, cfg, job)
	deadline := time.Now().Add(wait)
	for len(logs.records(t, "waiting for run lock")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no run waited for the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	released.Store(true)
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	await(t, ran, "a run after the lock was released")
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := early.Load(); n != 0 {
		t.Errorf("job ran %d times while another process held the lock", n)
	}
}

func TestRunConfigErrors(t *testing.T) {
	job := func(context.Context, time.Time) error { return nil }
	tests := []struct {
		name string
		cfg  Config
		job  Job
	}{
		{"no job", Config{Cron: "* * * * *", StateDir: t.TempDir()}, nil},
		{"bad cron", Config{Cron: "every night", StateDir: t.TempDir()}, job},
		{"no state dir", Config{Cron: "* * * * *"}, job},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Run(context.Background(), tc.cfg, tc.job); !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
}
