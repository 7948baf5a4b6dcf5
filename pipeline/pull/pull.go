// Package pull fetches helpdesk exports incrementally from the vendors'
// APIs — Zendesk's Incremental Exports and Satisfaction Ratings, and
// Freshdesk's tickets, conversations and satisfaction ratings — and keeps
// them, merged by id, in files of the vendor's own response shapes in one
// directory (docs/pull.md). A cursor or high-water mark per endpoint is
// kept beside them, written after the data it covers, so an interrupted
// pull resumes where it stopped and the next night fetches only what
// changed.
package pull

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Vendor names the helpdesk an API belongs to.
type Vendor string

// The vendors [Run] pulls from.
const (
	Zendesk   Vendor = "zendesk"
	Freshdesk Vendor = "freshdesk"
)

// Doer sends one HTTP request; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Auth holds the credentials of the API. Token is a secret: it is sent in
// the Authorization header only and never logged nor put in an error.
type Auth struct {
	// Token is the Zendesk API token or OAuth access token, or the
	// Freshdesk API key.
	Token string
	// Email is the Zendesk agent the API token belongs to: the request is
	// authenticated as "email/token:TOKEN" (HTTP Basic). Unused with
	// Bearer and for Freshdesk, whose key is sent as "KEY:X".
	Email string
	// Bearer sends Token as a Zendesk OAuth access token
	// ("Authorization: Bearer TOKEN").
	Bearer bool
}

// Config configures one pull. Vendor, BaseURL, Dir and Auth are required;
// the zero value of every other field is usable ([Config.EnsureDefaults]).
type Config struct {
	Vendor Vendor
	// BaseURL is the account's address: https://SUBDOMAIN.zendesk.com or
	// https://DOMAIN.freshdesk.com (a test server's in tests).
	BaseURL string
	// Dir receives the merged exports and the state file. It must exist.
	Dir  string
	Auth Auth
	// Start is where the first pull of an endpoint starts: items created
	// or changed from then on are fetched. Later pulls start from the
	// saved state. Zero means 30 days before now.
	Start time.Time
	// RatingsLookback makes each Zendesk pull of satisfaction ratings
	// start that long before the newest rating already held, so that a
	// rating offered before the last pull and answered after it is seen
	// again with its answer. Zero refetches nothing.
	RatingsLookback time.Duration
	// CheckpointPages is how many pages are fetched between two
	// checkpoints (data files, then state, written to disk); the end of
	// every endpoint is a checkpoint too. Default 10.
	CheckpointPages int
	// MaxRetries bounds the retries of one request after a server error
	// (5xx) or a broken connection, each after a backoff that doubles from
	// Backoff (default 4 retries, 2s). A 429 is waited out as its
	// Retry-After says, up to MaxWait per wait (default 15m) and
	// MaxRateLimited times per request (default 20).
	MaxRetries     int
	Backoff        time.Duration
	MaxWait        time.Duration
	MaxRateLimited int
	// MinRemaining: when a response says fewer requests than this remain
	// in the rate-limit window (X-RateLimit-Remaining), the next request
	// waits a share of a minute, longer as fewer remain. Default 10;
	// negative never waits.
	MinRemaining int

	Client Doer                                             // default an http.Client with a 2-minute timeout
	Now    func() time.Time                                 // default time.Now
	Sleep  func(ctx context.Context, d time.Duration) error // default a timer that honours ctx
	Logger *slog.Logger                                     // default slog.Default()
}

// Defaults of [Config].
const (
	DefaultCheckpointPages = 10
	DefaultMaxRetries      = 4
	DefaultBackoff         = 2 * time.Second
	DefaultMaxWait         = 15 * time.Minute
	DefaultMaxRateLimited  = 20
	DefaultMinRemaining    = 10
)

// EnsureDefaults fills the unset fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.CheckpointPages <= 0 {
		c.CheckpointPages = DefaultCheckpointPages
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MaxRateLimited <= 0 {
		c.MaxRateLimited = DefaultMaxRateLimited
	}
	if c.MinRemaining == 0 {
		c.MinRemaining = DefaultMinRemaining
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Start.IsZero() {
		c.Start = c.Now().AddDate(0, 0, -30).Truncate(time.Second)
	}
}

