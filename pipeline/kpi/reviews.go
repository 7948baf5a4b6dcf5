package kpi

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// reviewStore adds up the weighted criteria of each QA review; a review's
// rows may be spread over batches. It grows with the number of reviews.
type reviewStore struct {
	index ingest.KeyMap[int32] // by digest of the review id
	at    []arrow.Timestamp    // reviewed_at of the review's first row
	agent []int32
	team  []int32
	num   []float64 // Σ weight × score / max_score
	den   []float64 // Σ weight
}

// reviewsTable is the aggregator of the QA reviews: it adds up each
// review's criteria as they come, and observes the reviews at the end.
type reviewsTable struct {
	e        *Engine
	store    reviewStore
	obs      []series[reviewView]
	finished bool
}

func newReviews(e *Engine) *reviewsTable { return &reviewsTable{e: e, obs: newSeries(reviewMetrics())} }

func (t *reviewsTable) series() []metricGrids { return gridsOf(t.obs) }

// reviewView is a chunk of reviews, observed when reviewed.
type reviewView struct {
	rows     // agent, team
	num, den []float64
}

func reviewMetrics() []observer[reviewView] {
	return []observer[reviewView]{
		{Metric{Name: "iqs", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.QAReviews},
			Doc: "Internal Quality Score: mean over reviews of the weighted share of QA points earned"},
			mean(func(v *reviewView, i int) bool { return v.den[i] > 0 },
				func(v *reviewView, i int) float64 { return v.num[i] / v.den[i] })},
		{Metric{Name: "qa_reviews", Unit: UnitCount, Better: Neither, Stat: Count, Needs: []ingest.Table{ingest.QAReviews},
			Doc: "QA reviews made in the period"},
			mean(func(*reviewView, int) bool { return true }, func(*reviewView, int) float64 { return 1 })},
	}
}

// add folds one batch of review rows (one per review and criterion) into
// the store. A criterion's weight comes from Options.QAWeights, 1 if it
// is not listed.
func (t *reviewsTable) add(rec arrow.Record) error {
	e := t.e
	cols, err := columns(rec, ingest.QAReviews, "review_id", "reviewed_at", "criterion", "score", "max_score", "agent_id", "team")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	at := cols[1].(*array.Timestamp).TimestampValues()
	criteria := cols[2].(*array.String)
	score := cols[3].(*array.Float64).Float64Values()
	maxScore := cols[4].(*array.Float64).Float64Values()
	s := &t.store
	for i := range int(rec.NumRows()) {
		id := e.hasher.String(ids.Value(i))
		r, ok := s.index.Get(id)
		if !ok {
			r = int32(len(s.at))
			s.index.Put(id, r)
			s.at = append(s.at, at[i])
			s.agent = append(s.agent, e.codeOf(dimAgent, cols[5], i))
			s.team = append(s.team, e.codeOf(dimTeam, cols[6], i))
			s.num, s.den = append(s.num, 0), append(s.den, 0)
		}
		w := 1.0
		if v, ok := e.opt.QAWeights[criteria.Value(i)]; ok {
			w = v
		}
		s.num[r] += w * score[i] / maxScore[i]
		s.den[r] += w
	}
	return nil
}

// finish observes every review, once.
func (t *reviewsTable) finish() error {
	if t.finished {
		return nil
	}
	t.finished = true
	e, s := t.e, &t.store
	const chunk = 1 << 16
	var v reviewView
	for lo := 0; lo < len(s.at); lo += chunk {
		hi := min(lo+chunk, len(s.at))
		v.at, v.num, v.den = s.at[lo:hi], s.num[lo:hi], s.den[lo:hi]
		v.codes[dimAgent], v.codes[dimTeam] = s.agent[lo:hi], s.team[lo:hi]
		observe(e, t.obs, &v, &v.rows)
	}
	*s = reviewStore{}
	return nil
}
