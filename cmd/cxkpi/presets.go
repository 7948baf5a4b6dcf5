package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// presetsCmd lists the presets, or prints the mapping of one.
func presetsCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("presets", flag.ContinueOnError)
	fs.SetOutput(flagOutput(args, stdout, stderr))
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: cxkpi presets [NAME]\n\nLists the embedded mappings of helpdesk and survey exports that\n'cxkpi run -preset NAME' reads (docs/presets.md). With a NAME, prints that\npreset's mapping, to start a mapping of your own from.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return listPresets(stdout)
	case 1:
		b, err := ingest.PresetSource(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		_, err = stdout.Write(b)
		return err
	}
	return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(1))
}

func listPresets(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, p := range ingest.Presets() {
		fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Summary)
	}
	return tw.Flush()
}
