package reports

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// TestRenderPDFCharts checks that every chart section shows its charts,
// by their titles, on the section's own page.
func TestRenderPDFCharts(t *testing.T) {
	pages := pdfPages(t, render(t, sampleReport(), PDFOptions{}))
	tests := []struct {
		section string
		titles  []string
	}{
		{"KPI trends", []string{"Customer satisfaction (CSAT)", "Net Promoter Score (NPS)", "Customer effort score (CES)",
			"Median first reply and resolution time", "Tickets created", "Retention and churn", "The last 12 periods, Mar 2023 to Feb 2024."}},
		{"Channel mix", []string{"Tickets by channel and period", "Tickets by channel, Feb 2024", "CSAT by channel", "NPS by channel", "CES by channel"}},
		{"NPS breakdown", []string{"Share of NPS answers by period", "Share of NPS answers by channel, Feb 2024", "Promoters", "Passives", "Detractors"}},
		{"Reply and resolution times", []string{"First reply time by channel, Feb 2024", "Resolution time by channel, Feb 2024", "Median", "90th percentile", "All channels"}},
	}
	for _, tc := range tests {
		t.Run(tc.section, func(t *testing.T) {
			p := pageOf(pages, tc.section)
			if p == 0 {
				t.Fatalf("section %q not found", tc.section)
			}
			for _, title := range tc.titles {
				if !slices.Contains(pages[p-1], title) {
					t.Errorf("page %d lacks %q", p, title)
				}
			}
		})
	}

	// Data labels: the last CSAT value of the trend, ticket counts with
	// their share, durations per channel.
	trends := pages[pageOf(pages, "KPI trends")-1]
	if !slices.Contains(trends, "80.0%") {
		t.Errorf("CSAT trend lacks its last value 80.0%%: %q", trends)
	}
	mix := pages[pageOf(pages, "Channel mix")-1]
	mix = mix[slices.Index(mix, "Tickets by channel, Feb 2024"):]
	if got := after(mix, "Email", 1); !slices.Equal(got, []string{"92 (21.9%)"}) {
		t.Errorf("tickets of email: got %q, want the count and share", got)
	}
	times := pages[pageOf(pages, "Reply and resolution times")-1]
	if !slices.Contains(times, "2h 30m") || !slices.Contains(times, "hours") {
		t.Errorf("times lack the median of all channels or the axis unit: %q", times)
	}
}

// TestRenderPDFNoData checks that missing values say "no data", never 0:
// in tiles, in charts and in tables.
func TestRenderPDFNoData(t *testing.T) {
	pages := pdfPages(t, render(t, fixtureReport(), PDFOptions{}))
	summary := pages[pageOf(pages, "Executive summary")-1]
	if got := after(summary, "Net Promoter Score (NPS)", 2); !slices.Equal(got, []string{"no data", "–"}) {
		t.Errorf("NPS tile shows %q, want no data and no change", got)
	}
	for _, s := range summary {
		if s == "0" || s == "0.0" {
			t.Errorf("summary shows %q", s)
		}
	}

	// The sample's phone channel has no NPS in February: its stack of
	// answers and its bar say so.
	pages = pdfPages(t, render(t, sampleReport(), PDFOptions{}))
	nps := pages[pageOf(pages, "NPS breakdown")-1]
	if got := after(nps, "Phone", 1); !slices.Equal(got, []string{"no data"}) {
		t.Errorf("NPS split of phone: got %q, want no data", got)
	}
	// CES of July 2023 is missing: the trend breaks rather than drops to
	// 0, so no tick or label reads 0 on a score axis that starts above it.
	trends := pages[pageOf(pages, "KPI trends")-1]
	if got := after(trends, "Customer effort score (CES)", 2); len(got) < 2 || got[1] == "0" || got[1] == "0.0" {
		t.Errorf("CES chart starts %q", got)
	}
}

