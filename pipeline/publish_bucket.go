package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/cxkpi/cxkpi/pipeline/bucket"
)

// RunsPrefix is the key prefix, inside a period's prefix, under which a
// run published to a bucket keeps its objects: a period's outputs are
// grain=<grain>/period=<period>/runs/<run_id>/<file>, and
// grain=<grain>/period=<period>/manifest.json names the current one
// (docs/outputs.md, "In a bucket"). Beside that manifest, a copy of the
// current run's kpis.parquet is what a glob of the partitions reads.
const RunsPrefix = "runs"

// bucketOut is a bucket that receives the outputs of runs in place of an
// output directory. A store has no rename, so a run is published in two
// steps: every object of the run is written under a prefix of its own,
// runs/<run_id>/, that no reader is pointed at yet; then the period's
// manifest.json, the one object readers start from, is replaced by the
// run's in one write. A reader that trusts that manifest sees the
// previous run or this one, whole; a run that fails before the last
// write leaves the previous manifest, and so the previous outputs,
// current.
type bucketOut struct {
	b    *blob.Bucket
	url  string // as the user gave it, for object URLs (bucket.Join)
	log  *slog.Logger
	fail func(key string) error // tests: called before each write; an error fails it
}

// contextFS is an input that makes requests with a context, such as a
// bucket ([bucket.FS]): a run reads it with its own.
type contextFS interface {
	WithContext(ctx context.Context) fs.FS
}

// openOut opens the bucket the output URL names.
func openOut(ctx context.Context, cfg Config) (*bucketOut, error) {
	b, err := bucket.Open(ctx, cfg.OutDir)
	if err != nil {
		return nil, fmt.Errorf("open the output: %w", err)
	}
	return &bucketOut{b: b, url: cfg.OutDir, log: cfg.Logger, fail: cfg.failWrite}, nil
}

func (o *bucketOut) close() error { return o.b.Close() }

// runKey is the prefix of run id's objects in the period prefix period.
func runKey(period, id string) string { return path.Join(period, RunsPrefix, id) }

// put writes the local file name as the object key.
func (o *bucketOut) put(ctx context.Context, key, name string) error {
	if o.fail != nil {
		if err := o.fail(key); err != nil {
			return fmt.Errorf("write %s: %w", bucket.Join(o.url, key), err)
		}
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := &blob.WriterOptions{ContentType: contentType(key)}
	if err := o.b.Upload(ctx, key, f, opts); err != nil {
		return fmt.Errorf("write %s: %w", bucket.Join(o.url, key), err)
	}
	return nil
}

// contentType is the MIME type of an output by its name.
func contentType(key string) string {
	switch path.Ext(key) {
	case ".parquet":
		return "application/vnd.apache.parquet"
	case ".pdf":
		return "application/pdf"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// publish writes the files of the staging directory stage as the run
// id of the period prefix period, manifest.json last, then replaces the
// period's manifest.json by the run's, and then the period's copy of
// kpis.parquet and, when history names a file, the grain's
// [HistoryFile]. Once it is published, the runs
// of the period other than this one and the one it replaces are
// deleted: a reader that read the previous manifest a moment ago still
// finds its objects until the next run. A failed publish deletes what
// it wrote, as far as it can, and leaves the period's manifest as it was.
func (o *bucketOut) publish(ctx context.Context, stage, period, id, history string) error {
	previous, known, err := o.current(ctx, period)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(stage)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != ManifestFile {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	names = append(names, ManifestFile)
	fault("publish")
	var written []string
	for _, n := range names {
		key := path.Join(runKey(period, id), n)
		if err := o.put(ctx, key, filepath.Join(stage, n)); err != nil {
			o.remove(context.WithoutCancel(ctx), written)
			return fmt.Errorf("publish %s: %w", bucket.Join(o.url, period), err)
		}
		written = append(written, key)
	}
	fault("publish.objects")
	if err := o.put(ctx, path.Join(period, ManifestFile), filepath.Join(stage, ManifestFile)); err != nil {
		o.remove(context.WithoutCancel(ctx), written)
		return fmt.Errorf("publish %s: %w", bucket.Join(o.url, period), err)
	}
	fault("publish.manifest")
	// The partition copy and the history are single objects, each
	// replaced whole by one write. A failure here fails the run: the next
	// run of the period writes them again.
	if err := o.put(ctx, path.Join(period, KPIFile), filepath.Join(stage, KPIFile)); err != nil {
		return fmt.Errorf("publish %s: %w", bucket.Join(o.url, period), err)
	}
	if history != "" {
		if err := o.put(ctx, path.Join(path.Dir(period), HistoryFile), history); err != nil {
			return fmt.Errorf("publish %s: %w", bucket.Join(o.url, path.Dir(period)), err)
		}
	}
	if known {
		o.prune(ctx, period, id, previous)
	}
	fault("publish.removed")
	return nil
}

// record rewrites the manifest of the published run id, and the period's
// copy of it, after the delivery of the report.
func (o *bucketOut) record(ctx context.Context, manifest, period, id string) error {
	if err := o.put(ctx, path.Join(runKey(period, id), ManifestFile), manifest); err != nil {
		return err
	}
	return o.put(ctx, path.Join(period, ManifestFile), manifest)
}

// current returns the run id that the period's manifest names, "" when
// there is none; known is false when the manifest cannot be parsed, and
// then no earlier run is deleted.
func (o *bucketOut) current(ctx context.Context, period string) (id string, known bool, err error) {
	key := path.Join(period, ManifestFile)
	data, err := o.b.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return "", true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", bucket.Join(o.url, key), err)
	}
	var m struct {
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal(data, &m); err != nil || m.RunID == "" {
		o.log.Warn("the period's manifest names no run; no earlier run is deleted", "manifest", bucket.Join(o.url, key), "err", err)
		return "", false, nil
	}
	return m.RunID, true, nil
}

// prune deletes the runs of the period other than keep and previous:
// those of earlier runs, and what a failed or killed run left. Failing to
// delete is logged, not an error: the run is published.
func (o *bucketOut) prune(ctx context.Context, period, keep, previous string) {
	prefix := path.Join(period, RunsPrefix) + "/"
	it := o.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var old []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			o.log.Warn("earlier runs not deleted", "prefix", bucket.Join(o.url, prefix), "err", err)
			return
		}
		id := strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/")
		if obj.IsDir && id != keep && id != previous && id != "" {
			old = append(old, obj.Key)
		}
	}
	for _, p := range old {
		var keys []string
		it := o.b.List(&blob.ListOptions{Prefix: p})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				o.log.Warn("earlier run not deleted", "prefix", bucket.Join(o.url, p), "err", err)
				break
			}
			keys = append(keys, obj.Key)
		}
		o.remove(ctx, keys)
	}
}

// remove deletes keys, logging the failures.
func (o *bucketOut) remove(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := o.b.Delete(ctx, k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			o.log.Warn("object not deleted", "object", bucket.Join(o.url, k), "err", err)
		}
	}
}

// periodLabels returns the labels of the periods (grain/period=<label>/)
// published in the bucket under the grain prefix grain.
func (o *bucketOut) periodLabels(ctx context.Context, grain string) ([]string, error) {
	prefix := grain + "/"
	it := o.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var labels []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return labels, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list the periods of %s: %w", bucket.Join(o.url, prefix), err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/")
		if l, ok := strings.CutPrefix(name, "period="); ok && obj.IsDir {
			labels = append(labels, l)
		}
	}
}
