package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Result describes a delivery.
type Result struct {
	// Attempts is how many times the server was tried, 1 for a first-time
	// success; 0 if the config or message was rejected before any attempt.
	Attempts int
	// MessageID is the Message-ID header of the mail, angle brackets
	// included, as it appears in the server's and recipients' logs. The
	// same ID is used for every attempt.
	MessageID string
}

// Send delivers msg as cfg says. It validates both, then tries the server
// up to 1+cfg.Retries times, waiting cfg.Backoff, then twice that, and so
// on between attempts. A temporary failure — a 4xx reply, a network error,
// an attempt running past cfg.Timeout — is retried; a 5xx reply, an
// untrusted certificate or a server without STARTTLS ([ErrNoStartTLS]) is
// permanent: Send stops at once and the error
// matches [ErrPermanent]. If ctx ends, Send stops at once, also in the
// middle of a wait, and the error matches ctx's error. Result tells how many
// attempts were made, also when Send fails.
//
// log receives one record per attempt and per outcome; nil discards them.
// The password is never logged.
func Send(ctx context.Context, cfg Config, msg Message, log *slog.Logger) (Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res Result
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	if err := msg.validate(); err != nil {
		return res, err
	}
	cfg = cfg.withDefaults()

	date := cfg.Now()
	id := newMessageID(cfg.From, date)
	res.MessageID = "<" + id + ">"
	log = log.With(
		slog.String("host", cfg.Host), slog.Int("port", cfg.Port),
		slog.String("security", cfg.Security), slog.String("message_id", res.MessageID))

	var lastErr error
	for attempt := 1; attempt <= 1+cfg.Retries; attempt++ {
		if attempt > 1 {
			wait := backoff(cfg.Backoff, attempt-1)
			log.Warn("mail: attempt failed, retrying",
				slog.Int("attempt", attempt-1), slog.Duration("retry_in", wait), slog.Any("error", lastErr))
			if err := sleep(ctx, wait); err != nil {
				return res, fmt.Errorf("mail: send to %s:%d stopped while waiting to retry after attempt %d: %w (last error: %v)",
					cfg.Host, cfg.Port, res.Attempts, err, lastErr)
			}
		}
		res.Attempts = attempt
		log.Debug("mail: attempt", slog.Int("attempt", attempt), slog.Int("recipients", len(cfg.To)+len(cfg.Cc)))

		m, err := build(&cfg, &msg, id, date)
		if err != nil {
			return res, err
		}
		err = attemptSend(ctx, &cfg, m)
		if err == nil {
			log.Info("mail: report sent", slog.Int("attempts", attempt),
				slog.Int("to", len(cfg.To)), slog.Int("cc", len(cfg.Cc)))
			return res, nil
		}
		if ctx.Err() != nil {
			return res, fmt.Errorf("mail: send to %s:%d stopped during attempt %d: %w (last error: %v)",
				cfg.Host, cfg.Port, res.Attempts, context.Cause(ctx), err)
		}
		if permanent(err) {
			log.Error("mail: permanent failure, not retrying", slog.Int("attempt", attempt), slog.Any("error", err))
			return res, fmt.Errorf("%w: send to %s:%d: %w", ErrPermanent, cfg.Host, cfg.Port, err)
		}
		lastErr = err
	}
	log.Error("mail: giving up", slog.Int("attempts", res.Attempts), slog.Any("error", lastErr))
	return res, fmt.Errorf("mail: send to %s:%d failed after %d attempts: %w",
		cfg.Host, cfg.Port, res.Attempts, lastErr)
}

// attemptSend makes one delivery attempt: dial, secure, authenticate,
// send, quit, all within cfg.Timeout and ending as soon as ctx does.
func attemptSend(ctx context.Context, cfg *Config, m *gomail.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	tlsConf := tlsConfig(cfg)
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	dial := func(dialCtx context.Context, _, _ string) (net.Conn, error) {
		nd := &net.Dialer{}
		dialContext := nd.DialContext
		if cfg.Security == SecurityTLS {
			dialContext = (&tls.Dialer{NetDialer: nd, Config: tlsConf}).DialContext
		}
		conn, err := dialContext(dialCtx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		// go-mail bounds each command by the timeout but does not watch the
		// context once connected: closing the connection when the attempt
		// ends (timeout, cancellation or normal return) unblocks it.
		context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithDialContextFunc(dial),
	}
	switch cfg.Security {
	case SecurityTLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tlsConf))
	case SecurityStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tlsConf))
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: client for %s: %w", addr, err)
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		// go-mail has no sentinel for a server without STARTTLS; its
		// message is matched here, and a test pins it.
		if cfg.Security == SecurityStartTLS && strings.Contains(err.Error(), "does not support STARTTLS") {
			return fmt.Errorf("%w on %s: use security %q for a server that speaks TLS from the first byte (usually port 465), or check the port",
				ErrNoStartTLS, addr, SecurityTLS)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("attempt timed out after %v: %w", cfg.Timeout, err)
		}
		return err
	}
	return nil
}

// tlsConfig returns a copy of cfg.TLSConfig, or a new config, with
// ServerName set to the host and TLS 1.2 as the minimum version.
func tlsConfig(cfg *Config) *tls.Config {
	var c *tls.Config
	if cfg.TLSConfig != nil {
		c = cfg.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = cfg.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// permanent reports whether err will not go away by trying again: a 5xx
// SMTP reply, a TLS certificate the client does not trust, or a server
// without STARTTLS when it is required.
func permanent(err error) bool {
	if errors.Is(err, ErrNoStartTLS) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code != 0 {
			return code >= 500
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500
	}
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

// backoff returns the wait before retry n (1 for the first retry):
// base·2ⁿ⁻¹, at most [MaxBackoff].
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// sleep waits for d or until ctx ends, whichever comes first, and returns
// ctx's cause in the latter case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// newMessageID returns a unique Message-ID, without angle brackets, in the
// domain of the sender address (which Validate has checked). The time
// makes it readable in logs; the random part makes it unique.
func newMessageID(from string, at time.Time) string {
	domain := "localhost"
	if a, err := netmail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			domain = a.Address[i+1:]
		}
	}
	return fmt.Sprintf("%d.%s@%s", at.UnixNano(), strings.ToLower(rand.Text()), domain)
}
