package mail

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// LoadCAFile reads a PEM bundle of CA certificates, for a server whose
// certificate a private CA signed: put the pool in [Config.TLSConfig]'s
// RootCAs. It fails, naming the file, when the file cannot be read, holds
// a block that is not a certificate or a certificate that does not parse,
// or holds no certificate at all.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mail: CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("mail: CA bundle %s: PEM block %d is %q, want CERTIFICATE", path, n+1, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("mail: CA bundle %s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("mail: CA bundle %s: no PEM certificate in it", path)
	}
	return pool, nil
}
