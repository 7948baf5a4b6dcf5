// Package kpi computes period KPIs (CSAT, NPS, CES, reply times, …) from
// Arrow record batches of the canonical exports. Each metric is defined once,
// in its doc comment and in docs/metrics.md; a metric with no data is
// reported as missing, never as 0.
package kpi
