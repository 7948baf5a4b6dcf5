// Package clv models customer lifetime value from Arrow record batches of
// the orders export: an RFM summary per customer, three models of repeat
// purchasing (BG/NBD, MBG/NBD and Pareto/NBD) and the choice among them,
// the Gamma-Gamma model of spend, and a discounted CLV built from a
// purchase model and the spend model. docs/clv.md has the formulas,
// conventions and the verification against the published CDNOW results.
//
// # RFM summary
//
// A [Summarizer] folds order batches into a [Summary] in the conventions of
// the buy-till-you-die (BTYD) literature and of the R BTYD and Python
// lifetimes packages. Orders on one calendar day (in Config.Location) are
// one purchase occasion. For each customer, over the calibration period:
//
//	x   frequency: distinct purchase days − 1 (repeat purchases)
//	tx  recency: last purchase day − first purchase day
//	T   age: calibration end day − first purchase day
//	m   monetary: mean value of the repeat purchase days (first excluded)
//
// in days or weeks (Config.Unit). With Config.CalibrationEnd set, purchase
// days after it, up to Config.End, are counted as holdout purchases.
//
// # BG/NBD
//
// [BGNBD] (Fader, Hardie and Lee 2005a): while active, a customer buys at
// Poisson rate λ; after each purchase they become inactive with
// probability p; λ ~ Gamma(r, α) and p ~ Beta(a, b) across customers. The
// likelihood of (x, tx, T) is
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))                       (A1)
//	  + [x>0] B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+tx)^(r+x))            (A2)
//
// evaluated as ln A1 + log1p(e^(ln A2 − ln A1)) with log-gamma functions, so
// it neither overflows nor cancels. [FitBGNBD] maximises it over
// (ln r, ln α, ln a, ln b) with BFGS and the analytic gradient. Then
//
//	P(alive | x, tx, T) = 1 / (1 + [x>0] a/(b+x−1) ((α+T)/(α+tx))^(r+x))
//	E[X(t)]             = (a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]
//	E[Y(t) | x, tx, T]  = (a+b+x−1)/(a−1)
//	                      [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
//	                      · P(alive | x, tx, T)
//
// The ₂F₁ terms are summed as an Euler-transformed series in which the
// 0/0 of a = 1 cancels term by term, with a quadrature fallback for
// horizons far beyond the data (expectation.go has the derivation and the
// domain of each method).
//
// # MBG/NBD and Pareto/NBD
//
// [MBGNBD] (Batislam, Denizel and Filiztekin 2007) is BG/NBD in which a
// customer may also drop out right after the first purchase, so that a
// one-time buyer is not certainly alive; its expectations are BG/NBD's
// with b+1 for b. [ParetoNBD] (Schmittlein, Morrison and Colombo 1987)
// lets a customer die at any time, after an exponential lifetime of rate
// μ ~ Gamma(s, β); its likelihood, after Fader, Hardie and Lee's MATLAB
// note, needs ₂F₁(a, q; a+1; z), which Euler's transformation turns into
// a series of positive terms, summed with its derivatives (pareto.go).
// [FitMBGNBD] and [FitParetoNBD] work like [FitBGNBD].
//
// # Model choice
//
// [FitCustomers] fits the three purchase models and gives each its AIC,
// BIC and, with a holdout period, its [HoldoutAccuracy]; [Choose] picks
// one (by BIC unless told otherwise), whose [Purchases] model [Predict]
// takes.
//
// # Gamma-Gamma
//
// [GammaGamma] (Fader, Hardie and Lee 2005b): a customer's transaction
// values are Gamma(p, ν), ν ~ Gamma(q, γ), independent of the purchase
// process. The mean mx of x repeat purchases has density
//
//	f(mx | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q mx^(px−1) x^(px) / (γ + mx x)^(px+q)
//
// [FitGammaGamma] maximises it over the repeat customers (x > 0, mx > 0),
// and the expected value of a customer's next purchase is
//
//	E[Z | x, mx] = p (γ + mx x) / (px + q − 1),   E[Z] = pγ / (q − 1) for x = 0.
//
// # Customer lifetime value
//
// [Predict] values each customer over a horizon of whole months
// (365.25/12 days): the purchases expected in month k,
// E[Y(k)] − E[Y(k−1)], times E[Z | x, mx] times the gross margin ratio,
// discounted by (1 + annual rate)^(−k/12) as if they happened at the end
// of the month ([Horizon.Value]). The seed's static formulas are
// [BasicCLV], [SeedPredictiveCLV] and [Summary.HistoricalCLV].
//
// # References
//
//   - Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), Counting
//     Your Customers: Who Are They and What Will They Do Next?, Management
//     Science 33(1), 1–24.
//   - Batislam, E. P., Denizel, M. and Filiztekin, A. (2007), Empirical
//     Validation and Comparison of Models for Customer Base Analysis,
//     International Journal of Research in Marketing 24(3), 201–209.
//   - Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005c), A Note on
//     Implementing the Pareto/NBD Model in MATLAB, brucehardie.com.
//   - Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a), "Counting Your
//     Customers" the Easy Way: An Alternative to the Pareto/NBD Model,
//     Marketing Science 24(2), 275–284.
//   - Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b), RFM and CLV:
//     Using Iso-Value Curves for Customer Base Analysis, Journal of
//     Marketing Research 42(4), 415–430.
//   - Fader, P. S. and Hardie, B. G. S. (2013), The Gamma-Gamma Model of
//     Monetary Value, brucehardie.com note 025.
package clv
