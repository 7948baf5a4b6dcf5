// Package mailtest starts a real SMTP server on loopback for tests, records
// what it receives, and takes received messages apart.
//
// It is the one SMTP test server of the project: the mail package's own
// tests and the pipeline's delivery tests both use it.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configures a [Server].
type Options struct {
	// StartTLS offers STARTTLS with this certificate.
	StartTLS *tls.Config
	// ImplicitTLS speaks TLS from the first byte with this certificate.
	ImplicitTLS *tls.Config
	// User and Pass, if set, are required through AUTH PLAIN before MAIL.
	User, Pass string
	// Reject, if set, is asked at each stage ("mail", "rcpt", "data") of
	// transaction n (1-based, counted by MAIL commands) and may refuse it.
	Reject func(stage string, n int) error
}

// Delivery is one message the server received.
type Delivery struct {
	From string
	Rcpt []string
	Data []byte
	User string // authenticated user, "" if none
	TLS  bool   // whether the connection was encrypted
}

// Server is a real SMTP server on 127.0.0.1 that records what it accepts.
type Server struct {
	Host string
	Port int

	opts Options

	mu          sync.Mutex
	mails       int        // MAIL commands seen
	transmitted []Delivery // every message received after DATA, accepted or not
	deliveries  []Delivery // the accepted ones
}

// Start starts a server on 127.0.0.1 on a free port; it stops when the test
// ends, and the test's cleanup returns only once it has stopped.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ts := &Server{opts: opts}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{srv: ts, tls: isTLS}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.MaxMessageBytes = 10 << 20
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.TLSConfig = opts.StartTLS

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	if opts.ImplicitTLS != nil {
		l = tls.NewListener(l, opts.ImplicitTLS)
	}
	addr := l.Addr().(*net.TCPAddr)
	ts.Host, ts.Port = addr.IP.String(), addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		// smtp.Server.Close closes only the listeners Serve has registered
		// so far; if the serving goroutine has not started yet, Close alone
		// leaves it to block in Accept for ever. Closing the listener
		// ourselves stops Accept whichever runs first, and Close (called
		// before, so that Serve sees the server is done) ends the
		// connections.
		_ = s.Close()
		_ = l.Close()
		<-done
	})
	return ts
}

// Mails returns how many transactions (MAIL commands) were started.
func (ts *Server) Mails() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.mails
}

// Deliveries returns the accepted messages.
func (ts *Server) Deliveries() []Delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]Delivery(nil), ts.deliveries...)
}

// Transmitted returns every message received, including those the Reject
// hook refused after DATA.
func (ts *Server) Transmitted() []Delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]Delivery(nil), ts.transmitted...)
}

// session is one SMTP connection.
type session struct {
	srv  *Server
	tls  bool
	user string
	n    int // transaction number
	cur  Delivery
}

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.opts.User || pass != s.srv.opts.Pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) check(stage string) error {
	if s.srv.opts.Reject != nil {
		return s.srv.opts.Reject(stage, s.n)
	}
	return nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.User != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.srv.mu.Lock()
	s.srv.mails++
	s.n = s.srv.mails
	s.srv.mu.Unlock()
	s.cur = Delivery{From: from, User: s.user, TLS: s.tls}
	return s.check("mail")
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.check("rcpt"); err != nil {
		return err
	}
	s.cur.Rcpt = append(s.cur.Rcpt, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.srv.mu.Lock()
	s.srv.transmitted = append(s.srv.transmitted, s.cur)
	s.srv.mu.Unlock()
	if err := s.check("data"); err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.deliveries = append(s.srv.deliveries, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = Delivery{} }
func (s *session) Logout() error { return nil }

// Reply is an SMTP reply with the given code for a rejecting hook.
func Reply(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// SelfSigned returns a server certificate for 127.0.0.1 and localhost and
// a pool that trusts it.
func SelfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mailtest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cxkpi test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("mailtest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("mailtest: parse certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}, pool
}
