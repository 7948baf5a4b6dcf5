package reports

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/cxkpi/cxkpi/pipeline/alert"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

// alertLine says in words what an alert found, in the locale.
func alertLine(a alert.Alert, tx *templates.Text, nf numbers) string {
	value := nf.value(kpi.Some(a.Value), a.Unit)
	pairs := []string{"metric", tx.Metric(a.Metric), "where", where(a.Dimension, a.DimensionValue, tx), "value", value}
	switch a.Rule {
	case alert.RuleTargetMissed:
		op := "≤"
		if a.Min {
			op = "≥"
		}
		pairs = append(pairs, "op", op, "target", nf.value(kpi.Some(a.Threshold), a.Unit))
	case alert.RuleDeterioration:
		pairs = append(pairs, "previous", nf.value(kpi.Some(a.Threshold), a.Unit))
	case alert.RuleOutsideRange:
		pairs = append(pairs, "low", nf.value(kpi.Some(a.Low), a.Unit), "high", nf.value(kpi.Some(a.High), a.Unit))
	}
	return tx.Fill("alert."+a.Rule, pairs...)
}

// where names the cell of a dimension other than the total.
func where(dim, value string, tx *templates.Text) string {
	if dim == "" || dim == "all" {
		return ""
	}
	return tx.Fill("alert.where", "dimension", dim, "value", value)
}

// targetLines says, for each target of the total, the period's value and
// whether it met the target.
func (v *view) targetLines() []string {
	var out []string
	for _, t := range v.r.Targets {
		if t.Dimension != "" && t.Dimension != "all" {
			continue
		}
		r, ok := v.row(t.Metric, "all", "all", v.r.PeriodStart)
		op, bound := "≤", t.Max
		if t.Min.Valid {
			op, bound = "≥", t.Min
		}
		status, value := v.tx.Get("target.no_data"), v.nf.value(kpi.Num{}, v.unit(t.Metric))
		if ok && r.TargetMet.Valid {
			value = v.nf.value(r.Value, r.Unit)
			status = v.tx.Get("target.missed")
			if r.TargetMet.V {
				status = v.tx.Get("target.met")
			}
		}
		out = append(out, v.tx.Fill("target.line", "metric", v.tx.Metric(t.Metric), "op", op,
			"target", v.nf.value(bound, v.unit(t.Metric)), "value", value, "status", status))
	}
	return out
}

// AlertSummary returns the short email sent when alerts fire: a subject
// naming their number and one line per alert, in r's locale.
func AlertSummary(r Report) (Summary, error) {
	tx, nf, title, period, err := mailHead(r)
	if err != nil {
		return Summary{}, err
	}
	n := strconv.Itoa(len(r.Alerts))
	s := Summary{Subject: tx.Fill("alert.email_subject", "title", title, "period", period, "n", n)}
	intro := tx.Fill("alert.email_intro", "period", period, "n", n)
	var text, items strings.Builder
	fmt.Fprintf(&text, "%s\n\n", intro)
	for _, a := range r.Alerts {
		line := alertLine(a, tx, nf)
		fmt.Fprintf(&text, "- %s\n", line)
		fmt.Fprintf(&items, "<li>%s</li>\n", html.EscapeString(line))
	}
	s.Text = text.String()
	s.HTML = fmt.Sprintf("<html><body><p>%s</p>\n<ul>\n%s</ul></body></html>\n", html.EscapeString(intro), items.String())
	return s, nil
}
