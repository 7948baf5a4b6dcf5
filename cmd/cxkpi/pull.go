package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/pull"
	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

func pullCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pull", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	config := fs.String("config", "", "YAML configuration file with a pull section (docs/pull.md); flags override it")
	vendor := fs.String("vendor", "", "zendesk or freshdesk")
	baseURL := fs.String("base-url", "", "the account's address: https://SUBDOMAIN.zendesk.com or https://DOMAIN.freshdesk.com")
	out := fs.String("out", "", "directory the exports are merged into (default: the configuration's pull.output or input)")
	start := fs.String("start", "", "where the first pull starts: a date (UTC) like 2026-01-01 or an RFC 3339 time (default: 30 days ago)")
	email := fs.String("email", "", "Zendesk: the agent whose API token it is")
	auth := fs.String("auth", "", "Zendesk: token (an API token, the default) or bearer (an OAuth access token)")
	tokenEnv := fs.String("token-env", "", "environment variable holding the API token or key")
	tokenFile := fs.String("token-file", "", "file holding the API token or key")
	lookback := fs.Duration("ratings-lookback", pipeline.DefaultRatingsLookback, "Zendesk: list again the ratings of this long before the newest one held")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi pull [flags]\n\nFetches what changed since the last pull from the Zendesk or Freshdesk API and\nmerges it into tickets.json, ticket_events.json or conversations.json, and\nsatisfaction_ratings.json in the output directory (docs/pull.md). The token\nis read from -token-env or -token-file, never from the command line.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	logger, err := newLogger(stderr, *logFormat)
	if err != nil {
		return err
	}
	var cfg pull.Config
	var staleAge time.Duration
	if *config != "" {
		file, err := pipeline.LoadFile(*config)
		if err != nil {
			return err
		}
		if file.Pull == nil && !set["token-env"] && !set["token-file"] {
			return fmt.Errorf("%s: pull: no pull section", *config)
		}
		if file.Pull != nil {
			if cfg, _, err = file.PullConfig(); err != nil {
				return err
			}
		}
		staleAge = file.Schedule.LockStaleAge
	} else {
		cfg.RatingsLookback = *lookback
	}
	if set["vendor"] {
		cfg.Vendor = pull.Vendor(*vendor)
	}
	if set["base-url"] {
		cfg.BaseURL = *baseURL
	}
	if set["out"] {
		cfg.Dir = *out
	}
	if set["start"] {
		if cfg.Start, err = pipeline.ParsePullStart(*start); err != nil {
			return fmt.Errorf("%w: -start: %w", errUsage, err)
		}
	}
	if set["email"] {
		cfg.Auth.Email = *email
	}
	if set["auth"] {
		switch *auth {
		case "token", "bearer":
			cfg.Auth.Bearer = *auth == "bearer"
		default:
			return fmt.Errorf("%w: -auth %q, want token or bearer", errUsage, *auth)
		}
	}
	if set["token-env"] || set["token-file"] {
		if cfg.Auth.Token, err = pull.TokenFrom(*tokenEnv, *tokenFile); err != nil {
			return err
		}
	}
	if set["ratings-lookback"] {
		cfg.RatingsLookback = *lookback
	}
	if cfg.Dir == "" {
		fs.Usage()
		return fmt.Errorf("%w: -out is required (or a configuration with pull.output or input)", errUsage)
	}
	cfg.Logger = logger
	sum, err := pullLocked(ctx, cfg, "", staleAge, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok pull %s -> %s\n", sum, cfg.Dir)
	return nil
}

// pullLocked pulls holding the run lock of the pull's directory, created
// if missing, unless that is held, the directory of the run about to
// follow, whose lock the caller holds.
func pullLocked(ctx context.Context, cfg pull.Config, held string, staleAge time.Duration, logger *slog.Logger) (pull.Summary, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return pull.Summary{}, fmt.Errorf("pull: create %s: %w", cfg.Dir, err)
	}
	if !sameDir(cfg.Dir, held) {
		lock, err := schedule.Locker{Dir: cfg.Dir, StaleAge: staleAge, Now: time.Now, Logger: logger}.Acquire()
		if err != nil {
			return pull.Summary{}, fmt.Errorf("pull: %w", err)
		}
		defer lock.Release()
	}
	return pull.Run(ctx, cfg)
}

func sameDir(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}
