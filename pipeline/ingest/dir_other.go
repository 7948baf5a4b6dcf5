//go:build !unix

package ingest

// openFlags are the extra flags of an input open; none outside Unix.
const openFlags = 0
