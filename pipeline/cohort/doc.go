// Package cohort computes acquisition-cohort retention from Arrow record
// batches of the customers and orders exports, and projects contractual
// retention with the shifted-beta-geometric (sBG) model of Fader and Hardie
// (2007).
//
// A [Builder] takes record batches as they come ([Builder.Add]) and, once
// every batch has been added, computes a [Grid]: one [Cohort] per
// acquisition week or month, with its size and, for each period since
// acquisition that was fully observed before the as-of time, the customers
// retained and the revenue of the period. [Grid.Rows] flattens the grid into
// the tidy cohort table ([Schema], [Record]).
//
// Customers are acquired either by their first order ([FirstOrder]: retained
// means placed an order in the period) or by their signup ([Signup]: retained
// means not churned by the end of the period, the contractual definition).
// Period boundaries are local midnights in the reporting time zone, so a
// month is a calendar month across daylight-saving changes.
//
// [FitSBG] fits the sBG model to a contractual cohort's survivors
// ([Grid.Survivors]) by maximum likelihood and [SBG.Project] projects its
// survival and retention forward. docs/cohort.md defines every column and
// records how the model was checked against the published example.
package cohort
