package sample

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate the committed sample in testdata/sample")

// sampleDir is the sample embedded in the cxkpi binary.
const sampleDir = "../../testdata/sample"

// SampleConfig is the configuration of the committed sample, as made by
// `cxkpi gen -seed 1 -customers 400 -months 6 -bad-rows 2 -out testdata/sample`.
func sampleConfig() Config {
	return Config{Seed: 1, Customers: 400, Months: 6, End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), BadRows: 2, Format: CSV}
}

// TestSampleUpToDate checks that the committed sample is exactly what the
// generator makes of its configuration; run with -update to regenerate it.
func TestSampleUpToDate(t *testing.T) {
	if *update {
		if _, err := Generate(context.Background(), sampleDir, sampleConfig(), nil); err != nil {
			t.Fatal(err)
		}
	}
	dir, _ := generate(t, sampleConfig())
	fresh := files(t, dir)
	committed := slices.DeleteFunc(files(t, sampleDir), func(n string) bool { return n == "README.md" })
	if !slices.Equal(committed, fresh) {
		t.Fatalf("testdata/sample holds %v, the generator writes %v", committed, fresh)
	}
	var total int64
	for _, name := range fresh {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(sampleDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/sample/%s is stale; regenerate it with go test ./pipeline/sample -run TestSampleUpToDate -update", name)
		}
		total += int64(len(got))
	}
	if total > 3<<20 {
		t.Errorf("the sample takes %d bytes, want under 3 MiB", total)
	}
}
