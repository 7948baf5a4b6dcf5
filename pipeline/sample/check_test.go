package sample

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// generate runs Generate into a fresh directory and returns it.
func generate(t testing.TB, cfg Config) (string, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	rows, err := Generate(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", cfg, err)
	}
	return dir, rows
}

// export is one generated CSV file, parsed.
type export struct {
	spec   ingest.Spec
	header []string
	rows   [][]string // data rows; rows[i] is on line i+2
}

// readExport parses dir/<table>.csv strictly: every record must have as
// many fields as the header.
func readExport(t testing.TB, dir string, table ingest.Table) export {
	t.Helper()
	spec, err := Spec(table)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, string(table)+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", table, err)
	}
	e := export{spec: spec, header: header}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		e.rows = append(e.rows, rec)
	}
	return e
}

// col returns the value of the named column in row.
func (e export) col(row []string, name string) string {
	i := e.spec.Index(name)
	if i < 0 {
		panic("no column " + name)
	}
	return row[i]
}

// checkRow validates one CSV row against the contract the way a strict
// reader would: required values present, enums known, times RFC 3339 UTC
// before end, numbers and booleans parseable, survey scores within their
// scale and QA points within their maximum.
func checkRow(spec ingest.Spec, row []string, end time.Time) error {
	for i, c := range spec.Columns {
		v := row[i]
		if v == "" {
			if c.Required {
				return fmt.Errorf("%s: required value missing", c.Name)
			}
			continue
		}
		switch c.Kind {
		case ingest.Enum:
			if !slices.Contains(c.Values, v) {
				return fmt.Errorf("%s: unknown value %q", c.Name, v)
			}
		case ingest.Time:
			ts, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			if !strings.HasSuffix(v, "Z") || !ts.Before(end) {
				return fmt.Errorf("%s: %s not UTC or not before %s", c.Name, v, end)
			}
		case ingest.Float:
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		case ingest.Int:
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		case ingest.Bool:
			if v != "true" && v != "false" {
				return fmt.Errorf("%s: not a boolean: %q", c.Name, v)
			}
		}
	}
	num := func(name string) float64 {
		f, _ := strconv.ParseFloat(row[spec.Index(name)], 64)
		return f
	}
	switch spec.Table {
	case ingest.Surveys:
		if s := num("score"); s < num("scale_min") || s > num("scale_max") {
			return fmt.Errorf("score: %v outside scale %v..%v", s, num("scale_min"), num("scale_max"))
		}
	case ingest.QAReviews:
		if s := num("score"); s < 0 || s > num("max_score") {
			return fmt.Errorf("score: %v outside 0..%v", s, num("max_score"))
		}
	}
	return nil
}

// invalidLines returns the lines of e that a strict reader rejects, with
// the reason: rows failing checkRow and rows repeating an earlier key.
func invalidLines(e export, end time.Time) map[int64]string {
	bad := map[int64]string{}
	seen := map[string]int64{}
	var key []int
	for _, k := range e.spec.Key {
		key = append(key, e.spec.Index(k))
	}
	for i, row := range e.rows {
		line := int64(i + 2)
		if err := checkRow(e.spec, row, end); err != nil {
			bad[line] = err.Error()
			continue
		}
		var parts []string
		for _, k := range key {
			parts = append(parts, row[k])
		}
		k := strings.Join(parts, "\x00")
		if first, dup := seen[k]; dup {
			bad[line] = fmt.Sprintf("duplicate of line %d", first)
			continue
		}
		seen[k] = line
	}
	return bad
}

// goodRows returns the rows of e that a strict reader accepts.
func goodRows(e export, end time.Time) [][]string {
	bad := invalidLines(e, end)
	var good [][]string
	for i, row := range e.rows {
		if _, ok := bad[int64(i+2)]; !ok {
			good = append(good, row)
		}
	}
	return good
}
