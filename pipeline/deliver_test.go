package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/reports/mail"
	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

func TestRunEmailsTheReport(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(t, nil)
	cfg.Mail = &mail.Config{
		Host: "127.0.0.1", Port: srv.Port, Security: mail.SecurityNone,
		From: "cxkpi <kpi@example.com>", To: []string{"ops@example.com"}, Cc: []string{"vp@example.com"},
		Retries: -1,
	}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivery == nil || !sum.Delivery.Sent || sum.Delivery.Attempts != 1 {
		t.Fatalf("delivery = %+v, want sent in 1 attempt", sum.Delivery)
	}
	msgs := srv.Deliveries()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "kpi@example.com" || strings.Join(got.Rcpt, ",") != "ops@example.com,vp@example.com" {
		t.Errorf("envelope from %q to %v", got.From, got.Rcpt)
	}
	p := mailtest.Parse(t, got.Data)
	if p.Subject != "Customer experience report: October 2026" {
		t.Errorf("subject = %q", p.Subject)
	}
	pdf, err := os.ReadFile(filepath.Join(sum.Dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Attachment(ReportFile); a == nil || !bytes.Equal(a.Data, pdf) {
		t.Errorf("attachment %s is not report.pdf (%d bytes)", ReportFile, len(pdf))
	}
	// The summary's CSAT is the KPI table's, formatted as in the report.
	var csat *float64
	for _, r := range readKPIs(t, filepath.Join(sum.Dir, KPIFile)) {
		if r.metric == "csat" && r.dimension == "all" && r.period.Equal(sum.PeriodStart) {
			csat = r.value
		}
	}
	if csat == nil {
		t.Fatal("no October CSAT in the KPIs")
	}
	want := strconv.FormatFloat(*csat, 'f', 1, 64) + "%"
	if text := p.Text; !strings.Contains(text, "Customer satisfaction (CSAT)") || !strings.Contains(text, want) {
		t.Errorf("text part lacks CSAT %s:\n%s", want, text)
	}
	if html := p.HTML; !strings.Contains(html, want) {
		t.Errorf("HTML part lacks CSAT %s", want)
	}
}

// A delivery failure keeps the outputs, records the failure and fails the
// run.
func TestRunDeliveryFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	cfg := testConfig(t, nil)
	cfg.Mail = &mail.Config{Host: "127.0.0.1", Port: port, Security: mail.SecurityNone,
		From: "kpi@example.com", To: []string{"ops@example.com"}, Retries: 1, Backoff: time.Millisecond, Timeout: 5 * time.Second}
	sum, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrDelivery) {
		t.Fatalf("err = %v, want ErrDelivery", err)
	}
	b, err := os.ReadFile(filepath.Join(sum.Dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Delivery == nil || back.Delivery.Sent || back.Delivery.Attempts != 2 || back.Delivery.Error == "" {
		t.Errorf("summary delivery = %+v, want unsent after 2 attempts with the error", back.Delivery)
	}
	if _, err := os.Stat(filepath.Join(sum.Dir, ReportFile)); err != nil {
		t.Errorf("the report is gone after a failed delivery: %v", err)
	}
}
