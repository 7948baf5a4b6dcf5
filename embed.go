// Package cxkpi holds what the cxkpi binary embeds: the sample exports in
// testdata/sample, made by pipeline/sample (see testdata/sample/README.md).
// The job itself lives in package pipeline and the command in cmd/cxkpi.
package cxkpi

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed testdata/sample
var sampleFiles embed.FS

// Sample returns the embedded sample exports, one CSV file per table of the
// contract plus BAD_ROWS.md and README.md, rooted at the sample directory
// (Open("tickets.csv") opens the tickets export). The files are read-only.
func Sample() fs.FS {
	sub, err := fs.Sub(sampleFiles, "testdata/sample")
	if err != nil {
		// fs.Sub fails only for an invalid path; this one is a valid
		// constant (TestSample opens files through it).
		panic(err)
	}
	return sub
}

// SampleLastDay is the last day of the embedded sample (it was generated
// with -months 6 and the default end, 2026-11-01): the as-of date of a run
// on the sample that names none.
func SampleLastDay() time.Time { return time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC) }
