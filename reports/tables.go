package reports

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

// column is the layout of one table column: its share of the width and
// whether its text is aligned right (numbers).
type column struct {
	weight float64
	right  bool
}

// table is a block of rows under a header that repeats on every page
// the table spans. Long cells wrap.
type table struct {
	cols   []column
	header []string
	rows   [][]string
	tones  [][]tone // optional, per cell: the colour of a change
	// footer, when set, is a note drawn under the last row, on its page.
	footer string
}

// tableSection returns a section of one table, or of its empty line when
// the table has no rows.
func tableSection(heading, empty string, t *table) section {
	s := section{heading: heading, empty: empty}
	if len(t.rows) > 0 {
		s.blocks = []block{t}
	}
	return s
}

// kpiSection lists every metric of dimension "all" of the period, with
// its change coloured by whether it is an improvement (better, by metric).
func kpiSection(rows []kpi.Row, prev map[series]kpi.Num, better map[string]kpi.Better, tx *templates.Text, nf numbers) section {
	t := &table{
		cols:   []column{{5, false}, {2, true}, {2, true}, {2.5, true}},
		header: []string{tx.Get("column.metric"), tx.Get("column.value"), tx.Get("column.n"), tx.Get("column.change")},
	}
	shares := map[string]bool{} // a share's total is 100% by definition: not a row
	for _, m := range kpi.Catalog() {
		shares[m.Name] = m.Stat == kpi.Share
	}
	for _, r := range rows {
		if r.Dimension != "all" || shares[r.Metric] {
			continue
		}
		ch, tn := tx.Get("report.no_change"), neutral
		if d := change(r, prev); d.Valid {
			ch = nf.change(d, r.Unit)
			tn = changeTone(better[r.Metric], r, d.V, ch)
		}
		n := nf.count(r.N)
		if lowN(r) {
			n = tx.Fill("report.low_n", "n", n)
		}
		t.rows = append(t.rows, []string{tx.Metric(r.Metric), nf.value(r.Value, r.Unit), n, ch})
		t.tones = append(t.tones, []tone{neutral, neutral, neutral, tn})
	}
	return tableSection(tx.Get("report.section_kpis"), tx.Get("report.empty_kpis"), t)
}

// channelSection shows the headline metrics per channel: one row per
// channel, "unknown" last, one column per headline metric the period has.
func channelSection(rows []kpi.Row, tx *templates.Text, nf numbers) section {
	t := &table{}
	type cell struct{ channel, metric string }
	cells := map[cell]kpi.Row{}
	var channels []string
	present := map[string]bool{}
	for _, r := range rows {
		if r.Dimension != "channel" {
			continue
		}
		if !slices.Contains(channels, r.DimensionValue) {
			channels = append(channels, r.DimensionValue)
		}
		cells[cell{r.DimensionValue, r.Metric}] = r
		present[r.Metric] = true
	}
	var metrics []string
	for _, m := range headline() {
		if present[m] {
			metrics = append(metrics, m)
		}
	}
	if len(metrics) > 0 {
		slices.SortFunc(channels, compareChannels)
		t.cols = []column{{2, false}}
		t.header = []string{tx.Get("column.channel")}
		for _, m := range metrics {
			t.cols = append(t.cols, column{1.5, true})
			t.header = append(t.header, tx.Or("metric_short."+m, tx.Metric(m)))
		}
		for _, ch := range channels {
			line := []string{tx.Or("channel."+ch, ch)}
			for _, m := range metrics {
				r := cells[cell{ch, m}] // a missing row shows as no data
				line = append(line, nf.value(r.Value, r.Unit))
			}
			t.rows = append(t.rows, line)
		}
	}
	return tableSection(tx.Get("report.section_channels"), tx.Get("report.empty_channels"), t)
}

// compareChannels orders channel names alphabetically with "unknown"
// last.
func compareChannels(a, b string) int {
	if (a == "unknown") != (b == "unknown") {
		if a == "unknown" {
			return 1
		}
		return -1
	}
	return cmp.Compare(a, b)
}

