package cohort

import (
	"errors"
	"fmt"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Errors reported by the package, tested with [errors.Is].
var (
	// ErrSchema means a record batch lacks a column the cohorts need, or
	// the column has the wrong Arrow type.
	ErrSchema = errors.New("cohort: record schema does not match the export contract")
	// ErrMissingValue means a required value (customer_id, ordered_at,
	// revenue, signup_at) is null. A [RowError] wraps it.
	ErrMissingValue = errors.New("missing required value")
	// ErrDuplicateCustomer means two customers rows share a customer_id.
	// A [RowError] wraps it.
	ErrDuplicateCustomer = errors.New("duplicate customer_id")
	// ErrNotContractual means survivors were asked of a grid whose retention
	// is not a survival curve: under [FirstOrder] a customer may skip a
	// period and come back, so the sBG model does not apply.
	ErrNotContractual = errors.New("cohort: retention is not contractual (basis is not signup)")
	// ErrClosed means a [Builder] was used after [Builder.Close].
	ErrClosed = errors.New("cohort: builder is closed")

	// ErrEmptyCohort means an sBG fit was asked of a cohort with no
	// customers.
	ErrEmptyCohort = errors.New("cohort: empty cohort")
	// ErrTooFewPeriods means fewer than two periods after acquisition were
	// observed: one period identifies only the first churn rate, not the
	// two sBG parameters.
	ErrTooFewPeriods = errors.New("cohort: too few observed periods for the sBG model (need at least 2)")
	// ErrNoChurn means no customer of the cohort churned in the observed
	// periods: the likelihood grows without bound as the churn
	// probabilities go to zero, so there is no estimate.
	ErrNoChurn = errors.New("cohort: no churn observed")
	// ErrNotSurvival means the survivor counts are negative or increase
	// from one period to the next.
	ErrNotSurvival = errors.New("cohort: survivor counts must not increase")
	// ErrNoFit means the maximum-likelihood search found no interior
	// optimum: every customer churned at the first renewal, or churn shows
	// no heterogeneity (a geometric model fits and the sBG parameters grow
	// without bound), or the optimizer failed.
	ErrNoFit = errors.New("cohort: no sBG fit")
)

// RowError is a problem with one row of a record batch. Batch counts the
// batches of the table from 1, in the order they were added; Row is the
// 0-based row within the batch.
type RowError struct {
	Table  ingest.Table
	Batch  int
	Row    int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s batch %d row %d: %s: %v", e.Table, e.Batch, e.Row, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }
