package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"time"
)

// Security modes for [Config.Security].
const (
	// SecurityStartTLS connects in plain text and upgrades with STARTTLS
	// before anything else is sent; a server without STARTTLS is an error.
	// It is the default, on port 587.
	SecurityStartTLS = "starttls"
	// SecurityTLS connects with TLS from the first byte (implicit TLS,
	// RFC 8314), on port 465 by default.
	SecurityTLS = "tls"
	// SecurityNone sends everything in plain text, on port 25 by default.
	// It is refused for hosts other than loopback unless
	// [Config.AllowInsecure] is set.
	SecurityNone = "none"
)

// Defaults applied to the zero fields of a [Config].
const (
	// DefaultTimeout bounds one attempt.
	DefaultTimeout = 30 * time.Second
	// DefaultRetries is the number of retries after the first attempt.
	DefaultRetries = 3
	// DefaultBackoff is the wait before the first retry.
	DefaultBackoff = 2 * time.Second
	// MaxBackoff caps the exponential backoff between two attempts.
	MaxBackoff = 5 * time.Minute
)

// Errors reported by this package, to be tested with [errors.Is].
var (
	// ErrInvalidConfig is matched by every [ConfigError] from
	// [Config.Validate] and [Send].
	ErrInvalidConfig = errors.New("mail: invalid config")
	// ErrInvalidMessage is matched by the error [Send] returns for a
	// [Message] it cannot send, before any attempt.
	ErrInvalidMessage = errors.New("mail: invalid message")
	// ErrPermanent is matched by the error [Send] returns when the server
	// refused the message for good (a 5xx reply) or its certificate is not
	// trusted; such failures are not retried.
	ErrPermanent = errors.New("mail: permanent delivery failure")
	// ErrNoPassword is matched by the errors of [PasswordFrom].
	ErrNoPassword = errors.New("mail: no password")
	// ErrNoStartTLS is matched by the error [Send] returns when Security
	// is [SecurityStartTLS] and the server does not offer STARTTLS: a
	// configuration problem (the wrong port, or a server that wants
	// implicit TLS), never retried. It also matches [ErrPermanent].
	ErrNoStartTLS = errors.New("mail: the server does not offer STARTTLS")
)

// Config says where and how to deliver the report. The zero values of
// Security, Port, Timeout, Retries and Backoff select the defaults.
type Config struct {
	// Host is the SMTP server's host name or IP address, without a port.
	Host string
	// Port is the server's TCP port; 0 selects 587 for "starttls", 465 for
	// "tls" and 25 for "none".
	Port int
	// Security is one of [SecurityStartTLS] (the default), [SecurityTLS]
	// or [SecurityNone].
	Security string
	// AllowInsecure permits [SecurityNone] for a host that is not loopback.
	// Credentials are still never sent without TLS to such a host.
	AllowInsecure bool

	// Username and Password authenticate with AUTH PLAIN, over TLS (or to a
	// loopback server). Both or neither must be set. The password is never
	// logged or printed; fill it with [PasswordFrom].
	Username string
	Password string

	// From is the sender; To and Cc the recipients (at least one To), each
	// an RFC 5322 address such as "KPI bot <kpi@example.com>".
	From string
	To   []string
	Cc   []string
	// SubjectPrefix is put in front of every [Message.Subject], e.g.
	// "[cxkpi] ".
	SubjectPrefix string

	// Timeout bounds one attempt, from dialling to QUIT; default 30s.
	Timeout time.Duration
	// Retries is how many times a temporary failure is retried after the
	// first attempt; 0 selects 3, a negative value disables retries.
	Retries int
	// Backoff is the wait before the first retry, doubled for each further
	// retry up to [MaxBackoff]; default 2s.
	Backoff time.Duration

	// TLSConfig, if set, is used for STARTTLS and implicit TLS (for
	// instance to trust a private CA). ServerName defaults to Host.
	TLSConfig *tls.Config

	// Now is the clock that dates the message and seeds its Message-ID;
	// nil selects time.Now.
	Now func() time.Time
}

// ConfigError reports an invalid [Config] field. Field names the field as
// in Go, with an index for list elements: "To[1]".
type ConfigError struct {
	Field string
	Err   error
}

// Error prints the field and the problem: "mail: config To[1]: ...".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("mail: config %s: %v", e.Field, e.Err)
}

