package bucket_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/bucket"
)

var urlTests = []struct {
	in    string
	isURL bool
	name  string
}{
	{"exports", false, "exports"},
	{"/srv/exports", false, "/srv/exports"},
	{`C:\exports`, false, `C:\exports`},
	{"s3://b", true, "s3://b"},
	{"s3://b/exports/zendesk?region=eu-west-1&endpoint=http://127.0.0.1:9000", true, "s3://b/exports/zendesk"},
	{"file:///srv/exports", true, "file:///srv/exports"},
	{"s3://key:secret@b/p?x=1#f", true, "s3://b/p"},
	{"gs://b/exports", true, "gs://b/exports"},
	{"azblob://c/exports?storage_account=a&localemu=true", true, "azblob://c/exports"},
	{"://nothing", false, "://nothing"},
}

func TestIsURLAndName(t *testing.T) {
	for _, tc := range urlTests {
		t.Run(tc.in, func(t *testing.T) {
			if got := bucket.IsURL(tc.in); got != tc.isURL {
				t.Errorf("IsURL: got %v, want %v", got, tc.isURL)
			}
			if got := bucket.Name(tc.in); got != tc.name {
				t.Errorf("Name: got %q, want %q", got, tc.name)
			}
		})
	}
}

var openErrors = []struct {
	name, url string
	is        error  // errors.Is, when set
	says      string // in the message
}{
	{"unknown", "ftp://host/dir", bucket.ErrScheme, `"ftp"`},
	{"no bucket", "s3:///p", nil, "no bucket name"},
	{"credentials in the URL", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@b/p", nil, "credentials do not belong in the URL"},
	{"unknown parameter", "s3://b/p?regoin=eu-west-1&token=s3cr3t", nil, "regoin"},
	{"gcs no bucket", "gs:///p", nil, "no bucket name: want gs://BUCKET/PREFIX"},
	{"gcs credentials in the URL", "gs://svc:wJalrXUtnFEMI@b/p", nil, "credentials do not belong in the URL"},
	{"gcs unknown parameter", "gs://b/p?acess_id=s3cr3t", nil, "acess_id"},
	{"azure no container", "azblob:///p?storage_account=a", nil, "no bucket name: want azblob://BUCKET/PREFIX"},
	{"azure no account", "azblob://c/p", nil, "no Azure storage account"},
	{"azure unknown parameter", "azblob://c/p?storage_account=a&sas=s3cr3t", nil, `"sas"`},
	{"azure http off the emulator", "azblob://c/p?storage_account=a&protocol=http", nil, `protocol "http" only allowed`},
	{"azure emulator off loopback", "azblob://c/p?storage_account=a&protocol=http&localemu=true&domain=example.com:10000", nil, "example.com"},
}

func TestOpenErrors(t *testing.T) {
	// No account of the environment may stand in for a missing one.
	for _, v := range []string{"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGEBLOB_CONNECTIONSTRING"} {
		t.Setenv(v, "")
	}
	for _, tc := range openErrors {
		t.Run(tc.name, func(t *testing.T) {
			b, err := bucket.Open(context.Background(), tc.url)
			if err == nil {
				b.Close()
				t.Fatal("got no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want an error wrapping %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %q, want it to say %q", err, tc.says)
			}
			for _, secret := range []string{"wJalrXUtnFEMI", "s3cr3t"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("got %q, which repeats %q", err, secret)
				}
			}
		})
	}
}

// TestGCSNoCredentials checks that a Google Cloud Storage bucket opens
// without credentials (Open makes no request), and that its first read
// fails saying where credentials are looked for, as an error rather
// than a warning printed on the way.
func TestGCSNoCredentials(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	ctx := context.Background()
	b, err := bucket.Open(ctx, "gs://cxkpi-no-such-bucket/exports")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = b.ReadAll(ctx, "tickets.csv")
	if err == nil || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS") {
		t.Errorf("got %v, want an error naming GOOGLE_APPLICATION_CREDENTIALS", err)
	}
}
