package kpi

import (
	"math"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// The vendor metrics of a ticket: a helpdesk's own precomputed durations,
// the vendor_*_minutes columns of the tickets export.
const (
	vFirstReply = iota
	vFirstReplyBH
	vWait
	vWaitBH
	vHold
	vHoldBH
	vResolution
	vResolutionBH
	numVendor
)

// vendorColumns are the tickets columns of the vendor metrics, in the
// order of the constants above.
func vendorColumns() [numVendor]string {
	return [numVendor]string{
		"vendor_first_reply_minutes", "vendor_first_reply_bh_minutes",
		"vendor_requester_wait_minutes", "vendor_requester_wait_bh_minutes",
		"vendor_on_hold_minutes", "vendor_on_hold_bh_minutes",
		"vendor_resolution_minutes", "vendor_resolution_bh_minutes",
	}
}

// Sources of a KPI row's value: the kpis.parquet source column.
const (
	SourceCXKPI  = "cxkpi"  // computed by cxkpi from the exports' events
	SourceVendor = "vendor" // the helpdesk's precomputed values
	SourceMixed  = "mixed"  // some observations of each
)

// ReconcileTolerance is the largest difference between cxkpi's value of
// a ticket's duration and the vendor's that reconciliation.parquet lets
// pass: a minute, the rounding of the vendor's whole minutes.
const ReconcileTolerance = time.Minute

// Reasons of a reconciliation row (docs/outputs.md).
const (
	ReasonVendorMissing       = "vendor_missing"        // cxkpi has a value, the vendor none
	ReasonNoPublicReply       = "no_public_reply"       // the vendor has a first reply, the messages hold no public agent reply
	ReasonReplyBeforeCreation = "reply_before_creation" // an agent reply is dated before the ticket's creation; cxkpi ignores it
	ReasonAgentCreated        = "agent_created"         // the ticket's first message is an agent's: cxkpi counts it as the reply
	ReasonBusinessHours       = "business_hours"        // calendar values agree: the business-hours schedules differ
	ReasonReopened            = "reopened"              // the ticket was reopened: solutions before the last are counted differently
	ReasonUnexplained         = "unexplained"           // none of the above
)

// Reconciled is one row of the reconciliation table: a ticket whose
// duration by cxkpi and by its vendor differ by more than
// [ReconcileTolerance], or that only one of them has although cxkpi could
// compute it.
type Reconciled struct {
	TicketID  string
	CreatedAt time.Time
	Metric    string // first_reply_time, first_reply_time_bh, resolution_time, resolution_time_bh
	CXKPI     Num    // seconds
	Vendor    Num    // seconds
	Reason    string
}

// Difference is CXKPI − Vendor in seconds, null unless both are set.
func (r Reconciled) Difference() Num {
	if r.CXKPI.Valid && r.Vendor.Valid {
		return Some(r.CXKPI.V - r.Vendor.V)
	}
	return Num{}
}

// vendorStore keeps the vendor metrics of the tickets, in seconds (NaN
// where missing), and their ids for the reconciliation table: 32 bytes
// and the id a ticket. It stays empty, and costs nothing, until a batch
// of tickets carries a vendor value; tickets read before are not
// compared.
type vendorStore struct {
	on  bool
	ids []string
	val [numVendor][]float32
}

// vendorSeen says, per vendor metric, whether some ticket had a value.
type vendorSeen [numVendor]bool

// vendorBatch reads the vendor columns of a tickets batch, turning the
// store on at the first batch that holds a vendor value. keep reports
// whether the batch's tickets go to the store.
func (e *Engine) vendorBatch(rec arrow.Record) (cols [numVendor]*array.Float64, keep bool, err error) {
	names := vendorColumns()
	arrs, err := columns(rec, ingest.Tickets, names[:]...)
	if err != nil {
		return cols, false, err
	}
	found := false
	for k, a := range arrs {
		cols[k] = a.(*array.Float64)
		if cols[k].NullN() < cols[k].Len() {
			found, e.vendorSeen[k] = true, true
		}
	}
	s := &e.tickets.vendor
	if found && !s.on {
		// Tickets read so far had no vendor value.
		s.on = true
		n := len(e.tickets.channel)
		s.ids = make([]string, n)
		for k := range s.val {
			s.val[k] = make([]float32, n)
			for i := range s.val[k] {
				s.val[k][i] = float32(math.NaN())
			}
		}
	}
	return cols, s.on, nil
}

// add keeps the vendor metrics of row i of a batch.
func (s *vendorStore) add(id string, cols *[numVendor]*array.Float64, i int) {
	s.ids = append(s.ids, id)
	for k, c := range cols {
		v := float32(math.NaN())
		if c.IsValid(i) {
			v = float32(c.Value(i) * 60)
		}
		s.val[k] = append(s.val[k], v)
	}
}

// drop removes the tickets at the given increasing positions.
func (s *vendorStore) drop(rows []int32) {
	if !s.on {
		return
	}
	s.ids = dropRows(s.ids, rows)
	for k := range s.val {
		s.val[k] = dropRows(s.val[k], rows)
	}
}

// get returns vendor metric k of ticket t, false when missing.
func (s *vendorStore) get(k int, t int32) (float64, bool) {
	if !s.on {
		return 0, false
	}
	v := s.val[k][t]
	if v != v {
		return 0, false
	}
	return float64(v), true
}

// vendorOnlyMetrics are the vendor's durations cxkpi cannot compute (it
// has no status history), observed per ticket at its creation.
func vendorOnlyMetrics() []observer[ticketView] {
	var out []observer[ticketView]
	for _, m := range []struct {
		name, doc string
		cal, biz  int
	}{
		{"requester_wait_time", "the helpdesk's requester wait time (time in new, open and on-hold until solved)", vWait, vWaitBH},
		{"on_hold_time", "the helpdesk's on-hold time", vHold, vHoldBH},
	} {
		for _, variant := range []struct {
			suffix, doc string
			k           int
		}{{"", "", m.cal}, {"_bh", " in business hours", m.biz}} {
			k := variant.k
			obs := durationMetrics(m.name+variant.suffix, m.doc+variant.doc, []ingest.Table{ingest.Tickets},
				func(v *ticketView, i int) bool { return !math.IsNaN(v.vendor[k][i]) },
				func(v *ticketView, i int) float64 { return v.vendor[k][i] }, nil)
			for j := range obs {
				obs[j].vendor, obs[j].vendorOnly = k+1, true
			}
			out = append(out, obs...)
		}
	}
	return out
}

// vendorCountMetrics count, per first-reply variant, the observations
// taken from the vendor's value: their grids tell a row's source.
func vendorCountMetrics(bh *BusinessHours) []observer[ticketView] {
	out := []observer[ticketView]{{Metric{Name: "first_reply_time", Stat: Count},
		mean(func(v *ticketView, i int) bool { return v.frtIn[i] && v.frtVendor[i] }, one)}}
	if bh != nil {
		out = append(out, observer[ticketView]{Metric{Name: "first_reply_time_bh", Stat: Count},
			mean(func(v *ticketView, i int) bool { return v.frtBHIn[i] && v.frtBHVendor[i] }, one)})
	}
	return out
}

func one(*ticketView, int) float64 { return 1 }

// sourceOf returns the source of a row of metric m with n observations,
// d, p and code naming its cell; "" when n is 0.
func (e *Engine) sourceOf(m *Metric, d dim, p, code int32, n int64) string {
	switch {
	case n == 0:
		return ""
	case m.vendorOnly:
		return SourceVendor
	case m.vendor == 0:
		return SourceCXKPI
	}
	g := e.vendorCounts[m.family]
	if m.family == "" {
		g = e.vendorCounts[m.Name]
	}
	if g == nil {
		return SourceCXKPI
	}
	c := g[d].at(p, code)
	switch {
	case c == nil || c.n == 0:
		return SourceCXKPI
	case c.n >= n:
		return SourceVendor
	}
	return SourceMixed
}

// blendFirstReply sets, per ticket of a chunk, the first reply time the
// metrics observe: cxkpi's own wherever the messages tell (the ticket has
// a message), the vendor's for a ticket without messages.
func (ts *ticketsTable) blendFirstReply(v *ticketView, lo int32, f *ticketFacts, from int32) {
	s := &ts.e.tickets.vendor
	n := len(v.created)
	v.frtIn, v.frtVendor = grow(v.frtIn, n), grow(v.frtVendor, n)
	v.frtBHIn, v.frtBHVendor = grow(v.frtBHIn, n), grow(v.frtBHVendor, n)
	for k := range v.vendor {
		v.vendor[k] = grow(v.vendor[k], n)
	}
	if !s.on {
		for i := range n {
			own := v.firstReply[i] != noTime
			v.frtIn[i], v.frtBHIn[i], v.frtVendor[i], v.frtBHVendor[i] = own, own, false, false
		}
		return
	}
	for i := range n {
		t := lo + int32(i)
		own := v.firstReply[i] != noTime
		v.frtIn[i], v.frtBHIn[i] = own, own
		v.frtVendor[i], v.frtBHVendor[i] = false, false
		for k := range v.vendor {
			x, ok := s.get(k, t)
			if !ok {
				x = math.NaN()
			}
			v.vendor[k][i] = x
		}
		if f.messaged[t-from] {
			continue // cxkpi's own, whether replied or not
		}
		if x := v.vendor[vFirstReply][i]; !math.IsNaN(x) {
			v.frt[i], v.frtIn[i], v.frtVendor[i] = x, true, true
		}
		if x := v.vendor[vFirstReplyBH][i]; !math.IsNaN(x) {
			v.frtBH[i], v.frtBHIn[i], v.frtBHVendor[i] = x, true, true
		}
	}
}

// reconcile compares cxkpi's first reply and resolution times of the
// tickets of a chunk that have messages (or, for resolution, a solved_at)
// with the vendor's, appending the differences to ts.recon. own* hold
// cxkpi's values before blending.
func (ts *ticketsTable) reconcile(v *ticketView, lo int32, f *ticketFacts, from int32, ownFRT, ownFRTBH []float64) {
	e := ts.e
	s := &e.tickets.vendor
	if !s.on {
		return
	}
	tol := ReconcileTolerance.Seconds()
	for i := range v.created {
		t := lo + int32(i)
		if e.until != nil && instant(v.created[i]).Compare(*e.until) >= 0 {
			continue
		}
		fi := t - from
		num := func(x float64, ok bool) Num {
			if ok {
				return Some(x)
			}
			return Num{}
		}
		vend := func(k int) Num { return num(v.vendor[k][i], !math.IsNaN(v.vendor[k][i])) }
		// add appends a row when own and vnd disagree; diff gives the
		// reason when both are set. It returns the reason, "" for none.
		add := func(metric string, k int, own, vnd Num, diff func() string) string {
			if !e.vendorSeen[k] {
				return "" // the export has no such vendor metric
			}
			reason := ""
			switch {
			case own.Valid && vnd.Valid:
				if math.Abs(own.V-vnd.V) <= tol {
					return ""
				}
				reason = diff()
			case own.Valid:
				reason = ReasonVendorMissing
			case vnd.Valid:
				reason = ReasonNoPublicReply
				if f.early[fi] {
					reason = ReasonReplyBeforeCreation
				}
			default:
				return ""
			}
			ts.recon = append(ts.recon, Reconciled{
				TicketID: s.ids[t], CreatedAt: instant(v.created[i]).UTC(), Metric: metric,
				CXKPI: own, Vendor: vnd, Reason: reason,
			})
			return reason
		}
		// A business-hours difference has the calendar one's reason, or
		// none but the schedules when the calendar values agree.
		bhReason := func(cal string) func() string {
			return func() string {
				if cal == "" || cal == ReasonVendorMissing {
					return ReasonBusinessHours
				}
				return cal
			}
		}
		if f.messaged[fi] {
			replied := v.firstReply[i] != noTime
			cal := add("first_reply_time", vFirstReply, num(ownFRT[i], replied), vend(vFirstReply), func() string {
				return firstReplyReason(f, fi, ownFRT[i], v.vendor[vFirstReply][i])
			})
			if e.bh != nil {
				add("first_reply_time_bh", vFirstReplyBH, num(ownFRTBH[i], replied), vend(vFirstReplyBH), bhReason(cal))
			}
		}
		if v.solved[i] != noTime {
			cal := add("resolution_time", vResolution, Some(v.res[i]), vend(vResolution), func() string {
				if v.reopened[i] {
					return ReasonReopened
				}
				return ReasonUnexplained
			})
			if e.bh != nil {
				add("resolution_time_bh", vResolutionBH, Some(v.resBH[i]), vend(vResolutionBH), bhReason(cal))
			}
		}
	}
}

// firstReplyReason explains a first reply time by cxkpi (own) that
// differs from the vendor's (vnd); fi is the ticket's index in f.
func firstReplyReason(f *ticketFacts, fi int32, own, vnd float64) string {
	switch {
	case f.early[fi] && vnd < own:
		return ReasonReplyBeforeCreation
	case f.agentFirst[fi]:
		return ReasonAgentCreated
	}
	return ReasonUnexplained
}

// Reconciliation returns the rows of the reconciliation table, by ticket
// in input order, then metric. It is complete once [Engine.Rows] has run.
func (e *Engine) Reconciliation() []Reconciled {
	return e.tables[ingest.Tickets].(*ticketsTable).recon
}

// ReconciliationSchema is the Arrow schema of the reconciliation table
// (docs/outputs.md).
func ReconciliationSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "ticket_id", Type: arrow.BinaryTypes.String},
		{Name: "created_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "metric", Type: arrow.BinaryTypes.String},
		{Name: "cxkpi_seconds", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "vendor_seconds", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "difference_seconds", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "reason", Type: arrow.BinaryTypes.String},
	}, nil)
}

// ReconciliationRecord builds one Arrow record holding rows, in order.
// The caller releases it.
func ReconciliationRecord(mem memory.Allocator, rows []Reconciled) arrow.Record {
	b := array.NewRecordBuilder(mem, ReconciliationSchema())
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.TicketID)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.CreatedAt.UnixMicro()))
		b.Field(2).(*array.StringBuilder).Append(r.Metric)
		for i, n := range []Num{r.CXKPI, r.Vendor, r.Difference()} {
			appendNum(b.Field(3+i).(*array.Float64Builder), n)
		}
		b.Field(6).(*array.StringBuilder).Append(r.Reason)
	}
	return b.NewRecord()
}
