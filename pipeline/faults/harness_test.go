//go:build faults && linux

package faults

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/sample"
)

const (
	// faultEnv and noExchangeEnv are those of the pipeline's faults
	// build (fault_faults.go).
	faultEnv      = "CXKPI_FAULT"
	noExchangeEnv = "CXKPI_FAULT_NO_EXCHANGE"
	asOf          = "2026-10-15"
	period        = "grain=month/period=2026-10"
	// runTimeout bounds one run of the binary, so that a hang fails the
	// case instead of the suite. A run here takes well under a second.
	runTimeout = 60 * time.Second
)

// dataFiles are the outputs that are byte-identical for the same inputs.
var dataFiles = []string{pipeline.KPIFile, pipeline.QuarantineFile, pipeline.QuarantineParquet,
	pipeline.CohortFile, pipeline.CustomerFile, pipeline.ModelFitFile}

// suite is what every case starts from, made once by TestMain.
type suite struct {
	bin      string           // the cxkpi binary built with -tags faults
	csv      string           // generated CSV exports
	parquet  string           // the same exports as Parquet
	rows     map[string]int64 // rows written per table (the same in both)
	template string           // an output directory holding one good run of period
}

var s suite

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cxkpi-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	err = s.setup(dir)
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "faults: setup:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func (s *suite) setup(dir string) error {
	s.bin = filepath.Join(dir, "cxkpi")
	build := exec.Command("go", "build", "-tags", "faults", "-o", s.bin, "github.com/cxkpi/cxkpi/cmd/cxkpi")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build cxkpi: %v\n%s", err, out)
	}
	ctx := context.Background()
	cfg := sample.Config{Seed: 1, Customers: 100, Months: 3}
	s.csv, s.parquet = filepath.Join(dir, "csv"), filepath.Join(dir, "parquet")
	var err error
	if s.rows, err = sample.Generate(ctx, s.csv, cfg, nil); err != nil {
		return err
	}
	cfg.Format = sample.Parquet
	rows, err := sample.Generate(ctx, s.parquet, cfg, nil)
	if err != nil {
		return err
	}
	if fmt.Sprint(rows) != fmt.Sprint(s.rows) {
		return fmt.Errorf("parquet rows %v, csv rows %v", rows, s.rows)
	}
	s.template = filepath.Join(dir, "out")
	r := s.run(ctx, nil, s.csv, s.template)
	if r.err != nil || r.code != 0 {
		return fmt.Errorf("good run: exit %d %v\n%s", r.code, r.err, r.stderr)
	}
	return nil
}

// result is how a run of the binary ended.
type result struct {
	code     int // exit status; -1 when killed by a signal
	killed   bool
	timedOut bool
	maxRSS   int64 // bytes
	stdout   string
	stderr   string
	err      error // the binary could not be started
}

func (r result) String() string {
	switch {
	case r.timedOut:
		return "hung: killed at its deadline"
	case r.killed:
		return "killed"
	}
	return fmt.Sprintf("exit %d", r.code)
}

// run runs cxkpi run over in into out with env added to the environment,
// for at most runTimeout or until ctx is done.
func (s *suite) run(ctx context.Context, env []string, in, out string, args ...string) result {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"run", "-input", in, "-out", out, "-as-of", asOf, "-log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), timedOut: ctx.Err() != nil}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.err = err
		return r
	}
	ps := cmd.ProcessState
	r.code = ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		r.killed = true
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	return r
}

// newCase copies the exports from (s.csv or s.parquet) and, unless
// fresh, the template output directory with its good run into fresh
// directories.
func newCase(t *testing.T, from string, fresh bool) (in, out string) {
	t.Helper()
	in, out = filepath.Join(t.TempDir(), "in"), filepath.Join(t.TempDir(), "out")
	copyTree(t, from, in)
	if fresh {
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		copyTree(t, s.template, out)
	}
	return in, out
}

