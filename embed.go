// Package cxkpi holds what the cxkpi binary embeds: the sample exports in
// testdata/sample, made by pipeline/sample (see testdata/sample/README.md).
// The job itself lives in package pipeline and the command in cmd/cxkpi.
package cxkpi

import (
	"embed"
	"io/fs"
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
