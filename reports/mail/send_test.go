package mail

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

const testPassword = "s3cr3t-Pa55w0rd-xyzzy"

// testConfig addresses the test server in plain text.
func testConfig(ts *mailtest.Server) Config {
	return Config{
		Host:          ts.Host,
		Port:          ts.Port,
		Security:      SecurityNone,
		From:          "KPI Bot <kpi@cxkpi.test>",
		To:            []string{"Ops Lead <lead@cxkpi.test>", "cx-team@cxkpi.test"},
		Cc:            []string{"\"Finance, EMEA\" <finance@cxkpi.test>"},
		SubjectPrefix: "[cxkpi] ",
		Timeout:       5 * time.Second,
		Backoff:       time.Millisecond,
	}
}

// testMessage has non-ASCII text, long lines and binary attachments.
func testMessage(t *testing.T) Message {
	t.Helper()
	pdf := make([]byte, 150_000)
	if _, err := rand.Read(pdf); err != nil {
		t.Fatal(err)
	}
	copy(pdf, "%PDF-1.4\r\n.\r\n") // a dot line must survive SMTP dot-stuffing
	return Message{
		Subject: "Nightly KPI report — 2024-06-01 (NPS ↑ 3 pts, CSAT 4.6/5)",
		Text: "Headline KPIs for 2024-06-01\r\n\r\n" +
			"NPS: 42 (+3)   CSAT: 4.6   First response: 1h12m   Resolution rate: 93.4 %   Revenue: 12 345 €\r\n" +
			".\r\nSee report.pdf.\r\n",
		HTML: "<html><body><h1>Headline KPIs</h1><p>NPS <b>42</b> (+3) &middot; revenue 12&nbsp;345&nbsp;€</p></body></html>",
		Attachments: []Attachment{
			{Name: "report.pdf", ContentType: "application/pdf", Data: pdf},
			{Name: "kpi.csv", Data: []byte("metric,value\nnps,42\ncsat,4.6\n")},
		},
	}
}

// addrs returns the bare addresses of list.
func addrs(t *testing.T, list ...string) []string {
	t.Helper()
	var out []string
	for _, s := range list {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		out = append(out, a.Address)
	}
	return out
}

// checkDelivery checks that d is msg as sent with cfg: envelope, headers,
// both bodies and every attachment byte for byte.
func checkDelivery(t *testing.T, d mailtest.Delivery, cfg Config, msg Message, res Result) {
	t.Helper()
	if want := addrs(t, cfg.From)[0]; d.From != want {
		t.Errorf("envelope sender: got %q, want %q", d.From, want)
	}
	if want := addrs(t, append(slices.Clone(cfg.To), cfg.Cc...)...); !slices.Equal(d.Rcpt, want) {
		t.Errorf("envelope recipients: got %q, want %q", d.Rcpt, want)
	}
	p := mailtest.Parse(t, d.Data)
	if want := cfg.SubjectPrefix + msg.Subject; p.Subject != want {
		t.Errorf("Subject: got %q, want %q", p.Subject, want)
	}
	for _, h := range []struct {
		name string
		want []string
	}{{"From", []string{cfg.From}}, {"To", cfg.To}, {"Cc", cfg.Cc}} {
		got, err := p.Header.AddressList(h.name)
		if err != nil && len(h.want) > 0 {
			t.Errorf("%s header: %v", h.name, err)
			continue
		}
		var gotAddrs []string
		for _, a := range got {
			gotAddrs = append(gotAddrs, a.Address)
		}
		if want := addrs(t, h.want...); !slices.Equal(gotAddrs, want) {
			t.Errorf("%s header: got %q, want %q", h.name, gotAddrs, want)
		}
	}
	if got := p.Header.Get("Bcc"); got != "" {
		t.Errorf("Bcc header: got %q, want none", got)
	}
	if got := p.Header.Get("Message-Id"); got != res.MessageID || got == "" {
		t.Errorf("Message-ID header: got %q, want %q", got, res.MessageID)
	}
	if p.SinglePart {
		p.Text, msg.Text = trimCRLF(p.Text), trimCRLF(msg.Text)
		p.HTML, msg.HTML = trimCRLF(p.HTML), trimCRLF(msg.HTML)
	}
	if p.Text != msg.Text {
		t.Errorf("text part:\ngot  %q\nwant %q", p.Text, msg.Text)
	}
	if p.HTML != msg.HTML {
		t.Errorf("HTML part:\ngot  %q\nwant %q", p.HTML, msg.HTML)
	}
	if len(p.Attachments) != len(msg.Attachments) {
		t.Fatalf("attachments: got %d, want %d", len(p.Attachments), len(msg.Attachments))
	}
	for i, want := range msg.Attachments {
		got := p.Attachments[i]
		if got.Name != want.Name {
			t.Errorf("attachment %d name: got %q, want %q", i, got.Name, want.Name)
		}
		if want.ContentType != "" && got.ContentType != want.ContentType {
			t.Errorf("attachment %s content type: got %q, want %q", want.Name, got.ContentType, want.ContentType)
		}
		if !bytes.Equal(got.Data, want.Data) {
			t.Errorf("attachment %s: got %d bytes, want %d bytes, equal=false", want.Name, len(got.Data), len(want.Data))
		}
	}
}

