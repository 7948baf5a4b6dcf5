// Package ingest reads customer-experience exports (CSV, JSON Lines,
// Parquet) into Arrow record batches that follow the canonical contract of
// docs/inputs.md. Malformed rows are never dropped silently: each one is
// handed to a quarantine with its file, line, column and reason.
package ingest
