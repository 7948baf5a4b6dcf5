// Package ingest reads customer-experience exports (CSV, JSON Lines,
// JSON documents such as API pages, Parquet) into Arrow record batches
// that follow the canonical contract of docs/inputs.md. Malformed rows
// are never dropped silently: each one is handed to a quarantine with its
// file, line, column and reason.
//
// A mapping reads JSON by paths (via.channel, ../ticket_id), makes rows
// of inner arrays, joins side-loads of a document by key, keeps rows of
// one kind and derives columns by declarative rules, which may compare
// with a column of a table read earlier in the run ([Lookups]).
//
// A [Reader] parses a table's files on all cores: one goroutine cuts the
// files into chunks of rows, workers convert the chunks into batches, and
// Read hands them on in order, so batches, rejections and counts are the
// same as when one goroutine does everything ([Options.Workers] = 1).
//
// Rows whose key repeats an earlier row's are rejected. The check keeps
// the keys' digests in memory, or, for a large table and with
// [Options.SpillDir], in temporary files, at the cost of parsing the
// table twice; the results are the same.
package ingest
