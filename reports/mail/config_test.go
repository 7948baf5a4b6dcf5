package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// validConfig is a complete config for a remote server with STARTTLS.
func validConfig() Config {
	return Config{
		Host:     "smtp.example.com",
		Username: "kpi-bot",
		Password: testPassword,
		From:     "KPI Bot <kpi@example.com>",
		To:       []string{"ops@example.com"},
	}
}

type validateCase struct {
	name   string
	edit   func(*Config)
	fields []string // fields named by the errors, in order; nil for valid
}

var validateCases = []validateCase{
	{"valid starttls default", func(*Config) {}, nil},
	{"valid implicit tls", func(c *Config) { c.Security, c.Port = SecurityTLS, 465 }, nil},
	{"security is case-insensitive", func(c *Config) { c.Security = " StartTLS " }, nil},
	{"valid without auth", func(c *Config) { c.Username, c.Password = "", "" }, nil},
	{"valid with cc and display names", func(c *Config) {
		c.To = []string{"\"Ops, EMEA\" <ops@example.com>", "cx@example.com"}
		c.Cc = []string{"Finance <fin@example.com>"}
	}, nil},
	{"none on 127.0.0.1", func(c *Config) { c.Host, c.Security = "127.0.0.1", SecurityNone }, nil},
	{"none on ::1", func(c *Config) { c.Host, c.Security = "::1", SecurityNone }, nil},
	{"none on localhost", func(c *Config) { c.Host, c.Security = "localhost", SecurityNone }, nil},
	{"none on remote host with AllowInsecure", func(c *Config) {
		c.Security, c.AllowInsecure, c.Username, c.Password = SecurityNone, true, "", ""
	}, nil},

	{"no host", func(c *Config) { c.Host = "" }, []string{"Host"}},
	{"host with port", func(c *Config) { c.Host = "smtp.example.com:587" }, []string{"Host"}},
	{"host in brackets", func(c *Config) { c.Host = "[::1]" }, []string{"Host"}},
	{"host is a URL", func(c *Config) { c.Host = "smtp://smtp.example.com" }, []string{"Host"}},
	{"negative port", func(c *Config) { c.Port = -1 }, []string{"Port"}},
	{"port too large", func(c *Config) { c.Port = 70000 }, []string{"Port"}},
	{"unknown security", func(c *Config) { c.Security = "ssl" }, []string{"Security"}},
	{"none on remote host", func(c *Config) { c.Security, c.Username, c.Password = SecurityNone, "", "" }, []string{"Security"}},
	{"none on a name that is not localhost", func(c *Config) {
		c.Host, c.Security, c.Username, c.Password = "localhost.example.com", SecurityNone, "", ""
	}, []string{"Security"}},
	{"credentials in clear to remote host", func(c *Config) { c.Security, c.AllowInsecure = SecurityNone, true }, []string{"Username"}},
	{"TLS config with none", func(c *Config) {
		c.Host, c.Security, c.TLSConfig = "127.0.0.1", SecurityNone, &tls.Config{}
	}, []string{"TLSConfig"}},
	{"username without password", func(c *Config) { c.Password = "" }, []string{"Password"}},
	{"password without username", func(c *Config) { c.Username = "" }, []string{"Username"}},
	{"password with line break", func(c *Config) { c.Password = testPassword + "\n" }, []string{"Password"}},
	{"no from", func(c *Config) { c.From = "" }, []string{"From"}},
	{"bad from", func(c *Config) { c.From = "kpi bot" }, []string{"From"}},
	{"no to", func(c *Config) { c.To = nil }, []string{"To"}},
	{"bad second to", func(c *Config) { c.To = append(c.To, "ops@") }, []string{"To[1]"}},
	{"bad cc", func(c *Config) { c.Cc = []string{"a@example.com, b@example.com"} }, []string{"Cc[0]"}},
	{"subject prefix with line break", func(c *Config) { c.SubjectPrefix = "[cxkpi]\r\nBcc: x@evil.test" }, []string{"SubjectPrefix"}},
	{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"Timeout"}},
	{"negative backoff", func(c *Config) { c.Backoff = -time.Second }, []string{"Backoff"}},
	{"every problem reported", func(c *Config) {
		c.Host, c.Port, c.From, c.To = "", 99999, "", nil
	}, []string{"Host", "Port", "From", "To"}},
}

