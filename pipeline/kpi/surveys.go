package kpi

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Survey kinds, as codes.
const (
	kindCSAT int8 = iota
	kindNPS
	kindCES
	kindOther
)

// unknownChannel is the channel of a response not linked to a known ticket.
const unknownChannel = "unknown"

// surveyView is one batch of survey responses, decoded for the observers.
type surveyView struct {
	rows   // at responded_at; channel, agent, team, priority of the linked ticket
	kind   []int8
	score  []float64
	lo, hi []int64 // scale_min, scale_max
	// lowerEasier is set for CES answers whose lowest score is the least
	// effort: from ces_easier, or from the scale (Options.CESEasier).
	lowerEasier []bool
}

// surveyMetrics defines the survey-based KPIs. Every answer is first placed
// on its own scale: e = (score − scale_min) / (scale_max − scale_min), 0..1.
func surveyMetrics(o Options) []observer[surveyView] {
	pos := o.CSATPositive
	easy := func(v *surveyView, i int) float64 {
		e := (v.score[i] - float64(v.lo[i])) / float64(v.hi[i]-v.lo[i])
		if v.lowerEasier[i] {
			e = 1 - e
		}
		return e
	}
	is := func(k int8) func(v *surveyView, i int) bool {
		return func(v *surveyView, i int) bool { return v.kind[i] == k }
	}
	csat, nps, ces := is(kindCSAT), is(kindNPS), is(kindCES)
	// A CSAT answer on a scale of two points (0–1, good/bad) is satisfied
	// or not: it counts in csat, but a mean of it would be csat again in
	// other units, so csat_mean leaves it out.
	graded := func(v *surveyView, i int) bool { return v.kind[i] == kindCSAT && v.hi[i]-v.lo[i] > 1 }
	return []observer[surveyView]{
		{Metric{Name: "csat", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Surveys},
			Doc: "share of CSAT answers that are positive (score ≥ min + 0.75 × range: 4–5 on 1–5)"},
			share(csat, func(v *surveyView, i int) bool {
				return v.score[i] >= float64(v.lo[i])+pos*float64(v.hi[i]-v.lo[i])
			})},
		{Metric{Name: "csat_mean", Unit: UnitScore, Better: Higher, Needs: []ingest.Table{ingest.Surveys},
			Doc: "mean CSAT answer, rescaled linearly to 1–5; answers on a two-point scale (good/bad) are left out"},
			mean(graded, func(v *surveyView, i int) float64 {
				return 1 + 4*(v.score[i]-float64(v.lo[i]))/float64(v.hi[i]-v.lo[i])
			})},
		{Metric{Name: "nps", Unit: UnitPoints, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Surveys},
			Doc: "Net Promoter Score: % promoters (9–10) − % detractors (0–6), −100..100"},
			mean(nps, func(v *surveyView, i int) float64 {
				switch s := v.score[i]; {
				case s >= 9:
					return 1
				case s <= 6:
					return -1
				}
				return 0
			})},
		{Metric{Name: "nps_promoters", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Surveys},
			Doc: "share of NPS answers of 9 or 10"},
			share(nps, func(v *surveyView, i int) bool { return v.score[i] >= 9 })},
		{Metric{Name: "nps_passives", Unit: UnitPercent, Better: Neither, Scale: 100, Needs: []ingest.Table{ingest.Surveys},
			Doc: "share of NPS answers of 7 or 8"},
			share(nps, func(v *surveyView, i int) bool { return v.score[i] > 6 && v.score[i] < 9 })},
		{Metric{Name: "nps_detractors", Unit: UnitPercent, Better: Lower, Scale: 100, Needs: []ingest.Table{ingest.Surveys},
			Doc: "share of NPS answers of 0 to 6"},
			share(nps, func(v *surveyView, i int) bool { return v.score[i] <= 6 })},
		{Metric{Name: "ces", Unit: UnitScore, Better: Higher, Needs: []ingest.Table{ingest.Surveys},
			Doc: "mean Customer Effort Score, rescaled to 1–7 where 7 is the least effort"},
			mean(ces, func(v *surveyView, i int) float64 { return 1 + 6*easy(v, i) })},
		{Metric{Name: "ces_low_effort", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Surveys},
			Doc: "share of CES answers in the two easiest boxes of their scale (6–7 on 1–7, 4–5 on 1–5)"},
			share(ces, func(v *surveyView, i int) bool {
				r := float64(v.hi[i] - v.lo[i])
				return easy(v, i) >= (r-1)/r-1e-9
			})},
	}
}

