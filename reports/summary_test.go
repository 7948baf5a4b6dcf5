package reports

import (
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	r := Report{
		Title: "Support <KPIs>", Grain: "month", PeriodStart: feb, PeriodEnd: mar,
		Generated: time.Date(2024, 3, 2, 6, 0, 0, 0, time.UTC), KPIs: fixtureRows(),
		Quality: []TableQuality{{Table: "tickets", Read: 10, Accepted: 7, Rejected: 3}},
	}
	s, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	if s.Subject != "Support <KPIs>: February 2024" {
		t.Errorf("subject = %q", s.Subject)
	}
	for _, want := range []string{
		"February 2024",
		"82.5%",   // CSAT 33 / 40, February
		"+2.5 pp", // from 80 % in January
		"no data", // NPS has no February value
		"5.25",    // CES
		"45m",     // median first reply 2700 s
		"3 input rows were rejected",
	} {
		if !strings.Contains(s.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, s.Text)
		}
	}
	if strings.Contains(s.Text, "brand_new_metric") || strings.Contains(s.Text, "1,234") {
		t.Errorf("text shows metrics outside the headline list:\n%s", s.Text)
	}
	if !strings.Contains(s.HTML, "82.5%") || strings.Contains(s.HTML, "<KPIs>") {
		t.Errorf("HTML lacks the values or is not escaped:\n%s", s.HTML)
	}
}
