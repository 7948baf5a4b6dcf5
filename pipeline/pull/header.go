package pull

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// nextLink returns the target of the rel="next" link of an RFC 8288 Link
// header value, as Freshdesk sends it to say that another page follows
// (`<https://acme.freshdesk.com/api/v2/tickets?page=2>; rel="next"`), or
// "" when there is none. Several comma-separated links, several rel
// values, unquoted rel values, spaces inside the angle brackets and
// parameters in any order are accepted; a malformed link is skipped.
func nextLink(header string) string {
	for len(header) > 0 {
		start := strings.IndexByte(header, '<')
		if start < 0 {
			return ""
		}
		end := strings.IndexByte(header[start:], '>')
		if end < 0 {
			return ""
		}
		target := strings.TrimSpace(header[start+1 : start+end])
		rest := header[start+end+1:]
		// The link's parameters run to the next '<'; each follows a ';'.
		params := rest
		if i := strings.IndexByte(rest, '<'); i >= 0 {
			params = rest[:i]
		}
		if target != "" && !strings.ContainsAny(target, "<>") && relNext(params) {
			return target
		}
		header = rest
	}
	return ""
}

// relNext says whether link parameters (`; rel="next"; title=x,`) hold
// the relation type next.
func relNext(params string) bool {
	parts := strings.Split(params, ";")
	if strings.TrimSpace(parts[0]) != "" {
		return false // not parameters: text between the '>' and the first ';'
	}
	for _, p := range parts[1:] {
		p, _, _ = strings.Cut(p, ",")
		name, value, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(value), `"`)) {
			if strings.EqualFold(rel, "next") {
				return true
			}
		}
	}
	return false
}

// retryAfter reads a Retry-After header value (RFC 9110: a number of
// seconds or an HTTP date) as the time to wait from now. ok is false when
// the value is absent or unreadable; a date in the past is a wait of 0,
// and a wait beyond a year is cut to a year.
func retryAfter(value string, now time.Time) (wait time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	const most = 365 * 24 * time.Hour // longer waits are cut to this, without overflow
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(most/time.Second) {
			return most, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), most), true
}

// rateRemaining reads how many requests the current rate-limit window
// still allows, from Freshdesk's X-RateLimit-Remaining or Zendesk's
// X-Rate-Limit-Remaining; ok is false when neither is present or readable.
func rateRemaining(h http.Header) (n int64, ok bool) {
	for _, name := range []string{"X-RateLimit-Remaining", "X-Rate-Limit-Remaining"} {
		if v := h.Get(name); v != "" {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil && n >= 0 {
				return n, true
			}
		}
	}
	return 0, false
}