// Unwrap returns the underlying problem.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Validate checks every field and returns all problems found, each a
// [*ConfigError], joined with [errors.Join]; nil if the config is usable.
// Zero fields that have defaults are valid.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Err: fmt.Errorf(format, args...)})
	}

	switch {
	case c.Host == "":
		bad("Host", "required")
	case strings.HasPrefix(c.Host, "[") || strings.ContainsAny(c.Host, "/ \t\r\n"):
		bad("Host", "%q is not a host name or IP address", c.Host)
	default:
		if _, _, err := net.SplitHostPort(c.Host); err == nil {
			bad("Host", "%q includes a port; set Port instead", c.Host)
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("Port", "%d out of range 1-65535 (0 for the default)", c.Port)
	}

	security := normSecurity(c.Security)
	switch security {
	case SecurityStartTLS, SecurityTLS:
	case SecurityNone:
		if c.Host != "" && !isLoopback(c.Host) {
			if !c.AllowInsecure {
				bad("Security", "%q to non-loopback host %q needs AllowInsecure", SecurityNone, c.Host)
			}
			if c.Username != "" {
				bad("Username", "credentials are never sent without TLS to non-loopback host %q", c.Host)
			}
		}
		if c.TLSConfig != nil {
			bad("TLSConfig", "set, but Security is %q", SecurityNone)
		}
	default:
		bad("Security", "unknown mode %q (want %q, %q or %q)", c.Security, SecurityStartTLS, SecurityTLS, SecurityNone)
	}

	if c.Username != "" && c.Password == "" {
		bad("Password", "required when Username is set")
	}
	if c.Username == "" && c.Password != "" {
		bad("Username", "required when Password is set")
	}
	if strings.ContainsAny(c.Username, "\x00\r\n") {
		bad("Username", "contains a NUL or line break")
	}
	if strings.ContainsAny(c.Password, "\x00\r\n") {
		// Do not echo the value.
		bad("Password", "contains a NUL or line break")
	}

	if c.From == "" {
		bad("From", "required")
	} else if _, err := netmail.ParseAddress(c.From); err != nil {
		bad("From", "%q: %w", c.From, err)
	}
	if len(c.To) == 0 {
		bad("To", "at least one recipient required")
	}
	for i, a := range c.To {
		if _, err := netmail.ParseAddress(a); err != nil {
			bad(fmt.Sprintf("To[%d]", i), "%q: %w", a, err)
		}
	}
	for i, a := range c.Cc {
		if _, err := netmail.ParseAddress(a); err != nil {
			bad(fmt.Sprintf("Cc[%d]", i), "%q: %w", a, err)
		}
	}
	if strings.ContainsAny(c.SubjectPrefix, "\r\n") {
		bad("SubjectPrefix", "contains a line break")
	}

	if c.Timeout < 0 {
		bad("Timeout", "negative (%v)", c.Timeout)
	}
	if c.Backoff < 0 {
		bad("Backoff", "negative (%v)", c.Backoff)
	}
	return errors.Join(errs...)
}

// withDefaults returns a copy of c with the zero fields set to their
// defaults and Security normalised.
func (c Config) withDefaults() Config {
	c.Security = normSecurity(c.Security)
	if c.Port == 0 {
		switch c.Security {
		case SecurityTLS:
			c.Port = 465
		case SecurityNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func normSecurity(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return SecurityStartTLS
	}
	return s
}

// isLoopback reports whether host names the loopback interface, without
// asking DNS: "localhost" or a loopback IP literal.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redacted stands for the password wherever a Config is printed or logged.
const redacted = "REDACTED"

// LogValue logs the config with the password replaced, so that
// slog.Any("smtp", cfg) is safe.
func (c Config) LogValue() slog.Value {
	pw := ""
	if c.Password != "" {
		pw = redacted
	}
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.String("security", c.Security),
		slog.String("username", c.Username),
		slog.String("password", pw),
		slog.String("from", c.From),
		slog.Any("to", c.To),
		slog.Any("cc", c.Cc),
	)
}

// String prints the config with the password replaced.
func (c Config) String() string {
	c.Password = redactedIfSet(c.Password)
	type plain Config // no methods, so no recursion
	return fmt.Sprintf("%+v", plain(c))
}

// GoString prints the config for %#v with the password replaced.
func (c Config) GoString() string {
	c.Password = redactedIfSet(c.Password)
	type plain Config
	return fmt.Sprintf("%#v", plain(c))
}

func redactedIfSet(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}
