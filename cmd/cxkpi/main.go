// Command cxkpi computes customer-experience KPIs from helpdesk, survey and
// commerce exports and writes them as Parquet and PDF reports.
//
// Usage:
//
//	cxkpi run [flags]               run the job once (on the embedded sample without -input)
//	cxkpi gen [flags]               generate realistic sample exports
//	cxkpi schedule -config FILE     run the job on a cron schedule
//	cxkpi pull [flags]              fetch what changed from the Zendesk or Freshdesk API
//	cxkpi config check FILE         check a configuration file
//	cxkpi presets [NAME]            list the presets for helpdesk and survey exports, or print one
//	cxkpi bench [flags]             measure the job on generated data of a given size
//	cxkpi version                   print the version, commit and Go version
//
// Run "cxkpi <command> -h" for the flags of a command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	_ "time/tzdata" // time zones work in a static image without /usr/share/zoneinfo

	"github.com/cxkpi/cxkpi/pipeline"
)

// command is one subcommand: its one-line help and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"run":      {"run the job once (or over a range of periods): read exports, compute KPIs, write Parquet and PDF", runCmd},
		"gen":      {"generate realistic, deterministic sample exports", genCmd},
		"schedule": {"run the job on a cron schedule until stopped", scheduleCmd},
		"pull":     {"fetch what changed from the Zendesk or Freshdesk API into merged export files", pullCmd},
		"config":   {"check a configuration file", configCmd},
		"presets":  {"list the embedded mappings of helpdesk and survey exports, or print one", presetsCmd},
		"bench":    {"generate data of a given size, run the job on it, print time, rows/s and memory per stage", benchCmd},
		"version":  {"print the version, the commit it was built from and the Go version", versionCmd},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var logged loggedError
		if !errors.Is(err, flag.ErrHelp) && !errors.As(err, &logged) {
			fmt.Fprintln(os.Stderr, "cxkpi:", err)
		}
		os.Exit(exitCode(err))
	}
}

// Exit codes (docs/operations.md).
const (
	exitError = 1 // the run failed: bad configuration, unreadable input, a write that failed
	exitUsage = 2 // bad command line
	exitGate  = 3 // the data failed a gate: nothing was published
	exitAlert = 4 // published, and an alert fired, with -alert-exit or alerts.exit_code
)

// errAlert is the error of a published run that raised alerts, when asked
// to exit non-zero for them.
var errAlert = errors.New("alerts fired")

func exitCode(err error) int {
	switch {
	case errors.Is(err, flag.ErrHelp): // asked for with -h
		return 0
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, pipeline.ErrGate):
		return exitGate
	case errors.Is(err, errAlert):
		return exitAlert
	}
	return exitError
}

var errUsage = errors.New("usage")

// loggedError is an error that its command has already logged, as the
// last record of its log and in its log format (-log-format), so that a
// log collector reading JSON gets the failure as JSON too; main does not
// print it again.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// logFailure logs a command's error as its last log record, with the exit
// code it leads to, and marks it logged. nil and help pass through.
func logFailure(logger *slog.Logger, command string, err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	logger.Error("cxkpi: "+command+" failed", "error", err.Error(), "exit_code", exitCode(err))
	return loggedError{err}
}

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return fmt.Errorf("%w: no command", errUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout, cmds)
		return flag.ErrHelp
	case "-version", "--version":
		return versionCmd(ctx, args[1:], stdout, stderr)
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

// parseFlags parses a command's flags, then gives each flag not on the
// command line the value of its environment variable, if set: CXKPI_ and
// the flag's name in capitals with "-" as "_" (-batch-size reads
// CXKPI_BATCH_SIZE). A flag so set counts as set, so the precedence is
// command line, environment, configuration file, default
// (docs/configuration.md). A flag or variable that does not parse is a
// usage error (exit code 2); help asked for stays flag.ErrHelp (exit 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	onLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onLine[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok || onLine[f.Name] {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%w: environment variable %s=%q for -%s: %w", errUsage, name, v, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

// envName is the environment variable of a flag: -batch-size is
// CXKPI_BATCH_SIZE.
func envName(flagName string) string {
	return "CXKPI_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// flagOutput is where a command's flag set prints: standard output when
// the command line asks for help, so that "cxkpi run -h | less" works,
// standard error after a mistake.
func flagOutput(args []string, stdout, stderr io.Writer) io.Writer {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--h", "--help":
			return stdout
		case "--":
			return stderr
		}
	}
	return stderr
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "cxkpi computes customer-experience KPIs and writes Parquet and PDF reports.")
	fmt.Fprintln(w, "\nUsage: cxkpi <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'cxkpi <command> -h' for the flags of a command. Every flag can also be set")
	fmt.Fprintln(w, "in the environment: -batch-size as CXKPI_BATCH_SIZE; the command line wins,")
	fmt.Fprintln(w, "then the environment, then the configuration file.")
}
