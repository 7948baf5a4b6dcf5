package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// TestPresetsList lists the presets both ways and prints one that loads.
func TestPresetsList(t *testing.T) {
	for _, args := range [][]string{{"presets"}, {"run", "-preset", "list"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, p := range ingest.Presets() {
			if !strings.Contains(stdout.String(), p.Name+"  ") {
				t.Errorf("%v: %q does not list %s", args, stdout.String(), p.Name)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"presets", "surveymonkey"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.LoadMapping(&stdout, "printed"); err != nil {
		t.Errorf("the printed preset does not load: %v", err)
	}
}

// surveyMonkeyExport copies the surveymonkey fixture into a directory,
// with the NPS question worded as a survey of one's own would.
func surveyMonkeyExport(t *testing.T, question string) string {
	t.Helper()
	const fixture = "../../pipeline/ingest/testdata/presets/surveymonkey/Customer feedback survey.csv"
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("How likely is it that you would recommend this company to a friend or colleague?"), []byte(question), 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Acme NPS.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPresetOverride runs a preset with a mapping that names the score
// column of a survey whose question is not the template's, from the
// flags and from a configuration file.
func TestPresetOverride(t *testing.T) {
	const question = "How likely are you to recommend Acme to a friend?"
	in := surveyMonkeyExport(t, question)
	dir := t.TempDir()
	override := filepath.Join(dir, "override.yaml")
	os.WriteFile(override, []byte("tables:\n  surveys:\n    columns: {score: \""+question+"\"}\n"), 0o644)
	common := []string{"-input", in, "-tz", "America/New_York", "-as-of", "2026-10-31", "-allow-stale"}

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"run", "-preset", "surveymonkey", "-out", filepath.Join(dir, "a")}, common...), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "How likely is it that you would recommend this company") {
		t.Errorf("without the override: %v, want the template's question missing", err)
	}

	out := filepath.Join(dir, "b")
	stdout.Reset()
	if err := run(context.Background(), append([]string{"run", "-preset", "surveymonkey", "-mapping", override, "-out", out}, common...), &stdout, &stderr); err != nil {
		t.Fatalf("with the override: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "8 rows read, 0 rejected") {
		t.Errorf("summary %q, want 8 rows read, 0 rejected", stdout.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "grain=month", "period=2026-10", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Preset string }
	if err := json.Unmarshal(b, &m); err != nil || m.Preset != "surveymonkey" {
		t.Errorf("manifest preset %q (%v), want surveymonkey", m.Preset, err)
	}

	cfg := filepath.Join(dir, "cxkpi.yaml")
	os.WriteFile(cfg, []byte("preset: surveymonkey\nmapping: override.yaml\ninput: "+in+"\ntime_zone: America/New_York\noutput: c\n"), 0o644)
	stdout.Reset()
	if err := run(context.Background(), []string{"config", "check", cfg}, &stdout, &stderr); err != nil {
		t.Errorf("config check: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"run", "-config", cfg, "-as-of", "2026-10-31", "-allow-stale"}, &stdout, &stderr); err != nil {
		t.Fatalf("run -config: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "8 rows read, 0 rejected") {
		t.Errorf("run -config: summary %q, want 8 rows read, 0 rejected", stdout.String())
	}
	os.WriteFile(cfg, []byte("preset: zendesk\n"), 0o644)
	if err := run(context.Background(), []string{"config", "check", cfg}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "preset") {
		t.Errorf("config check of an unknown preset: %v, want an error naming the key", err)
	}
}