// TestRenderPDFCohorts checks the heatmap of the latest twelve cohorts
// and the line shown instead when there are none.
func TestRenderPDFCohorts(t *testing.T) {
	pages := pdfPages(t, render(t, sampleReport(), PDFOptions{}))
	p := pages[pageOf(pages, "Cohort retention")-1]
	for _, want := range []string{"Share of each cohort's customers retained, by periods since acquisition",
		"Periods since acquisition", "Cohort", "Customers", "Mar 2023", "Feb 2024", "The latest 12 of 14 cohorts.", "no data"} {
		if !slices.Contains(p, want) {
			t.Errorf("cohort page lacks %q", want)
		}
	}
	for _, old := range []string{"Jan 2023", "Feb 2023"} {
		if slices.Contains(p, old) {
			t.Errorf("cohort %s shown; only the latest 12 should be", old)
		}
	}
	// Column headers 0 … 11, and the first cohort's row: size, then
	// retention by period.
	if got := after(p, "Customers", 12); !slices.Equal(got, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}) {
		t.Errorf("period columns %q", got)
	}
	if got := after(p, "Mar 2023", 4); !slices.Equal(got, []string{"154", "100%", "53%", "45%"}) {
		t.Errorf("cohort Mar 2023: got %q", got)
	}
	// June 2023 has no customers: its size is 0 and its cells have no
	// percentage.
	if got := after(p, "Jun 2023", 2); !slices.Equal(got, []string{"0", "Jul 2023"}) {
		t.Errorf("cohort without customers: got %q, want size 0 and no cells", got)
	}
	revenue := slices.Index(p, "Net revenue retention: revenue as a share of the cohort's first period's, by periods since acquisition")
	if revenue < 0 {
		t.Fatalf("cohort page lacks the revenue retention heatmap: %q", p)
	}
	if n := count(p[:revenue], "100%"); n != 11+1 { // 11 cohorts with customers, and the scale
		t.Errorf("%d cells of 100%%, want 11 and the legend", n)
	}
	// Revenue retention: May 2023 (every fourth cohort from January)
	// grows past its first period, 1.5 × (0.35 + 0.9/2) = 120% in period
	// 1; the colour scale stops at 100%, the number does not.
	rev := p[revenue:]
	if got := after(rev, "May 2023", 3); !slices.Equal(got, []string{"108", "100%", "120%"}) {
		t.Errorf("revenue retention of May 2023: got %q", got)
	}
	if !slices.ContainsFunc(rev, func(s string) bool { return strings.HasPrefix(s, "Above 100% a cohort spends more") }) {
		t.Errorf("revenue retention heatmap lacks its note: %q", rev)
	}

	r := sampleReport()
	r.Cohorts = nil
	pages = pdfPages(t, render(t, r, PDFOptions{}))
	p = pages[pageOf(pages, "Cohort retention")-1]
	if got := after(p, "Cohort retention", 1); !slices.Equal(got, []string{"No cohort data for this report."}) {
		t.Errorf("empty cohort section shows %q", got)
	}
	if slices.Contains(slices.Concat(pages...), "Periods since acquisition") {
		t.Error("heatmap drawn without cohorts")
	}
}

func count(texts []string, s string) int {
	n := 0
	for _, t := range texts {
		if t == s {
			n++
		}
	}
	return n
}

// TestRenderPDFCLV checks the chart of segments, the customers at risk
// (most valuable first, the rest counted) and the empty section.
func TestRenderPDFCLV(t *testing.T) {
	pages := pdfPages(t, render(t, sampleReport(), PDFOptions{}))
	p := pages[pageOf(pages, "Customer lifetime value")-1]
	for i := range 10 {
		if !slices.Contains(p, fmt.Sprintf("D%d", i+1)) {
			t.Errorf("segment D%d missing", i+1)
		}
	}
	for _, want := range []string{"Mean customer lifetime value by segment", "Mean CLV", "Segment at risk",
		"120 customers", "1,245 customers with a total lifetime value of 731,831.49.",
		"Valuable customers at risk", "Customer", "Lifetime value", "Probability active", "… and 3 more"} {
		if !slices.Contains(p, want) {
			t.Errorf("CLV page lacks %q", want)
		}
	}
	// The table lists the 15 most valuable customers at risk, in order.
	risk := fixtureAtRisk()
	slices.SortFunc(risk, func(a, b AtRiskCustomer) int { return int(b.CLV - a.CLV) })
	if got := after(p, "Probability active", 3); !slices.Equal(got, []string{risk[0].ID, "4,419.00", "9.0%"}) {
		t.Errorf("first customer at risk: got %q", got)
	}
	if slices.Contains(p, risk[15].ID) {
		t.Errorf("customer %s listed beyond the first 15", risk[15].ID)
	}

	// Customers at risk without segments: the table, no chart.
	r := sampleReport()
	r.CLV = nil
	pages = pdfPages(t, render(t, r, PDFOptions{}))
	p = pages[pageOf(pages, "Customer lifetime value")-1]
	if slices.Contains(p, "Mean customer lifetime value by segment") || !slices.Contains(p, risk[0].ID) {
		t.Errorf("CLV without segments: %q", p)
	}

	r.AtRisk = nil
	pages = pdfPages(t, render(t, r, PDFOptions{}))
	p = pages[pageOf(pages, "Customer lifetime value")-1]
	if got := after(p, "Customer lifetime value", 1); !slices.Equal(got, []string{"No customer lifetime value data for this report."}) {
		t.Errorf("empty CLV section shows %q", got)
	}
}

