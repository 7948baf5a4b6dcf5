package sample

import (
	"cmp"
	"math"
	"slices"
)

// message is one message of a ticket, kept until the ticket is written.
type message struct {
	at       int64
	author   string // customer, agent or internal
	agent    int    // position in g.agents, or -1
	optional bool   // an internal note or a further exchange, scaled by model.exchanges
}

// ticket writes a ticket that customer i opens at about t0, with its calls,
// messages, surveys and QA review. It returns the quality of the
// experience, a latent score that drives the survey answers, and whether
// the ticket was solved within the window. A caller who gives up in the
// phone queue opens no ticket.
func (g *generator) ticket(i int, t0 int64, sat float64) (quality float64, solved bool) {
	r, m := g.r, &g.model
	ch := &m.channels[pick(r, m.channelCum)]
	if ch.live && !g.clock.open(t0) {
		ch = &m.channels[0] // the chat and phone lines are closed: write an email
	}
	complaint := chance(r, m.complaintShare)
	ci, complaintF := 0, 1.0
	if complaint {
		ci, complaintF = 1, 2.5
	}
	prio := pick(r, m.priorityCum[ci])
	team := pick(r, m.topicCum)
	if complaint && chance(r, 0.6) {
		team = escalations
	}
	ag := team*agentsPerTeam + r.IntN(agentsPerTeam)
	speed := g.agents[ag].speed * [...]float64{1.4, 1, 0.6, 0.35}[prio]

	created, reply := t0, int64(0) // reply: first reply, as an offset
	if ch.live && ch.reply == 0 {
		answered, ended, ok := g.call(i, t0, team, ag)
		if !ok {
			return 0, false
		}
		created, reply = answered, ended-answered
	} else {
		at := created + sec(lognormal(r, ch.reply*speed, ch.replyS), 1)
		if ch.async {
			at = g.clock.business(r, at)
		}
		reply = at - created
	}
	solve := sec(lognormal(r, ch.solve*speed*complaintF, ch.solveS), 1)
	if ch.reply == 0 {
		solve += reply // a phone ticket's resolution starts when the call ends
	}
	solve = max(solve, reply+sec(expRand(r, 10*minute), 1))

	msgs := append(g.msgs[:0], message{created, "customer", -1, false})
	if chance(r, m.internalNote*[...]float64{1, 2}[ci]) {
		msgs = append(msgs, message{g.clock.business(r, created+int64(r.Float64()*float64(reply))), "internal", ag, true})
	}
	msgs = append(msgs, message{created + reply, "agent", g.replier(ag), false})
	rounds := pick(r, []float64{0.5, 0.8, 0.93, 1}) + ci
	if m.exchanges != 1 {
		rounds = scaleCount(r, rounds, m.exchanges)
	}
	offs := g.offs[:0]
	for range 2 * rounds {
		offs = append(offs, reply+1+r.Int64N(max(solve-reply, 2)))
	}
	slices.Sort(offs)
	g.offs = offs
	for k, off := range offs {
		if k%2 == 0 {
			msgs = append(msgs, message{created + off, "customer", -1, true})
			continue
		}
		at := created + off
		if ch.async {
			at = g.clock.business(r, at)
		}
		msgs = append(msgs, message{at, "agent", g.replier(ag), true})
		solve = max(solve, at-created+sec(expRand(r, 10*minute), 1))
	}
	if ch.async {
		solve = g.clock.business(r, created+solve) - created
	}

	stuck := chance(r, m.stuckShare)
	solvedAt, reopens := created+solve, int64(0)
	if !stuck && solvedAt < g.end && chance(r, m.reopenShare*[...]float64{1, 3}[ci]) {
		for {
			again := solvedAt + sec(expRand(r, 2*day), 10*minute)
			if again >= g.end {
				break
			}
			reopens++
			msgs = append(msgs, message{again, "customer", -1, false})
			at := again + sec(lognormal(r, max(ch.reply, 20*minute)*speed, 1), 1)
			if ch.async {
				at = g.clock.business(r, at)
			}
			msgs = append(msgs, message{at, "agent", g.replier(ag), false})
			solvedAt = max(at+sec(expRand(r, 15*minute), 1), again+sec(lognormal(r, ch.solve*speed, ch.solveS), 1))
			if solvedAt >= g.end || reopens == 2 || !chance(r, 0.25) {
				break
			}
		}
	}

	status, assignee := "solved", ag
	switch {
	case stuck:
		status = [...]string{"pending", "hold"}[r.IntN(2)]
		solvedAt = 0
	case solvedAt >= g.end:
		solvedAt = 0
		if created+reply >= g.end {
			status, assignee = "new", -1
		} else {
			status = [...]string{"open", "open", "open", "pending", "pending", "hold"}[r.IntN(6)]
		}
	case solvedAt+4*day <= g.end:
		status = "closed"
	}

	tk := g.tabs[tTickets]
	tid := tk.fresh()
	tk.begin()
	tk.id(ticketID, tid)
	tk.id(customerID, int64(i+1))
	tk.text(ch.name)
	tk.time(created)
	tk.optTime(solvedAt)
	tk.text(status)
	if chance(r, m.missingPriority) {
		tk.null()
	} else {
		tk.text(m.priorities[prio])
	}
	tk.optID(agentID, int64(assignee+1))
	tk.text(teams()[team])
	tk.bool(complaint)
	tk.int(reopens)
	tk.end()

	slices.SortStableFunc(msgs, func(a, b message) int { return cmp.Compare(a.at, b.at) })
	g.msgs = msgs
	for _, msg := range msgs {
		if msg.at >= g.end {
			break
		}
		if msg.optional {
			g.optionalMessages++
		}
		mt := g.tabs[tMessages]
		mt.begin()
		mt.id(messageID, mt.fresh())
		mt.id(ticketID, tid)
		mt.text(msg.author)
		mt.optID(agentID, int64(msg.agent+1))
		mt.time(msg.at)
		mt.end()
	}
	if solvedAt == 0 {
		return 0, false
	}

	// The quality of the experience: faster replies and resolutions,
	// better agents and happier customers make it better; complaints and
	// reopens make it worse.
	zReply := math.Log(float64(reply+60)/(ch.reply+60)) / 1.0
	zSolve := math.Log(float64(solvedAt-created)/ch.solve) / 1.1
	quality = 2.0 + 0.45*sat + 0.5*g.agents[ag].skill - 0.35*zReply - 0.45*zSolve -
		1.1*float64(ci) - 0.8*float64(reopens) + 0.8*r.NormFloat64()
	g.surveys(i, tid, solvedAt, quality, sat, zSolve, float64(ci), float64(reopens))
	g.review(tid, ag, team, solvedAt, ci)
	return quality, true
}

