// Package reports writes the outputs of a run: the KPI table as Parquet,
// the PDF report, and, through [AtomicFile], any other file that must
// appear complete or not at all.
//
// Every file is written to a temporary name in its directory and renamed
// into place once it is complete and synced, so a reader never sees a
// partial file. Rendering is deterministic: the same input gives the same
// bytes, with no wall-clock time in the output.
package reports
