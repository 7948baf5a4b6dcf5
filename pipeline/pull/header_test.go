package pull

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

var nextLinkTests = []struct {
	name, header, want string
}{
	{"none", "", ""},
	{"freshdesk", `<https://acme.freshdesk.com/api/v2/tickets?page=2>; rel="next"`, "https://acme.freshdesk.com/api/v2/tickets?page=2"},
	{"freshdesk spacing", `< https://acme.freshdesk.com/api/v2/tickets?filter=all_tickets&page=2>;rel="next"`, "https://acme.freshdesk.com/api/v2/tickets?filter=all_tickets&page=2"},
	{"unquoted", `<https://a.example/x?page=3>; rel=next`, "https://a.example/x?page=3"},
	{"several links", `<https://a.example/x?page=1>; rel="prev", <https://a.example/x?page=3>; rel="next"`, "https://a.example/x?page=3"},
	{"several rels", `<https://a.example/x?page=3>; rel="last next"`, "https://a.example/x?page=3"},
	{"other params", `<https://a.example/x?page=3>; title="More"; REL="Next"`, "https://a.example/x?page=3"},
	{"prev only", `<https://a.example/x?page=1>; rel="prev"`, ""},
	{"no closing bracket", `<https://a.example/x?page=3; rel="next"`, ""},
	{"empty target", `<>; rel="next"`, ""},
	{"text before the parameters", `<https://a.example/x> junk rel="next"`, ""},
	{"bracket in the target", `< <>; rel="next"`, ""},
	{"next is not a substring match", `<https://a.example/x>; rel="nextpage"`, ""},
}

func TestNextLink(t *testing.T) {
	for _, tc := range nextLinkTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextLink(tc.header); got != tc.want {
				t.Errorf("nextLink(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

var retryAfterTests = []struct {
	name, value string
	want        time.Duration
	ok          bool
}{
	{"absent", "", 0, false},
	{"seconds", "7", 7 * time.Second, true},
	{"spaces", " 30 ", 30 * time.Second, true},
	{"zero", "0", 0, true},
	{"negative", "-5", 0, false},
	{"huge", "99999999999999999", 365 * 24 * time.Hour, true},
	{"date", "Tue, 01 Dec 2026 03:32:00 GMT", 2 * time.Minute, true},
	{"date in the past", "Tue, 01 Dec 2026 03:00:00 GMT", 0, true},
	{"date far ahead", "Fri, 31 Dec 9999 23:59:59 GMT", 365 * 24 * time.Hour, true},
	{"fraction", "1.5", 0, false},
	{"garbage", "soon", 0, false},
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range retryAfterTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := retryAfter(tc.value, testNow)
			if got != tc.want || ok != tc.ok {
				t.Errorf("retryAfter(%q) = %v, %v, want %v, %v", tc.value, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRateRemaining(t *testing.T) {
	h := http.Header{}
	if _, ok := rateRemaining(h); ok {
		t.Error("no header: ok")
	}
	h.Set("X-Rate-Limit-Remaining", "12")
	if n, ok := rateRemaining(h); !ok || n != 12 {
		t.Errorf("zendesk header: got %d, %v", n, ok)
	}
	h.Set("X-RateLimit-Remaining", "3")
	if n, ok := rateRemaining(h); !ok || n != 3 {
		t.Errorf("freshdesk header: got %d, %v", n, ok)
	}
	h.Set("X-RateLimit-Remaining", "many")
	if n, ok := rateRemaining(h); !ok || n != 12 {
		t.Errorf("bad freshdesk header falls back: got %d, %v", n, ok)
	}
}

// FuzzNextLink: any header value, as a server or a proxy may send it,
// gives a target taken from inside angle brackets, or nothing; never a
// panic.
func FuzzNextLink(f *testing.F) {
	for _, tc := range nextLinkTests {
		f.Add(tc.header)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := nextLink(header)
		if got == "" {
			return
		}
		if !strings.Contains(header, got) || strings.ContainsAny(got, "<>") {
			t.Errorf("nextLink(%q) = %q, not a bracketed target of the header", header, got)
		}
		if got != strings.TrimSpace(got) {
			t.Errorf("nextLink(%q) = %q, untrimmed", header, got)
		}
	})
}

// FuzzRetryAfter: any value gives a wait from 0 to a year, never a
// negative one or a panic.
func FuzzRetryAfter(f *testing.F) {
	for _, tc := range retryAfterTests {
		f.Add(tc.value)
	}
	f.Fuzz(func(t *testing.T, value string) {
		d, ok := retryAfter(value, testNow)
		if d < 0 || d > 365*24*time.Hour {
			t.Errorf("retryAfter(%q) = %v", value, d)
		}
		if !ok && d != 0 {
			t.Errorf("retryAfter(%q) = %v with ok false", value, d)
		}
	})
}
