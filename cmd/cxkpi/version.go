package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/cxkpi/cxkpi/pipeline"
)

// versionCmd prints what the binary was built from, one line, for
// people, bug reports and container health checks.
func versionCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi version\n\nPrints the module version, the commit and the Go version.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: version takes no arguments", errUsage)
	}
	fmt.Fprintln(stdout, versionLine(pipeline.BuildVersions()))
	return nil
}

// versionLine is "cxkpi VERSION (commit REV[, modified]) GO".
func versionLine(v pipeline.Versions) string {
	s := "cxkpi " + v.Cxkpi
	if v.Revision != "" {
		s += " (commit " + v.Revision
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + v.Go
}
