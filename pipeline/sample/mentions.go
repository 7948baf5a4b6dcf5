package sample

import (
	"context"
	"slices"
)

// mentions writes the social mentions of the window, day by day: a Poisson
// number in proportion to the customers active that day and the weekday,
// four times as many on incident days (which are also more negative and
// more technical), at times following the social profile (evenings).
func (g *generator) mentions(ctx context.Context) error {
	r, m := g.rng(streamMentions, 0), &g.model
	days := int((g.end - g.start + day - 1) / day)
	change := make([]int, days+1) // customers becoming active, less those leaving, per day
	for _, c := range g.cust {
		a, b := max(c.signup, g.start), min(c.churn, g.end)
		if a < b {
			change[(a-g.start)/day]++
			change[(b-g.start+day-1)/day]--
		}
	}
	platforms := [...]string{"x", "instagram", "facebook", "reddit", "tiktok"}
	platformCum := cumulative(0.35, 0.25, 0.2, 0.1, 0.1)
	sentiments := [...]string{"positive", "neutral", "negative"}
	sentimentCum := [2][]float64{cumulative(0.35, 0.42, 0.23), cumulative(0.1, 0.3, 0.6)}
	competitors := [...]string{"Acme", "Globex", "Initech", "Umbrella"}
	active := 0
	for d := range days {
		if d%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		active += change[d]
		a := g.start + int64(d)*day
		b := min(a+day, g.end)
		incident := 0
		if chance(r, m.incidentShare) {
			incident = 1
		}
		wd, _ := g.clock.local(a + 12*hour)
		mu := m.mentionRate * float64(active) * g.social.weekday[wd] * [...]float64{1, 4}[incident]
		times := g.times[:0]
		for range poissonRand(r, mu) {
			times = append(times, g.social.draw(r, g.clock, a, b))
		}
		slices.Sort(times)
		g.times = times
		for _, t := range times {
			w := g.tabs[tSocialMentions]
			w.begin()
			w.id(mentionID, w.fresh())
			w.text(platforms[pick(r, platformCum)])
			w.time(t)
			w.text(sentiments[pick(r, sentimentCum[incident])])
			question := chance(r, [...]float64{0.3, 0.5}[incident])
			w.bool(question)
			if question {
				w.bool(chance(r, [...]float64{0.45, 0.8}[incident]))
				w.bool(chance(r, [...]float64{0.55, 0.3}[incident]))
			} else {
				w.null()
				w.null()
			}
			if chance(r, 0.08) {
				w.text(competitors[r.IntN(len(competitors))])
			} else {
				w.null()
			}
			w.end()
		}
		if err := g.tabs[tSocialMentions].failed(); err != nil {
			return err
		}
	}
	return nil
}