// configFields returns the Field of every ConfigError joined in err.
func configFields(t *testing.T, err error) []string {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var fields []string
	for _, e := range errs {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("error %v is not a *ConfigError", e)
		}
		if !errors.Is(e, ErrInvalidConfig) {
			t.Errorf("error %v does not match ErrInvalidConfig", e)
		}
		if !strings.Contains(e.Error(), ce.Field) {
			t.Errorf("error %q does not print its field %s", e, ce.Field)
		}
		fields = append(fields, ce.Field)
	}
	return fields
}

func TestValidate(t *testing.T) {
	for _, tc := range validateCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if got := configFields(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("Validate: got fields %q, want %q (error: %v)", got, tc.fields, err)
			}
			if err != nil && strings.Contains(err.Error(), testPassword) {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

type defaultsCase struct {
	name                  string
	in                    Config
	port, retries         int
	security              string
	timeout, firstBackoff time.Duration
}

var defaultsCases = []defaultsCase{
	{"zero", Config{}, 587, 3, SecurityStartTLS, 30 * time.Second, 2 * time.Second},
	{"tls", Config{Security: "TLS"}, 465, 3, SecurityTLS, 30 * time.Second, 2 * time.Second},
	{"none", Config{Security: SecurityNone}, 25, 3, SecurityNone, 30 * time.Second, 2 * time.Second},
	{"explicit", Config{Port: 2525, Retries: 5, Timeout: time.Second, Backoff: time.Millisecond},
		2525, 5, SecurityStartTLS, time.Second, time.Millisecond},
	{"retries disabled", Config{Retries: -1}, 587, 0, SecurityStartTLS, 30 * time.Second, 2 * time.Second},
}

func TestWithDefaults(t *testing.T) {
	for _, tc := range defaultsCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.withDefaults()
			if got.Port != tc.port || got.Retries != tc.retries || got.Security != tc.security ||
				got.Timeout != tc.timeout || got.Backoff != tc.firstBackoff {
				t.Errorf("got port %d retries %d security %q timeout %v backoff %v, want %d %d %q %v %v",
					got.Port, got.Retries, got.Security, got.Timeout, got.Backoff,
					tc.port, tc.retries, tc.security, tc.timeout, tc.firstBackoff)
			}
		})
	}
}

type backoffCase struct {
	base time.Duration
	n    int
	want time.Duration
}

var backoffCases = []backoffCase{
	{2 * time.Second, 1, 2 * time.Second},
	{2 * time.Second, 2, 4 * time.Second},
	{2 * time.Second, 3, 8 * time.Second},
	{2 * time.Second, 8, 256 * time.Second},
	{2 * time.Second, 9, MaxBackoff},
	{2 * time.Second, 1000, MaxBackoff},
	{time.Hour, 1, MaxBackoff},
	{time.Millisecond, 4, 8 * time.Millisecond},
}

func TestBackoff(t *testing.T) {
	for _, tc := range backoffCases {
		t.Run(fmt.Sprintf("%v/%d", tc.base, tc.n), func(t *testing.T) {
			if got := backoff(tc.base, tc.n); got != tc.want {
				t.Errorf("backoff(%v, %d): got %v, want %v", tc.base, tc.n, got, tc.want)
			}
		})
	}
}