// replier returns the agent who writes a reply on a ticket assigned to ag:
// mostly ag, sometimes a teammate.
func (g *generator) replier(ag int) int {
	if chance(g.r, 0.1) {
		return ag/agentsPerTeam*agentsPerTeam + g.r.IntN(agentsPerTeam)
	}
	return ag
}

// call writes the phone calls that precede a phone ticket: the caller
// queues at t0 with an exponential wait and an exponential patience, hangs
// up when patience runs out first (and may call again), else talks to
// agent ag for a lognormal handling time. It returns when the call was
// answered and ended, and false if the caller gave up.
func (g *generator) call(i int, t0 int64, team, ag int) (answered, ended int64, ok bool) {
	r, m := g.r, &g.model
	caller := int64(i + 1)
	if chance(r, m.callerUnknown) {
		caller = 0
	}
	q := t0
	for range 4 {
		_, h := g.clock.local(q)
		load := 1.0
		if (h >= 9 && h < 12) || (h >= 14 && h < 17) {
			load = 1.6
		}
		wait := sec(expRand(r, m.callWait*load), 1)
		patience := sec(expRand(r, m.callPatience), 1)
		if patience < wait {
			hang := q + patience
			if hang >= g.end {
				return 0, 0, false
			}
			g.callRow(caller, -1, team, q, 0, hang)
			if !chance(r, m.callRetry) {
				return 0, 0, false
			}
			q = hang + sec(expRand(r, 8*minute), 30)
			continue
		}
		answered = q + wait
		if answered >= g.end {
			return 0, 0, false
		}
		ended = answered + sec(lognormal(r, 6*minute, 0.6), 20)
		g.callRow(caller, ag, team, q, answered, ended)
		return answered, ended, true
	}
	return 0, 0, false
}

