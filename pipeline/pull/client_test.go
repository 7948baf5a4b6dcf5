package pull

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestZendeskRetryLimits(t *testing.T) {
	tests := []struct {
		name  string
		fault fault
		want  string
	}{
		{"Retry-After beyond the most", fault{status: 429, retryAfter: "3600"}, "asks to wait 1h0m0s, more than the 15m0s allowed"},
		{"rate limited forever", fault{status: 429, retryAfter: "1"}, "rate limited 20 times in a row"},
		{"503 forever", fault{status: 503, body: "down for maintenance"}, `503 Service Unavailable: "down for maintenance"`},
		{"404", fault{status: 404, body: `{"error":"InvalidEndpoint"}`}, `404 Not Found: "{\"error\":\"InvalidEndpoint\"}"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, f := zdAccount(t)
			cfg, _, _ := testConfig(t, Zendesk, f, t.TempDir())
			f.faults = func(int, *http.Request) *fault { ft := tc.fault; return &ft }
			_, err := Run(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), f.srv.URL+zdTicketsPath) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestCancelDuringWait(t *testing.T) {
	_, f := zdAccount(t)
	cfg, _, _ := testConfig(t, Zendesk, f, t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	cfg.Sleep = func(ctx2 context.Context, d time.Duration) error { cancel(); return sleep(ctx2, d) }
	f.faults = func(int, *http.Request) *fault { return &fault{status: 429, retryAfter: "5"} }
	if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestAuth(t *testing.T) {
	bearer := "Bearer " + testToken
	fresh := "Basic " + base64.StdEncoding.EncodeToString([]byte(testToken+":X"))
	tests := []struct {
		name   string
		vendor Vendor
		auth   Auth
		server string // the header the server wants
	}{
		{"zendesk API token", Zendesk, Auth{Token: testToken, Email: "agent@example.com"}, zdAuth()},
		{"zendesk OAuth", Zendesk, Auth{Token: testToken, Bearer: true}, bearer},
		{"freshdesk API key", Freshdesk, Auth{Token: testToken}, fresh},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.server)
			f.handlers[zdTicketsPath] = func(w http.ResponseWriter, r *http.Request) {
				fmtJSON(w, map[string]any{"tickets": []any{}, "after_cursor": "x", "end_of_stream": true})
			}
			f.handlers[zdEventsPath] = func(w http.ResponseWriter, r *http.Request) {
				fmtJSON(w, map[string]any{"ticket_events": []any{}, "end_time": nil, "end_of_stream": true})
			}
			f.handlers[zdRatingsPath] = func(w http.ResponseWriter, r *http.Request) {
				fmtJSON(w, map[string]any{"satisfaction_ratings": []any{}, "meta": map[string]any{"has_more": false}})
			}
			for _, p := range []string{fdTicketsPath, fdRatingsPath} {
				f.handlers[p] = func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }
			}
			cfg, _, _ := testConfig(t, tc.vendor, f, t.TempDir())
			cfg.Auth = tc.auth
			if _, err := Run(t.Context(), cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUnauthorized: a 401 is a clear error, and neither it nor the log
// holds the token, even when the server echoes the header it received.
func TestUnauthorized(t *testing.T) {
	for _, vendor := range []Vendor{Zendesk, Freshdesk} {
		t.Run(string(vendor), func(t *testing.T) {
			f := newFake(t, "Basic something-else")
			cfg, _, logs := testConfig(t, vendor, f, t.TempDir())
			_, err := Run(t.Context(), cfg)
			if !errors.Is(err, ErrAuth) {
				t.Fatalf("got %v, want ErrAuth", err)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != 401 {
				t.Fatalf("got %v, want a StatusError 401", err)
			}
			if !strings.Contains(err.Error(), "401 Unauthorized (check the token") || !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("error %q does not explain itself or did not redact", err)
			}
			c := newClient(cfg, mustBase(t, cfg.BaseURL))
			noSecret(t, "error", err.Error(), c)
			noSecret(t, "log", logs.String(), c)
		})
	}
}

// TestNoSecretInLogs runs pulls through retries, rate limits and
// failures and checks that no log line holds the token.
func TestNoSecretInLogs(t *testing.T) {
	_, f := zdAccount(t)
	cfg, _, logs := testConfig(t, Zendesk, f, t.TempDir())
	cfg.MaxRetries = 1
	f.faults = func(n int, r *http.Request) *fault {
		switch {
		case n == 1:
			return &fault{status: 429, retryAfter: "1", body: "slow down " + testToken}
		case n == 2:
			return &fault{hangUp: true}
		case n >= 5:
			return &fault{status: 500, body: "oops " + zdAuth()}
		}
		return nil
	}
	_, err := Run(t.Context(), cfg)
	if err == nil {
		t.Fatal("want an error")
	}
	c := newClient(cfg, mustBase(t, cfg.BaseURL))
	noSecret(t, "error", err.Error(), c)
	noSecret(t, "log", logs.String(), c)
	if !strings.Contains(logs.String(), "rate limited") || !strings.Contains(logs.String(), "pull failed") {
		t.Errorf("log misses the waits or the failure:\n%s", logs.String())
	}
}

func TestOtherHostRefused(t *testing.T) {
	c := newClient(Config{Vendor: Freshdesk, Auth: Auth{Token: testToken}}, mustBase(t, "https://acme.freshdesk.com"))
	for _, ref := range []string{"https://evil.example/api/v2/tickets?page=2", "http://acme.freshdesk.com/api/v2/tickets?page=2", "//evil.example/x"} {
		if _, err := c.resolve(ref); err == nil {
			t.Errorf("%s: resolved, want refused", ref)
		}
	}
	u, err := c.resolve("https://ACME.freshdesk.com/api/v2/tickets?page=2")
	if err != nil || u.String() != "https://ACME.freshdesk.com/api/v2/tickets?page=2" {
		t.Errorf("same host: got %v, %v", u, err)
	}
}

func TestStateOfAnotherAccount(t *testing.T) {
	_, f := zdAccount(t)
	dir := t.TempDir()
	cfg, _, _ := testConfig(t, Zendesk, f, dir)
	if _, err := Run(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL = "https://other.zendesk.com"
	if _, err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "pull each account into its own directory") {
		t.Errorf("got %v, want a refusal", err)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	ok := Config{Vendor: Zendesk, BaseURL: "https://acme.zendesk.com", Dir: dir, Auth: Auth{Token: "t", Email: "a@b"}}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no vendor", func(c *Config) { c.Vendor = "" }, "no vendor"},
		{"bad vendor", func(c *Config) { c.Vendor = "zendsk" }, `vendor "zendsk"`},
		{"credentials in URL", func(c *Config) { c.BaseURL = "https://a:" + testToken + "@acme.zendesk.com" }, "holds credentials"},
		{"not a URL", func(c *Config) { c.BaseURL = "acme.zendesk.com" }, "not an http or https address"},
		{"no dir", func(c *Config) { c.Dir = filepath.Join(dir, "missing") }, "is not a directory"},
		{"no token", func(c *Config) { c.Auth.Token = "" }, "no token"},
		{"no email", func(c *Config) { c.Auth.Email = "" }, "needs the agent's email"},
		{"two lines", func(c *Config) { c.Auth.Token = "a\nb" }, "more than one line"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}

func mustBase(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := parseBase(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
