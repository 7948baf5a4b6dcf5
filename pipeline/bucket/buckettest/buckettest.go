// Package buckettest gives tests a fresh prefix of a real S3-compatible
// server: the one .ci/s3-server.sh starts and names in
// CXKPI_TEST_S3_ENDPOINT and CXKPI_TEST_S3_BUCKET.
package buckettest

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
)

// Environment that .ci/s3-server.sh exports.
const (
	EndpointEnv = "CXKPI_TEST_S3_ENDPOINT"
	BucketEnv   = "CXKPI_TEST_S3_BUCKET"
)

// Credentials of the test server (s3rver's own): not secret, and set in
// the test's environment by [S3].
const (
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
)

// S3 returns the URL of a prefix of the test server that no other test
// uses, s3://BUCKET/TestName-RANDOM?endpoint=…, with the server's
// credentials in the test's environment. Without a server it skips the
// test, saying how to start one; under CI (CI set) it fails it instead,
// so that a missing server cannot pass as a skipped test.
func S3(t testing.TB) string {
	t.Helper()
	endpoint, bucket := os.Getenv(EndpointEnv), os.Getenv(BucketEnv)
	if endpoint == "" || bucket == "" {
		msg := EndpointEnv + " and " + BucketEnv + " are not set: start the test S3 server with `. .ci/s3-server.sh` in the shell that runs go test"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return URL(bucket, Prefix(t), endpoint)
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
