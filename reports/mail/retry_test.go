package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

func TestSendUntrustedCertificateIsPermanent(t *testing.T) {
	serverTLS, _ := mailtest.SelfSigned(t)
	ts := mailtest.Start(t, mailtest.Options{StartTLS: serverTLS})
	cfg := testConfig(ts)
	cfg.Security = SecurityStartTLS // system roots do not trust the test certificate

	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	t.Logf("Send: %v", err)
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send: got %v, want ErrPermanent", err)
	}
	if res.Attempts != 1 || ts.Mails() != 0 {
		t.Errorf("got %d attempts, %d MAIL commands, want 1 attempt and no MAIL", res.Attempts, ts.Mails())
	}
}

func TestSendRetriesTemporaryFailures(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{Reject: func(stage string, n int) error {
		if stage == "rcpt" && n <= 2 {
			return mailtest.Reply(451, "greylisted, try again later")
		}
		return nil
	}})
	cfg := testConfig(ts)
	msg := testMessage(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	res, err := Send(t.Context(), cfg, msg, log)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Attempts != 3 || ts.Mails() != 3 {
		t.Errorf("got %d attempts, %d MAIL commands, want 3 and 3", res.Attempts, ts.Mails())
	}
	checkDelivery(t, onlyDelivery(t, ts), cfg, msg, res)
	if n := strings.Count(logs.String(), "retry_in="); n != 2 {
		t.Errorf("log has %d retry records, want 2:\n%s", n, logs.String())
	}
}

func TestSendGivesUpAfterRetries(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{Reject: func(stage string, _ int) error {
		if stage == "data" {
			return mailtest.Reply(452, "insufficient storage")
		}
		return nil
	}})
	cfg := testConfig(ts)
	cfg.Retries = 2
	msg := testMessage(t)

	res, err := Send(t.Context(), cfg, msg, nil)
	t.Logf("Send: %v", err)
	if err == nil || errors.Is(err, ErrPermanent) {
		t.Fatalf("Send: got %v, want a temporary failure", err)
	}
	if res.Attempts != 3 || ts.Mails() != 3 || len(ts.Deliveries()) != 0 {
		t.Errorf("got %d attempts, %d MAIL commands, %d deliveries, want 3, 3, 0",
			res.Attempts, ts.Mails(), len(ts.Deliveries()))
	}
	if !strings.Contains(err.Error(), "452") {
		t.Errorf("error %q does not carry the server's reply code 452", err)
	}
	// Every attempt carries the whole message, under one Message-ID.
	sent := ts.Transmitted()
	if len(sent) != 3 {
		t.Fatalf("server received %d messages, want 3", len(sent))
	}
	for i, d := range sent {
		t.Run(fmt.Sprintf("attempt %d", i+1), func(t *testing.T) {
			checkDelivery(t, d, cfg, msg, res)
		})
	}
}

func TestSendRetriesDisabled(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{Reject: func(string, int) error { return mailtest.Reply(421, "busy") }})
	cfg := testConfig(ts)
	cfg.Retries = -1

	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	if err == nil || res.Attempts != 1 || ts.Mails() != 1 {
		t.Errorf("got err=%v, %d attempts, %d MAIL commands, want an error after 1 and 1", err, res.Attempts, ts.Mails())
	}
}

func TestSendPermanentFailureNotRetried(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{Reject: func(stage string, _ int) error {
		if stage == "rcpt" {
			return mailtest.Reply(550, "no such user")
		}
		return nil
	}})
	cfg := testConfig(ts)

	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	t.Logf("Send: %v", err)
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send: got %v, want ErrPermanent", err)
	}
	if res.Attempts != 1 || ts.Mails() != 1 {
		t.Errorf("got %d attempts, %d MAIL commands, want 1 and 1", res.Attempts, ts.Mails())
	}
	if !strings.Contains(err.Error(), "550") {
		t.Errorf("error %q does not carry the server's reply code 550", err)
	}
}

func TestSendAuthFailureIsPermanent(t *testing.T) {
	serverTLS, pool := mailtest.SelfSigned(t)
	ts := mailtest.Start(t, mailtest.Options{StartTLS: serverTLS, User: "kpi-bot", Pass: "the-right-one"})
	cfg := testConfig(ts)
	cfg.Security = SecurityStartTLS
	cfg.Username, cfg.Password = "kpi-bot", testPassword
	cfg.TLSConfig = &tls.Config{RootCAs: pool}

	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	t.Logf("Send: %v", err)
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send: got %v, want ErrPermanent", err)
	}
	if res.Attempts != 1 {
		t.Errorf("Attempts: got %d, want 1", res.Attempts)
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("error reveals the password: %v", err)
	}
}

type retryNotifier struct{ ch chan struct{} }

func (h retryNotifier) Enabled(context.Context, slog.Level) bool { return true }
func (h retryNotifier) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h retryNotifier) WithGroup(string) slog.Handler            { return h }
func (h retryNotifier) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry_in" {
			select {
			case h.ch <- struct{}{}:
			default:
			}
			return false
		}
		return true
	})
	return nil
}

func TestSendCancelDuringBackoff(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{Reject: func(string, int) error { return mailtest.Reply(451, "try later") }})
	cfg := testConfig(ts)
	cfg.Backoff = time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	waiting := make(chan struct{}, 1)
	go func() {
		select {
		case <-waiting:
			cancel()
		case <-time.After(10 * time.Second):
		}
	}()

	start := time.Now()
	res, err := Send(ctx, cfg, testMessage(t), slog.New(retryNotifier{waiting}))
	t.Logf("Send: %v", err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: got %v, want context.Canceled", err)
	}
	if res.Attempts != 1 || ts.Mails() != 1 {
		t.Errorf("got %d attempts, %d MAIL commands, want 1 and 1", res.Attempts, ts.Mails())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send returned %v after start, want promptly after cancel", d)
	}
}

func silentServer(t *testing.T) (host string, port int, accepted func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		n     int
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	a := l.Addr().(*net.TCPAddr)
	host, port = a.IP.String(), a.Port
	return host, port, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func TestSendAttemptTimeout(t *testing.T) {
	host, port, accepted := silentServer(t)
	cfg := testConfig(&mailtest.Server{Host: host, Port: port})
	cfg.Timeout = 200 * time.Millisecond
	cfg.Retries = 1

	start := time.Now()
	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	t.Logf("Send: %v", err)
	if err == nil || errors.Is(err, ErrPermanent) {
		t.Fatalf("Send: got %v, want a temporary failure", err)
	}
	if res.Attempts != 2 || accepted() != 2 {
		t.Errorf("got %d attempts, %d connections, want 2 and 2", res.Attempts, accepted())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v with a 200ms timeout per attempt", d)
	}
}

func TestSendCancelDuringAttempt(t *testing.T) {
	host, port, _ := silentServer(t)
	cfg := testConfig(&mailtest.Server{Host: host, Port: port})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()

	start := time.Now()
	res, err := Send(ctx, cfg, testMessage(t), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send: got %v, want context.DeadlineExceeded", err)
	}
	if res.Attempts != 1 {
		t.Errorf("Attempts: got %d, want 1", res.Attempts)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v, want it to stop with the context", d)
	}
}
