package ingest

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// Table names one export of the canonical contract (docs/inputs.md).
type Table string

// The exports cxkpi understands.
const (
	Tickets        Table = "tickets"
	Messages       Table = "messages"
	Surveys        Table = "surveys"
	QAReviews      Table = "qa_reviews"
	Calls          Table = "calls"
	Feedback       Table = "feedback"
	SocialMentions Table = "social_mentions"
	Customers      Table = "customers"
	Orders         Table = "orders"
	Referrals      Table = "referrals"
)

// Tables lists every table of the contract in load order: dimension tables
// (customers, tickets) before the fact tables that refer to them.
func Tables() []Table {
	return []Table{Customers, Tickets, Messages, Surveys, QAReviews, Calls, Feedback, SocialMentions, Orders, Referrals}
}

// Kind is the logical type of a contract column.
type Kind int

// Column kinds. Time columns are instants stored as microseconds since the
// Unix epoch in UTC; Enum columns are strings restricted to Column.Values.
const (
	String Kind = iota
	Enum
	Time
	Float
	Int
	Bool
	// Duration is a length of time, stored as a float64 number of
	// minutes; the mapping's duration_layouts says how an export writes
	// it (minutes, hours, seconds, hh:mm:ss or hh:mm).
	Duration
)

// String returns the kind's name as docs/inputs.md writes it.
func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Enum:
		return "enum"
	case Time:
		return "timestamp"
	case Float:
		return "float"
	case Int:
		return "integer"
	case Bool:
		return "boolean"
	case Duration:
		return "duration (minutes)"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Column describes one column of a contract table.
type Column struct {
	Name     string
	Kind     Kind
	Required bool     // a row without a value is rejected
	Values   []string // allowed values of an Enum column
	Doc      string
}

// Spec is the contract of one table: its columns and the columns whose
// values together identify a row (duplicates are rejected).
type Spec struct {
	Table   Table
	Columns []Column
	Key     []string
}

// TimeType returns the Arrow type of every Time column: microseconds since
// the Unix epoch, in UTC.
func TimeType() *arrow.TimestampType {
	return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
}

// Schema returns the Arrow schema of the table's record batches.
func (s Spec) Schema() *arrow.Schema {
	fields := make([]arrow.Field, len(s.Columns))
	for i, c := range s.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Kind.arrowType(), Nullable: !c.Required}
	}
	return arrow.NewSchema(fields, nil)
}