// Validate reports every problem of the configuration; it never prints
// the token.
func (c *Config) Validate() error {
	var errs []error
	switch c.Vendor {
	case Zendesk, Freshdesk:
	case "":
		errs = append(errs, errors.New("pull: no vendor (zendesk or freshdesk)"))
	default:
		errs = append(errs, fmt.Errorf("pull: vendor %q, want zendesk or freshdesk", c.Vendor))
	}
	if _, err := parseBase(c.BaseURL); err != nil {
		errs = append(errs, err)
	}
	if c.Dir == "" {
		errs = append(errs, errors.New("pull: no output directory"))
	} else if st, err := os.Stat(c.Dir); err != nil || !st.IsDir() {
		errs = append(errs, fmt.Errorf("pull: output %s is not a directory", c.Dir))
	}
	if c.Auth.Token == "" {
		errs = append(errs, errors.New("pull: no token"))
	} else if strings.ContainsAny(c.Auth.Token, "\x00\r\n") {
		errs = append(errs, errors.New("pull: the token has more than one line or a NUL byte"))
	}
	if c.Vendor == Zendesk && !c.Auth.Bearer && c.Auth.Email == "" {
		errs = append(errs, errors.New("pull: zendesk: an API token needs the agent's email (or use an OAuth bearer token)"))
	}
	if c.RatingsLookback < 0 {
		errs = append(errs, fmt.Errorf("pull: ratings lookback %s is negative", c.RatingsLookback))
	}
	return errors.Join(errs...)
}

// CheckBaseURL reports what is wrong with an API base URL, as
// [Config.Validate] does: it must be an absolute http or https address
// without credentials, query or fragment.
func CheckBaseURL(s string) error {
	_, err := parseBase(s)
	return err
}

// parseBase checks an API base URL: absolute http or https, no
// credentials, no query; its path is kept ("" or "/" for a vendor).
func parseBase(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("pull: no base URL (https://SUBDOMAIN.zendesk.com, https://DOMAIN.freshdesk.com)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("pull: base URL %q is not an http or https address", s)
	}
	if u.User != nil {
		return nil, errors.New("pull: the base URL holds credentials; give them as a token instead")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("pull: base URL %s has a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// Summary says what a pull fetched, per endpoint in the order pulled.
type Summary struct {
	Vendor    Vendor
	Dir       string
	Endpoints []EndpointSummary
	Requests  int // HTTP requests sent, retries included
}

// EndpointSummary is what one endpoint gave.
type EndpointSummary struct {
	Name    string // tickets, ticket_events, conversations, satisfaction_ratings
	Pages   int    // pages received
	Records int    // records received, duplicates included
	Changed int    // records new or newer than the ones held
	Deleted int    // records dropped because the vendor deleted them
	Resumed bool   // the pull started from a saved cursor or mark
}

// String is the one-line summary, like
// "zendesk: tickets 3 pages, 2100 records, 14 changed, 1 deleted; ... (9 requests)".
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:", s.Vendor)
	for i, e := range s.Endpoints {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s %d pages, %d records, %d changed", e.Name, e.Pages, e.Records, e.Changed)
		if e.Deleted > 0 {
			fmt.Fprintf(&b, ", %d deleted", e.Deleted)
		}
	}
	fmt.Fprintf(&b, " (%d requests)", s.Requests)
	return b.String()
}

// Run pulls everything that changed since the state saved in cfg.Dir (or
// since cfg.Start on the first pull) and merges it into the files there.
// It stops at the first error; what it had checkpointed stays and the
// next Run resumes from there. The caller keeps other pulls out of the
// directory for the duration (cxkpi pull holds the run lock in it).
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	cfg.EnsureDefaults()
	base, _ := parseBase(cfg.BaseURL)
	c := newClient(cfg, base)
	sum := Summary{Vendor: cfg.Vendor, Dir: cfg.Dir}
	st, err := openStore(cfg.Dir, cfg.Vendor, base.String(), cfg.Logger)
	if err != nil {
		return sum, err
	}
	started := cfg.Now()
	cfg.Logger.Info("pull started", "vendor", cfg.Vendor, "base_url", base.Redacted(), "dir", cfg.Dir)
	p := &puller{cfg: cfg, c: c, st: st}
	switch cfg.Vendor {
	case Zendesk:
		err = p.zendesk(ctx)
	case Freshdesk:
		err = p.freshdesk(ctx)
	}
	for _, e := range p.eps {
		sum.Endpoints = append(sum.Endpoints, *e)
	}
	sum.Requests = c.requests
	if err != nil {
		cfg.Logger.Error("pull failed", "vendor", cfg.Vendor, "requests", c.requests, "err", err)
		return sum, err
	}
	cfg.Logger.Info("pull finished", "vendor", cfg.Vendor, "summary", sum.String(), "duration", cfg.Now().Sub(started))
	return sum, nil
}

// puller is one Run's work.
type puller struct {
	cfg Config
	c   *client
	st  *store
	eps []*EndpointSummary
}

// endpoint starts the summary of one endpoint.
func (p *puller) endpoint(name string) *EndpointSummary {
	e := &EndpointSummary{Name: name}
	p.eps = append(p.eps, e)
	return e
}

// page logs one page received.
func (p *puller) page(e *EndpointSummary, records, changed int) {
	e.Pages++
	e.Records += records
	e.Changed += changed
	p.cfg.Logger.Info("pulled page", "vendor", p.cfg.Vendor, "endpoint", e.Name, "page", e.Pages, "records", records, "changed", changed)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
