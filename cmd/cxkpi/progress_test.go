package main

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// -progress always draws a bar per table with its bytes and rate; the
// log lines never share a line with a bar.
func TestProgressOnATerminal(t *testing.T) {
	var stderr strings.Builder
	if err := run(t.Context(), []string{"run", "-progress", "always", "-out", t.TempDir()}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stderr.String()
	for _, table := range []string{"tickets", "messages", "surveys", "orders"} {
		if !strings.Contains(out, table+strings.Repeat(" ", 16-len(table))+" 1 file 100% |") {
			t.Errorf("no finished bar for %s in:\n%s", table, out)
		}
	}
	if !strings.Contains(out, "B/s)") {
		t.Errorf("no rate in the bars:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		last := line[strings.LastIndex(line, "\r")+1:]
		if strings.Contains(last, "level=") && strings.Contains(last, "%|") {
			t.Errorf("a log record and a bar share a line: %q", last)
		}
	}
}

// Without a terminal (cron, a log file) auto shows no bar at all.
func TestNoProgressWithoutATerminal(t *testing.T) {
	var stderr strings.Builder
	if err := run(t.Context(), []string{"run", "-out", t.TempDir()}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	if out := stderr.String(); strings.Contains(out, "%|") || strings.Contains(out, "\r") {
		t.Errorf("progress drawn into a log that is not a terminal:\n%s", out)
	}
	err := run(t.Context(), []string{"run", "-progress", "sometimes", "-out", filepath.Join(t.TempDir(), "o")}, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) {
		t.Errorf("-progress sometimes: %v, want a usage error", err)
	}
}