// Index returns the position of the named column, or -1.
func (s Spec) Index(name string) int {
	for i, c := range s.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func (k Kind) arrowType() arrow.DataType {
	switch k {
	case Time:
		return TimeType()
	case Float, Duration:
		return arrow.PrimitiveTypes.Float64
	case Int:
		return arrow.PrimitiveTypes.Int64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

// Channels returns the contact channels a ticket or feedback can come from.
func Channels() []string {
	return []string{"email", "chat", "phone", "social", "web", "messaging", "other"}
}

// SpecOf returns the contract of table t.
func SpecOf(t Table) (Spec, error) {
	switch t {
	case Tickets:
		return Spec{Table: t, Key: []string{"ticket_id"}, Columns: append([]Column{
			{Name: "ticket_id", Kind: String, Required: true, Doc: "unique ticket identifier"},
			{Name: "customer_id", Kind: String, Doc: "customer who opened the ticket"},
			{Name: "channel", Kind: Enum, Required: true, Values: Channels(), Doc: "channel the ticket arrived through"},
			{Name: "created_at", Kind: Time, Required: true, Doc: "when the customer opened the ticket"},
			{Name: "solved_at", Kind: Time, Doc: "when the ticket was last solved; empty while unsolved"},
			{Name: "status", Kind: Enum, Required: true, Values: []string{"new", "open", "pending", "hold", "solved", "closed"}, Doc: "status at export time"},
			{Name: "priority", Kind: Enum, Values: []string{"low", "normal", "high", "urgent"}, Doc: "priority at export time"},
			{Name: "agent_id", Kind: String, Doc: "assignee at export time"},
			{Name: "team", Kind: String, Doc: "assignee's team (group)"},
			{Name: "is_complaint", Kind: Bool, Doc: "the ticket is a complaint or an escalation"},
			{Name: "reopens", Kind: Int, Doc: "times the ticket was reopened after being solved"},
		}, vendorMetricColumns()...)}, nil
	case Messages:
		return Spec{Table: t, Key: []string{"message_id"}, Columns: []Column{
			{Name: "message_id", Kind: String, Required: true, Doc: "unique message identifier"},
			{Name: "ticket_id", Kind: String, Required: true, Doc: "ticket the message belongs to"},
			{Name: "author", Kind: Enum, Required: true, Values: []string{"customer", "agent", "internal"}, Doc: "customer message, public agent reply, or internal note"},
			{Name: "agent_id", Kind: String, Doc: "agent who wrote an agent or internal message"},
			{Name: "created_at", Kind: Time, Required: true, Doc: "when the message was sent"},
		}}, nil
	case Surveys:
		return Spec{Table: t, Key: []string{"response_id"}, Columns: []Column{
			{Name: "response_id", Kind: String, Required: true, Doc: "unique survey response identifier"},
			{Name: "customer_id", Kind: String, Doc: "respondent"},
			{Name: "ticket_id", Kind: String, Doc: "ticket the survey was about, if any"},
			{Name: "kind", Kind: Enum, Required: true, Values: []string{"csat", "nps", "ces"}, Doc: "which question was asked"},
			{Name: "score", Kind: Float, Required: true, Doc: "the answer, between scale_min and scale_max"},
			{Name: "scale_min", Kind: Int, Required: true, Doc: "lowest possible answer (1 for CSAT and CES, 0 for NPS)"},
			{Name: "scale_max", Kind: Int, Required: true, Doc: "highest possible answer (5 or 10 for CSAT, 10 for NPS, 5 or 7 for CES)"},
			{Name: "responded_at", Kind: Time, Required: true, Doc: "when the answer was given"},
			{Name: "ces_easier", Kind: Enum, Values: []string{"higher", "lower"}, Doc: "for a CES answer, which end of its scale is the least effort; empty: the scale's default (docs/metrics.md)"},
		}}, nil
	case QAReviews:
		return Spec{Table: t, Key: []string{"review_id", "criterion"}, Columns: []Column{
			{Name: "review_id", Kind: String, Required: true, Doc: "review identifier; one row per review and criterion"},
			{Name: "ticket_id", Kind: String, Doc: "reviewed ticket"},
			{Name: "agent_id", Kind: String, Required: true, Doc: "reviewed agent"},
			{Name: "team", Kind: String, Doc: "reviewed agent's team"},
			{Name: "reviewed_at", Kind: Time, Required: true, Doc: "when the review was made"},
			{Name: "criterion", Kind: String, Required: true, Doc: "quality criterion (e.g. tone, accuracy, solution)"},
			{Name: "score", Kind: Float, Required: true, Doc: "points given, between 0 and max_score"},
			{Name: "max_score", Kind: Float, Required: true, Doc: "points possible for the criterion"},
		}}, nil
	case Calls:
		return Spec{Table: t, Key: []string{"call_id"}, Columns: []Column{
			{Name: "call_id", Kind: String, Required: true, Doc: "unique call identifier"},
			{Name: "customer_id", Kind: String, Doc: "caller"},
			{Name: "agent_id", Kind: String, Doc: "agent who answered"},
			{Name: "team", Kind: String, Doc: "queue or team"},
			{Name: "queued_at", Kind: Time, Required: true, Doc: "when the caller entered the queue"},
			{Name: "answered_at", Kind: Time, Doc: "when an agent answered; empty if never answered"},
			{Name: "ended_at", Kind: Time, Doc: "when the call ended (or the caller hung up)"},
			{Name: "abandoned", Kind: Bool, Required: true, Doc: "the caller hung up before reaching an agent"},
		}}, nil
	case Feedback:
		return Spec{Table: t, Key: []string{"feedback_id"}, Columns: []Column{
			{Name: "feedback_id", Kind: String, Required: true, Doc: "unique feedback identifier"},
			{Name: "customer_id", Kind: String, Doc: "who gave the feedback"},
			{Name: "channel", Kind: Enum, Required: true, Values: Channels(), Doc: "where the feedback was given"},
			{Name: "received_at", Kind: Time, Required: true, Doc: "when the feedback arrived"},
			{Name: "responded_at", Kind: Time, Doc: "when the company first responded; empty if never"},
		}}, nil
	case SocialMentions:
		return Spec{Table: t, Key: []string{"mention_id"}, Columns: []Column{
			{Name: "mention_id", Kind: String, Required: true, Doc: "unique mention identifier"},
			{Name: "platform", Kind: String, Required: true, Doc: "social network"},
			{Name: "posted_at", Kind: Time, Required: true, Doc: "when the mention was posted"},
			{Name: "sentiment", Kind: Enum, Required: true, Values: []string{"positive", "neutral", "negative"}, Doc: "sentiment label"},
			{Name: "is_question", Kind: Bool, Doc: "the mention asks a question"},
			{Name: "is_technical", Kind: Bool, Doc: "the question is technical"},
			{Name: "answerable_by_content", Kind: Bool, Doc: "existing content (knowledge base, FAQ) answers it"},
			{Name: "competitor", Kind: String, Doc: "competitor named in the mention, if any"},
		}}, nil
	case Customers:
		return Spec{Table: t, Key: []string{"customer_id"}, Columns: []Column{
			{Name: "customer_id", Kind: String, Required: true, Doc: "unique customer identifier"},
			{Name: "signup_at", Kind: Time, Required: true, Doc: "when the customer relationship started"},
			{Name: "churned_at", Kind: Time, Doc: "when the customer left; empty while active"},
			{Name: "loyalty_member", Kind: Bool, Doc: "takes part in the loyalty programme"},
			{Name: "education_participant", Kind: Bool, Doc: "took part in education or training"},
			{Name: "acquisition_channel", Kind: String, Doc: "marketing channel that brought the customer in (e.g. paid_search, referral); splits the cohort tables (docs/cohort.md)"},
		}}, nil
	case Orders:
		return Spec{Table: t, Key: []string{"order_id"}, Columns: []Column{
			{Name: "order_id", Kind: String, Required: true, Doc: "unique order identifier"},
			{Name: "customer_id", Kind: String, Required: true, Doc: "buyer"},
			{Name: "ordered_at", Kind: Time, Required: true, Doc: "when the order was placed"},
			{Name: "revenue", Kind: Float, Required: true, Doc: "order value in the reporting currency"},
			{Name: "cost", Kind: Float, Doc: "cost of goods sold for the order, in the reporting currency"},
		}}, nil
	case Referrals:
		return Spec{Table: t, Key: []string{"referral_id"}, Columns: []Column{
			{Name: "referral_id", Kind: String, Required: true, Doc: "unique referral identifier"},
			{Name: "referrer_id", Kind: String, Required: true, Doc: "customer who made the referral"},
			{Name: "referred_at", Kind: Time, Required: true, Doc: "when the referral was made"},
			{Name: "referred_customer_id", Kind: String, Doc: "customer the referral brought in, once converted"},
			{Name: "converted_at", Kind: Time, Doc: "when the referred person became a customer; empty if not (yet)"},
		}}, nil
	}
	return Spec{}, fmt.Errorf("ingest: unknown table %q", string(t))
}

// vendorMetricColumns are the optional columns of the tickets table that
// hold a helpdesk's own precomputed ticket metrics, as Zendesk's Ticket
// Metrics and Freshdesk's ticket export give them: calendar time and, in
// the _bh columns, time within the helpdesk's business hours. cxkpi
// reports its own computation from the messages where it can and these
// where it cannot (docs/metrics.md, "Vendor metrics").
func vendorMetricColumns() []Column {
	return []Column{
		{Name: "vendor_first_reply_minutes", Kind: Duration, Doc: "the helpdesk's first reply time: from creation to the first public agent reply"},
		{Name: "vendor_first_reply_bh_minutes", Kind: Duration, Doc: "the helpdesk's first reply time within its business hours"},
		{Name: "vendor_requester_wait_minutes", Kind: Duration, Doc: "the helpdesk's requester wait time: time in new, open and on-hold, until solved"},
		{Name: "vendor_requester_wait_bh_minutes", Kind: Duration, Doc: "the helpdesk's requester wait time within its business hours"},
		{Name: "vendor_on_hold_minutes", Kind: Duration, Doc: "the helpdesk's on-hold time: time in the on-hold status"},
		{Name: "vendor_on_hold_bh_minutes", Kind: Duration, Doc: "the helpdesk's on-hold time within its business hours"},
		{Name: "vendor_resolution_minutes", Kind: Duration, Doc: "the helpdesk's full resolution time: from creation to the last solution"},
		{Name: "vendor_resolution_bh_minutes", Kind: Duration, Doc: "the helpdesk's full resolution time within its business hours"},
	}
}
