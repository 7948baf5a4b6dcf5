package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/bucket/buckettest"
	"github.com/cxkpi/cxkpi/pipeline/sample"
	"github.com/cxkpi/cxkpi/reports/mail"
	"github.com/cxkpi/cxkpi/reports/mail/mailtest"
)

// openBucket opens rawURL for the test's own reads and writes.
func openBucket(t *testing.T, rawURL string) *blob.Bucket {
	t.Helper()
	b, err := bucket.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// uploadFS writes every file of fsys into b under the same names.
func uploadFS(t *testing.T, b *blob.Bucket, fsys fs.FS) {
	t.Helper()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return b.WriteAll(context.Background(), p, data, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// objects returns every object of b by key.
func objects(t *testing.T, b *blob.Bucket) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if out[obj.Key], err = b.ReadAll(ctx, obj.Key); err != nil {
			t.Fatal(err)
		}
	}
}

// runIDs returns the run prefixes of the period in b, sorted.
func runIDs(objs map[string][]byte, period string) []string {
	seen := map[string]bool{}
	for k := range objs {
		if rest, ok := strings.CutPrefix(k, period+"/"+RunsPrefix+"/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			seen[id] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// eachStore runs test once on the test server of each kind of object
// storage, as a subtest named after it.
func eachStore(t *testing.T, test func(*testing.T, buckettest.Store)) {
	for _, store := range buckettest.Stores {
		t.Run(store.Name, func(t *testing.T) { test(t, store) })
	}
}

// bucketConfig is testConfig reading the sample from one prefix of the
// store's test server and writing to another.
func bucketConfig(t *testing.T, store buckettest.Store) (Config, *blob.Bucket) {
	t.Helper()
	in, out := store.URL(t), store.URL(t)
	uploadFS(t, openBucket(t, in), cxkpi.Sample())
	cfg := testConfig(t, nil)
	cfg.Input, cfg.InputName = bucket.FS(context.Background(), openBucket(t, in)), bucket.Name(in)
	cfg.OutDir = out
	return cfg, openBucket(t, out)
}

// periodManifest reads the period's manifest.json from objs.
func periodManifest(t *testing.T, objs map[string][]byte) Manifest {
	t.Helper()
	var m Manifest
	data, ok := objs["grain=month/period=2026-10/"+ManifestFile]
	if !ok {
		t.Fatalf("no month=2026-10/%s among %q", ManifestFile, slices.Sorted(maps.Keys(objs)))
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBucketRunMatchesLocal runs the sample read from a bucket into a
// bucket: the data files are the bytes of a local run's, every output
// the manifest lists is under the run's prefix with its checksum, and
// the period's manifest, written last, is the run's own.
func TestBucketRunMatchesLocal(t *testing.T) { eachStore(t, testBucketRunMatchesLocal) }

func testBucketRunMatchesLocal(t *testing.T, store buckettest.Store) {
	local, err := Run(context.Background(), testConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	cfg, out := bucketConfig(t, store)
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, out)
	run := path.Join("grain=month/period=2026-10", RunsPrefix, sum.RunID)
	if want := bucket.Join(cfg.OutDir, run); sum.Dir != want {
		t.Errorf("dir %s, want %s", sum.Dir, want)
	}
	localFiles := readDir(t, local.Dir)
	for _, name := range []string{KPIFile, CohortFile, CustomerFile, ModelFitFile, QuarantineFile, QuarantineParquet, ReportFile} {
		got, ok := objs[path.Join(run, name)]
		if !ok {
			t.Errorf("%s not written", name)
			continue
		}
		// The report's text is the same; its bytes hold nothing of the
		// run either (fixed clock and metadata).
		if !bytes.Equal(got, localFiles[name]) {
			t.Errorf("%s: %d bytes differ from the local run's %d", name, len(got), len(localFiles[name]))
		}
	}
	m := periodManifest(t, objs)
	if m.RunID != sum.RunID || m.Dir != sum.Dir {
		t.Errorf("period manifest names run %s in %s, want %s in %s", m.RunID, m.Dir, sum.RunID, sum.Dir)
	}
	if !bytes.Equal(objs[path.Join(run, ManifestFile)], objs["grain=month/period=2026-10/"+ManifestFile]) {
		t.Error("the period's manifest differs from the run's")
	}
	if len(m.Outputs) != len(localFiles)-1 {
		t.Errorf("manifest lists %d outputs, the local run has %d files besides its manifest", len(m.Outputs), len(localFiles)-1)
	}
	for _, o := range m.Outputs {
		data := objs[path.Join(run, o.Name)]
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != o.SHA256 || int64(len(data)) != o.Bytes {
			t.Errorf("%s: %d bytes, checksum differs from the manifest's (%d bytes)", o.Name, len(data), o.Bytes)
		}
	}
	if len(m.Inputs) != len(local.Inputs) || m.Input != bucket.Name(cfg.InputName) || strings.Contains(m.Input, "?") {
		t.Errorf("manifest input %q with %d files, want the bucket's name and %d files", m.Input, len(m.Inputs), len(local.Inputs))
	}
	// The run log of a bucket: one object per run, never an append.
	var logged []RunRecord
	for key, data := range objs {
		if strings.HasPrefix(key, RunLogPrefix+"/") {
			var r RunRecord
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			logged = append(logged, r)
		}
	}
	if len(logged) != 1 || logged[0].RunID != sum.RunID || logged[0].Status != RunOK {
		t.Errorf("run log objects %+v, want one ok line of run %s", logged, sum.RunID)
	}
}

// failedWrites are the writes of a publish that the tests make fail:
// each kind of object of the run, and the period's manifest, the last.
var failedWrites = []struct {
	name string
	key  func(key string) bool
}{
	{"run data", func(k string) bool { return strings.Contains(k, "/runs/") && path.Base(k) == KPIFile }},
	{"run report", func(k string) bool { return strings.Contains(k, "/runs/") && path.Base(k) == ReportFile }},
	{"run manifest", func(k string) bool { return strings.Contains(k, "/runs/") && path.Base(k) == ManifestFile }},
	{"period manifest", func(k string) bool { return k == "grain=month/period=2026-10/"+ManifestFile }},
}

// TestBucketFailedRunKeepsPrevious makes one write of a run fail, at
// each step of the publish: the period's manifest, and so the report it
// points at, stay the previous run's, and what the failed run wrote is
// deleted. The next good run is published, keeps the run it replaces
// and deletes the others, a killed run's leftovers included.
func TestBucketFailedRunKeepsPrevious(t *testing.T) { eachStore(t, testBucketFailedRunKeepsPrevious) }

func testBucketFailedRunKeepsPrevious(t *testing.T, store buckettest.Store) {
	cfg, out := bucketConfig(t, store)
	first, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := published(objects(t, out))
	for _, tc := range failedWrites {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.failWrite = func(key string) error {
				if tc.key(key) {
					return fmt.Errorf("injected failure writing %s", key)
				}
				return nil
			}
			if _, err := Run(context.Background(), c); err == nil || !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			after := published(objects(t, out))
			if !maps.EqualFunc(before, after, bytes.Equal) {
				t.Errorf("the bucket changed: %q before, %q after", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
			if m := periodManifest(t, after); m.RunID != first.RunID {
				t.Errorf("period manifest names run %s, want the previous %s", m.RunID, first.RunID)
			}
		})
	}

	// What a killed run left: objects under a run no manifest names.
	ctx := context.Background()
	if err := out.WriteAll(ctx, "grain=month/period=2026-10/runs/killed/"+KPIFile, []byte("partial"), nil); err != nil {
		t.Fatal(err)
	}
	second, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, out)
	if got, want := runIDs(objs, "grain=month/period=2026-10"), slices.Sorted(slices.Values([]string{first.RunID, second.RunID})); !slices.Equal(got, want) {
		t.Errorf("runs %q after the second run, want the first and the second, %q", got, want)
	}
	if m := periodManifest(t, objs); m.RunID != second.RunID {
		t.Errorf("period manifest names run %s, want %s", m.RunID, second.RunID)
	}
	third, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runIDs(objects(t, out), "grain=month/period=2026-10"), slices.Sorted(slices.Values([]string{second.RunID, third.RunID})); !slices.Equal(got, want) {
		t.Errorf("runs %q after the third run, want the second and the third, %q", got, want)
	}
}

// TestBucketGatedRunPublishesNothing checks that a run stopped by a data
// gate writes no object, and that an empty input prefix trips the
// empty-input gate as an empty directory does.
func TestBucketGatedRunPublishesNothing(t *testing.T) {
	eachStore(t, testBucketGatedRunPublishesNothing)
}

func testBucketGatedRunPublishesNothing(t *testing.T, store buckettest.Store) {
	cfg, out := bucketConfig(t, store)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	before := published(objects(t, out))
	c := cfg
	c.Gates.MaxRejectedShare = 0.001 // the sample's tables reject more
	if _, err := Run(context.Background(), c); !errors.Is(err, ErrGate) {
		t.Fatalf("err = %v, want ErrGate", err)
	}
	empty := store.URL(t)
	c = cfg
	c.Input, c.InputName = bucket.FS(context.Background(), openBucket(t, empty)), bucket.Name(empty)
	_, err := Run(context.Background(), c)
	var ge *GateError
	if !errors.As(err, &ge) || ge.Failures[0].Gate != "empty_input" {
		t.Fatalf("err = %v, want the empty_input gate", err)
	}
	if after := published(objects(t, out)); !maps.EqualFunc(before, after, bytes.Equal) {
		t.Errorf("the bucket changed after gated runs: %q before, %q after", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
}

// bucketFiles are configuration files naming buckets: a bad URL is an
// error naming its key, a good one is kept as it is (not read as a path
// relative to the file).
var bucketFiles = []struct {
	name, yaml string
	key        string // of the error, "" for none
	out        string // Config().OutDir when there is no error
}{
	{"output bucket", "output: s3://reports/cx?region=eu-west-1\n", "", "s3://reports/cx?region=eu-west-1"},
	{"output unknown parameter", "output: s3://reports/cx?regoin=eu-west-1\n", "output", ""},
	{"input unsupported", "input: ftp://exports/zendesk\n", "input", ""},
	{"output gcs", "output: gs://reports/cx\n", "", "gs://reports/cx"},
	{"output azure", "output: azblob://reports/cx?storage_account=cxkpi\n", "", "azblob://reports/cx?storage_account=cxkpi"},
	{"output azure unknown parameter", "output: azblob://reports/cx?storage_acount=cxkpi\n", "output", ""},
	{"input credentials", "input: s3://AKIA:secret@exports/zendesk\n", "input", ""},
}

func TestFileBucketURLs(t *testing.T) {
	for _, tc := range bucketFiles {
		t.Run(tc.name, func(t *testing.T) {
			path := t.TempDir() + "/cxkpi.yaml"
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := LoadFile(path)
			var fe *FieldError
			if tc.key != "" {
				if !errors.As(err, &fe) || fe.Key != tc.key {
					t.Fatalf("got %v, want an error of key %s", err, tc.key)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error repeats the URL's password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := f.Config()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.OutDir != tc.out {
				t.Errorf("output %q, want %q", cfg.OutDir, tc.out)
			}
		})
	}
}

// TestBucketRunEmailsTheReport checks that a run to a bucket emails the
// published report.pdf and records the delivery in both copies of the
// manifest.
func TestBucketRunEmailsTheReport(t *testing.T) { eachStore(t, testBucketRunEmailsTheReport) }

func testBucketRunEmailsTheReport(t *testing.T, store buckettest.Store) {
	srv := mailtest.Start(t, mailtest.Options{})
	cfg, out := bucketConfig(t, store)
	cfg.Mail = &mail.Config{
		Host: "127.0.0.1", Port: srv.Port, Security: mail.SecurityNone,
		From: "cxkpi <kpi@example.com>", To: []string{"ops@example.com"}, Retries: -1,
	}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Deliveries()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	objs := objects(t, out)
	run := path.Join("grain=month/period=2026-10", RunsPrefix, sum.RunID)
	p := mailtest.Parse(t, msgs[0].Data)
	if a := p.Attachment(ReportFile); a == nil || !bytes.Equal(a.Data, objs[path.Join(run, ReportFile)]) {
		t.Error("the attachment is not the published report.pdf")
	}
	for _, key := range []string{path.Join(run, ManifestFile), "grain=month/period=2026-10/" + ManifestFile} {
		var m Manifest
		if err := json.Unmarshal(objs[key], &m); err != nil {
			t.Fatal(err)
		}
		if m.Delivery == nil || !m.Delivery.Sent {
			t.Errorf("%s: delivery %+v, want sent", key, m.Delivery)
		}
	}
}

// TestBucketParquetInput reads generated Parquet exports from a bucket,
// whose objects cannot seek: the run gives the KPI and model bytes of
// the same exports read from a directory.
func TestBucketParquetInput(t *testing.T) { eachStore(t, testBucketParquetInput) }

func testBucketParquetInput(t *testing.T, store buckettest.Store) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := sample.Generate(ctx, dir, sample.Config{Seed: 1, Customers: 60, Months: 3, Format: sample.Parquet}, nil); err != nil {
		t.Fatal(err)
	}
	in := store.URL(t)
	uploadFS(t, openBucket(t, in), os.DirFS(dir))
	local := testConfig(t, nil)
	local.Input, local.InputName = os.DirFS(dir), dir
	want, err := Run(ctx, local)
	if err != nil {
		t.Fatal(err)
	}
	cfg := local
	cfg.OutDir = t.TempDir()
	cfg.Input, cfg.InputName = bucket.FS(ctx, openBucket(t, in)), bucket.Name(in)
	got, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Read() != want.Read() || got.Read() == 0 {
		t.Errorf("read %d rows from the bucket, %d from the directory", got.Read(), want.Read())
	}
	wantFiles, gotFiles := readDir(t, want.Dir), readDir(t, got.Dir)
	for _, name := range []string{KPIFile, CohortFile, CustomerFile, ModelFitFile, QuarantineParquet} {
		if !bytes.Equal(gotFiles[name], wantFiles[name]) {
			t.Errorf("%s differs between the bucket and the directory input", name)
		}
	}
}

// published returns the objects of a run's outputs, leaving out the run
// log, which every run adds to whatever its outcome.
func published(objs map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range objs {
		if !strings.HasPrefix(k, RunLogPrefix+"/") {
			out[k] = v
		}
	}
	return out
}
