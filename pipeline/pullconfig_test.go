package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/pull"
)

func TestPullConfig(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "exports"), 0o755)
	os.WriteFile(filepath.Join(dir, "zd.token"), []byte("tok-123\n"), 0o600)
	tests := []struct {
		name, yaml string
		want       pull.Config
	}{
		{"defaults", "input: exports\npull:\n  vendor: zendesk\n  base_url: https://acme.zendesk.com\n  email: a@acme.com\n  token_file: zd.token\n",
			pull.Config{Vendor: pull.Zendesk, BaseURL: "https://acme.zendesk.com", Dir: filepath.Join(dir, "exports"),
				Auth: pull.Auth{Token: "tok-123", Email: "a@acme.com"}, RatingsLookback: DefaultRatingsLookback}},
		{"everything", "pull:\n  vendor: freshdesk\n  base_url: https://acme.freshdesk.com\n  output: fd\n  token_file: zd.token\n  start: 2026-03-01T10:00:00Z\n  ratings_lookback: 0s\n",
			pull.Config{Vendor: pull.Freshdesk, BaseURL: "https://acme.freshdesk.com", Dir: filepath.Join(dir, "fd"),
				Auth: pull.Auth{Token: "tok-123"}, Start: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}},
		{"bearer", "input: exports\npull:\n  vendor: zendesk\n  base_url: https://acme.zendesk.com\n  auth: bearer\n  token_file: zd.token\n  start: 2026-01-01\n",
			pull.Config{Vendor: pull.Zendesk, BaseURL: "https://acme.zendesk.com", Dir: filepath.Join(dir, "exports"),
				Auth: pull.Auth{Token: "tok-123", Bearer: true}, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), RatingsLookback: DefaultRatingsLookback}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := LoadFile(writeFile(t, dir, "c.yaml", tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := f.PullConfig()
			if err != nil || !ok {
				t.Fatalf("got %v, %v", ok, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	f, err := LoadFile(writeFile(t, dir, "c.yaml", "pull:\n  vendor: zendesk\n  base_url: https://acme.zendesk.com\n  auth: bearer\n  output: x\n  token_env: CXKPI_TEST_PULL_UNSET\n"))
	if err != nil {
		t.Fatalf("check reads the token: %v", err)
	}
	if _, _, err := f.PullConfig(); err == nil || !strings.Contains(err.Error(), "CXKPI_TEST_PULL_UNSET is not set") {
		t.Errorf("got %v, want the unset variable named", err)
	}
}