// share observes 1 for rows of the population where cond holds, else 0.
func share[V any](in, cond func(v *V, i int) bool) func(v *V, x, w []float64) {
	return func(v *V, x, w []float64) {
		for i := range w {
			x[i], w[i] = 0, 0
			if in(v, i) {
				w[i] = 1
				if cond(v, i) {
					x[i] = 1
				}
			}
		}
	}
}

// mean observes val for rows of the population.
func mean[V any](in func(v *V, i int) bool, val func(v *V, i int) float64) func(v *V, x, w []float64) {
	return func(v *V, x, w []float64) {
		for i := range w {
			x[i], w[i] = 0, 0
			if in(v, i) {
				x[i], w[i] = val(v, i), 1
			}
		}
	}
}

func newSurveys(e *Engine) aggregator {
	return newStream(e, e.decodeSurveys, surveyMetrics(e.opt))
}

// decodeSurveys builds the view of a surveys batch. An answer linked to a
// known ticket takes the ticket's channel, agent, team and priority; any
// other answer is counted under channel "unknown".
func (e *Engine) decodeSurveys(rec arrow.Record, v *surveyView) error {
	n := int(rec.NumRows())
	cols, err := columns(rec, ingest.Surveys, "responded_at", "kind", "score", "scale_min", "scale_max", "ticket_id", "ces_easier")
	if err != nil {
		return err
	}
	v.at = cols[0].(*array.Timestamp).TimestampValues()
	kinds := cols[1].(*array.String)
	v.score = cols[2].(*array.Float64).Float64Values()
	v.lo = cols[3].(*array.Int64).Int64Values()
	v.hi = cols[4].(*array.Int64).Int64Values()
	tickets := cols[5].(*array.String)
	easier := cols[6].(*array.String)
	v.kind = grow(v.kind, n)
	v.lowerEasier = grow(v.lowerEasier, n)
	for d := dimChannel; d <= dimPriority; d++ {
		v.codes[d] = grow(v.codes[d], n)
	}
	s := &e.tickets
	if err := e.sealTickets(); err != nil {
		return err
	}
	unknown := e.dicts[dimChannel].code(unknownChannel)
	for i := range n {
		switch kinds.Value(i) {
		case "csat":
			v.kind[i] = kindCSAT
		case "nps":
			v.kind[i] = kindNPS
		case "ces":
			v.kind[i] = kindCES
			if easier.IsValid(i) {
				v.lowerEasier[i] = easier.Value(i) == "lower"
			} else {
				v.lowerEasier[i] = e.opt.cesLowerEasier(v.lo[i], v.hi[i])
			}
		default:
			v.kind[i] = kindOther
		}
		if tickets.IsValid(i) {
			if t, ok := e.ticket(tickets.Value(i)); ok {
				v.codes[dimChannel][i], v.codes[dimAgent][i] = s.channel[t], s.agent[t]
				v.codes[dimTeam][i], v.codes[dimPriority][i] = s.team[t], s.priority[t]
				continue
			}
			e.note(ingest.Surveys, "responses refer to a ticket missing from the tickets export; counted under channel \"unknown\"")
		}
		v.codes[dimChannel][i] = unknown
		v.codes[dimAgent][i], v.codes[dimTeam][i], v.codes[dimPriority][i] = -1, -1, -1
	}
	return nil
}

// columns returns the named columns of a batch of table t, checking that
// the batch follows the contract.
func columns(rec arrow.Record, t ingest.Table, names ...string) ([]arrow.Array, error) {
	spec, err := ingest.SpecOf(t)
	if err != nil {
		return nil, err
	}
	schema := spec.Schema()
	out := make([]arrow.Array, len(names))
	for k, name := range names {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("kpi: %s batch has no column %q", t, name)
		}
		want := schema.Field(spec.Index(name)).Type
		col := rec.Column(idx[0])
		if !arrow.TypeEqual(col.DataType(), want) {
			return nil, fmt.Errorf("kpi: %s.%s is %s, want %s", t, name, col.DataType(), want)
		}
		out[k] = col
	}
	return out, nil
}
