package pipeline

import (
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// TestReasonClass groups rejections for the data-quality summary: by
// reason without the values it quotes, and, for the rows of a JSON
// document, without the path of the element it leads with.
func TestReasonClass(t *testing.T) {
	tests := []struct {
		rej  ingest.Rejection
		want string
	}{
		{ingest.Rejection{Field: "channel", Reason: `unexpected value "fax", want one of email`}, `channel: unexpected value "…", want one of email`},
		{ingest.Rejection{Field: "channel", Record: "tickets[17]", Reason: `tickets[17]: unexpected value "fax", want one of email`}, `channel: unexpected value "…", want one of email`},
		{ingest.Rejection{Record: "ticket_events[3].child_events[1]", Reason: "ticket_events[3].child_events[1]: record is a number, want a JSON object"}, "record is a number, want a JSON object"},
		// Without a record, a reason that happens to start like one stays.
		{ingest.Rejection{Reason: "tickets[1]: x"}, "tickets[1]: x"},
	}
	for _, tc := range tests {
		if got := reasonClass(tc.rej); got != tc.want {
			t.Errorf("reasonClass(%q) = %q, want %q", tc.rej.Reason, got, tc.want)
		}
	}
}