func trimCRLF(s string) string { return strings.TrimSuffix(s, "\r\n") }

// onlyDelivery returns the one message ts accepted.
func onlyDelivery(t *testing.T, ts *mailtest.Server) mailtest.Delivery {
	t.Helper()
	ds := ts.Deliveries()
	if len(ds) != 1 {
		t.Fatalf("server accepted %d messages, want 1", len(ds))
	}
	return ds[0]
}

func TestSendPlainLoopback(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(ts)
	msg := testMessage(t)

	res, err := Send(t.Context(), cfg, msg, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Attempts != 1 {
		t.Errorf("Attempts: got %d, want 1", res.Attempts)
	}
	if !strings.HasPrefix(res.MessageID, "<") || !strings.HasSuffix(res.MessageID, "@cxkpi.test>") {
		t.Errorf("MessageID: got %q, want <...@cxkpi.test>", res.MessageID)
	}
	d := onlyDelivery(t, ts)
	if d.TLS {
		t.Errorf("connection encrypted with Security %q", SecurityNone)
	}
	checkDelivery(t, d, cfg, msg, res)
}

// The message's Date header and Message-ID come from the configured clock.
func TestSendDatesWithTheClock(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(ts)
	at := time.Date(2026, 11, 1, 6, 30, 0, 0, time.FixedZone("WET", 0))
	cfg.Now = func() time.Time { return at }
	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := mailtest.Parse(t, onlyDelivery(t, ts).Data)
	got, err := p.Header.Date()
	if err != nil {
		t.Fatalf("Date header %q: %v", p.Header.Get("Date"), err)
	}
	if !got.Equal(at) {
		t.Errorf("Date: got %v, want %v", got, at)
	}
	if want := fmt.Sprintf("<%d.", at.UnixNano()); !strings.HasPrefix(res.MessageID, want) {
		t.Errorf("MessageID %q does not start with the clock's %s", res.MessageID, want)
	}
}

type bodyCase struct {
	name       string
	text, html string
	attach     bool
}

var bodyCases = []bodyCase{
	{name: "text only", text: "NPS 42\r\n"},
	{name: "html only", html: "<p>NPS 42</p>"},
	{name: "text and html, no attachment", text: "NPS 42\r\n", html: "<p>NPS 42</p>"},
	{name: "text only with attachment", text: "NPS 42\r\n", attach: true},
}

func TestSendBodies(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(ts)
	for _, tc := range bodyCases {
		t.Run(tc.name, func(t *testing.T) {
			msg := Message{Subject: tc.name, Text: tc.text, HTML: tc.html}
			if tc.attach {
				msg.Attachments = []Attachment{{Name: "report.pdf", Data: []byte("%PDF-1.4 tiny")}}
			}
			before := len(ts.Deliveries())
			res, err := Send(t.Context(), cfg, msg, nil)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			ds := ts.Deliveries()
			if len(ds) != before+1 {
				t.Fatalf("server holds %d messages, want %d", len(ds), before+1)
			}
			checkDelivery(t, ds[len(ds)-1], cfg, msg, res)
		})
	}
}

func TestSendStartTLSWithAuth(t *testing.T) {
	serverTLS, pool := mailtest.SelfSigned(t)
	ts := mailtest.Start(t, mailtest.Options{StartTLS: serverTLS, User: "kpi-bot", Pass: testPassword})
	cfg := testConfig(ts)
	cfg.Security = "" // STARTTLS is the default
	cfg.Username, cfg.Password = "kpi-bot", testPassword
	cfg.TLSConfig = &tls.Config{RootCAs: pool}
	msg := testMessage(t)

	res, err := Send(t.Context(), cfg, msg, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := onlyDelivery(t, ts)
	if !d.TLS {
		t.Error("message sent without STARTTLS")
	}
	if d.User != "kpi-bot" {
		t.Errorf("authenticated user: got %q, want %q", d.User, "kpi-bot")
	}
	checkDelivery(t, d, cfg, msg, res)
}

func TestSendImplicitTLS(t *testing.T) {
	serverTLS, pool := mailtest.SelfSigned(t)
	ts := mailtest.Start(t, mailtest.Options{ImplicitTLS: serverTLS, User: "kpi-bot", Pass: testPassword})
	cfg := testConfig(ts)
	cfg.Security = SecurityTLS
	cfg.Username, cfg.Password = "kpi-bot", testPassword
	cfg.TLSConfig = &tls.Config{RootCAs: pool}
	msg := testMessage(t)

	res, err := Send(t.Context(), cfg, msg, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := onlyDelivery(t, ts)
	if !d.TLS || d.User != "kpi-bot" {
		t.Errorf("got TLS=%v user=%q, want TLS=true user=%q", d.TLS, d.User, "kpi-bot")
	}
	checkDelivery(t, d, cfg, msg, res)
}

// retryNotifier is a slog handler that reports each "retrying" record,
// which Send logs just before it waits.
// silentServer accepts connections and never answers; it counts them.
type messageCase struct {
	name   string
	edit   func(*Message)
	reason string
}

var invalidMessageCases = []messageCase{
	{"empty subject", func(m *Message) { m.Subject = " " }, "Subject"},
	{"subject with line break", func(m *Message) { m.Subject = "KPIs\r\nBcc: x@evil.test" }, "Subject"},
	{"no body", func(m *Message) { m.Text, m.HTML = "", "" }, "Text"},
	{"attachment without name", func(m *Message) { m.Attachments[0].Name = "" }, "Attachments[0]"},
	{"attachment with a path", func(m *Message) { m.Attachments[1].Name = "../kpi.csv" }, "Attachments[1]"},
	{"attachment without data", func(m *Message) { m.Attachments[0].Data = nil }, "Attachments[0]"},
	{"duplicate attachment names", func(m *Message) { m.Attachments[1].Name = "report.pdf" }, "Attachments[1]"},
	{"bad content type", func(m *Message) { m.Attachments[1].ContentType = "text/" }, "Attachments[1]"},
}

func TestSendRejectsInvalidMessage(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{})
	cfg := testConfig(ts)
	for _, tc := range invalidMessageCases {
		t.Run(tc.name, func(t *testing.T) {
			msg := testMessage(t)
			tc.edit(&msg)
			res, err := Send(t.Context(), cfg, msg, nil)
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Send: got %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not name %s", err, tc.reason)
			}
			if res.Attempts != 0 {
				t.Errorf("Attempts: got %d, want 0", res.Attempts)
			}
		})
	}
	if ts.Mails() != 0 {
		t.Errorf("server saw %d transactions for invalid messages, want 0", ts.Mails())
	}
}

func TestSendRejectsInvalidConfig(t *testing.T) {
	cfg := Config{Host: "smtp.example.com", Security: SecurityNone, From: "kpi@example.com", To: []string{"a@example.com"}}
	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "Security" || res.Attempts != 0 {
		t.Errorf("Send: got %v after %d attempts, want a Security ConfigError before any attempt", err, res.Attempts)
	}
}

// TestPasswordNeverLogged drives every path that logs — success after
// retries, permanent failure, authentication failure — at debug level and
// prints the config every way a caller might, then looks for the password.
func TestPasswordNeverLogged(t *testing.T) {
	serverTLS, pool := mailtest.SelfSigned(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	flaky := mailtest.Start(t, mailtest.Options{StartTLS: serverTLS, User: "kpi-bot", Pass: testPassword,
		Reject: func(stage string, n int) error {
			if stage == "mail" && n == 1 {
				return mailtest.Reply(451, "try again")
			}
			return nil
		}})
	cfg := testConfig(flaky)
	cfg.Security = SecurityStartTLS
	cfg.Username, cfg.Password = "kpi-bot", testPassword
	cfg.TLSConfig = &tls.Config{RootCAs: pool}
	if _, err := Send(t.Context(), cfg, testMessage(t), log); err != nil {
		t.Fatalf("Send: %v", err)
	}

	wrong := mailtest.Start(t, mailtest.Options{StartTLS: serverTLS, User: "kpi-bot", Pass: "other"})
	cfg2 := cfg
	cfg2.Host, cfg2.Port = wrong.Host, wrong.Port
	_, err := Send(t.Context(), cfg2, testMessage(t), log)
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	log.Info("config", slog.Any("smtp", cfg), slog.Any("error", err))
	fmt.Fprintf(&logs, "%v %+v %#v %s", cfg, cfg, cfg, cfg)

	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("password appears in the log:\n%s", logs.String())
	}
	for _, want := range []string{`"smtp":{"host":"127.0.0.1"`, redacted, "mail: report sent", "mail: permanent failure"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