// qualitySection shows rows read, accepted, skipped and rejected per
// input table, with the most frequent rejection reasons; then, when there
// are any, why rows were skipped, which values outside a column's
// vocabulary were kept as its catch-all, and how many tickets differ from
// their helpdesk's own metrics, by reason.
func qualitySection(tables []TableQuality, recon []ReconcileCount, tx *templates.Text, nf numbers) section {
	t := &table{
		cols: []column{{1.7, false}, {1.7, true}, {1.7, true}, {1.7, true}, {1.7, true}, {3.8, false}},
		header: []string{tx.Get("column.table"), tx.Get("column.read"), tx.Get("column.accepted"),
			tx.Get("column.skipped"), tx.Get("column.rejected"), tx.Get("column.reasons")},
	}
	skips := &table{
		cols:   []column{{2, false}, {6.6, false}, {1.4, true}},
		header: []string{tx.Get("column.table"), tx.Get("column.skip_reason"), tx.Get("column.rows")},
	}
	unmapped := &table{
		cols: []column{{2, false}, {1.6, false}, {4, false}, {1.4, true}, {1.6, false}},
		header: []string{tx.Get("column.table"), tx.Get("column.column"), tx.Get("column.export_value"),
			tx.Get("column.rows"), tx.Get("column.kept_as")},
	}
	for _, q := range tables {
		name := tx.Or("table."+q.Table, q.Table)
		t.rows = append(t.rows, []string{name,
			nf.count(q.Read), nf.count(q.Accepted), nf.count(q.Skipped), nf.count(q.Rejected), reasonText(q.Reasons, tx, nf)})
		for _, r := range sortedReasons(q.SkipReasons) {
			skips.rows = append(skips.rows, []string{name, r.Reason, nf.count(r.N)})
		}
		for _, u := range q.Unmapped {
			for _, v := range u.Values {
				unmapped.rows = append(unmapped.rows, []string{name, u.Column, v.Value, nf.count(v.N), u.As})
			}
			if u.Others > 0 {
				unmapped.rows = append(unmapped.rows, []string{name, u.Column, tx.Get("report.other_values"), nf.count(u.Others), u.As})
			}
		}
	}
	s := tableSection(tx.Get("report.section_quality"), tx.Get("report.empty_quality"), t)
	if len(skips.rows) > 0 {
		s.blocks = append(s.blocks, together{subheading{tx.Get("report.skipped_title")}, note{tx.Get("report.skipped_note")}, skips})
	}
	if len(unmapped.rows) > 0 {
		s.blocks = append(s.blocks, together{subheading{tx.Get("report.unmapped_title")}, note{tx.Get("report.unmapped_note")}, unmapped})
	}
	if len(recon) > 0 {
		rt := &table{
			cols:   []column{{3.6, false}, {5, false}, {1.4, true}},
			header: []string{tx.Get("column.metric"), tx.Get("column.reconcile_reason"), tx.Get("column.tickets")},
		}
		for _, r := range recon {
			rt.rows = append(rt.rows, []string{tx.Or("metric."+r.Metric, r.Metric), r.Reason, nf.count(r.Tickets)})
		}
		s.blocks = append(s.blocks, together{subheading{tx.Get("report.reconcile_title")}, note{tx.Get("report.reconcile_note")}, rt})
	}
	return s
}

// together is blocks that start on the same page, such as a subheading,
// its note and the first rows of its table; the last may run on.
type together []block

func (t together) minHeight(d *doc) float64 {
	h := 0.0
	for _, b := range t {
		h += b.minHeight(d)
	}
	return h
}

func (t together) draw(d *doc) {
	for _, b := range t {
		b.draw(d)
	}
}

// sortedReasons returns the reasons most rows first, then by name.
func sortedReasons(rs []ReasonCount) []ReasonCount {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Reason, b.Reason))
	})
	return rs
}

// reasonText lists the most frequent rejection reasons of a table.
func reasonText(rs []ReasonCount, tx *templates.Text, nf numbers) string {
	reasons := sortedReasons(rs)
	if len(reasons) == 0 {
		return tx.Get("report.no_rejections")
	}
	text := ""
	for i, rc := range reasons[:min(len(reasons), topReasons)] {
		if i > 0 {
			text += "\n"
		}
		text += tx.Fill("report.reason", "reason", withExample(rc), "n", nf.count(rc.N))
	}
	if more := len(reasons) - topReasons; more > 0 {
		text += "\n" + tx.Fill("report.more_reasons", "n", nf.count(int64(more)))
	}
	return text
}

