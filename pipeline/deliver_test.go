package pipeline

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/cxkpi/cxkpi/reports/mail"
)

// smtpServer is a real SMTP server on 127.0.0.1 that keeps what it
// receives.
type smtpServer struct {
	port int
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	rcpt []string
	data []byte
}

type smtpSession struct {
	srv *smtpServer
	cur received
}

func (s *smtpSession) AuthPlain(string, string) error              { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}
func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	srv := &smtpServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: srv}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxMessageBytes = 10 << 20
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close(); <-done })
	return srv
}

// parts decodes a received message into its subject and its leaf MIME
// parts by content type (attachments by file name).
func parts(t *testing.T, data []byte) (subject string, out map[string][]byte) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	out = map[string][]byte{}
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		mt, params, err := mime.ParseMediaType(get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		switch strings.ToLower(get("Content-Transfer-Encoding")) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		key := mt
		if _, dp, err := mime.ParseMediaType(get("Content-Disposition")); err == nil && dp["filename"] != "" {
			key = dp["filename"]
		}
		out[key] = b
	}
	walk(m.Header, m.Body)
	return subject, out
}

func TestRunEmailsTheReport(t *testing.T) {
	srv := startSMTP(t)
	cfg := testConfig(t, nil)
	cfg.Mail = &mail.Config{
		Host: "127.0.0.1", Port: srv.port, Security: mail.SecurityNone,
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
	if len(srv.msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(srv.msgs))
	}
	got := srv.msgs[0]
	if got.from != "kpi@example.com" || strings.Join(got.rcpt, ",") != "ops@example.com,vp@example.com" {
		t.Errorf("envelope from %q to %v", got.from, got.rcpt)
	}
	subject, p := parts(t, got.data)
	if subject != "Customer experience report: October 2026" {
		t.Errorf("subject = %q", subject)
	}
	pdf, err := os.ReadFile(filepath.Join(sum.Dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p[ReportFile], pdf) {
		t.Errorf("attachment is %d bytes, report.pdf %d: not the same", len(p[ReportFile]), len(pdf))
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
	if text := string(p["text/plain"]); !strings.Contains(text, "Customer satisfaction (CSAT)") || !strings.Contains(text, want) {
		t.Errorf("text part lacks CSAT %s:\n%s", want, text)
	}
	if html := string(p["text/html"]); !strings.Contains(html, want) {
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
