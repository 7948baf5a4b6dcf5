package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/bucket/buckettest"
)

// TestRunBucket runs cxkpi on the sample in a bucket of each test
// object storage server, with a lookalike export beside it, into another
// bucket, once with flags and once from a configuration file: the
// lookalike is warned about and listed, the period's manifest points at the run, and neither
// the output nor the logs repeat the credentials or the URL's query.
func TestRunBucket(t *testing.T) {
	for _, store := range buckettest.Stores {
		t.Run(store.Name, func(t *testing.T) { testRunBucket(t, store) })
	}
}

func testRunBucket(t *testing.T, store buckettest.Store) {
	in, out := store.URL(t), store.URL(t)
	ctx := context.Background()
	inb, outb := openTest(t, in), openTest(t, out)
	err := fs.WalkDir(cxkpi.Sample(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(cxkpi.Sample(), p)
		if err != nil {
			return err
		}
		if p == "tickets.csv" {
			if err := inb.WriteAll(ctx, "Tickets.CSV", data, nil); err != nil {
				return err
			}
		}
		return inb.WriteAll(ctx, p, data, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "cxkpi.yaml")
	if err := os.WriteFile(config, []byte("input: "+in+"\noutput: "+out+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		name string
		args []string
	}{
		{"flags", []string{"run", "-input", in, "-out", out, "-as-of", "2026-10-31", "-log-format", "json"}},
		{"config", []string{"run", "-config", config, "-as-of", "2026-10-31", "-log-format", "json"}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(ctx, r.args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			want := "-> " + bucket.Name(out) + "/grain=month/period=2026-10/runs/"
			if !strings.HasPrefix(stdout.String(), "ok month 2026-10: ") || !strings.Contains(stdout.String(), want) {
				t.Errorf("stdout %q, want an ok line ending in %s…", stdout.String(), want)
			}
			if !strings.Contains(stderr.String(), `"file":"Tickets.CSV"`) {
				t.Errorf("no warning about Tickets.CSV in the log:\n%s", stderr.String())
			}
			data, err := outb.ReadAll(ctx, "grain=month/period=2026-10/manifest.json")
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Input        string   `json:"input"`
				Dir          string   `json:"dir"`
				Unrecognised []string `json:"unrecognised_files"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if m.Input != bucket.Name(in) || !slices.Equal(m.Unrecognised, []string{"Tickets.CSV"}) || !strings.Contains(stdout.String(), m.Dir) {
				t.Errorf("manifest input %q, dir %q, unrecognised %q; want %q, the dir of the ok line, Tickets.CSV", m.Input, m.Dir, m.Unrecognised, bucket.Name(in))
			}
			texts := map[string][]byte{"stdout": stdout.Bytes(), "log": stderr.Bytes()}
			it := outb.List(nil)
			for {
				obj, err := it.Next(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if texts[obj.Key], err = outb.ReadAll(ctx, obj.Key); err != nil {
					t.Fatal(err)
				}
			}
			for name, text := range texts {
				for _, secret := range []string{buckettest.AccessKey, buckettest.SecretKey, buckettest.AzureKey, "endpoint=", "use_path_style", "localemu=", "storage_account="} {
					if bytes.Contains(text, []byte(secret)) {
						t.Errorf("%s holds %q", name, secret)
					}
				}
			}
		})
	}
}

// TestScheduleRefusesBucket checks that cxkpi schedule, whose lock and
// state live in the output directory, says so for a bucket output.
func TestScheduleRefusesBucket(t *testing.T) {
	config := filepath.Join(t.TempDir(), "cxkpi.yaml")
	if err := os.WriteFile(config, []byte("output: s3://reports/cx?region=eu-west-1\nschedule:\n  cron: \"0 6 * * *\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"schedule", "-config", config}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "cxkpi schedule keeps its run lock and state in the output directory") {
		t.Errorf("got %v, want the refusal of a bucket output", err)
	}
}

func openTest(t *testing.T, rawURL string) *blob.Bucket {
	t.Helper()
	b, err := bucket.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
