package kpi

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// feedbackView is a batch of feedback, observed when it arrived.
type feedbackView struct {
	rows      // channel
	responded []bool
}

func feedbackMetrics() []observer[feedbackView] {
	return []observer[feedbackView]{
		{Metric{Name: "feedback_response_rate", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: []ingest.Table{ingest.Feedback},
			Doc: "share of customer feedback the company responded to"},
			share(func(*feedbackView, int) bool { return true }, func(v *feedbackView, i int) bool { return v.responded[i] })},
	}
}

func newFeedback(e *Engine) aggregator {
	return newStream(e, e.decodeFeedback, feedbackMetrics())
}

func (e *Engine) decodeFeedback(rec arrow.Record, v *feedbackView) error {
	cols, err := columns(rec, ingest.Feedback, "received_at", "responded_at", "channel")
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	v.at = cols[0].(*array.Timestamp).TimestampValues()
	responded := cols[1].(*array.Timestamp)
	v.responded, v.codes[dimChannel] = grow(v.responded, n), grow(v.codes[dimChannel], n)
	for i := range n {
		v.responded[i] = responded.IsValid(i)
		v.codes[dimChannel][i] = e.codeOf(dimChannel, cols[2], i)
	}
	return nil
}
