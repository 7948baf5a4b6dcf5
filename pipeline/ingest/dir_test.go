package ingest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

const oneTicket = ticketsHeader + "T1,C1,email,2024-01-02T10:00:00Z,,open,,,,,\n"

// openTickets opens the tickets of fsys and reads them to the end.
func openTickets(ctx context.Context, fsys fs.FS, mem memory.Allocator) ([]string, error) {
	r, err := Open(ctx, fsys, Tickets, mem, Options{Strict: true, Workers: 1})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return r.Files(), nil
			}
			return nil, err
		}
		rec.Release()
	}
}

func TestDirFSRefusesSpecialFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no named pipes in the file system")
	}
	tests := []struct {
		name    string
		mapping TableMapping
	}{
		{"default name", TableMapping{}},
		{"mapped glob", TableMapping{Files: []string{"*.csv"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := syscall.Mkfifo(filepath.Join(dir, "tickets.csv"), 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Open(context.Background(), DirFS(dir, false), Tickets, memory.NewGoAllocator(),
					Options{Strict: true, Mapping: tc.mapping})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), "named pipe") {
					t.Errorf("Open: %v, want an error wrapping ErrSpecialFile naming a named pipe", err)
				}
			case <-time.After(time.Minute): // a deadlock guard, not a timing threshold
				t.Fatal("Open blocked on a named pipe")
			}
		})
	}
}

func TestDirFSOpenOfFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "tickets.csv"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Open itself, past any check by name, must neither block nor hand
	// out the pipe.
	_, err := DirFS(dir, false).Open("tickets.csv")
	if !errors.Is(err, ErrSpecialFile) {
		t.Errorf("Open: %v, want ErrSpecialFile", err)
	}
}

// blockingFS is a file system whose Open blocks until released, after
// saying it was entered.
type blockingFS struct {
	fstest.MapFS
	entered chan struct{}
	release chan struct{}
}

func (b blockingFS) Open(name string) (fs.File, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.MapFS.Open(name)
}

func TestBlockedOpenStopsOnCancel(t *testing.T) {
	fsys := blockingFS{MapFS: mapFS(map[string]string{"tickets.csv": oneTicket}),
		entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(fsys.release)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := openTickets(ctx, fsys, memory.NewGoAllocator())
		done <- err
	}()
	<-fsys.entered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read: %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute): // a deadlock guard, not a timing threshold
		t.Fatal("a blocked open did not stop on cancellation")
	}
}

func TestDirFSSymlinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "tickets.csv"), []byte(oneTicket), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		target        func(dir string) string // what the link in the input points to
		followOutside bool
		wantErr       error
	}{
		{"inside", func(dir string) string { return "real/tickets.csv" }, false, nil},
		{"outside refused", func(string) string { return filepath.Join(outside, "tickets.csv") }, false, ErrOutsideInput},
		{"outside relative refused", func(dir string) string {
			rel, _ := filepath.Rel(dir, filepath.Join(outside, "tickets.csv"))
			return rel
		}, false, ErrOutsideInput},
		{"outside allowed", func(string) string { return filepath.Join(outside, "tickets.csv") }, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "real"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "real", "tickets.csv"), []byte(oneTicket), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tc.target(dir), filepath.Join(dir, "tickets.csv")); err != nil {
				t.Skipf("symlink: %v", err)
			}
			mem := checkedMem(t)
			files, err := openTickets(context.Background(), DirFS(dir, tc.followOutside), mem)
			if tc.wantErr == nil {
				if err != nil || !slices.Equal(files, []string{"tickets.csv"}) {
					t.Errorf("read: files %q, %v; want tickets.csv, no error", files, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "tickets.csv") {
				t.Errorf("read: %v, want an error wrapping %v naming tickets.csv", err, tc.wantErr)
			}
		})
	}
}

