package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/cxkpi/cxkpi/pipeline"
)

func configCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi config check FILE\n\nChecks a configuration file and prints every problem with its key.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "check" {
		fs.Usage()
		return fmt.Errorf("%w: want: config check FILE", errUsage)
	}
	if _, err := pipeline.LoadFile(fs.Arg(1)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok %s\n", fs.Arg(1))
	return nil
}
