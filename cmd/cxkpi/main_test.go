package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"missing input", []string{"run", "-input", "no/such/dir"}, "no/such/dir"},
		{"bad zone", []string{"run", "-tz", "Mars/Olympus"}, "Mars/Olympus"},
		{"bad grain", []string{"run", "-grain", "fortnight"}, "fortnight"},
		{"bad as-of", []string{"run", "-as-of", "31/10/2026"}, "-as-of"},
		{"missing mapping", []string{"run", "-mapping", "no-such-mapping.yaml"}, "no-such-mapping.yaml"},
		{"gen without out", []string{"gen"}, "-out is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if exitCode(err) == 0 {
				t.Error("exit code 0 for an error")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "-h"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-input", "-mapping", "-grain", "-tz", "-out", "-strict"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("run -h does not mention %s", want)
		}
	}
}

// gen writes exports that run reads back, end to end.
func TestGenThenRun(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"gen", "-seed", "3", "-customers", "40", "-months", "2", "-out", in}, &stdout, &stderr); err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(in, "tickets.csv")); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	err := run(context.Background(), []string{"run", "-input", in, "-out", out, "-grain", "week", "-tz", "Europe/Lisbon", "-log-format", "json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	line := stdout.String()
	if !strings.HasPrefix(line, "ok week ") || !strings.Contains(line, " 0 rejected") || strings.Count(line, "\n") != 1 {
		t.Errorf("summary line = %q, want one line starting with \"ok week\" and 0 rejected", line)
	}
	matches, _ := filepath.Glob(filepath.Join(out, "week=*", "kpis.parquet"))
	if len(matches) != 1 {
		t.Errorf("found %v, want one week=*/kpis.parquet", matches)
	}
}