var looksLikeTests = []struct {
	name string
	want bool
}{
	{"Tickets.CSV", true},
	{"tickets.ndjson.gz", true},
	{"tickets.tsv", true},
	{"tickets.csv.bz2", true},
	{"ticket.csv", true},
	{"orders.xlsx", true},
	{"TICKETS", true},
	{"ticket", true},
	{"exports/2026/surveys.json", true},
	{"README.md", false},
	{"notes", false},
	{".tickets.csv.swp", false},
	{".DS_Store", false},
}

func TestLooksLikeExport(t *testing.T) {
	for _, tc := range looksLikeTests {
		if got := LooksLikeExport(tc.name); got != tc.want {
			t.Errorf("LooksLikeExport(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUnrecognised(t *testing.T) {
	fsys := mapFS(map[string]string{
		"tickets.csv": oneTicket, "Tickets.CSV": "", "tickets.ndjson.gz": "", "tickets.tsv": "",
		"tickets.csv.bz2": "", "ticket.csv": "", "README.md": "", ".hidden/tickets.csv": "", "sub/calls.txt": "",
	})
	got, err := Unrecognised(context.Background(), fsys, []string{"tickets.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Tickets.CSV", "sub/calls.txt", "ticket.csv", "tickets.csv.bz2", "tickets.ndjson.gz", "tickets.tsv"}
	if !slices.Equal(got, want) {
		t.Errorf("Unrecognised = %q, want %q", got, want)
	}
}

func TestTimeWindow(t *testing.T) {
	w := Window{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name    string
		row     string
		wantRej string // the reason, "" when accepted
	}{
		{"inside", "T1,C1,email,2024-01-02T10:00:00Z,,open,,,,,", ""},
		{"from is inside", "T1,C1,email,2000-01-01T00:00:00Z,,open,,,,,", ""},
		{"year 1", "T1,C1,email,0001-01-01,,open,,,,,",
			"implausible time 0001-01-01T00:00:00Z, outside the window 2000-01-01T00:00:00Z to 2026-11-02T00:00:00Z"},
		{"unix zero", "T1,C1,email,1970-01-01T00:00:00Z,,open,,,,,", "implausible time 1970-01-01T00:00:00Z"},
		{"future", "T1,C1,email,2026-11-02T00:00:00Z,,open,,,,,", "implausible time 2026-11-02T00:00:00Z"},
		{"optional column", "T1,C1,email,2024-01-02T10:00:00Z,9999-01-01,solved,,,,,", "implausible time 9999-01-01T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, mapFS(map[string]string{"tickets.csv": ticketsHeader + tc.row + "\n"}), Tickets, Options{Window: w})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if tc.wantRej == "" {
				if len(res.rejs) != 0 || len(res.rows) != 1 {
					t.Errorf("got %d rows, rejections %+v; want the row accepted", len(res.rows), res.rejs)
				}
				return
			}
			if len(res.rejs) != 1 || !strings.HasPrefix(res.rejs[0].Reason, tc.wantRej) || !errors.Is(res.rejs[0].Err, ErrInvalidValue) {
				t.Fatalf("rejections %+v, want one starting %q", res.rejs, tc.wantRej)
			}
		})
	}
}

func TestCheckBatchSize(t *testing.T) {
	for _, n := range []int{0, 1, DefaultBatchSize, MaxBatchSize} {
		if err := CheckBatchSize(n); err != nil {
			t.Errorf("CheckBatchSize(%d) = %v, want nil", n, err)
		}
	}
	for _, n := range []int{-1, MaxBatchSize + 1, 1 << 40} {
		if err := CheckBatchSize(n); err == nil {
			t.Errorf("CheckBatchSize(%d) = nil, want an error", n)
		}
		_, err := Open(context.Background(), mapFS(map[string]string{"tickets.csv": oneTicket}), Tickets, memory.NewGoAllocator(),
			Options{Strict: true, BatchSize: n})
		if err == nil {
			t.Errorf("Open with batch size %d: no error", n)
		}
	}
}
