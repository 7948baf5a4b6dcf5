package pipeline

import (
	"fmt"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/pull"
)

// PullSection configures `cxkpi pull`, and the pull that `cxkpi schedule`
// makes before each run when the section is present (docs/pull.md). The
// token is never in the file: TokenEnv or TokenFile says where to read it.
type PullSection struct {
	Vendor  string `yaml:"vendor"`   // zendesk or freshdesk
	BaseURL string `yaml:"base_url"` // https://SUBDOMAIN.zendesk.com, https://DOMAIN.freshdesk.com
	// Output is the directory the exports are merged into; default the
	// file's input, so that the run reads what the pull wrote.
	Output string `yaml:"output"`
	// Start is where the first pull starts, a date (UTC) or an RFC 3339
	// time; default 30 days before the first pull.
	Start     string `yaml:"start"`
	Email     string `yaml:"email"` // Zendesk: the agent whose API token it is
	Auth      string `yaml:"auth"`  // Zendesk: token (default) or bearer (an OAuth access token)
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
	// RatingsLookback: how far before the newest Zendesk rating held each
	// pull lists ratings again, to see offered ones answered since;
	// default DefaultRatingsLookback.
	RatingsLookback *time.Duration `yaml:"ratings_lookback"`
}

// DefaultRatingsLookback is the default pull.ratings_lookback.
const DefaultRatingsLookback = 14 * 24 * time.Hour

// ParsePullStart reads a pull's start: a date like 2026-01-01 (UTC
// midnight) or an RFC 3339 time; "" is the zero time (the default).
func ParsePullStart(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q is not a date like 2026-01-01 or a time like 2026-01-01T00:00:00Z", s)
	}
	return t, nil
}

// checkPull checks the pull section without reading the token, so that
// the check passes on a machine without the secret.
func (f *File) checkPull(bad func(key, format string, args ...any)) {
	p := f.Pull
	switch pull.Vendor(p.Vendor) {
	case pull.Zendesk, pull.Freshdesk:
	default:
		bad("pull.vendor", "%q, want zendesk or freshdesk", p.Vendor)
	}
	if err := pull.CheckBaseURL(p.BaseURL); err != nil {
		bad("pull.base_url", "%v", err)
	}
	if f.pullDir() == "" {
		bad("pull.output", "required when the file names no input")
	}
	if _, err := ParsePullStart(p.Start); err != nil {
		bad("pull.start", "%v", err)
	}
	switch p.Auth {
	case "", "token", "bearer":
	default:
		bad("pull.auth", "%q, want token or bearer", p.Auth)
	}
	if p.Auth == "bearer" && p.Vendor == string(pull.Freshdesk) {
		bad("pull.auth", "freshdesk takes an API key, not a bearer token")
	}
	if p.Vendor == string(pull.Zendesk) && p.Auth != "bearer" && p.Email == "" {
		bad("pull.email", "required with a Zendesk API token (or auth: bearer)")
	}
	if err := pull.CheckTokenSource(p.TokenEnv, f.pullTokenFile()); err != nil {
		bad("pull", "%v", err)
	}
	if p.RatingsLookback != nil && *p.RatingsLookback < 0 {
		bad("pull.ratings_lookback", "%s is negative", *p.RatingsLookback)
	}
}

func (f *File) pullDir() string {
	switch {
	case f.Pull.Output != "":
		return f.path(f.Pull.Output)
	case f.Input != "":
		return f.path(f.Input)
	}
	return ""
}

func (f *File) pullTokenFile() string {
	if f.Pull.TokenFile == "" {
		return ""
	}
	return f.path(f.Pull.TokenFile)
}

// PullConfig returns the pull the file's pull section describes, its
// token read from the environment or the file; ok is false without a
// section. The caller sets the logger and creates the directory.
func (f *File) PullConfig() (cfg pull.Config, ok bool, err error) {
	p := f.Pull
	if p == nil {
		return cfg, false, nil
	}
	token, err := pull.TokenFrom(p.TokenEnv, f.pullTokenFile())
	if err != nil {
		return cfg, true, err
	}
	start, err := ParsePullStart(p.Start)
	if err != nil {
		return cfg, true, fmt.Errorf("pull.start: %w", err)
	}
	cfg = pull.Config{
		Vendor: pull.Vendor(p.Vendor), BaseURL: p.BaseURL, Dir: f.pullDir(), Start: start,
		Auth:            pull.Auth{Token: token, Email: p.Email, Bearer: p.Auth == "bearer"},
		RatingsLookback: DefaultRatingsLookback,
	}
	if p.RatingsLookback != nil {
		cfg.RatingsLookback = *p.RatingsLookback
	}
	return cfg, true, nil
}