// copyTree copies the directory tree src to dst, with its modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			return os.Chmod(target, fi.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o600); err != nil {
			return err
		}
		return os.Chmod(target, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every path under dir to its type, mode and, for a file,
// the SHA-256 of its bytes; names in ignore are left out.
func snapshot(t *testing.T, dir string, ignore ...string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for _, name := range ignore {
			if rel == name {
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			v += " " + hex.EncodeToString(sum[:])
		}
		snap[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// sameTree reports every difference between two snapshots.
func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "missing "+p)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("changed %s: %s, was %s", p, g, w))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "new "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: the output directory is not as it was:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

// readManifest reads the manifest of the run directory dir.
func readManifest(t *testing.T, dir string) pipeline.Manifest {
	t.Helper()
	var m pipeline.Manifest
	data, err := os.ReadFile(filepath.Join(dir, pipeline.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", pipeline.ManifestFile, err)
	}
	return m
}

// accounted is the number of a table's rows that its counts explain:
// every outcome a row can have is added here.
func accounted(c pipeline.TableCounts) int64 { return c.Accepted + c.Skipped + c.Rejected }

// checkAccounted checks that the run in dir accounts for every row: for
// every table read = accepted + skipped + rejected, and read equals the rows the
// test wrote.
func checkAccounted(t *testing.T, dir string, wrote map[string]int64) {
	t.Helper()
	m := readManifest(t, dir)
	seen := map[string]bool{}
	for _, c := range m.Tables {
		name := string(c.Table)
		seen[name] = true
		if accounted(c) != c.Read {
			t.Errorf("%s: read %d, but accepted + rejected = %d", name, c.Read, accounted(c))
		}
		if c.Read != wrote[name] {
			t.Errorf("%s: read %d rows, the test wrote %d", name, c.Read, wrote[name])
		}
	}
	for name, n := range wrote {
		if n > 0 && !seen[name] {
			t.Errorf("%s: the test wrote %d rows, the manifest has no such table", name, n)
		}
	}
}

// checkComplete checks that the run directory dir is one whole run: its
// files are those its manifest lists, with their checksums, and every
// Parquet file reads back with valid UTF-8 text.
func checkComplete(t *testing.T, dir string) {
	t.Helper()
	m := readManifest(t, dir)
	want := map[string]string{pipeline.ManifestFile: ""}
	for _, o := range m.Outputs {
		want[o.Name] = o.SHA256
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		sum, ok := want[e.Name()]
		if !ok {
			t.Errorf("%s: not in the manifest", e.Name())
			continue
		}
		delete(want, e.Name())
		if e.Name() == pipeline.ManifestFile {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: checksum differs from the manifest's", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".parquet") {
			checkParquetText(t, filepath.Join(dir, e.Name()))
		}
	}
	for name := range want {
		t.Errorf("%s: in the manifest, not in the directory", name)
	}
}

// checkParquetText reads the Parquet file at path and checks that every
// string is valid UTF-8, as any reader of the file needs.
func checkParquetText(t *testing.T, path string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Errorf("%s: %v", filepath.Base(path), err)
		return
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 4096}, mem)
	if err != nil {
		t.Errorf("%s: %v", filepath.Base(path), err)
		return
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Errorf("%s: %v", filepath.Base(path), err)
		return
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 4096)
	defer tr.Release()
	bad := 0
	for tr.Next() {
		rec := tr.Record()
		for c, col := range rec.Columns() {
			str, ok := col.(*array.String)
			if !ok || col.DataType().ID() != arrow.STRING {
				continue
			}
			for i := range str.Len() {
				if str.IsValid(i) && !utf8.ValidString(str.Value(i)) {
					if bad == 0 {
						t.Errorf("%s: column %s holds invalid UTF-8 %q", filepath.Base(path), rec.ColumnName(c), str.Value(i))
					}
					bad++
				}
			}
		}
	}
	if bad > 1 {
		t.Errorf("%s: %d strings of invalid UTF-8 in all", filepath.Base(path), bad)
	}
}

// periodName matches what a finished run may leave in the output
// directory: period directories only.
var periodName = regexp.MustCompile(`^grain=[a-z]+$`)

// checkNoLeftovers checks that out holds period directories and the run
// log and nothing else, and that none of them holds a temporary file.
func checkNoLeftovers(t *testing.T, out string) {
	t.Helper()
	es, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Name() == pipeline.RunLogFile {
			continue
		}
		if !e.IsDir() || !periodName.MatchString(e.Name()) {
			t.Errorf("left in the output directory: %s", e.Name())
			continue
		}
		periods, err := os.ReadDir(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range periods {
			if p.Name() == pipeline.HistoryFile {
				continue
			}
			if !p.IsDir() || !strings.HasPrefix(p.Name(), "period=") {
				t.Errorf("left in %s: %s", e.Name(), p.Name())
				continue
			}
			files, err := os.ReadDir(filepath.Join(out, e.Name(), p.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if strings.HasPrefix(f.Name(), ".") {
					t.Errorf("left in %s/%s: %s", e.Name(), p.Name(), f.Name())
				}
			}
		}
	}
}

// normalRun runs over clean exports into out and checks that it
// succeeds, accounts for every row, gives the template's data files and
// leaves nothing behind.
func normalRun(t *testing.T, out string) {
	t.Helper()
	r := s.run(context.Background(), nil, s.csv, out)
	if r.err != nil || r.code != 0 || !strings.HasPrefix(r.stdout, "ok ") {
		t.Fatalf("the next normal run: %s %v\n%s%s", r, r.err, r.stdout, tail(r.stderr))
	}
	dir := filepath.Join(out, period)
	checkAccounted(t, dir, s.rows)
	checkComplete(t, dir)
	for _, name := range dataFiles {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(s.template, period, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("the next normal run's %s differs from the first good run's", name)
		}
	}
	checkNoLeftovers(t, out)
}

// tail returns the last lines of a log, for failure messages.
func tail(log string) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// readRunLog returns the run log of out, empty if there is none.
func readRunLog(t *testing.T, out string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, pipeline.RunLogFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

// checkFailureLogged checks that a failed run appended one line to the run
// log, saying it failed or was gated, and rewrote nothing; with must false
// the line may be missing (a full disk).
func checkFailureLogged(t *testing.T, out string, before []byte, must bool) {
	t.Helper()
	after := readRunLog(t, out)
	if !bytes.HasPrefix(after, before) {
		t.Fatalf("the run log was rewritten:\n%s", after)
	}
	added := bytes.TrimSuffix(after[len(before):], []byte("\n"))
	if len(added) == 0 {
		if must {
			t.Error("the failed run is not in the run log")
		}
		return
	}
	var rec pipeline.RunRecord
	if bytes.Contains(added, []byte("\n")) || json.Unmarshal(added, &rec) != nil {
		t.Fatalf("the failed run added %q to the run log, want one JSON line", added)
	}
	if rec.Status != pipeline.RunFailed && rec.Status != pipeline.RunGated || rec.Error == "" {
		t.Errorf("run log line %+v, want a failure with its error", rec)
	}
}
