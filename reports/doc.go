// Package reports writes the outputs of a run: the KPI table as Parquet,
// the PDF report, and, through [AtomicFile], any other file that must
// appear complete or not at all.
//
// Every file is written to a temporary name in its directory and renamed
// into place once it is complete and synced, so a reader never sees a
// partial file. Rendering is deterministic: the same input gives the same
// bytes, with no wall-clock time in the output.
//
// The PDF ([RenderPDF]) is meant to be read by people who did not run
// the job: a cover with linked contents, an executive summary of the
// headline KPIs, charts of trends, channels, NPS, reply times, cohort
// retention and customer lifetime value, then the detailed tables. Its
// text comes from the locale files of package templates and is set in
// the typeface embedded there; charts are drawn with the PDF's own
// vector primitives (chart.go, chart_line.go, chart_bar.go) in one
// palette (palette.go).
package reports
