// Package sample generates realistic, deterministic exports of every table
// of the cxkpi contract ([ingest.Tables]) for demos, tests and benchmarks.
//
// [Generate] writes one file per table, CSV with a header (or Parquet with
// the contract's Arrow schema), exactly the contract's columns, times in
// RFC 3339 UTC and an empty field for a missing value. The same [Config]
// gives byte-identical files: every random draw comes from a PCG generator
// (math/rand/v2) seeded from Config.Seed, the samplers are written out in
// this package, and nothing looks at the clock. Rows are streamed to disk
// as they are drawn; the model keeps only a small record per customer, so
// runs of millions of customers fit in memory. A run uses every core:
// chunks of consecutive customers are drawn in parallel (each customer's
// history from a random stream of its own), one goroutine writes them in
// customer order, numbering the identifiers as a single pass would, and
// each table is encoded (CSV text, Parquet pages) by a goroutine of its
// own. The files do not depend on the number of cores or on scheduling.
// Rows are grouped by customer (a customer's orders, tickets, messages, …
// in time order), not sorted by time across customers; social mentions are
// in time order.
//
// # The model
//
// Time is shaped by a business in Europe/Lisbon ([BusinessZone]): support
// contacts follow office hours with a morning and an afternoon peak and a
// quiet weekend; social posts peak in the evening. The desk is open
// 08:00–20:00 on weekdays and 09:00–14:00 on Saturdays; replies to email,
// web, messaging and social tickets that fall outside those hours wait for
// the next opening.
//
//   - Customers: about 35% signed up in the three years before the window
//     of Config.Months months ending at Config.End; the others sign up
//     during it at a rate that doubles over the window (a growing base).
//     Each churns with a monthly hazard of 2.5% (halved for loyalty
//     members, less 20% for education participants); churned_at is empty
//     for customers still active at End. About 30% are loyalty members, 15%
//     education participants, 20% advocates who make referrals.
//   - Orders: a BG/NBD process from signup. Each customer buys at a Poisson
//     rate λ ~ Gamma(0.9, 0.7) per month (×1.3 for loyalty members), 70%
//     at signup, and after each purchase drops out with probability p ~
//     Beta(0.7, 3.5); churn also ends purchasing. Order values follow the
//     gamma-gamma model (value ~ Gamma(6.25, ν), ν ~ Gamma(3.74, rate 26),
//     about 60 on average); cost = revenue × a cost ratio around 0.58
//     (empty for 3% of orders).
//   - Tickets: a Poisson number per customer at a rate ~ Gamma(1.2, 0.7)
//     per active month, plus about 0.5 in a new customer's first two weeks,
//     at times drawn from the support profile. Channels: email 34%, chat
//     24%, phone 14%, web 13%, messaging 10%, social 5% (chat and phone
//     only while the desk is open; otherwise the customer writes an email).
//     8% are complaints, of higher priority and mostly handled by the
//     escalations team. Four teams of six agents (A01–A24), each agent with
//     a skill and a speed. First replies and resolutions take lognormal
//     times by channel (chat minutes, email hours), scaled by priority,
//     agent speed and complaints. About 5% of tickets are reopened (15% of
//     complaints), 1.5% are never solved, and tickets still in progress at
//     End are new, open, pending or on hold with no solved_at. Solved
//     tickets are closed four days after solving.
//   - Messages: the customer's first message at created_at, an internal
//     note on 20% of tickets (40% of complaints), the agent's first reply,
//     0–4 further exchanges before the ticket is solved, and a customer
//     message and agent reply per reopen. A phone ticket is created when
//     the call is answered and its first agent message is the call's end.
//   - Calls: a phone ticket's caller queues with an exponential wait (mean
//     45 s, 72 s at peak hours) and an exponential patience (mean 1000 s);
//     when patience runs out first the call is abandoned (no answered_at;
//     about 6–7% of calls) and the caller tries again with probability
//     0.65. Handling times are lognormal around six minutes.
//   - Surveys: about 30% of solved tickets get a CSAT answer, mostly on
//     1–5 and 15% on 1–10, from a latent quality of the experience that
//     falls with slower replies and resolutions, complaints and reopens and
//     rises with the agent's skill and the customer's satisfaction. 10% of
//     solved tickets get a CES answer on 1–7. Customers are asked NPS (0–10)
//     about once a quarter and 35% answer.
//   - QA reviews: 12% of solved tickets are reviewed a few days later on
//     tone, accuracy and process (out of 5) and solution (out of 10), the
//     points following the agent's skill.
//   - Feedback: about 0.1 a month per active customer, mostly from the web
//     and email; 70% get a response within a day or so.
//   - Social mentions: about 0.008 a day per active customer, four times
//     as many on incident days (4% of days), which are more negative and
//     more technical. About 30% are questions; is_technical and
//     answerable_by_content are empty for the others. 8% name a competitor.
//   - Referrals: 12% of customers signing up in the window were referred by
//     an earlier advocate a few days before (referred_customer_id is the
//     new customer, converted_at the signup); advocates also make about
//     0.06 unconverted referrals a month.
//
// # Volumes
//
// Without volume targets, the volumes follow from Config.Customers and
// Config.Months at the rates above: 40,000 customers over 12 months give
// about 210,000 tickets, 850,000 messages, 110,000 survey answers and
// 90,000 orders. With targets (Config.Tickets, Messages, Surveys,
// Orders), [Generate] first calibrates the model: pilot runs draw the
// histories of an even sample of up to 20,000 customers, on all cores,
// counting rows instead of writing them. From a first pilot of the model
// as it is, the generator works out by how much to scale the ticket rate,
// the internal notes and further exchanges of a ticket, the response rates
// of CSAT, CES and NPS surveys, and the purchase rate (with the dropout
// after a purchase divided by as much); a second pilot at those rates
// corrects them once more, unless it predicts every target within 1%.
// Orders at signup and a ticket's first message and reply are not scaled,
// which bounds the targets: too few orders for the customers, or too many
// surveys for the tickets, fail with [ErrConfig]. The volumes come out
// within a few percent of the targets (within about 2% in our runs, from
// 70,000 to 70 million rows; the pilot's sample is the main error) and do
// not depend on the number of cores.
//
// # Bad rows
//
// With Config.BadRows = n, n malformed rows are added to every table at
// positions spread through the file: an impossible time
// ("2026-13-45T25:00:00Z"), a missing required value, a duplicate key, a
// value outside a column's enum, text in a number or boolean column, a
// survey score outside its scale. Each bad row has exactly one problem and
// all other rows are valid. They are listed, with file, line, column and
// problem, in BAD_ROWS.md next to the data ([ReadBadRows] reads it back).
// Parquet files only get the problems their typed columns can hold.
package sample
