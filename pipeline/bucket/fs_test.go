package bucket_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"

	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/bucket/buckettest"
)

// files are laid out in every bucket the tests read.
var files = map[string]string{
	"tickets.csv":              "ticket_id\n1\n",
	"Tickets.CSV":              "ticket_id\n2\n",
	"exports/2026/surveys.csv": "survey_id\ns1\n",
	"exports/2026/orders.csv":  "order_id\no1\n",
	"exports/readme.txt":       "hello",
}

// buckets are the kinds of bucket the file system is checked on: the
// test servers of S3, Google Cloud Storage and Azure, and a local
// directory through file://.
var buckets = append(slices.Clone(buckettest.Stores),
	buckettest.Store{Name: "file", URL: func(t testing.TB) string { return "file://" + filepath.ToSlash(t.TempDir()) }})

func fill(t *testing.T, rawURL string) fs.FS {
	t.Helper()
	ctx := context.Background()
	b, err := bucket.Open(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	for k, v := range files {
		if err := b.WriteAll(ctx, k, []byte(v), nil); err != nil {
			t.Fatalf("write %s: %v", k, err)
		}
	}
	return bucket.FS(ctx, b)
}

func TestFS(t *testing.T) {
	for _, bc := range buckets {
		t.Run(bc.Name, func(t *testing.T) {
			fsys := fill(t, bc.URL(t))
			var names []string
			for k := range files {
				names = append(names, k)
			}
			if err := fstest.TestFS(fsys, names...); err != nil {
				t.Fatal(err)
			}
			for k, want := range files {
				got, err := fs.ReadFile(fsys, k)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
				st, err := fs.Stat(fsys, k)
				if err != nil {
					t.Fatal(err)
				}
				if !st.Mode().IsRegular() || st.Size() != int64(len(want)) {
					t.Errorf("%s: mode %v size %d, want a regular file of %d bytes", k, st.Mode(), st.Size(), len(want))
				}
			}
			st, err := fs.Stat(fsys, "exports/2026")
			if err != nil || !st.IsDir() {
				t.Errorf("exports/2026: got %v, %v, want a directory", st, err)
			}
			for _, missing := range []string{"missing.csv", "exports/2025", "exports/2026/tickets.csv"} {
				if _, err := fs.Stat(fsys, missing); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("stat %s: got %v, want fs.ErrNotExist", missing, err)
				}
				if _, err := fsys.Open(missing); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("open %s: got %v, want fs.ErrNotExist", missing, err)
				}
			}
			got, err := fs.Glob(fsys, "exports/*/*.csv")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"exports/2026/orders.csv", "exports/2026/surveys.csv"}; !slices.Equal(got, want) {
				t.Errorf("glob: got %q, want %q", got, want)
			}
		})
	}
}

// TestFSDenied checks that a store that refuses the requests (wrong
// credentials, a missing bucket policy) is an error, never a missing
// file: a table would otherwise be skipped in silence.
func TestFSDenied(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
	}))
	defer srv.Close()
	b, err := bucket.Open(context.Background(), buckettest.URL("b", "p", srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fsys := bucket.FS(context.Background(), b)
	if _, err := fs.Stat(fsys, "tickets.csv"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat: got %v, want an error other than fs.ErrNotExist", err)
	}
	if _, err := fs.ReadDir(fsys, "."); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("readdir: got %v, want an error other than fs.ErrNotExist", err)
	}
	if _, err := fsys.Open("tickets.csv"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open: got %v, want an error other than fs.ErrNotExist", err)
	}
}

// TestFSWithContext checks that the requests of a file system given
// another context end with it.
func TestFSWithContext(t *testing.T) {
	for _, store := range buckettest.Stores {
		t.Run(store.Name, func(t *testing.T) { testFSWithContext(t, store.URL(t)) })
	}
}

func testFSWithContext(t *testing.T, rawURL string) {
	fsys := fill(t, rawURL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfs := fsys.(interface {
		WithContext(context.Context) fs.FS
	}).WithContext(ctx)
	if _, err := fs.ReadFile(cfs, "tickets.csv"); !errors.Is(err, context.Canceled) {
		t.Errorf("read with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := fs.ReadFile(fsys, "tickets.csv"); err != nil {
		t.Errorf("read with the original context: %v", err)
	}
}
