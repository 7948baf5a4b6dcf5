package mail_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/cxkpi/cxkpi/reports/mail"
)

// A nightly job reads the password from a secret file, sends the PDF with
// a short summary, and records a failure without losing the report, which
// stays on disk.
func ExampleSend() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	password, err := mail.PasswordFrom("", "/run/secrets/smtp-password")
	if err != nil {
		log.Error("email not sent", slog.Any("error", err))
		return
	}
	pdf, err := os.ReadFile("out/2024-06/report.pdf")
	if err != nil {
		log.Error("email not sent", slog.Any("error", err))
		return
	}
	cfg := mail.Config{
		Host:          "smtp.example.com", // STARTTLS on port 587
		Username:      "kpi-bot",
		Password:      password,
		From:          "KPI Bot <kpi@example.com>",
		To:            []string{"cx-leads@example.com"},
		SubjectPrefix: "[cxkpi] ",
		Timeout:       time.Minute,
	}
	res, err := mail.Send(ctx, cfg, mail.Message{
		Subject:     "Customer experience KPIs, June 2024",
		Text:        "NPS 42 (+3), CSAT 4.6, first response 1h12m.\n",
		HTML:        "<p>NPS <b>42</b> (+3), CSAT 4.6, first response 1h12m.</p>",
		Attachments: []mail.Attachment{{Name: "report.pdf", ContentType: "application/pdf", Data: pdf}},
	}, log)
	if err != nil {
		log.Error("email not sent; the report is in out/2024-06", slog.Int("attempts", res.Attempts), slog.Any("error", err))
		return
	}
	log.Info("report emailed", slog.String("message_id", res.MessageID))
}