// TestRenderPDFSummaryTiles checks the tiles: one per headline metric
// the table has, in order, with value, change and observations.
func TestRenderPDFSummaryTiles(t *testing.T) {
	pages := pdfPages(t, render(t, sampleReport(), PDFOptions{}))
	p := pages[pageOf(pages, "Executive summary")-1]
	tiles := []struct {
		label string
		want  []string // value, change
	}{
		{"Customer satisfaction (CSAT)", []string{"80.0%", "+7.0 pp"}},
		{"Net Promoter Score (NPS)", []string{"21.0", "-6.0"}},
		{"Customer effort score (CES)", []string{"4.90", "+0.10"}},
		{"First reply time, median", []string{"2h 30m", "+15m 0s"}},
		{"Resolution time, median", []string{"17h 10m", "-1h 10m"}},
		{"Customer retention rate", []string{"97.6%", "+0.8 pp"}},
		{"Churn rate", []string{"2.4%", "-0.8 pp"}},
		{"Lifetime revenue per customer (basic CLV)", []string{"7,400.00", "+350.00"}},
	}
	last := -1
	for _, tc := range tiles {
		i := slices.Index(p, tc.label)
		if i <= last {
			t.Errorf("tile %q at %d, want after %d", tc.label, i, last)
		}
		last = i
		if got := after(p, tc.label, 2); !slices.Equal(got, tc.want) {
			t.Errorf("tile %q: got %q, want %q", tc.label, got, tc.want)
		}
	}
	if n := count(p, "vs previous period"); n != len(tiles) {
		t.Errorf("%d tiles, want %d", n, len(tiles))
	}
	if !slices.Contains(p, "n = "+strconv.Itoa(150)) {
		t.Error("CSAT tile lacks its observations")
	}
}

// TestRenderPDFOddText checks text the font or gofpdf cannot show as is:
// invalid UTF-8, runes beyond the Basic Multilingual Plane, and names
// too long for their place, which are cut with an ellipsis.
func TestRenderPDFOddText(t *testing.T) {
	r := sampleReport()
	r.Company = "Ünïcødé 😀 Holdings International Group of Extremely Long Company Names Worldwide Ltd."
	r.Title = "Quarterly report \xff " + strings.Repeat("with a title that goes on ", 6)
	r.KPIs = append(r.KPIs, row(feb, "csat", "%", "channel", "carrier_pigeon_with_a_very_long_name", kpi.Some(50), 2))
	a := render(t, r, PDFOptions{})
	if b := render(t, r, PDFOptions{}); !bytes.Equal(a, b) {
		t.Error("the same report gave different bytes")
	}
	all := slices.Concat(pdfPages(t, a)...)
	var clipped, replaced bool
	for _, s := range all {
		clipped = clipped || (strings.HasSuffix(s, "…") && strings.HasPrefix(s, "carrier_pigeon"))
		replaced = replaced || strings.Contains(s, "Ünïcødé \uFFFD Holdings")
	}
	if !clipped {
		t.Error("long channel name not cut to its label column")
	}
	if !replaced {
		t.Error("rune beyond the BMP not replaced by U+FFFD")
	}
}
