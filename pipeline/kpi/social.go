package kpi

import (
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Sentiments, as codes.
const (
	sentimentNeutral int8 = iota
	sentimentPositive
	sentimentNegative
)

// socialView is a batch of social mentions, observed when posted.
type socialView struct {
	rows       // platform, hour, weekday
	sentiment  []int8
	question   []bool
	technical  []bool
	answerable []bool
	competitor []bool
}

func socialMetrics() []observer[socialView] {
	social := []ingest.Table{ingest.SocialMentions}
	every := func(*socialView, int) bool { return true }
	question := func(v *socialView, i int) bool { return v.question[i] }
	return []observer[socialView]{
		{Metric{Name: "social_mentions", Unit: UnitCount, Better: Neither, Stat: Count, Needs: social,
			Doc: "mentions posted in the period; by hour of day and weekday it shows when users are active"},
			mean(every, func(*socialView, int) float64 { return 1 })},
		{Metric{Name: "social_positive_share", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: social, Doc: "share of mentions with positive sentiment"},
			share(every, func(v *socialView, i int) bool { return v.sentiment[i] == sentimentPositive })},
		{Metric{Name: "social_negative_share", Unit: UnitPercent, Better: Lower, Scale: 100, Needs: social, Doc: "share of mentions with negative sentiment"},
			share(every, func(v *socialView, i int) bool { return v.sentiment[i] == sentimentNegative })},
		{Metric{Name: "social_question_share", Unit: UnitPercent, Better: Neither, Scale: 100, Needs: social, Doc: "share of mentions that ask a question"},
			share(every, question)},
		{Metric{Name: "social_technical_share", Unit: UnitPercent, Better: Neither, Scale: 100, Needs: social, Doc: "share of questions that are technical"},
			share(question, func(v *socialView, i int) bool { return v.technical[i] })},
		{Metric{Name: "social_answerable_share", Unit: UnitPercent, Better: Higher, Scale: 100, Needs: social,
			Doc: "share of questions that existing content (knowledge base, FAQ) answers"},
			share(question, func(v *socialView, i int) bool { return v.answerable[i] })},
		{Metric{Name: "social_competitor_share", Unit: UnitPercent, Better: Neither, Scale: 100, Needs: social, Doc: "share of mentions naming a competitor"},
			share(every, func(v *socialView, i int) bool { return v.competitor[i] })},
	}
}

func newSocial(e *Engine) aggregator { return newStream(e, e.decodeSocial, socialMetrics()) }

func (e *Engine) decodeSocial(rec arrow.Record, v *socialView) error {
	cols, err := columns(rec, ingest.SocialMentions, "posted_at", "platform", "sentiment", "is_question", "is_technical", "answerable_by_content", "competitor")
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	v.at = cols[0].(*array.Timestamp).TimestampValues()
	sentiment := cols[2].(*array.String)
	flags := [3]*array.Boolean{cols[3].(*array.Boolean), cols[4].(*array.Boolean), cols[5].(*array.Boolean)}
	competitor := cols[6].(*array.String)
	v.sentiment, v.question, v.technical = grow(v.sentiment, n), grow(v.question, n), grow(v.technical, n)
	v.answerable, v.competitor = grow(v.answerable, n), grow(v.competitor, n)
	for _, d := range []dim{dimPlatform, dimHour, dimWeekday} {
		v.codes[d] = grow(v.codes[d], n)
	}
	for i := range n {
		switch sentiment.Value(i) {
		case "positive":
			v.sentiment[i] = sentimentPositive
		case "negative":
			v.sentiment[i] = sentimentNegative
		default:
			v.sentiment[i] = sentimentNeutral
		}
		for k, out := range [3][]bool{v.question, v.technical, v.answerable} {
			out[i] = flags[k].IsValid(i) && flags[k].Value(i)
		}
		v.competitor[i] = competitor.IsValid(i) && competitor.Value(i) != ""
		v.codes[dimPlatform][i] = e.codeOf(dimPlatform, cols[1], i)
		local := instant(v.at[i]).In(e.opt.Location)
		v.codes[dimHour][i] = e.dicts[dimHour].code(twoDigits(local.Hour()))
		v.codes[dimWeekday][i] = e.dicts[dimWeekday].code(weekday(local.Weekday()))
	}
	return nil
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// weekday names an ISO weekday so that the names sort Monday first.
func weekday(d time.Weekday) string {
	iso := (int(d)+6)%7 + 1
	return strconv.Itoa(iso) + "-" + d.String()[:3]
}
