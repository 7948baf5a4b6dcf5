package reports

import (
	"cmp"
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cxkpi/cxkpi/templates"
)

// Summary is the short text sent with an emailed report: a subject line
// and the headline KPIs of the report period as plain text and HTML.
type Summary struct {
	Subject, Text, HTML string
}

// summaryMetrics are the headline KPIs of the emailed summary.
func summaryMetrics() []string {
	return []string{"csat", "nps", "ces", "first_reply_time_median", "resolution_time_median", "retention_rate", "churn_rate", "clv_basic"}
}

// Summarize returns the email summary of r: for each headline metric of
// the report period (dimension "all") its value and its change from the
// previous period, in r's locale, the change coloured in the HTML by
// whether it is an improvement. Metrics without data say so.
func Summarize(r Report) (Summary, error) {
	tx, nf, title, period, err := mailHead(r)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Subject: tx.Fill("report.email_subject", "title", title, "period", period)}

	intro := tx.Fill("report.email_intro", "period", period)
	var text, rows, alerts strings.Builder
	if len(r.Alerts) > 0 {
		fmt.Fprintf(&text, "%s\n", tx.Get("alert.heading"))
		fmt.Fprintf(&alerts, "<p><b>%s</b></p>\n<ul>\n", html.EscapeString(tx.Get("alert.heading")))
		for _, a := range r.Alerts {
			line := alertLine(a, tx, nf)
			fmt.Fprintf(&text, "- %s\n", line)
			fmt.Fprintf(&alerts, "<li style=\"color:%s\">%s</li>\n", newPalette().bad.hex(), html.EscapeString(line))
		}
		text.WriteString("\n")
		alerts.WriteString("</ul>\n")
	}
	fmt.Fprintf(&text, "%s\n\n", intro)
	current := r.periodRows()
	prev := previousValues(r.KPIs, r.PeriodStart)
	better, pal := directions(), newPalette()
	width := 0 // of the longest label, so that the values line up
	for _, name := range summaryMetrics() {
		width = max(width, utf8.RuneCountInString(tx.Metric(name)))
	}
	for _, name := range summaryMetrics() {
		for _, row := range current {
			if row.Metric != name || row.Dimension != "all" {
				continue
			}
			label, value := tx.Metric(name), nf.value(row.Value, row.Unit)
			d := change(row, prev)
			delta := nf.change(d, row.Unit)
			if lowN(row) {
				delta += ", " + tx.Fill("report.observations", "n", tx.Fill("report.low_n", "n", nf.count(row.N)))
			}
			fmt.Fprintf(&text, "%-*s %14s  (%s)\n", width, label, value, delta)
			// The change is green when it is a significant improvement and
			// red when it is a significant deterioration, as in the PDF.
			style := "text-align:right"
			if t := changeTone(better[name], row, d.V, delta); d.Valid && t != neutral {
				style += ";color:" + pal.color(t, true).hex()
			}
			fmt.Fprintf(&rows, "<tr><td>%s</td><td style=\"text-align:right\">%s</td><td style=\"%s\">%s</td></tr>\n",
				html.EscapeString(label), html.EscapeString(value), style, html.EscapeString(delta))
		}
	}
	var rejected int64
	for _, q := range r.Quality {
		rejected += q.Rejected
	}
	note := ""
	if rejected > 0 {
		note = tx.Fill("report.email_rejected", "n", strconv.FormatInt(rejected, 10))
		fmt.Fprintf(&text, "\n%s\n", note)
	}
	s.Text = text.String()
	s.HTML = fmt.Sprintf("<html><body>%s<p>%s</p>\n<table>\n<tr><th>%s</th><th>%s</th><th>%s</th></tr>\n%s</table>\n<p>%s</p></body></html>\n",
		alerts.String(), html.EscapeString(intro), html.EscapeString(tx.Get("column.metric")), html.EscapeString(tx.Get("column.value")),
		html.EscapeString(tx.Get("column.change")), rows.String(), html.EscapeString(note))
	return s, nil
}

// mailHead returns what every email of a report starts from: its
// locale's texts and numbers, its title and the name of its period.
func mailHead(r Report) (tx *templates.Text, nf numbers, title, period string, err error) {
	if tx, err = templates.Load(cmp.Or(r.Locale, "en")); err != nil {
		return nil, numbers{}, "", "", err
	}
	loc, err := r.validate()
	if err != nil {
		return nil, numbers{}, "", "", err
	}
	period, ok := periodLabel(r, loc, tx)
	if !ok {
		layout := tx.Get("format.date")
		period = r.PeriodStart.In(loc).Format(layout) + " – " + r.PeriodEnd.Add(-1).In(loc).Format(layout)
	}
	nf, err = newNumbers(tx).withCurrency(r.Currency, cmp.Or(r.Locale, "en"))
	if err != nil {
		return nil, numbers{}, "", "", err
	}
	return tx, nf, cmp.Or(r.Title, tx.Get("report.default_title")), period, nil
}
