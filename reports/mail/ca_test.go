package mail

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

// writePEM writes the server's certificate as a PEM bundle, after extra.
func writePEM(t *testing.T, serverTLS *tls.Config, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := []byte(extra)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]})...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSendTrustsAPrivateCABundle(t *testing.T) {
	serverTLS, _ := mailtest.SelfSigned(t)
	ts := mailtest.Start(t, mailtest.Options{StartTLS: serverTLS})
	pool, err := LoadCAFile(writePEM(t, serverTLS, "# the company's CA\n"))
	if err != nil {
		t.Fatalf("LoadCAFile: %v", err)
	}
	cfg := testConfig(ts)
	cfg.Security = SecurityStartTLS
	cfg.TLSConfig = &tls.Config{RootCAs: pool}
	if _, err := Send(t.Context(), cfg, testMessage(t), nil); err != nil {
		t.Fatalf("Send with the CA bundle: %v", err)
	}
	if d := onlyDelivery(t, ts); !d.TLS {
		t.Error("message sent without TLS")
	}
}

func TestLoadCAFileErrors(t *testing.T) {
	serverTLS, _ := mailtest.SelfSigned(t)
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
	bad := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "absent.pem"), "no such file"},
		{"empty", write("empty.pem", ""), "no PEM certificate"},
		{"text", write("text.pem", "-----BEGIN nothing\n"), "no PEM certificate"},
		{"a key", writePEM(t, serverTLS, key), `block 1 is "PRIVATE KEY"`},
		{"bad certificate", write("bad.pem", bad), "certificate 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCAFile(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadCAFile: got %v, want an error containing %q", err, tc.want)
			}
			if tc.name != "missing" && !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// A server that does not offer STARTTLS, when STARTTLS is required, is a
// configuration error: one attempt, nothing sent, never retried.
func TestSendWithoutStartTLSIsAConfigurationError(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{}) // plain text only
	cfg := testConfig(ts)
	cfg.Security = SecurityStartTLS
	cfg.Retries = 3

	res, err := Send(t.Context(), cfg, testMessage(t), nil)
	t.Logf("Send: %v", err)
	if !errors.Is(err, ErrNoStartTLS) || !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send: got %v, want ErrNoStartTLS and ErrPermanent", err)
	}
	if !strings.Contains(err.Error(), `"tls"`) {
		t.Errorf("error %q does not suggest implicit TLS", err)
	}
	if res.Attempts != 1 || ts.Mails() != 0 {
		t.Errorf("got %d attempts, %d MAIL commands, want 1 attempt and no MAIL", res.Attempts, ts.Mails())
	}
}
