package kpi

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// referralView is a batch of referrals, observed when made.
type referralView struct {
	rows
	converted []bool
}

func referralMetrics() []observer[referralView] {
	refs := []ingest.Table{ingest.Referrals}
	every := func(*referralView, int) bool { return true }
	return []observer[referralView]{
		{Metric{Name: "referrals", Unit: UnitCount, Better: Higher, Stat: Count, Needs: refs, Doc: "referrals made in the period"},
			mean(every, func(*referralView, int) float64 { return 1 })},
		{Metric{Name: "referral_conversion_rate", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: refs,
			Doc: "share of the period's referrals whose referred person became a customer (by the time of the export)"},
			share(every, func(v *referralView, i int) bool { return v.converted[i] })},
	}
}

func newReferrals(e *Engine) aggregator {
	return newStream(e, e.decodeReferrals, referralMetrics())
}

func (e *Engine) decodeReferrals(rec arrow.Record, v *referralView) error {
	cols, err := columns(rec, ingest.Referrals, "referred_at", "converted_at")
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	v.at = cols[0].(*array.Timestamp).TimestampValues()
	converted := cols[1].(*array.Timestamp)
	v.converted = grow(v.converted, n)
	for i := range n {
		v.converted[i] = converted.IsValid(i)
	}
	return nil
}
