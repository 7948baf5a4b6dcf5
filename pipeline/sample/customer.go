package sample

import (
	"math"
	"slices"
)

// history writes customer i's row and everything the customer does inside
// the window: orders, tickets (with calls, messages, surveys and reviews),
// NPS answers, feedback and referrals. It draws only from g.r, seeded for
// this customer, so a customer's history depends on the seed and on its own
// skeleton alone.
func (g *generator) history(i int) {
	r, c := g.r, g.cust[i]
	t := g.tabs[tCustomers]
	t.begin()
	t.id(customerID, int64(i+1))
	t.time(c.signup)
	t.optTime(orZero(c.churn))
	t.bool(c.flags&loyal != 0)
	t.bool(c.flags&educated != 0)
	t.null() // acquisition_channel: the sample has none
	t.end()

	// Latent satisfaction: moves CSAT, CES and NPS answers.
	sat := 0.8 * r.NormFloat64()
	if c.flags&loyal != 0 {
		sat += 0.3
	}
	if c.flags&educated != 0 {
		sat += 0.15
	}
	if c.signup >= g.start {
		g.convertedReferral(i)
	}
	a, b := max(c.signup, g.start), min(c.churn, g.end)
	if a >= b {
		return
	}
	g.orders(i, a, b)
	experience := g.tickets(i, a, b, sat)
	g.nps(i, a, b, sat, experience)
	g.feedback(i, a, b)
	if c.flags&advocate != 0 {
		g.referrals(i, a, b)
	}
}

// orZero returns t, or 0 for never.
func orZero(t int64) int64 {
	if t == never {
		return 0
	}
	return t
}

// orders writes customer i's orders in [a, b) by a BG/NBD process started
// at signup: purchases at the rate λ ~ Gamma while alive, and after each
// purchase the customer drops out with probability p ~ Beta. Order values
// follow the gamma-gamma model.
func (g *generator) orders(i int, a, b int64) {
	r, m, c := g.r, &g.model, g.cust[i]
	lambda := max(gammaRand(r, m.purchaseShape, m.purchaseScale), 1e-3)
	if c.flags&loyal != 0 {
		lambda *= 1.3
	}
	p := betaRand(r, m.dropoutA, m.dropoutB) * m.dropoutScale
	nu := gammaRand(r, m.spendQ, 1/m.spendRate)
	t := c.signup
	if !chance(r, m.firstOrderAtSignup) {
		t += sec(expRand(r, month/lambda), minute)
	}
	for t < b {
		if t >= a {
			if t == c.signup {
				g.signupOrders++ // not scaled by the purchase rate
			}
			revenue := max(math.Round(gammaRand(r, m.spendP, 1/nu)*100)/100, 1)
			cost := math.Round(revenue*clamp(m.costRatio+m.costRatioSD*r.NormFloat64(), 0.2, 0.95)*100) / 100
			o := g.tabs[tOrders]
			o.begin()
			o.id(orderID, o.fresh())
			o.id(customerID, int64(i+1))
			o.time(t)
			o.float(revenue, 2)
			if chance(r, m.missingCost) {
				o.null()
			} else {
				o.float(cost, 2)
			}
			o.end()
		}
		if chance(r, p) {
			return
		}
		t += sec(expRand(r, month/lambda), minute)
	}
}

