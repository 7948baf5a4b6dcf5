package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/alert"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/reports/mail"
	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

// A target missed is marked in kpis.parquet, listed in the manifest, put
// at the top of the report email and mailed on its own, end to end through
// a real SMTP server.
func TestAlertsEndToEnd(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(t, nil)
	cfg.Mail = &mail.Config{
		Host: "127.0.0.1", Port: srv.Port, Security: mail.SecurityNone,
		From: "cxkpi <kpi@example.com>", To: []string{"ops@example.com"}, Retries: -1,
	}
	cfg.Targets = []alert.Target{
		{Metric: "csat", Min: kpi.Some(85)},                       // October's 66.7% misses it
		{Metric: "first_reply_time_median", Max: kpi.Some(86400)}, // a day: met
	}
	cfg.Alerts = &AlertSettings{Rules: alert.Rules{TargetMissed: true}, Email: true}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Alerts) != 1 || sum.Alerts[0].Rule != alert.RuleTargetMissed || sum.Alerts[0].Metric != "csat" {
		t.Fatalf("alerts %+v, want the CSAT target missed", sum.Alerts)
	}

	// kpis.parquet: the October totals carry their targets.
	n, col := kpiColumns(t, filepath.Join(sum.Dir, KPIFile))
	start := col("period_start").(*array.Timestamp)
	metric, dim := col("metric").(*array.String), col("dimension").(*array.String)
	target, ok := col("target").(*array.Float64), col("target_met").(*array.Boolean)
	met := map[string]string{}
	for i := range n {
		if dim.Value(i) != "all" || int64(start.Value(i)) != sum.PeriodStart.UnixMicro() {
			continue
		}
		switch {
		case target.IsValid(i) && ok.IsValid(i):
			met[metric.Value(i)] = map[bool]string{true: "met", false: "missed"}[ok.Value(i)]
		case target.IsValid(i) != ok.IsValid(i):
			t.Errorf("%s: target and target_met not both set", metric.Value(i))
		}
	}
	if met["csat"] != "missed" || met["first_reply_time_median"] != "met" || len(met) != 2 {
		t.Errorf("targets in kpis.parquet: %v, want csat missed and first_reply_time_median met only", met)
	}

	// The manifest lists the alert and both deliveries.
	var m struct {
		Alerts        []alert.Alert `json:"alerts"`
		AlertDelivery *Delivery     `json:"alert_delivery"`
	}
	b, err := os.ReadFile(filepath.Join(sum.Dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Alerts) != 1 || m.AlertDelivery == nil || !m.AlertDelivery.Sent {
		t.Errorf("manifest alerts %+v, alert delivery %+v", m.Alerts, m.AlertDelivery)
	}

	msgs := srv.Deliveries()
	if len(msgs) != 2 {
		t.Fatalf("server received %d messages, want the report and the alert", len(msgs))
	}
	report, alertMail := mailtest.Parse(t, msgs[0].Data), mailtest.Parse(t, msgs[1].Data)
	line := "Customer satisfaction (CSAT): 66.7%, target ≥ 85.0%"
	if !strings.HasPrefix(strings.ReplaceAll(report.Text, "\r\n", "\n"), "Alerts\n- "+line) {
		t.Errorf("the report email does not start with the alert:\n%s", report.Text)
	}
	if !strings.HasPrefix(alertMail.Subject, "Alert: ") || !strings.Contains(alertMail.Subject, "1 alerts") {
		t.Errorf("alert subject %q", alertMail.Subject)
	}
	if !strings.Contains(alertMail.Text, "- "+line) || alertMail.Attachment(ReportFile) != nil {
		t.Errorf("alert mail, want the line and no attachment:\n%s", alertMail.Text)
	}
}

// Without targets, the default rules still raise the sample's significant
// CSAT drop; with no email asked for, only the report is mailed.
func TestDefaultAlertsNoAlertMail(t *testing.T) {
	cfg := testConfig(t, nil)
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, a := range sum.Alerts {
		rules = append(rules, a.Rule+" "+a.Metric)
	}
	found := false
	for _, r := range rules {
		found = found || r == alert.RuleDeterioration+" csat"
	}
	if !found {
		t.Errorf("alerts %v, want the significant CSAT deterioration", rules)
	}
}
