package reports

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// entries returns the names in dir, failing the test on error.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

var errWriter = errors.New("writer failed")

var atomicTests = []struct {
	name     string
	previous string // content at path before, "" for none
	write    func(w io.Writer) error
	wantErr  error
	want     string // content at path after, "" for no file
}{
	{
		name:  "new file",
		write: func(w io.Writer) error { _, err := io.WriteString(w, "hello\n"); return err },
		want:  "hello\n",
	},
	{
		name:     "replaces previous",
		previous: "old",
		write:    func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
		want:     "new",
	},
	{
		name:    "failure leaves nothing",
		write:   func(w io.Writer) error { io.WriteString(w, "partial"); return errWriter },
		wantErr: errWriter,
	},
	{
		name:     "failure keeps previous",
		previous: "old",
		write:    func(w io.Writer) error { io.WriteString(w, "partial"); return errWriter },
		wantErr:  errWriter,
		want:     "old",
	},
	{
		name:  "empty file",
		write: func(w io.Writer) error { return nil },
		want:  "",
	},
}

func TestWriteAtomic(t *testing.T) {
	for _, tc := range atomicTests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			if tc.previous != "" {
				if err := os.WriteFile(path, []byte(tc.previous), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteAtomic(path, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			b, rerr := os.ReadFile(path)
			exists := rerr == nil
			wantExists := tc.wantErr == nil || tc.previous != ""
			if exists != wantExists {
				t.Fatalf("file exists = %v, want %v (%v)", exists, wantExists, rerr)
			}
			if exists && string(b) != tc.want {
				t.Errorf("content %q, want %q", b, tc.want)
			}
			if got := entries(t, dir); exists && len(got) != 1 || !exists && len(got) != 0 {
				t.Errorf("directory holds %v; temporary files left behind", got)
			}
			if tc.wantErr == nil {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != FileMode {
					t.Errorf("mode %v, want %v", fi.Mode().Perm(), FileMode)
				}
			}
		})
	}
}

func TestAtomicFileInvisibleUntilCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "quarantine.csv")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Name() != path {
		t.Errorf("Name() = %q, want %q", f.Name(), path)
	}
	if _, err := io.WriteString(f, "a,b\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file visible before commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a,b\n" {
		t.Fatalf("after commit: %q, %v", b, err)
	}
	if _, err := f.Write([]byte("more")); !errors.Is(err, ErrCommitted) {
		t.Errorf("write after commit: got %v, want ErrCommitted", err)
	}
	if err := f.Commit(); !errors.Is(err, ErrCommitted) {
		t.Errorf("second commit: got %v, want ErrCommitted", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("close after commit: %v", err)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v, want only the committed file", got)
	}
}

func TestAtomicFileCloseAbandons(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "{")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := f.Commit(); !errors.Is(err, ErrCommitted) {
		t.Errorf("commit after close: got %v, want ErrCommitted", err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("directory holds %v after abandoning", got)
	}
}

func TestCreateAtomicErrors(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{
		filepath.Join(dir, "missing", "out.txt"),
		dir + string(filepath.Separator),
	} {
		if _, err := CreateAtomic(path); err == nil {
			t.Errorf("CreateAtomic(%q) succeeded, want an error", path)
		}
	}
	// Renaming over a directory fails at commit; the temporary file goes.
	target := filepath.Join(dir, "taken")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteAtomic(target, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if err == nil {
		t.Fatal("commit over a non-empty directory succeeded")
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v, want only the directory that was in the way", got)
	}
}