// tickets writes customer i's tickets in [a, b): a Poisson number at a
// customer-specific rate, more in the first two weeks after signup, at
// times following the support profile. It returns the mean quality of the
// solved tickets' experience (0 when none).
func (g *generator) tickets(i int, a, b int64, sat float64) float64 {
	r, m, c := g.r, &g.model, g.cust[i]
	rate := gammaRand(r, m.ticketShape, m.ticketScale)
	times := g.times[:0]
	for range poissonRand(r, rate*float64(b-a)/month) {
		times = append(times, g.support.draw(r, g.clock, a, b))
	}
	if c.signup >= g.start {
		if e := min(c.signup+14*day, b); c.signup < e {
			for range poissonRand(r, m.onboardingTickets) {
				times = append(times, g.support.draw(r, g.clock, c.signup, e))
			}
		}
	}
	slices.Sort(times)
	g.times = times
	sum, n := 0.0, 0
	for _, t := range times {
		if q, solved := g.ticket(i, t, sat); solved {
			sum += q
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// nps writes customer i's NPS answers: asked about once a quarter, answered
// with probability npsResponse, the score driven by satisfaction and the
// experience of support.
func (g *generator) nps(i int, a, b int64, sat, experience float64) {
	r, m := g.r, &g.model
	t := a + int64(r.Float64()*90*day)
	for t < b {
		at := g.support.draw(r, g.clock, t, min(t+3*day, b))
		if chance(r, m.npsResponse) {
			g.npsAnswers++
			q := 0.7*sat + 0.4*experience + 0.9*r.NormFloat64()
			s := g.tabs[tSurveys]
			s.begin()
			s.id(responseID, s.fresh())
			s.id(customerID, int64(i+1))
			s.null()
			s.text("nps")
			s.float(clamp(math.Round(7.7+1.7*q), 0, 10), 0)
			s.int(0)
			s.int(10)
			s.time(at)
			s.null() // ces_easier
			s.end()
		}
		t += sec((75+30*r.Float64())*day, day)
	}
}

// feedback writes customer i's unsolicited feedback in [a, b), about
// feedbackResponse of which gets a response.
func (g *generator) feedback(i int, a, b int64) {
	r, m := g.r, &g.model
	times := g.times[:0]
	for range poissonRand(r, m.feedbackRate*float64(b-a)/month) {
		times = append(times, g.support.draw(r, g.clock, a, b))
	}
	slices.Sort(times)
	g.times = times
	channels := feedbackChannels()
	for _, t := range times {
		f := g.tabs[tFeedback]
		f.begin()
		f.id(feedbackID, f.fresh())
		f.id(customerID, int64(i+1))
		f.text(channels[pick(r, m.feedbackChannelCum)])
		f.time(t)
		var resp int64
		if chance(r, m.feedbackResponse) {
			resp = g.clock.business(r, t+sec(lognormal(r, 18*hour, 0.9), 5*minute))
			if resp >= g.end {
				resp = 0
			}
		}
		f.optTime(resp)
		f.end()
	}
}

// convertedReferral writes, for some customers signing up in the window,
// the referral that brought them: made a few days before signup by an
// earlier advocate who was a customer then, converted at signup.
func (g *generator) convertedReferral(i int) {
	r, m, c := g.r, &g.model, g.cust[i]
	if i == 0 || !chance(r, m.referralConverted) {
		return
	}
	at := c.signup - sec(expRand(r, 6*day), hour)
	if at < g.start {
		at = g.start + int64(r.Float64()*float64(c.signup-g.start))
	}
	for range 8 {
		k := r.IntN(i)
		ref := g.cust[k]
		if ref.flags&advocate == 0 || ref.signup >= at || ref.churn <= at {
			continue
		}
		t := g.tabs[tReferrals]
		t.begin()
		t.id(referralID, t.fresh())
		t.id(customerID, int64(k+1))
		t.time(at)
		t.id(customerID, int64(i+1))
		t.time(c.signup)
		t.end()
		return
	}
}

// referrals writes the referrals advocate i makes in [a, b) that have not
// converted (yet).
func (g *generator) referrals(i int, a, b int64) {
	r, m := g.r, &g.model
	times := g.times[:0]
	for range poissonRand(r, m.referralRate*float64(b-a)/month) {
		times = append(times, a+r.Int64N(b-a))
	}
	slices.Sort(times)
	g.times = times
	for _, at := range times {
		t := g.tabs[tReferrals]
		t.begin()
		t.id(referralID, t.fresh())
		t.id(customerID, int64(i+1))
		t.time(at)
		t.null()
		t.null()
		t.end()
	}
}
