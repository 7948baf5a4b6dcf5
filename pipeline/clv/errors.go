package clv

import (
	"errors"
	"fmt"
)

// Errors returned by the package. Test for them with [errors.Is].
var (
	// ErrNoData reports a summary or fit without a single customer.
	ErrNoData = errors.New("clv: no customers")
	// ErrNoRepeat reports data in which no customer bought twice (for
	// BG/NBD) or no repeat customer has a positive average spend (for
	// Gamma-Gamma): the model's parameters are not identified.
	ErrNoRepeat = errors.New("clv: no repeat purchases")
	// ErrNoConvergence reports a maximum-likelihood fit that stopped
	// without converging, whose estimate ran off to the edge of the
	// parameter space (a parameter below 1e-9 or above 1e9), or whose
	// information matrix is singular: all happen when the data cannot tell
	// the parameters apart (one customer, identical customers).
	ErrNoConvergence = errors.New("clv: fit did not converge")
	// ErrNoCost reports orders without cost while Config.AverageMargin
	// is unset and no order has a cost to take a margin ratio from, so
	// their gross margin is unknown.
	ErrNoCost = errors.New("clv: orders without cost, no order with one, and no average margin configured")
	// ErrInfiniteMean reports a Gamma-Gamma fit with q ≤ 1: the population
	// mean spend, used for customers without repeat purchases, is infinite.
	ErrInfiniteMean = errors.New("clv: Gamma-Gamma population mean spend is infinite (q <= 1)")
	// ErrSchema reports a record batch that does not follow the orders
	// contract.
	ErrSchema = errors.New("clv: record does not follow the orders schema")
	// ErrClosed reports a Summarizer used after [Summarizer.Close].
	ErrClosed = errors.New("clv: summarizer closed")
)

// InputError reports an order row that cannot be used, with its position:
// Row counts rows from 1 across every batch given to a [Summarizer].
type InputError struct {
	Row    int64
	Column string
	Err    error
}

// Error formats the error as "orders row 12: revenue: non-finite value NaN".
func (e *InputError) Error() string {
	return fmt.Sprintf("orders row %d: %s: %v", e.Row, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }
