package bucket_test

import (
	"context"
	"errors"
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
	{"gcs", "gs://b/p", bucket.ErrScheme, "gs:// is not built into this binary"},
	{"azure", "azblob://b", bucket.ErrScheme, "azblob:// is not built into this binary"},
	{"unknown", "ftp://host/dir", bucket.ErrScheme, `"ftp"`},
	{"no bucket", "s3:///p", nil, "no bucket name"},
	{"credentials in the URL", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@b/p", nil, "credentials do not belong in the URL"},
	{"unknown parameter", "s3://b/p?regoin=eu-west-1&token=s3cr3t", nil, "regoin"},
}

func TestOpenErrors(t *testing.T) {
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
