package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

// Recover cleans the output directory outDir of what runs killed outright
// (SIGKILL, out of memory, power loss) left there, and logs each step:
//
//   - staging directories (.run-*): a run that never published, or the
//     previous run of a period that an exchange had already replaced, are
//     removed;
//   - spill directories (.spill-*) are removed;
//   - a previous run moved aside while publishing with two renames
//     (.run-*.<grain>=<period>.old) is put back as <grain>=<period> when
//     that directory is missing (the run died between the renames), and
//     removed otherwise.
//
// Nothing else in outDir is touched. Only the process holding the run
// lock of outDir may call Recover, before its run starts: the lock is the
// proof that no live run owns a leftover. Recover checks it with
// [schedule.CheckHeld] and, without it, removes nothing and returns an
// error wrapping [schedule.ErrNotHeld]. The errors of the leftovers that
// could not be recovered are returned joined, after trying all of them.
func Recover(outDir string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	es, err := os.ReadDir(outDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover %s: %w", outDir, err)
	}
	var left []fs.DirEntry
	for _, e := range es {
		if leftoverKind(e.Name()) != "" {
			left = append(left, e)
		}
	}
	defer fault("recovered")
	if len(left) == 0 {
		return nil
	}
	if err := schedule.CheckHeld(outDir); err != nil {
		return fmt.Errorf("recover %s: %w", outDir, err)
	}
	// Put the previous runs back before removing staging directories, so
	// that a crash during recovery loses nothing either.
	sort.SliceStable(left, func(i, j int) bool {
		return leftoverKind(left[i].Name()) == "aside" && leftoverKind(left[j].Name()) != "aside"
	})
	var errs []error
	for _, e := range left {
		if err := recoverOne(outDir, e, log); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// leftoverKind names what a run left under name in the output directory:
// "aside", "staging", "spill", or "" for anything else.
func leftoverKind(name string) string {
	switch {
	case strings.HasPrefix(name, stagingPrefix) && strings.HasSuffix(name, asideSuffix):
		return "aside"
	case strings.HasPrefix(name, stagingPrefix):
		return "staging"
	case strings.HasPrefix(name, spillPrefix):
		return "spill"
	}
	return ""
}

func recoverOne(outDir string, e fs.DirEntry, log *slog.Logger) error {
	name, kind := e.Name(), leftoverKind(e.Name())
	path := filepath.Join(outDir, name)
	if !e.IsDir() {
		// Runs leave directories only; a file or a link of that name is
		// someone else's.
		log.Warn("left in place: not a directory a run leaves", "path", path, "kind", kind)
		return nil
	}
	if kind == "aside" {
		period, err := asidePeriod(path)
		if err != nil {
			log.Warn("left in place: previous run of an unknown period", "path", path, "err", err)
			return fmt.Errorf("recover %s: %w", path, err)
		}
		dir := filepath.Join(outDir, period)
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(path, dir); err != nil {
				return fmt.Errorf("recover %s: put back as %s: %w", path, dir, err)
			}
			log.Warn("recovered: put back the previous run of a period that an interrupted run had moved aside",
				"dir", dir, "from", path)
			return syncDir(outDir)
		} else if err != nil {
			return fmt.Errorf("recover %s: %w", path, err)
		}
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("recover %s: %w", path, err)
	}
	log.Warn("recovered: removed what an interrupted run left", "path", path, "kind", kind)
	return nil
}

// asidePeriod returns the directory name, <grain>=<period>, of the run
// moved aside to path: from the name (.run-123.month=2026-10.old) or, for
// the names of earlier versions (.run-123.old), from its manifest.
func asidePeriod(path string) (string, error) {
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), stagingPrefix), asideSuffix)
	if _, period, ok := strings.Cut(name, "."); ok && period != "" && !strings.ContainsAny(period, `/\`) {
		return period, nil
	}
	data, err := os.ReadFile(filepath.Join(path, ManifestFile))
	if err != nil {
		return "", err
	}
	var m struct {
		Grain  string `json:"grain"`
		Period string `json:"period"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if m.Grain == "" || m.Period == "" || strings.ContainsAny(m.Grain+m.Period, `/\`) {
		return "", fmt.Errorf("%s: no grain and period", ManifestFile)
	}
	return m.Grain + "=" + m.Period, nil
}
