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
//     (.run-*.grain=<grain>.period=<period>.old) is put back as
//     grain=<grain>/period=<period> when that directory is missing (the
//     run died between the renames), and removed otherwise; so are those
//     of earlier versions, .run-*.<grain>=<period>.old;
//   - the temporary files of files being replaced in place, .<name>.tmp-*,
//     are removed: inside the period directories (manifest.json, rewritten
//     after delivery), of this layout and of the earlier one
//     (<grain>=<period>), and, in the output directory, the scheduler's
//     state file's.
//
// Nothing else in outDir is touched. Only the process holding the run
// lock of outDir may call Recover, before its run starts: the lock is the
// proof that no live run owns a leftover. Recover checks it with
// [schedule.CheckHeld] and, without it, removes nothing and returns an
// error wrapping [schedule.ErrNotHeld]. The errors of the leftovers that
// could not be recovered are returned joined, after trying all of them.
func Recover(outDir string, log *slog.Logger) error {
	defer fault("recovered")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	left, err := leftovers(outDir)
	if err != nil || len(left) == 0 {
		return err
	}
	if err := schedule.CheckHeld(outDir); err != nil {
		return fmt.Errorf("recover %s: %w", outDir, err)
	}
	// Put the previous runs back before removing staging directories, so
	// that a crash during recovery loses nothing either.
	sort.SliceStable(left, func(i, j int) bool { return left[i].kind == "aside" && left[j].kind != "aside" })
	var errs []error
	for _, l := range left {
		if err := l.recover(outDir, log); err != nil {
			errs = append(errs, err)
		}
		fault("recovering")
	}
	return errors.Join(errs...)
}

// leftover is an entry of the output directory, or of one of its period
// directories, that a killed run may have left.
type leftover struct {
	path string
	kind string // "aside", "staging", "spill" or "temp"
	dir  bool   // the entry is a directory (not a link)
}

// leftovers lists what runs may have left in outDir.
func leftovers(outDir string) ([]leftover, error) {
	es, err := os.ReadDir(outDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recover %s: %w", outDir, err)
	}
	var left []leftover
	for _, e := range es {
		name := e.Name()
		if kind := leftoverKind(name); kind != "" {
			left = append(left, leftover{filepath.Join(outDir, name), kind, e.IsDir()})
			continue
		}
		if !e.IsDir() || strings.HasPrefix(name, ".") || !strings.Contains(name, "=") {
			continue
		}
		dirs := []string{filepath.Join(outDir, name)} // a period directory of earlier versions, month=2026-10
		if strings.HasPrefix(name, "grain=") {
			if dirs, err = periodDirs(dirs[0]); err != nil {
				return nil, fmt.Errorf("recover %s: %w", outDir, err)
			}
		}
		for _, dir := range dirs {
			// Files replaced in place after publishing.
			files, err := os.ReadDir(dir)
			if err != nil {
				return nil, fmt.Errorf("recover %s: %w", outDir, err)
			}
			for _, f := range files {
				if isTemp(f.Name()) {
					left = append(left, leftover{filepath.Join(dir, f.Name()), "temp", f.IsDir()})
				}
			}
		}
	}
	return left, nil
}

// periodDirs lists the period directories (period=*) of the grain
// directory grainDir.
func periodDirs(grainDir string) ([]string, error) {
	labels, err := periodLabels(grainDir)
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(labels))
	for i, l := range labels {
		dirs[i] = filepath.Join(grainDir, "period="+l)
	}
	return dirs, nil
}

// leftoverKind names what a run may have left under name in the output
// directory: "aside", "staging", "spill", "temp", or "" for anything else.
func leftoverKind(name string) string {
	switch {
	case strings.HasPrefix(name, stagingPrefix) && strings.HasSuffix(name, asideSuffix):
		return "aside"
	case strings.HasPrefix(name, stagingPrefix):
		return "staging"
	case strings.HasPrefix(name, spillPrefix):
		return "spill"
	case strings.HasPrefix(name, "."+schedule.StateFile+".tmp-"):
		return "temp"
	}
	return ""
}

// isTemp reports whether name is the temporary file of a
// [reports.AtomicFile] (.<name>.tmp-*).
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

func (l leftover) recover(outDir string, log *slog.Logger) error {
	if want := l.kind != "temp"; l.dir != want {
		// Runs leave directories, and temporary files; anything else of
		// such a name is someone else's.
		log.Warn("left in place: not what a run leaves", "path", l.path, "kind", l.kind)
		return nil
	}
	if l.kind == "aside" {
		period, err := asidePeriod(l.path)
		if err != nil {
			log.Warn("left in place: previous run of an unknown period", "path", l.path, "err", err)
			return fmt.Errorf("recover %s: %w", l.path, err)
		}
		dir := filepath.Join(outDir, period)
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := mkdirSynced(filepath.Dir(dir)); err != nil {
				return fmt.Errorf("recover %s: %w", l.path, err)
			}
			if err := os.Rename(l.path, dir); err != nil {
				return fmt.Errorf("recover %s: put back as %s: %w", l.path, dir, err)
			}
			log.Warn("recovered: put back the previous run of a period that an interrupted run had moved aside",
				"dir", dir, "from", l.path)
			return syncDir(outDir)
		} else if err != nil {
			return fmt.Errorf("recover %s: %w", l.path, err)
		}
	}
	if err := os.RemoveAll(l.path); err != nil {
		return fmt.Errorf("recover %s: %w", l.path, err)
	}
	log.Warn("recovered: removed what an interrupted run left", "path", l.path, "kind", l.kind)
	return nil
}

// asidePeriod returns the directory, relative to the output, of the run
// moved aside to path: from the name (.run-123.grain=month.period=2026-10.old
// is grain=month/period=2026-10, .run-123.month=2026-10.old of earlier
// versions month=2026-10) or, for the names of versions before those
// (.run-123.old), from its manifest.
func asidePeriod(path string) (string, error) {
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), stagingPrefix), asideSuffix)
	if _, period, ok := strings.Cut(name, "."); ok && validAside(period) {
		return filepath.Join(strings.Split(period, ".")...), nil
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

// validAside reports whether rel, the dotted directory of an aside name,
// names directories of a run (grain=month.period=2026-10, month=2026-10)
// and nothing outside the output.
func validAside(rel string) bool {
	if rel == "" || strings.ContainsAny(rel, `/\`) {
		return false
	}
	for _, part := range strings.Split(rel, ".") {
		if k, v, ok := strings.Cut(part, "="); !ok || k == "" || v == "" {
			return false
		}
	}
	return true
}
