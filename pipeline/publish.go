package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DirMode is the permission of a published run directory. It is set
// explicitly, so the umask does not apply: the files inside are
// [reports.FileMode] (0644), and who may read them is decided by the
// permissions of the output directory above them, which the run creates
// (subject to the umask) but never changes.
const DirMode os.FileMode = 0o755

// Names of what a run keeps in the output directory while it works. A run
// killed outright leaves them behind; [Recover] removes them.
const (
	stagingPrefix = ".run-"   // the run directory being assembled
	spillPrefix   = ".spill-" // temporary partition files
	asideSuffix   = ".old"    // a previous run moved aside while publishing without an exchange
)

// errNoExchange is returned by an exchange function where the operating
// system or the file system cannot swap two directories atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// replaceDir publishes the staging directory stage as dir, replacing a
// previous run of the same period in one atomic step: exchange swaps the
// two directories (renameat2 RENAME_EXCHANGE on Linux), so dir always
// names a complete run, the old one or the new one; the old one, now
// under the staging name, is then removed. Where exchange reports
// errNoExchange the swap takes two renames: the old directory is first
// moved aside, to a name that says which period it belongs to, so that
// [Recover] can put it back if the process dies before the second rename.
func replaceDir(stage, dir string, exchange func(a, b string) error) error {
	if err := os.Chmod(stage, DirMode); err != nil {
		return fmt.Errorf("publish %s: %w", dir, err)
	}
	parent := filepath.Dir(dir)
	fault("publish")
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		// First run of the period: one rename, atomic by itself, into the
		// grain directory, made by the first run of the grain.
		if err := mkdirSynced(parent); err != nil {
			return fmt.Errorf("publish %s: %w", dir, err)
		}
		if err := os.Rename(stage, dir); err != nil {
			return fmt.Errorf("publish %s: %w", dir, err)
		}
		fault("publish.renamed")
		return syncDir(parent)
	} else if err != nil {
		return fmt.Errorf("publish %s: %w", dir, err)
	}
	err := exchange(stage, dir)
	if errors.Is(err, errNoExchange) {
		return replaceByRenames(stage, dir)
	}
	if err != nil {
		return fmt.Errorf("publish %s: %w", dir, err)
	}
	fault("publish.exchanged")
	if err := syncDir(parent); err != nil {
		return err
	}
	// stage now holds the previous run.
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("remove the previous run of %s: %w", dir, err)
	}
	fault("publish.removed")
	return nil
}

// replaceByRenames replaces dir by stage with two renames, for file
// systems without an atomic exchange. Between them dir is missing; the
// previous run waits under asideName.
func replaceByRenames(stage, dir string) error {
	aside := asideName(stage, dir)
	if err := os.Rename(dir, aside); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	fault("publish.aside")
	if err := os.Rename(stage, dir); err != nil {
		if rerr := os.Rename(aside, dir); rerr != nil {
			return fmt.Errorf("publish %s: %w; the previous run stays in %s: %w", dir, err, aside, rerr)
		}
		return fmt.Errorf("publish %s: %w", dir, err)
	}
	fault("publish.renamed")
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("remove the previous run of %s: %w", dir, err)
	}
	fault("publish.removed")
	return nil
}

// asideName is where replaceByRenames moves the previous run of dir:
// beside the staging directory, named after both, the path of dir
// relative to the output with dots for its separators:
// .run-123.grain=month.period=2026-10.old.
func asideName(stage, dir string) string {
	rel, err := filepath.Rel(filepath.Dir(stage), dir)
	if err != nil {
		rel = filepath.Base(dir)
	}
	return stage + "." + strings.ReplaceAll(filepath.ToSlash(rel), "/", ".") + asideSuffix
}

// mkdirSynced creates the directory dir if it is missing, and makes its
// entry in its parent durable.
func mkdirSynced(dir string) error {
	if _, err := os.Lstat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir makes the renames inside dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
