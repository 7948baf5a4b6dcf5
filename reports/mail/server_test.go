package mail

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// serverOptions configures a [testServer].
type serverOptions struct {
	// startTLS offers STARTTLS with this certificate.
	startTLS *tls.Config
	// implicitTLS speaks TLS from the first byte with this certificate.
	implicitTLS *tls.Config
	// user and pass, if set, are required through AUTH PLAIN before MAIL.
	user, pass string
	// reject, if set, is asked at each stage ("mail", "rcpt", "data") of
	// transaction n (1-based, counted by MAIL commands) and may refuse it.
	reject func(stage string, n int) error
}

// delivery is one message the test server accepted.
type delivery struct {
	From string
	Rcpt []string
	Data []byte
	User string // authenticated user, "" if none
	TLS  bool   // whether the connection was encrypted
}

// testServer is a real SMTP server on 127.0.0.1 that records what it
// accepts.
type testServer struct {
	Host string
	Port int

	opts serverOptions

	mu          sync.Mutex
	mails       int        // MAIL commands seen
	transmitted []delivery // every message received after DATA, accepted or not
	deliveries  []delivery // the accepted ones
}

// startServer starts a server on 127.0.0.1:0; it stops when the test ends.
func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	ts := &testServer{opts: opts}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{srv: ts, tls: isTLS}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.MaxMessageBytes = 10 << 20
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.TLSConfig = opts.startTLS

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if opts.implicitTLS != nil {
		l = tls.NewListener(l, opts.implicitTLS)
	}
	ts.Host, ts.Port = splitAddr(t, l.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return ts
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("port %q: %v", port, err)
	}
	return host, p
}

// Mails returns how many transactions (MAIL commands) were started.
func (ts *testServer) Mails() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.mails
}

// Deliveries returns the accepted messages.
func (ts *testServer) Deliveries() []delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]delivery(nil), ts.deliveries...)
}

// Transmitted returns every message received, including those the reject
// hook refused after DATA.
func (ts *testServer) Transmitted() []delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]delivery(nil), ts.transmitted...)
}

// session is one SMTP connection.
type session struct {
	srv  *testServer
	tls  bool
	user string
	n    int // transaction number
	cur  delivery
}

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.opts.user || pass != s.srv.opts.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) check(stage string) error {
	if s.srv.opts.reject != nil {
		return s.srv.opts.reject(stage, s.n)
	}
	return nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.srv.mu.Lock()
	s.srv.mails++
	s.n = s.srv.mails
	s.srv.mu.Unlock()
	s.cur = delivery{From: from, User: s.user, TLS: s.tls}
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

func (s *session) Reset()        { s.cur = delivery{} }
func (s *session) Logout() error { return nil }

// smtpErr is an SMTP reply for a rejecting hook.
func smtpErr(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// selfSigned returns a server certificate for 127.0.0.1 and localhost and
// a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("key: %v", err)
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
		t.Fatalf("certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}, pool
}

// parsed is a received message taken apart.
type parsed struct {
	Header      netmail.Header
	Subject     string
	Text, HTML  string
	Attachments []Attachment
	// SinglePart is set for a message that is not multipart, whose body
	// ends in a line break that SMTP requires and the sender did not write.
	SinglePart bool
}

// parseMessage decodes a received message with net/mail and
// mime/multipart, down through nested multiparts.
func parseMessage(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	var p parsed
	p.Header = m.Header
	p.SinglePart = !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/")
	p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", m.Header.Get("Subject"), err)
	}
	if err := walkPart(&p, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body); err != nil {
		t.Fatalf("walk message: %v\n%s", err, data)
	}
	return p
}

func walkPart(p *parsed, contentType, cte, filename string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			// NextPart decodes quoted-printable itself and drops the header.
			err = walkPart(p, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.FileName(), part)
			if err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch {
	case filename != "":
		p.Attachments = append(p.Attachments, Attachment{Name: filename, ContentType: mt, Data: b})
	case mt == "text/plain":
		p.Text = string(b)
	case mt == "text/html":
		p.HTML = string(b)
	default:
		return errors.New("unexpected part " + mt)
	}
	return nil
}