// widths returns the width of each column across the page.
func (t *table) widths() []float64 {
	total := 0.0
	for _, c := range t.cols {
		total += c.weight
	}
	w := make([]float64, len(t.cols))
	for i, c := range t.cols {
		w[i] = contentW * c.weight / total
	}
	return w
}

func (t *table) minHeight(d *doc) float64 {
	w := t.widths()
	h := t.rowHeight(d, w, t.header, true)
	if len(t.rows) > 0 {
		h += t.rowHeight(d, w, t.rows[0], false)
	}
	return h
}

// draw writes the rows under the header, repeating the header on every
// page the table spans. The last row and the footer never go to a page
// alone: when they would, the row before goes with them.
func (t *table) draw(d *doc) {
	w := t.widths()
	t.row(d, w, t.header, nil, true)
	foot := 0.0
	if t.footer != "" {
		foot = 3 + note{t.footer}.minHeight(d)
	}
	for i, cells := range t.rows {
		need := t.rowHeight(d, w, cells, false)
		switch {
		case i == len(t.rows)-1:
			need += foot
		case i > 0 && i == len(t.rows)-2:
			need += t.rowHeight(d, w, t.rows[i+1], false) + foot
		}
		if !d.room(need) {
			d.pdf.AddPage()
			t.row(d, w, t.header, nil, true)
		}
		var tones []tone
		if i < len(t.tones) {
			tones = t.tones[i]
		}
		t.row(d, w, cells, tones, false)
	}
	d.pdf.Ln(3)
	if t.footer != "" {
		note{t.footer}.draw(d)
	}
}

// lines splits the cells of a row into the lines that fit their widths,
// in the font of the row.
func (t *table) lines(d *doc, widths []float64, cells []string, header bool) [][]string {
	if header {
		d.setFont("B", 8.5)
	} else {
		d.setFont("", 8.5)
	}
	out := make([][]string, len(cells))
	for i, c := range cells {
		out[i] = d.wrap(c, widths[i]-2*cellPad)
	}
	return out
}

func (t *table) rowHeight(d *doc, widths []float64, cells []string, header bool) float64 {
	n := 1
	for _, l := range t.lines(d, widths, cells, header) {
		n = max(n, len(l))
	}
	return float64(n)*lineHeight + 2*cellPad
}

// row writes one table row at the current position.
func (t *table) row(d *doc, widths []float64, cells []string, tones []tone, header bool) {
	pdf := d.pdf
	h := t.rowHeight(d, widths, cells, header)
	lines := t.lines(d, widths, cells, header)
	x0, y := margin, pdf.GetY()
	if header {
		d.setFill(d.pal.header)
		pdf.Rect(x0, y, contentW, h, "F")
	}
	x := x0
	for i, cell := range lines {
		align := "L"
		if t.cols[i].right {
			align = "R"
		}
		color := d.pal.ink
		if i < len(tones) {
			color = d.pal.color(tones[i], true)
		}
		d.setText(color)
		for j, line := range cell {
			d.cell(x+cellPad, y+cellPad+float64(j)*lineHeight, widths[i]-2*cellPad, lineHeight, line, align)
		}
		x += widths[i]
	}
	d.setText(d.pal.ink)
	d.setDraw(d.pal.rule)
	pdf.SetLineWidth(0.2)
	pdf.Line(x0, y+h, x0+contentW, y+h)
	pdf.SetXY(x0, y+h)
}

// withExample puts the reason's example value in place of its first "…",
// cut to maxExample characters and made printable.
func withExample(rc ReasonCount) string {
	if rc.Example == "" || !strings.Contains(rc.Reason, `"…"`) {
		return rc.Reason
	}
	v := []rune(strings.ToValidUTF8(rc.Example, "\uFFFD"))
	for i, r := range v {
		if !unicode.IsPrint(r) {
			v[i] = '·'
		}
	}
	shown := string(v)
	if len(v) > maxExample {
		shown = string(v[:maxExample-1]) + "…"
	}
	return strings.Replace(rc.Reason, `"…"`, `"`+shown+`"`, 1)
}
