// Package bucket opens object storage by URL through gocloud.dev/blob: an
// S3 bucket or an S3-compatible store (s3://), or a local directory laid
// out as a bucket (file://). It reads a bucket as an [fs.FS], so that the
// exports of a table load from a bucket as they do from a directory, and
// it names a bucket in logs and manifests without its query parameters.
//
// Credentials never appear in a bucket URL: the S3 driver takes them from
// the AWS SDK's usual places (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
// the shared credentials file, an instance role), and nothing in this
// package logs or returns them.
package bucket

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
)

// ErrScheme means a URL names a kind of storage that this binary cannot
// open.
var ErrScheme = errors.New("bucket: unsupported storage")

// IsURL reports whether s is a URL with a scheme (s3://bucket,
// file:///srv/exports) rather than a local path. A Windows path such as
// C:\exports is not a URL.
func IsURL(s string) bool {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || len(scheme) < 2 || rest == "" {
		return false
	}
	for i, c := range scheme {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// Open opens the bucket that rawURL names:
//
//   - s3://BUCKET/PREFIX?region=R&endpoint=URL&use_path_style=true: an S3
//     bucket, or one of an S3-compatible store at endpoint; the path is a
//     prefix that every key is read and written under. The query takes
//     the parameters of gocloud.dev/blob/s3blob (region, endpoint,
//     use_path_style, disable_https, profile,
//     request_checksum_calculation, …).
//   - file:///DIR: the files under the local directory DIR, as a bucket
//     (gocloud.dev/blob/fileblob).
//
// gs:// and azblob:// are not built in: they return an error wrapping
// [ErrScheme]. Their drivers would bring the Google Cloud and Azure
// client libraries (gRPC, OpenTelemetry exporters and more) into every
// binary, more than all of cxkpi without them; Google Cloud Storage is
// reachable through its S3-compatible endpoint. Open only reads the
// configuration; the first request to the store is made by the first
// read or write.
func Open(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bucket: %w", err)
	}
	name := Name(rawURL)
	if u.User != nil {
		return nil, fmt.Errorf("bucket %s: credentials do not belong in the URL: set them in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the shared credentials file", name)
	}
	switch u.Scheme {
	case s3blob.Scheme:
		if u.Host == "" {
			return nil, fmt.Errorf("bucket %s: no bucket name: want s3://BUCKET/PREFIX", name)
		}
		prefix := strings.Trim(u.Path, "/")
		u.Path, u.RawPath = "", ""
		b, err := (&s3blob.URLOpener{}).OpenBucketURL(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, redactErr(err, rawURL, name))
		}
		if prefix != "" {
			b = blob.PrefixedBucket(b, prefix+"/")
		}
		return b, nil
	case fileblob.Scheme:
		b, err := (&fileblob.URLOpener{}).OpenBucketURL(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, redactErr(err, rawURL, name))
		}
		return b, nil
	case "gs", "azblob":
		return nil, fmt.Errorf("%w: %s:// is not built into this binary (s3:// and file:// are); a Google Cloud Storage bucket can be reached through its S3-compatible endpoint: s3://BUCKET?endpoint=https://storage.googleapis.com", ErrScheme, u.Scheme)
	}
	return nil, fmt.Errorf("%w: %q in %s, want s3:// or file://", ErrScheme, u.Scheme, name)
}

// Name returns rawURL without its query, fragment and user information
// (a local path as it is):
// how a bucket is named in logs, errors and manifest.json. The query
// holds the endpoint and region, never credentials, but it is left out
// all the same, so that a secret put there by mistake is not repeated.
func Name(rawURL string) string {
	if !IsURL(rawURL) {
		return rawURL // a local path
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not a URL; keep what comes before a query, if anything.
		s, _, _ := strings.Cut(rawURL, "?")
		return s
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// Join returns the URL of key in the bucket named by rawURL (as [Name]
// gives it): s3://b/exports and runs/1/kpis.parquet give
// s3://b/exports/runs/1/kpis.parquet.
func Join(rawURL, key string) string {
	return strings.TrimSuffix(Name(rawURL), "/") + "/" + key
}

// redactErr replaces the full URL in the driver's error text by its
// name: the drivers repeat the URL they were given, query and all.
func redactErr(err error, rawURL, name string) error {
	if !strings.Contains(err.Error(), "?") {
		return err
	}
	u, perr := url.Parse(rawURL)
	if perr != nil || u.RawQuery == "" {
		return err
	}
	return &redacted{err: err, query: u.RawQuery}
}

// redacted is an error whose text leaves out a URL's query.
type redacted struct {
	err   error
	query string
}

func (r *redacted) Error() string { return strings.ReplaceAll(r.err.Error(), "?"+r.query, "") }
func (r *redacted) Unwrap() error { return r.err }
