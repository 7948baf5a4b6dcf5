// Package bucket opens object storage by URL through gocloud.dev/blob: an
// S3 bucket or an S3-compatible store (s3://), a Google Cloud Storage
// bucket (gs://), an Azure Blob Storage container (azblob://), or a local
// directory laid out as a bucket (file://). It reads a bucket as an
// [fs.FS], so that the exports of a table load from a bucket as they do
// from a directory, and it names a bucket in logs and manifests without
// its query parameters.
//
// Credentials never appear in a bucket URL: each driver takes them from
// its cloud's usual places (for S3 AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, the shared credentials file, an instance role;
// for Google Cloud Storage the Application Default Credentials,
// GOOGLE_APPLICATION_CREDENTIALS first; for Azure AZURE_STORAGE_ACCOUNT
// with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN,
// AZURE_STORAGE_CONNECTION_STRING or the Azure identity chain), and
// nothing in this package logs or returns them.
package bucket

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcp"
	"golang.org/x/oauth2"
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
//     bucket, or one of an S3-compatible store at endpoint. The query
//     takes the parameters of gocloud.dev/blob/s3blob (region, endpoint,
//     use_path_style, disable_https, profile,
//     request_checksum_calculation, …).
//   - gs://BUCKET/PREFIX: a Google Cloud Storage bucket
//     (gocloud.dev/blob/gcsblob), with the Application Default
//     Credentials, or none with anonymous=true. With
//     STORAGE_EMULATOR_HOST=HOST:PORT set, the bucket is one of the
//     emulator at http://HOST:PORT, and no credentials are looked for.
//   - azblob://CONTAINER/PREFIX: a container of Azure Blob Storage
//     (gocloud.dev/blob/azureblob) in the account AZURE_STORAGE_ACCOUNT
//     or storage_account=NAME. The query takes the parameters of the
//     driver (storage_account, domain, protocol, cdn, localemu): the
//     emulator Azurite is azblob://CONTAINER?localemu=true&protocol=http&domain=127.0.0.1:10000&storage_account=devstoreaccount1.
//   - file:///DIR: the files under the local directory DIR, as a bucket
//     (gocloud.dev/blob/fileblob).
//
// The path of an s3://, gs:// or azblob:// URL is a prefix that every key
// is read and written under. Open only reads the configuration; the first
// request to the store, and for Google Cloud Storage the search for
// credentials, is made by the first read or write.
func Open(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bucket: %w", err)
	}
	name := Name(rawURL)
	if u.User != nil {
		return nil, fmt.Errorf("bucket %s: credentials do not belong in the URL: set them in the environment (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_KEY, …) or the driver's credentials file", name)
	}
	var open func(context.Context, *url.URL) (*blob.Bucket, error)
	switch u.Scheme {
	case s3blob.Scheme:
		open = (&s3blob.URLOpener{}).OpenBucketURL
	case gcsblob.Scheme:
		open = openGCS
	case azureblob.Scheme:
		open = openAzure
	case fileblob.Scheme:
		b, err := (&fileblob.URLOpener{}).OpenBucketURL(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, redactErr(err, rawURL, name))
		}
		return b, nil
	default:
		return nil, fmt.Errorf("%w: %q in %s, want s3://, gs://, azblob:// or file://", ErrScheme, u.Scheme, name)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bucket %s: no bucket name: want %s://BUCKET/PREFIX", name, u.Scheme)
	}
	prefix := strings.Trim(u.Path, "/")
	u.Path, u.RawPath = "", ""
	b, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, redactErr(err, rawURL, name))
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	return b, nil
}

// openGCS opens the Google Cloud Storage bucket of u. The driver's own
// default opener looks for credentials once per process, on the first
// URL it opens, and prints a warning to standard output when it finds
// none; this one looks for them on the bucket's first request and
// returns the error.
func openGCS(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	client := gcp.NewAnonymousHTTPClient(gcp.DefaultTransport())
	// An emulator takes no credentials: the driver sends it none.
	if os.Getenv("STORAGE_EMULATOR_HOST") == "" {
		var err error
		client, err = gcp.NewHTTPClient(gcp.DefaultTransport(), &googleCredentials{ctx: context.WithoutCancel(ctx)})
		if err != nil {
			return nil, err
		}
	}
	return (&gcsblob.URLOpener{Client: client}).OpenBucketURL(ctx, u)
}

// googleCredentials is the token source of the Application Default
// Credentials, found on its first use.
type googleCredentials struct {
	ctx  context.Context
	once sync.Once
	ts   oauth2.TokenSource
	err  error
}

func (g *googleCredentials) Token() (*oauth2.Token, error) {
	g.once.Do(func() {
		creds, err := gcp.DefaultCredentials(g.ctx)
		if err != nil {
			g.err = fmt.Errorf("no Google Cloud credentials (set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or use anonymous=true for a public bucket): %w", err)
			return
		}
		g.ts = creds.TokenSource
	})
	if g.err != nil {
		return nil, g.err
	}
	return g.ts.Token()
}

// openAzure opens the Azure Blob Storage container of u with the
// driver's environment read now, not once per process as its default
// opener does.
func openAzure(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	o := &azureblob.URLOpener{
		MakeClient:        azureblob.NewDefaultClient,
		ServiceURLOptions: *azureblob.NewDefaultServiceURLOptions(),
	}
	if o.ServiceURLOptions.AccountName == "" && !u.Query().Has("storage_account") {
		return nil, errors.New("no Azure storage account: set AZURE_STORAGE_ACCOUNT (with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or for the Azure identity chain), AZURE_STORAGE_CONNECTION_STRING, or storage_account=NAME in the URL")
	}
	return o.OpenBucketURL(ctx, u)
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
