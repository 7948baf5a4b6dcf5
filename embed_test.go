package cxkpi_test

import (
	"bufio"
	"io/fs"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/sample"
)

// TestSample checks that the embedded sample is rooted at the sample
// directory and holds a CSV file per contract table, headed by the
// contract's columns.
func TestSample(t *testing.T) {
	fsys := cxkpi.Sample()
	for _, tb := range ingest.Tables() {
		spec, err := sample.Spec(tb)
		if err != nil {
			t.Fatal(err)
		}
		f, err := fsys.Open(string(tb) + ".csv")
		if err != nil {
			t.Fatalf("open %s.csv: %v", tb, err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan()
		f.Close()
		var names []string
		for _, c := range spec.Columns {
			names = append(names, c.Name)
		}
		if got, want := sc.Text(), strings.Join(names, ","); got != want {
			t.Errorf("%s.csv header %q, want %q", tb, got, want)
		}
	}
	for _, name := range []string{"BAD_ROWS.md", "README.md"} {
		if _, err := fs.Stat(fsys, name); err != nil {
			t.Errorf("stat %s: %v", name, err)
		}
	}
}
