//go:build faults && linux

package faults

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/cxkpi/cxkpi/pipeline"
	"github.com/cxkpi/cxkpi/pipeline/bucket"
	"github.com/cxkpi/cxkpi/pipeline/bucket/buckettest"
)

// TestKillBucket kills a run to a bucket of the test S3 server at each
// step of its publish: the period's manifest names the previous run
// until the new one is complete, and then the new one, whose every
// output is in place with its checksum; the next normal run is
// published and deletes what the killed run left.
func TestKillBucket(t *testing.T) {
	cases := []struct {
		point     string
		published bool // killed after the period's manifest was replaced
	}{
		{"manifest", false},
		{"publish", false},
		{"publish.objects", false},
		{"publish.manifest", true},
		{"publish.removed", true},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.point, func(t *testing.T) {
			out := buckettest.S3(t)
			b, err := bucket.Open(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if r := s.run(ctx, nil, s.csv, out); r.err != nil || r.code != 0 {
				t.Fatalf("first run: %s %v\n%s", r, r.err, tail(r.stderr))
			}
			first := bucketManifest(t, b)
			if r := s.run(ctx, []string{faultEnv + "=" + tc.point}, s.csv, out); r.err != nil || !r.killed {
				t.Fatalf("run with fault point %s: %s %v, want it killed there\n%s", tc.point, r, r.err, tail(r.stderr))
			}
			current := bucketManifest(t, b)
			if got := current.RunID != first.RunID; got != tc.published {
				t.Errorf("killed at %s: the period's manifest names a new run: %v, want %v", tc.point, got, tc.published)
			}
			checkBucketRun(t, b, current)

			r := s.run(ctx, nil, s.csv, out)
			if r.err != nil || r.code != 0 || !strings.HasPrefix(r.stdout, "ok ") {
				t.Fatalf("the next normal run: %s %v\n%s", r, r.err, tail(r.stderr))
			}
			last := bucketManifest(t, b)
			checkBucketRun(t, b, last)
			want := []string{current.RunID, last.RunID}
			slices.Sort(want)
			if got := bucketRuns(t, b); !slices.Equal(got, want) {
				t.Errorf("runs %q after the next normal run, want the one it replaced and its own, %q", got, want)
			}
			for _, name := range dataFiles {
				got, err := b.ReadAll(ctx, path.Join(period, pipeline.RunsPrefix, last.RunID, name))
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(filepath.Join(s.template, period, name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the local good run's", name)
				}
			}
		})
	}
}

// bucketManifest reads the period's manifest.json from b.
func bucketManifest(t *testing.T, b *blob.Bucket) pipeline.Manifest {
	t.Helper()
	data, err := b.ReadAll(context.Background(), path.Join(period, pipeline.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkBucketRun checks that every output m lists is in its run's
// prefix with the size and checksum m gives.
func checkBucketRun(t *testing.T, b *blob.Bucket, m pipeline.Manifest) {
	t.Helper()
	if len(m.Outputs) == 0 {
		t.Fatal("the manifest lists no output")
	}
	for _, o := range m.Outputs {
		data, err := b.ReadAll(context.Background(), path.Join(period, pipeline.RunsPrefix, m.RunID, o.Name))
		if err != nil {
			t.Errorf("run %s: %v", m.RunID, err)
			continue
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != o.Bytes || hex.EncodeToString(sum[:]) != o.SHA256 {
			t.Errorf("run %s: %s is not the file the manifest lists", m.RunID, o.Name)
		}
	}
}

// bucketRuns lists the run ids of the period in b, sorted.
func bucketRuns(t *testing.T, b *blob.Bucket) []string {
	t.Helper()
	prefix := path.Join(period, pipeline.RunsPrefix) + "/"
	it := b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var ids []string
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/"))
	}
	slices.Sort(ids)
	return ids
}
