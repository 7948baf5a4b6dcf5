package pull

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenFrom(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("CXKPI_TEST_TOKEN", testToken)
	t.Setenv("CXKPI_TEST_EMPTY", "")
	tests := []struct {
		name, env, file, want, err string
	}{
		{"env", "CXKPI_TEST_TOKEN", "", testToken, ""},
		{"file with newline", "", write("t1", testToken+"\n"), testToken, ""},
		{"file with CRLF", "", write("t2", testToken+"\r\n"), testToken, ""},
		{"both", "CXKPI_TEST_TOKEN", write("t3", "x"), "", "not both"},
		{"neither", "", "", "", "neither"},
		{"bad name", "1X", "", "", "not an environment variable name"},
		{"unset", "CXKPI_TEST_UNSET_VAR", "", "", "is not set"},
		{"empty", "CXKPI_TEST_EMPTY", "", "", "is empty"},
		{"two lines", "", write("t4", testToken+"\nsecond"), "", "more than one line"},
		{"missing file", "", filepath.Join(dir, "none"), "", "read token file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TokenFrom(tc.env, tc.file)
			if tc.err != "" {
				if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an ErrNoToken with %q", err, tc.err)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("error holds the token: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v, want the token", got, err)
			}
		})
	}
}
