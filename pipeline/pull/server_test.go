package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken is the secret of every test; no log line or error may hold it.
const testToken = "s3cr3t-T0KEN-9f8e7d"

// fault is what the fake server does instead of answering a request.
type fault struct {
	status     int    // answer with this status (and body) ...
	retryAfter string // ... and Retry-After
	body       string
	hangUp     bool // or close the connection in the middle of the body
}

// fake is a vendor API for tests: handlers per path, the log of requests,
// faults injected by request number or path, the Authorization checked.
type fake struct {
	t        *testing.T
	mu       sync.Mutex
	handlers map[string]func(w http.ResponseWriter, r *http.Request)
	auth     string                              // the Authorization header every request must carry
	faults   func(n int, r *http.Request) *fault // nil: none
	log      []string                            // path?query of every request
	srv      *httptest.Server
}

func newFake(t *testing.T, auth string) *fake {
	f := &fake{t: t, auth: auth, handlers: map[string]func(http.ResponseWriter, *http.Request){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, r.URL.RequestURI())
	n := len(f.log)
	faults := f.faults
	f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != f.auth {
		w.WriteHeader(http.StatusUnauthorized)
		// Some servers and proxies echo what they were sent.
		fmtJSON(w, map[string]any{"error": "Couldn't authenticate you", "received": got})
		return
	}
	if faults != nil {
		if ft := faults(n, r); ft != nil {
			if ft.hangUp {
				w.Header().Set("Content-Length", "100000")
				w.WriteHeader(http.StatusOK)
				w.Write([]byte(`{"tickets":[{"id":`))
				hj, ok := w.(http.Hijacker)
				if !ok {
					f.t.Fatal("no hijacker")
				}
				conn, _, _ := hj.Hijack()
				conn.Close()
				return
			}
			if ft.retryAfter != "" {
				w.Header().Set("Retry-After", ft.retryAfter)
			}
			w.WriteHeader(ft.status)
			w.Write([]byte(ft.body))
			return
		}
	}
	h, ok := f.handlers[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h(w, r)
}

// requests returns the requests so far and forgets them.
func (f *fake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.log
	f.log = nil
	return l
}

func fmtJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// fixture is a copy of a testdata record with members set.
func fixture(t *testing.T, name string, set map[string]any) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		m[k] = v
	}
	return m
}

// sleeps records the waits of a pull instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

var testNow = time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC)
var testStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// testConfig is a pull of vendor from f into dir with waits recorded and
// logs kept in logs.
func testConfig(t *testing.T, vendor Vendor, f *fake, dir string) (Config, *sleeps, *bytes.Buffer) {
	s := &sleeps{}
	logs := &bytes.Buffer{}
	cfg := Config{
		Vendor: vendor, BaseURL: f.srv.URL, Dir: dir, Start: testStart,
		Auth:            Auth{Token: testToken, Email: "agent@example.com"},
		CheckpointPages: 1,
		Client:          f.srv.Client(),
		Now:             func() time.Time { return testNow },
		Sleep:           s.sleep,
		Logger:          slog.New(slog.NewTextHandler(&syncWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return cfg, s, logs
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// readDir returns the files of dir by name, temporary files included.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// ids returns the ids of the array at path ("tickets" in an object, or ""
// for a top-level array) of a file, in file order.
func ids(t *testing.T, content, array string) []string {
	t.Helper()
	var recs []map[string]json.RawMessage
	if array == "" {
		if err := json.Unmarshal([]byte(content), &recs); err != nil {
			t.Fatalf("%v in %s", err, content)
		}
	} else {
		var doc map[string][]map[string]json.RawMessage
		if err := json.Unmarshal([]byte(content), &doc); err != nil {
			t.Fatalf("%v in %s", err, content)
		}
		recs = doc[array]
	}
	key := "id"
	if array == "metric_sets" {
		key = "ticket_id"
	}
	var out []string
	for _, r := range recs {
		out = append(out, string(r[key]))
	}
	return out
}

// noSecret fails when s holds the token or its Basic encoding.
func noSecret(t *testing.T, what, s string, c *client) {
	t.Helper()
	for _, sec := range c.secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s holds a secret (%q):\n%s", what, sec[:4]+"…", s)
		}
	}
}
