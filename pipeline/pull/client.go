package pull

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrAuth is wrapped by the error of a request the API refused for its
// credentials (401 or 403).
var ErrAuth = errors.New("pull: the API refused the credentials")

// StatusError is a response that is neither a success nor one retried:
// a 4xx other than 429, or a 5xx after the retries. URL never holds
// credentials; Body is an excerpt with any secret replaced.
type StatusError struct {
	URL    string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("pull: GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		msg += " (check the token, the email and the base URL)"
	}
	if e.Body != "" {
		msg += fmt.Sprintf(": %q", e.Body)
	}
	return msg
}

// Unwrap gives [ErrAuth] for 401 and 403.
func (e *StatusError) Unwrap() error {
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		return ErrAuth
	}
	return nil
}

// maxBody bounds a response body; an API page is a few megabytes.
const maxBody = 256 << 20

// bodyExcerpt is how much of an error response an error quotes.
const bodyExcerpt = 300

// client sends the GET requests of one pull: credentials, retries of
// server errors and broken connections, waits on rate limits.
type client struct {
	cfg      Config
	base     *url.URL
	auth     string   // the Authorization header value
	secrets  []string // strings never to show: the token and the header's encodings of it
	requests int
	log      *slog.Logger
}

func newClient(cfg Config, base *url.URL) *client {
	c := &client{cfg: cfg, base: base, log: cfg.Logger}
	var user string
	switch {
	case cfg.Vendor == Freshdesk:
		user = cfg.Auth.Token + ":X"
	case cfg.Auth.Bearer:
		c.auth = "Bearer " + cfg.Auth.Token
	default:
		user = cfg.Auth.Email + "/token:" + cfg.Auth.Token
	}
	if user != "" {
		enc := base64.StdEncoding.EncodeToString([]byte(user))
		c.auth = "Basic " + enc
		c.secrets = append(c.secrets, enc)
	}
	c.secrets = append(c.secrets, cfg.Auth.Token)
	return c
}

// redact replaces every secret in s.
func (c *client) redact(s string) string {
	for _, sec := range c.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// resolve turns a path with query ("/api/v2/tickets?page=2") or an
// absolute URL from a Link header into a URL on the base's host. An
// absolute URL on another scheme or host is refused: the credentials go
// to the configured account only.
func (c *client) resolve(ref string) (*url.URL, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("pull: next page %q: %w", c.redact(ref), err)
	}
	if r.IsAbs() || r.Host != "" {
		if !strings.EqualFold(r.Scheme, c.base.Scheme) || !strings.EqualFold(r.Host, c.base.Host) {
			return nil, fmt.Errorf("pull: next page %s is not on %s; refusing to send the credentials there", r.Redacted(), c.base.Host)
		}
		r.User = nil
		return r, nil
	}
	u := *c.base
	u.Path = c.base.Path + r.Path
	u.RawQuery = r.RawQuery
	return &u, nil
}

// response is a successful response.
type response struct {
	body   []byte
	header http.Header
}

// get fetches ref (see resolve), retrying as [Config] says. The error
// names the URL and never holds a secret.
func (c *client) get(ctx context.Context, ref string) (*response, error) {
	u, err := c.resolve(ref)
	if err != nil {
		return nil, err
	}
	shown := u.Redacted()
	retries, limited := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		status, body, header, err := c.do(ctx, u)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if retries >= c.cfg.MaxRetries {
				return nil, fmt.Errorf("pull: GET %s: %s (after %d retries)", shown, c.redact(err.Error()), retries)
			}
			wait = c.cfg.Backoff << retries
			retries++
			c.log.Warn("request failed, retrying", "url", shown, "err", c.redact(err.Error()), "retry", retries, "wait", wait)
		case status >= 200 && status < 300:
			if err := c.slowDown(ctx, header); err != nil {
				return nil, err
			}
			return &response{body: body, header: header}, nil
		case status == http.StatusTooManyRequests:
			limited++
			w, ok := retryAfter(header.Get("Retry-After"), c.cfg.Now())
			if !ok {
				w = c.cfg.Backoff << min(limited-1, 5)
			}
			if w > c.cfg.MaxWait {
				return nil, fmt.Errorf("pull: GET %s: rate limited: the server asks to wait %s, more than the %s allowed", shown, w, c.cfg.MaxWait)
			}
			if limited > c.cfg.MaxRateLimited {
				return nil, fmt.Errorf("pull: GET %s: rate limited %d times in a row", shown, limited-1)
			}
			wait = w
			c.log.Warn("rate limited, waiting", "url", shown, "retry_after", header.Get("Retry-After"), "wait", wait)
		case status >= 500 && retries < c.cfg.MaxRetries:
			wait = c.cfg.Backoff << retries
			if w, ok := retryAfter(header.Get("Retry-After"), c.cfg.Now()); ok && w > wait && w <= c.cfg.MaxWait {
				wait = w
			}
			retries++
			c.log.Warn("server error, retrying", "url", shown, "status", status, "retry", retries, "wait", wait)
		default:
			return nil, &StatusError{URL: shown, Status: status, Body: c.excerpt(body)}
		}
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// do sends one request and reads the whole body: a connection closed
// mid-body is an error like one refused.
func (c *client) do(ctx context.Context, u *url.URL) (status int, body []byte, header http.Header, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cxkpi-pull")
	c.requests++
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBody {
		return 0, nil, nil, fmt.Errorf("response body larger than %d bytes", maxBody)
	}
	return resp.StatusCode, body, resp.Header, nil
}

// excerpt is the start of an error body, secrets replaced.
func (c *client) excerpt(body []byte) string {
	s := c.redact(string(body))
	if len(s) > bodyExcerpt {
		s = s[:bodyExcerpt] + "…"
	}
	return strings.TrimSpace(s)
}

// slowDown waits when the response says few requests remain in the
// rate-limit window: a minute divided by the requests left plus one, so
// that the last ones are spread over the window rather than spent at once.
func (c *client) slowDown(ctx context.Context, h http.Header) error {
	left, ok := rateRemaining(h)
	if !ok || c.cfg.MinRemaining < 0 || left >= int64(c.cfg.MinRemaining) {
		return nil
	}
	wait := time.Minute / time.Duration(left+1)
	c.log.Info("few requests left in the rate-limit window, slowing down", "remaining", left, "wait", wait)
	return c.cfg.Sleep(ctx, wait)
}
