package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cxkpi/cxkpi/reports/mail"
	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

// csatDrop writes n CSAT answers in September, 80% satisfied, and n in
// October, 60% satisfied: the same drop of 20 points at any n.
func csatDrop(n int) fstest.MapFS {
	var b strings.Builder
	b.WriteString("response_id,customer_id,ticket_id,kind,score,scale_min,scale_max,responded_at\n")
	for i := range n {
		for _, m := range []struct {
			month     string
			satisfied int
		}{{"09", n * 8 / 10}, {"10", n * 6 / 10}} {
			score := 2
			if i < m.satisfied {
				score = 5
			}
			fmt.Fprintf(&b, "S%s-%d,c%d,,csat,%d,1,5,2026-%s-%02dT10:00:00Z\n", m.month, i, i, score, m.month, 1+i%28)
		}
	}
	return fstest.MapFS{"surveys.csv": {Data: []byte(b.String())}}
}

// The same 20-point CSAT drop is significant on 200 answers a month and
// not on 10: the email received over SMTP colours the first only, and
// marks the second "n < 30", as the PDF does.
func TestOnlySignificantChangesAreColoured(t *testing.T) {
	red := "color:#c62828"
	for _, tc := range []struct {
		n          int
		coloured   bool
		lowNMarked bool
	}{
		{200, true, false},
		{10, false, true},
	} {
		t.Run(fmt.Sprintf("n=%d", tc.n), func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{})
			cfg := testConfig(t, csatDrop(tc.n))
			cfg.Mail = &mail.Config{Host: "127.0.0.1", Port: srv.Port, Security: mail.SecurityNone,
				From: "cxkpi <kpi@example.com>", To: []string{"ops@example.com"}, Retries: -1}
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			msgs := srv.Deliveries()
			if len(msgs) != 1 {
				t.Fatalf("%d messages received, want 1", len(msgs))
			}
			p := mailtest.Parse(t, msgs[0].Data)
			row := regexp.MustCompile(`<tr><td>Customer satisfaction \(CSAT\)</td>.*?</tr>`).FindString(p.HTML)
			if row == "" {
				t.Fatalf("no CSAT row in the HTML:\n%s", p.HTML)
			}
			if strings.Contains(row, red) != tc.coloured {
				t.Errorf("CSAT row %q: coloured %v, want %v", row, !tc.coloured, tc.coloured)
			}
			if strings.Contains(row, "&lt; 30") != tc.lowNMarked {
				t.Errorf("CSAT row %q: marked n < 30 %v, want %v", row, !tc.lowNMarked, tc.lowNMarked)
			}
			if !strings.Contains(row, "-20.0 pp") {
				t.Errorf("CSAT row %q lacks the drop of 20 points", row)
			}
			if text := pdfText(t, filepath.Join(sum.Dir, ReportFile)); text != "" {
				if got := strings.Contains(text, "10 < 30"); got != tc.lowNMarked {
					t.Errorf("PDF marks n < 30: %v, want %v", got, tc.lowNMarked)
				}
			}
		})
	}
}
