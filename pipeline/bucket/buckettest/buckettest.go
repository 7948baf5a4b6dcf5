// Package buckettest gives tests a fresh prefix of a real object storage
// server of each kind cxkpi opens: the S3 server s3rver, the Google Cloud
// Storage emulator fake-gcs-server and the Azure Blob Storage emulator
// Azurite, that .ci/s3-server.sh, .ci/gcs-server.sh and
// .ci/azure-server.sh start and name in the environment.
package buckettest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/cxkpi/cxkpi/pipeline/bucket"
)

// Store is a kind of object storage that the tests run against: Name
// for subtest names, URL for a fresh prefix of its test server.
type Store struct {
	Name string
	URL  func(t testing.TB) string
}

// Stores are the three kinds of object storage cxkpi opens, for a test
// that runs once on each.
var Stores = []Store{
	{"s3", S3},
	{"gcs", GCS},
	{"azure", Azure},
}

// Environment that .ci/s3-server.sh exports.
const (
	EndpointEnv = "CXKPI_TEST_S3_ENDPOINT"
	BucketEnv   = "CXKPI_TEST_S3_BUCKET"
)

// Environment that .ci/gcs-server.sh exports: the emulator's
// http://127.0.0.1:PORT and a bucket made at its start.
const (
	GCSEndpointEnv = "CXKPI_TEST_GCS_ENDPOINT"
	GCSBucketEnv   = "CXKPI_TEST_GCS_BUCKET"
)

// Environment that .ci/azure-server.sh exports: Azurite's blob service
// at http://127.0.0.1:PORT, and the name of the container the tests use
// ([Azure] makes it when it is missing).
const (
	AzureEndpointEnv  = "CXKPI_TEST_AZURE_ENDPOINT"
	AzureContainerEnv = "CXKPI_TEST_AZURE_CONTAINER"
)

// The account of Azurite, with its key: both published in Azurite's
// documentation, the same for every installation, not secret.
const (
	AzureAccount = "devstoreaccount1"
	AzureKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Credentials of the test server (s3rver's own): not secret, and set in
// the test's environment by [S3].
const (
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
)

// S3 returns the URL of a prefix of the test S3 server that no other
// test uses, s3://BUCKET/TestName-RANDOM?endpoint=…, with the server's
// credentials in the test's environment. Without a server it skips the
// test, saying how to start one; under CI (CI set) it fails it instead,
// so that a missing server cannot pass as a skipped test.
func S3(t testing.TB) string {
	t.Helper()
	endpoint, bucket := server(t, EndpointEnv, BucketEnv, "S3", ".ci/s3-server.sh")
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return URL(bucket, Prefix(t), endpoint)
}

// GCS returns the URL of a prefix of the test Google Cloud Storage
// emulator that no other test uses, gs://BUCKET/TestName-RANDOM, with
// STORAGE_EMULATOR_HOST naming the emulator in the test's environment.
// Without an emulator it skips the test, or under CI fails it, as [S3]
// does.
func GCS(t testing.TB) string {
	t.Helper()
	endpoint, bucket := server(t, GCSEndpointEnv, GCSBucketEnv, "Google Cloud Storage", ".ci/gcs-server.sh")
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q: want http://HOST:PORT", GCSEndpointEnv, endpoint)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", u.Host)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	return "gs://" + bucket + "/" + Prefix(t)
}

// Azure returns the URL of a prefix of the test Azurite that no other
// test uses, azblob://CONTAINER/TestName-RANDOM?localemu=true&…, with
// Azurite's account and key in the test's environment, and makes the
// container if it is missing. Without a server it skips the test, or
// under CI fails it, as [S3] does.
func Azure(t testing.TB) string {
	t.Helper()
	endpoint, name := server(t, AzureEndpointEnv, AzureContainerEnv, "Azure Blob Storage", ".ci/azure-server.sh")
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q: want http://HOST:PORT", AzureEndpointEnv, endpoint)
	}
	t.Setenv("AZURE_STORAGE_ACCOUNT", AzureAccount)
	t.Setenv("AZURE_STORAGE_KEY", AzureKey)
	for _, v := range []string{"AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGEBLOB_CONNECTIONSTRING",
		"AZURE_STORAGE_DOMAIN", "AZURE_STORAGE_PROTOCOL", "AZURE_STORAGE_IS_CDN", "AZURE_STORAGE_IS_LOCAL_EMULATOR"} {
		t.Setenv(v, "")
	}
	q := url.Values{}
	q.Set("localemu", "true")
	q.Set("protocol", "http")
	q.Set("domain", u.Host)
	q.Set("storage_account", AzureAccount)
	query := "?" + q.Encode()

	// Azurite starts with no container: make the tests' one.
	ctx := context.Background()
	b, err := bucket.Open(ctx, "azblob://"+name+query)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var c *container.Client
	if !b.As(&c) {
		t.Fatal("the Azure bucket is not a container client")
	}
	if _, err := c.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("make container %s: %v", name, err)
	}
	return "azblob://" + name + "/" + Prefix(t) + query
}

// server returns the endpoint and bucket of a test server from the
// environment. When they are not set it skips the test, saying how to
// start the server, or under CI (CI set) fails it, so that a missing
// server cannot pass as a skipped test.
func server(t testing.TB, endpointEnv, bucketEnv, kind, script string) (endpoint, bucket string) {
	t.Helper()
	endpoint, bucket = os.Getenv(endpointEnv), os.Getenv(bucketEnv)
	if endpoint == "" || bucket == "" {
		msg := endpointEnv + " and " + bucketEnv + " are not set: start the test " + kind + " server with `. " + script + "` in the shell that runs go test"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return endpoint, bucket
}

// URL returns the s3:// URL of prefix in bucket at the test server's
// endpoint, with the query a third-party S3 store needs.
func URL(bucket, prefix, endpoint string) string {
	q := url.Values{}
	q.Set("endpoint", endpoint)
	q.Set("region", "us-east-1")
	q.Set("use_path_style", "true")
	q.Set("request_checksum_calculation", "when_required")
	q.Set("response_checksum_validation", "when_required")
	return "s3://" + bucket + "/" + prefix + "?" + q.Encode()
}

// Prefix returns a key prefix named after the test, unique to this run.
func Prefix(t testing.TB) string {
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, t.Name())
	return name + "-" + hex.EncodeToString(b)
}
