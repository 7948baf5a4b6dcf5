package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

func scheduleCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	config := fs.String("config", "", "YAML configuration file with a schedule section (required)")
	logFormat := fs.String("log-format", "json", "log format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi schedule -config FILE\n\nRuns the job on the file's cron schedule until SIGTERM or SIGINT; each run\nreports the period containing the day before its scheduled time\n(docs/operations.md).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *config == "" {
		fs.Usage()
		return fmt.Errorf("%w: -config is required", errUsage)
	}
	logger, err := newLogger(stderr, *logFormat)
	if err != nil {
		return err
	}
	defer func() { err = logFailure(logger, "schedule", err) }()
	file, err := pipeline.LoadFile(*config)
	if err != nil {
		return err
	}
	if file.Schedule.Cron == "" {
		return fmt.Errorf("%s: schedule.cron: required for cxkpi schedule", *config)
	}
	if bucket.IsURL(file.Output) {
		return fmt.Errorf("%s: output: cxkpi schedule keeps its run lock and state in the output directory, which a bucket cannot hold: run `cxkpi run -config` from cron or a systemd timer instead (docs/operations.md, \"Object storage\")", *config)
	}
	cfg, err := file.Config()
	if err != nil {
		return err
	}
	if cfg.Input == nil {
		cfg.Input, cfg.InputName = cxkpi.Sample(), sampleName
	}
	cfg.Logger = logger
	cfg.EnsureDefaults()
	sc := file.ScheduleConfig(logger) // checked by LoadFile as by config check
	// The token is read at start, to fail now rather than at night, and
	// again before each pull, so that a rotated token file is used.
	_, pulls, err := file.PullConfig()
	if err != nil {
		return err
	}
	logger.Info("scheduler started", "cron", sc.Cron, "time_zone", sc.Location.String(), "catch_up", sc.CatchUp, "out", cfg.OutDir, "pull", pulls)
	err = schedule.Run(ctx, sc, func(ctx context.Context, asOf time.Time) error {
		c := cfg
		c.AsOf = asOf
		// The scheduler holds the run lock: clean up after killed runs.
		if err := pipeline.Recover(c.OutDir, logger); err != nil {
			return err
		}
		// The pull section fetches what changed before the run reads it; a
		// failed pull fails the night rather than report stale data.
		if pulls {
			pc, _, err := file.PullConfig()
			if err != nil {
				return err
			}
			pc.Logger = logger
			if _, err := pullLocked(ctx, pc, c.OutDir, file.Schedule.LockStaleAge, logger); err != nil {
				return err
			}
		}
		_, err := pipeline.Run(ctx, c)
		return err
	})
	logger.Info("scheduler stopped")
	return err
}
