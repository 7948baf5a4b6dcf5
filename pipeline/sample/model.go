package sample

import (
	"math/rand/v2"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// model holds the parameters of the generative model described in the
// package documentation. Rates are per month, durations in seconds.
type model struct {
	// Customers.
	existingShare  float64 // signed up before the window
	existingYears  float64 // how far before
	signupGrowth   float64 // log of the growth of the signup rate over the window
	churnHazard    float64 // monthly
	loyaltyShare   float64
	educationShare float64
	advocateShare  float64 // customers who make referrals

	// Orders: BG/NBD purchases, gamma-gamma spend.
	purchaseShape, purchaseScale float64 // purchase rate λ ~ Gamma
	dropoutA, dropoutB           float64 // dropout after a purchase p ~ Beta
	dropoutScale                 float64 // multiplies p
	firstOrderAtSignup           float64
	spendP, spendQ, spendRate    float64 // order value ~ Gamma(p, ν), ν ~ Gamma(q, rate)
	costRatio, costRatioSD       float64 // cost = revenue × ratio
	missingCost                  float64

	// Tickets.
	ticketShape, ticketScale float64 // ticket rate ~ Gamma
	onboardingTickets        float64 // extra tickets in a new customer's first two weeks
	complaintShare           float64
	reopenShare              float64 // complaints reopen three times as often
	stuckShare               float64 // never solved
	missingPriority          float64
	internalNote             float64 // complaints twice as often
	exchanges                float64 // multiplies the mean number of further exchanges of a ticket
	channels                 []channel
	channelCum               []float64
	priorities               []string
	priorityCum              [2][]float64 // normal tickets, complaints
	topicCum                 []float64    // orders, billing, technical

	// Surveys, reviews, calls, feedback, referrals, mentions.
	csatAsked, csatResponse float64
	csatTenPoint            float64 // share of CSAT asked on 1–10
	cesAsked, cesResponse   float64
	npsResponse             float64
	qaShare                 float64
	callWait, callPatience  float64 // exponential means
	callRetry               float64
	callerUnknown           float64
	feedbackRate            float64
	feedbackResponse        float64
	feedbackChannelCum      []float64
	referralConverted       float64 // of customers signing up in the window
	referralRate            float64 // unconverted referrals per advocate and month
	mentionRate             float64 // per active customer and day
	incidentShare           float64 // days with an incident
}

// channel is how tickets of one contact channel behave.
type channel struct {
	name          string
	weight        float64
	reply, replyS float64 // first reply delay: lognormal median and sigma
	solve, solveS float64 // resolution time: lognormal median and sigma
	async         bool    // replies wait for office hours
	live          bool    // only staffed during office hours; else the ticket comes by email
}

func newModel() model {
	m := model{
		existingShare: 0.35, existingYears: 3, signupGrowth: 0.6931, churnHazard: 0.025,
		loyaltyShare: 0.30, educationShare: 0.15, advocateShare: 0.2,

		purchaseShape: 0.9, purchaseScale: 0.7, dropoutA: 0.7, dropoutB: 3.5, dropoutScale: 1, firstOrderAtSignup: 0.7,
		spendP: 6.25, spendQ: 3.74, spendRate: 26, costRatio: 0.58, costRatioSD: 0.08, missingCost: 0.03,

		ticketShape: 1.2, ticketScale: 0.7, onboardingTickets: 0.5, complaintShare: 0.08,
		reopenShare: 0.05, stuckShare: 0.015, missingPriority: 0.02, internalNote: 0.2, exchanges: 1,
		channels: []channel{
			{name: "email", weight: 0.34, reply: 2.5 * hour, replyS: 1.0, solve: 22 * hour, solveS: 1.1, async: true},
			{name: "chat", weight: 0.24, reply: 100, replyS: 0.8, solve: 25 * minute, solveS: 0.9, live: true},
			{name: "phone", weight: 0.14, reply: 0, solve: 15 * minute, solveS: 1.3, live: true},
			{name: "web", weight: 0.13, reply: 3 * hour, replyS: 1.0, solve: 26 * hour, solveS: 1.1, async: true},
			{name: "messaging", weight: 0.10, reply: 25 * minute, replyS: 1.0, solve: 4 * hour, solveS: 1.1, async: true},
			{name: "social", weight: 0.05, reply: 90 * minute, replyS: 1.0, solve: 8 * hour, solveS: 1.1, async: true},
		},
		priorities:  []string{"low", "normal", "high", "urgent"},
		priorityCum: [2][]float64{cumulative(0.2, 0.6, 0.15, 0.05), cumulative(0.05, 0.35, 0.4, 0.2)},
		topicCum:    cumulative(0.4, 0.25, 0.35),

		csatAsked: 0.9, csatResponse: 0.33, csatTenPoint: 0.15, cesAsked: 0.25, cesResponse: 0.4,
		npsResponse: 0.35, qaShare: 0.12,
		callWait: 45, callPatience: 1000, callRetry: 0.65, callerUnknown: 0.04,
		feedbackRate: 0.1, feedbackResponse: 0.7, feedbackChannelCum: cumulative(0.25, 0.05, 0.05, 0.45, 0.1, 0.1),
		referralConverted: 0.12, referralRate: 0.06,
		mentionRate: 0.008, incidentShare: 0.04,
	}
	ws := make([]float64, len(m.channels))
	for i, c := range m.channels {
		ws[i] = c.weight
	}
	m.channelCum = cumulative(ws...)
	return m
}

// feedbackChannels are the channels of feedback, weighed by
// model.feedbackChannelCum.
func feedbackChannels() [6]string {
	return [6]string{"email", "chat", "phone", "web", "messaging", "social"}
}

// perCustomerMonth is about how many rows of table t a customer active for
// a month yields; it places the bad rows through the file.
func (m *model) perCustomerMonth(t ingest.Table) float64 {
	switch t {
	case ingest.Tickets:
		return 0.95
	case ingest.Messages:
		return 3.8
	case ingest.Surveys:
		return 0.49
	case ingest.QAReviews:
		return 0.44
	case ingest.Calls:
		return 0.1
	case ingest.Feedback:
		return 0.1
	case ingest.SocialMentions:
		return 0.28
	case ingest.Orders:
		return 0.51
	case ingest.Referrals:
		return 0.03
	}
	return 1
}

// Teams of the support desk and the size of each.
const agentsPerTeam = 6

func teams() [numTeams]string {
	return [numTeams]string{"orders", "billing", "technical", "escalations"}
}

// numTeams is the number of teams.
const numTeams = 4

// escalations is the position of the escalations team in teams.
const escalations = 3

// agent is one support agent: agent k (from 0) is in team k/agentsPerTeam.
type agent struct {
	skill float64 // quality: moves CSAT and QA scores
	speed float64 // multiplies reply and resolution times
}

func newAgents(r *rand.Rand) []agent {
	as := make([]agent, agentsPerTeam*numTeams)
	for i := range as {
		as[i] = agent{skill: 0.5 * r.NormFloat64(), speed: lognormal(r, 1, 0.25)}
	}
	return as
}
