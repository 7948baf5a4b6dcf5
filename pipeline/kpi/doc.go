// Package kpi computes period KPIs (CSAT, NPS, CES, reply times, …) from
// Arrow record batches of the canonical exports. Each metric is defined once,
// in its doc comment and in docs/metrics.md; a metric with no data is
// reported as missing, never as 0.
//
// Each input table has its file (tickets.go, surveys.go, calls.go, …)
// defining the table's aggregator: how a batch is decoded and the metrics
// that observe it, each with its [Unit] and which way is [Better]. The
// [Engine] holds one aggregator per table in a map and reports their
// metrics in a fixed order; [Catalog] lists them.
package kpi