// callRow writes one call; agent -1 and answered 0 for an abandoned call.
func (g *generator) callRow(caller int64, ag, team int, queued, answered, ended int64) {
	if ended >= g.end {
		ended = 0 // still talking at the end of the export
	}
	c := g.tabs[tCalls]
	c.begin()
	c.id(callID, c.fresh())
	c.optID(customerID, caller)
	c.optID(agentID, int64(ag+1))
	c.text(teams()[team])
	c.time(queued)
	c.optTime(answered)
	c.optTime(ended)
	c.bool(answered == 0)
	c.end()
}

// surveys writes the CSAT and CES answers about a ticket solved at
// solvedAt: CSAT mostly on 1–5, some on 1–10, from the quality of the
// experience; CES on 1–7 from the effort (resolution time, reopens).
func (g *generator) surveys(i int, tid, solvedAt int64, quality, sat, zSolve, complaint, reopens float64) {
	r, m := g.r, &g.model
	if chance(r, m.csatAsked*m.csatResponse) {
		at := solvedAt + sec(lognormal(r, 3*hour, 1.2), minute)
		score, hi := 0.0, int64(5)
		if chance(r, m.csatTenPoint) {
			score, hi = clamp(math.Round(6.8+1.5*quality), 1, 10), 10
		} else {
			switch {
			case quality < -1.0:
				score = 1
			case quality < -0.2:
				score = 2
			case quality < 0.5:
				score = 3
			case quality < 1.3:
				score = 4
			default:
				score = 5
			}
		}
		g.surveyRow(i, tid, "csat", score, 1, hi, at)
	}
	if chance(r, m.cesAsked*m.cesResponse) {
		at := solvedAt + sec(lognormal(r, 5*hour, 1.2), minute)
		score := clamp(math.Round(5.2+0.6*sat-0.7*zSolve-0.9*reopens-0.8*complaint+r.NormFloat64()), 1, 7)
		g.surveyRow(i, tid, "ces", score, 1, 7, at)
	}
}

func (g *generator) surveyRow(i int, tid int64, kind string, score float64, lo, hi, at int64) {
	if at >= g.end {
		return // answered after the export
	}
	s := g.tabs[tSurveys]
	s.begin()
	s.id(responseID, s.fresh())
	s.id(customerID, int64(i+1))
	s.id(ticketID, tid)
	s.text(kind)
	s.float(score, 0)
	s.int(lo)
	s.int(hi)
	s.time(at)
	s.null() // ces_easier: the scale's default (1–7, 7 the least effort)
	s.end()
}

// review writes, for a share of solved tickets, a QA review of agent ag on
// four criteria, the points following the agent's skill.
func (g *generator) review(tid int64, ag, team int, solvedAt int64, complaint int) {
	r, m := g.r, &g.model
	if !chance(r, m.qaShare) {
		return
	}
	at := g.clock.business(r, solvedAt+sec(expRand(r, 3*day), hour))
	if at >= g.end {
		return
	}
	q := g.tabs[tQAReviews]
	rid := q.fresh()
	for _, c := range [...]struct {
		name string
		max  float64
	}{{"tone", 5}, {"accuracy", 5}, {"solution", 10}, {"process", 5}} {
		x := 1.3 + 1.2*g.agents[ag].skill - 0.3*float64(complaint) + 0.7*r.NormFloat64()
		q.begin()
		q.id(reviewID, rid)
		q.id(ticketID, tid)
		q.id(agentID, int64(ag+1))
		q.text(teams()[team])
		q.time(at)
		q.text(c.name)
		q.float(math.Round(c.max/(1+math.Exp(-x))), 0)
		q.float(c.max, 0)
		q.end()
	}
}
