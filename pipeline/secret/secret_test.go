package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("CXKPI_TEST_SECRET", "s3cr3t")
	t.Setenv("CXKPI_TEST_EMPTY", "")
	tests := []struct {
		name, env, file string
		want, err       string
	}{
		{"env", "CXKPI_TEST_SECRET", "", "s3cr3t", ""},
		{"file with a line break", "", write("a", "s3cr3t\n"), "s3cr3t", ""},
		{"file with CRLF", "", write("b", "s3cr3t\r\n"), "s3cr3t", ""},
		{"both", "CXKPI_TEST_SECRET", "x", "", "not both"},
		{"neither", "", "", "", "neither"},
		{"bad name", "TOKEN-1", "", "", "not an environment variable name"},
		{"unset", "CXKPI_TEST_UNSET_XYZ", "", "", "is not set"},
		{"empty", "CXKPI_TEST_EMPTY", "", "", "is empty"},
		{"two lines", "", write("c", "one\ntwo\n"), "", "more than one line"},
		{"missing file", "", filepath.Join(dir, "absent"), "", "read token file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.env, tc.file, "token")
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Read = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Read error %v, want one containing %q", err, tc.err)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "two") {
				t.Errorf("the error %q holds the secret", err)
			}
		})
	}
}