func TestConfigPrintingHidesPassword(t *testing.T) {
	cfg := validConfig()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, cfg)
		if strings.Contains(out, testPassword) || !strings.Contains(out, redacted) {
			t.Errorf("%s: got %q, want the password replaced by %s", format, out, redacted)
		}
		if !strings.Contains(out, cfg.Host) {
			t.Errorf("%s: got %q, want the host shown", format, out)
		}
	}
	if got := cfg.LogValue().String(); strings.Contains(got, testPassword) {
		t.Errorf("LogValue: got %q, want no password", got)
	}
}

type passwordCase struct {
	name    string
	env     *string // value of the variable; nil for unset
	file    *string // content of the file; nil for no file
	useEnv  bool
	useFile bool
	want    string
	wantErr bool
}

func ptr(s string) *string { return &s }

var passwordCases = []passwordCase{
	{name: "env", env: ptr("pw-env"), useEnv: true, want: "pw-env"},
	{name: "env trailing newline", env: ptr("pw-env\n"), useEnv: true, want: "pw-env"},
	{name: "env keeps other spaces", env: ptr(" pw env \n"), useEnv: true, want: " pw env "},
	{name: "env unset", useEnv: true, wantErr: true},
	{name: "env empty", env: ptr(""), useEnv: true, wantErr: true},
	{name: "file", file: ptr("pw-file"), useFile: true, want: "pw-file"},
	{name: "file trailing newline", file: ptr("pw-file\n"), useFile: true, want: "pw-file"},
	{name: "file trailing CRLF", file: ptr("pw-file\r\n"), useFile: true, want: "pw-file"},
	{name: "file only one newline removed", file: ptr("pw-file\n\n"), useFile: true, wantErr: true},
	{name: "file two lines", file: ptr("pw\nother\n"), useFile: true, wantErr: true},
	{name: "file empty", file: ptr("\n"), useFile: true, wantErr: true},
	{name: "file missing", useFile: true, wantErr: true},
	{name: "both", env: ptr("pw-env"), file: ptr("pw-file"), useEnv: true, useFile: true, wantErr: true},
	{name: "neither", wantErr: true},
}

func TestPasswordFrom(t *testing.T) {
	for _, tc := range passwordCases {
		t.Run(tc.name, func(t *testing.T) {
			var envName, file string
			if tc.useEnv {
				envName = "CXKPI_TEST_SMTP_PASSWORD"
				if tc.env != nil {
					t.Setenv(envName, *tc.env)
				} else {
					t.Setenv(envName, "")
					os.Unsetenv(envName) // t.Setenv restores it afterwards
				}
			}
			if tc.useFile {
				file = filepath.Join(t.TempDir(), "smtp-password")
				if tc.file != nil {
					if err := os.WriteFile(file, []byte(*tc.file), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := PasswordFrom(envName, file)
			if tc.wantErr {
				if !errors.Is(err, ErrNoPassword) {
					t.Errorf("PasswordFrom: got %q, %v, want ErrNoPassword", got, err)
				}
				for _, secret := range []*string{tc.env, tc.file} {
					if secret != nil && strings.TrimSpace(*secret) != "" && strings.Contains(err.Error(), strings.TrimSpace(*secret)) {
						t.Errorf("error %q reveals the password", err)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("PasswordFrom: got %q, %v, want %q", got, err, tc.want)
			}
		})
	}
}

var passwordSourceCases = []struct {
	name, env, file string
	ok              bool
}{
	{"env", "CXKPI_SMTP_PASSWORD", "", true},
	{"file", "", "/run/secrets/smtp", true},
	{"both", "P", "/run/secrets/smtp", false},
	{"neither", "", "", false},
	{"not a name", "SMTP-PASSWORD", "", false},
	{"starts with a digit", "1PASSWORD", "", false},
	{"underscore first", "_P1", "", true},
}

// CheckPasswordSource never reads the secret: an unset variable passes.
func TestCheckPasswordSource(t *testing.T) {
	for _, tc := range passwordSourceCases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPasswordSource(tc.env, tc.file)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNoPassword) {
				t.Errorf("got %v, want it to match ErrNoPassword", err)
			}
		})
	}
}
