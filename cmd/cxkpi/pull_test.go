package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/pull"
)

const pullTestKey = "fd-KEY-0123456789abcdef"

// freshdeskServer answers a Freshdesk account of one ticket, without
// conversations or ratings, to requests with the test key.
func freshdeskServer(t *testing.T) *httptest.Server {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(pullTestKey+":X"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != auth {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"code":"invalid_credentials","message":"You have to be logged in to perform this action.","sent":%q}`, got)
			return
		}
		switch r.URL.Path {
		case "/api/v2/tickets":
			if r.URL.Query().Has("filter") { // no deleted or spam tickets
				fmt.Fprint(w, `[]`)
				return
			}
			fmt.Fprint(w, `[{"id":18,"subject":"Please help","status":2,"priority":1,"source":2,"requester_id":5,"created_at":"2026-11-24T11:59:05Z","updated_at":"2026-11-24T11:59:05Z","stats":{"first_responded_at":"2026-11-24T12:30:05Z","resolved_at":null}}]`)
		default:
			fmt.Fprint(w, `[]`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPullCmd(t *testing.T) {
	srv := freshdeskServer(t)
	out := filepath.Join(t.TempDir(), "exports")
	t.Setenv("CXKPI_TEST_FD_KEY", pullTestKey)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"pull", "-vendor", "freshdesk", "-base-url", srv.URL, "-out", out,
		"-token-env", "CXKPI_TEST_FD_KEY", "-start", "2026-11-01"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := "ok pull freshdesk: tickets 1 pages, 1 records, 1 changed; tickets_deleted 1 pages, 0 records, 0 changed; tickets_spam 1 pages, 0 records, 0 changed; conversations 1 pages, 0 records, 0 changed; satisfaction_ratings 1 pages, 0 records, 0 changed (5 requests) -> " + out + "\n"
	if stdout.String() != want {
		t.Errorf("stdout\n got %q\nwant %q", stdout.String(), want)
	}
	for _, name := range []string{"tickets.json", "conversations.json", "satisfaction_ratings.json", pull.StateFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".cxkpi.lock")); err == nil {
		t.Error("the lock is left behind")
	}
	if strings.Contains(stderr.String(), pullTestKey) {
		t.Errorf("the log holds the key:\n%s", stderr.String())
	}
}

func TestPullCmdUnauthorized(t *testing.T) {
	srv := freshdeskServer(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte("wrong-"+pullTestKey+"\n"), 0o600)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"pull", "-vendor", "freshdesk", "-base-url", srv.URL, "-out", dir,
		"-token-file", keyFile}, &stdout, &stderr)
	if !errors.Is(err, pull.ErrAuth) || exitCode(err) != exitError {
		t.Fatalf("got %v (exit %d), want ErrAuth, exit 1", err, exitCode(err))
	}
	for what, s := range map[string]string{"error": err.Error(), "log": stderr.String(), "stdout": stdout.String()} {
		if strings.Contains(s, pullTestKey) || strings.Contains(s, base64.StdEncoding.EncodeToString([]byte("wrong-"+pullTestKey+":X"))) {
			t.Errorf("the %s holds the key:\n%s", what, s)
		}
	}
}

func TestPullCmdErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CXKPI_TEST_FD_KEY", pullTestKey)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"pull", "-vendor", "freshdesk", "-base-url", "https://acme.freshdesk.com", "-token-env", "CXKPI_TEST_FD_KEY"}, "-out is required"},
		{"no token", []string{"pull", "-vendor", "freshdesk", "-base-url", "https://acme.freshdesk.com", "-out", dir}, "no token"},
		{"unset env", []string{"pull", "-vendor", "zendesk", "-base-url", "https://acme.zendesk.com", "-out", dir, "-token-env", "CXKPI_TEST_UNSET"}, "CXKPI_TEST_UNSET is not set"},
		{"bad vendor", []string{"pull", "-vendor", "zendsk", "-base-url", "https://acme.zendesk.com", "-out", dir, "-token-env", "CXKPI_TEST_FD_KEY"}, `vendor "zendsk"`},
		{"bad start", []string{"pull", "-start", "01/11/2026"}, "-start"},
		{"bad auth", []string{"pull", "-auth", "password"}, `-auth "password"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), pullTestKey) {
				t.Errorf("error holds the key: %v", err)
			}
		})
	}
}

func TestConfigCheckPull(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cxkpi.yaml")
	os.WriteFile(cfg, []byte("pull:\n  vendor: zendsk\n  base_url: https://agent:pw@acme.zendesk.com\n  start: yesterday\n  auth: password\n"), 0o644)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"config", "check", cfg}, &stdout, &stderr)
	if err == nil {
		t.Fatal("config check passed a bad pull section")
	}
	for _, want := range []string{`pull.vendor: "zendsk"`, "pull.base_url: pull: the base URL holds credentials", "pull.output: required",
		`pull.start: "yesterday" is not a date`, `pull.auth: "password"`, "pull: pull: no token: neither"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error misses %q:\n%v", want, err)
		}
	}
	os.WriteFile(cfg, []byte("input: in\npull:\n  vendor: zendesk\n  base_url: https://acme.zendesk.com\n  email: agent@example.com\n  token_file: zendesk.token\n  start: 2026-01-01\n  ratings_lookback: 72h\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	if err := run(context.Background(), []string{"config", "check", cfg}, &stdout, &stderr); err != nil {
		t.Errorf("a good pull section: %v", err)
	}
}

// TestSchedulePulls: with a pull section, each scheduled run pulls into
// the input first.
func TestSchedulePulls(t *testing.T) {
	srv := freshdeskServer(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "key"), []byte(pullTestKey), 0o600)
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	cfg := filepath.Join(dir, "cxkpi.yaml")
	os.WriteFile(cfg, []byte("input: in\noutput: out\ngates:\n  allow_empty_input: true\n  allow_empty_period: true\n  allow_stale: true\n"+
		"schedule:\n  cron: \"* * * * * *\"\n  catch_up: true\n"+
		"pull:\n  vendor: freshdesk\n  base_url: "+srv.URL+"\n  token_file: key\n  start: 2026-11-01\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"schedule", "-config", cfg}, &bytes.Buffer{}, logs) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"run finished"`) && !strings.Contains(logs.String(), `"msg":"run failed"`) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("schedule: %v\n%s", err, logs.String())
	}
	l := logs.String()
	r := strings.Index(l, `"msg":"run finished"`)
	if r < 0 {
		r = strings.Index(l, `"msg":"run failed"`)
	}
	if p := strings.Index(l, `"msg":"pull finished"`); p < 0 || p > r {
		t.Fatalf("no pull before the run ended:\n%s", l)
	}
	if _, err := os.Stat(filepath.Join(dir, "in", "tickets.json")); err != nil {
		t.Error(err)
	}
	if strings.Contains(l, pullTestKey) {
		t.Error("the log holds the key")
	}
}
