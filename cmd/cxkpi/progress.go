package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// isTerminal reports whether w is a terminal, where a person watches.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressMode turns -progress into whether to show bars on stderr:
// "auto" shows them only when stderr is a terminal, so that logs written
// to a file or read by cron stay clean.
func progressMode(mode string, stderr io.Writer) (bool, error) {
	switch mode {
	case "auto":
		return isTerminal(stderr), nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, fmt.Errorf("%w: -progress %q, want auto, always or never", errUsage, mode)
}

// terminal is stderr shared by the progress bar and the log: a log
// record first clears the bar's line, which the bar draws again at its
// next update, so the two never mix on one line.
type terminal struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool // the bar's line is on screen
}

// Write writes a log record, clearing the bar's line first.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.drawn {
		if _, err := io.WriteString(t.w, "\r\x1b[K"); err != nil {
			return 0, err
		}
		t.drawn = false
	}
	return t.w.Write(p)
}

// barWriter is the bar's side of the terminal.
type barWriter struct{ t *terminal }

func (b barWriter) Write(p []byte) (int, error) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	b.t.drawn = true
	return b.t.w.Write(p)
}

// barProgress shows, per table, a bar of the bytes read of the total,
// with the rate and the time left; it implements pipeline.Progress.
type barProgress struct {
	term  *terminal
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	total int64
	read  int64
	start time.Time
}

func newBarProgress(t *terminal) *barProgress { return &barProgress{term: t} }

func (p *barProgress) Table(t ingest.Table, files int, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.read, p.start = max(total, 1), 0, time.Now()
	p.bar = progressbar.NewOptions64(p.total,
		progressbar.OptionSetWriter(barWriter{p.term}),
		progressbar.OptionSetDescription(fmt.Sprintf("%-16s %d %s", t, files, plural(files, "file", "files"))),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
}

func (p *barProgress) Read(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	p.read += n
	if p.read > p.total { // Parquet footers are read more than once
		p.total = p.read
		p.bar.ChangeMax64(p.total)
	}
	_ = p.bar.Add64(n) // a write error on a terminal is not the run's
}

func (p *barProgress) Done(t ingest.Table) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	_ = p.bar.Finish()
	p.bar = nil
	p.term.mu.Lock()
	fmt.Fprintln(p.term.w)
	p.term.drawn = false
	p.term.mu.Unlock()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// progressOutput returns where the log writes and the progress to give
// the run: with bars shown, both share stderr through a terminal.
func progressOutput(mode string, stderr io.Writer) (io.Writer, *barProgress, error) {
	show, err := progressMode(mode, stderr)
	if err != nil || !show {
		return stderr, nil, err
	}
	t := &terminal{w: stderr}
	return t, newBarProgress(t), nil
}
