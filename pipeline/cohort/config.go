package cohort

import (
	"fmt"
	"time"
)

// Basis says how customers are acquired into cohorts and what retained
// means.
type Basis string

// Acquisition bases.
const (
	// FirstOrder puts a customer in the cohort of the period of their first
	// order (orders export). A customer is retained in a period when they
	// placed at least one order in it.
	FirstOrder Basis = "first_order"
	// Signup puts a customer in the cohort of the period of signup_at
	// (customers export). A customer is retained in a period when they had
	// not churned by its end: churned_at is empty or not before the end.
	Signup Basis = "signup"
)

// ParseBasis returns the basis named s.
func ParseBasis(s string) (Basis, error) {
	switch b := Basis(s); b {
	case FirstOrder, Signup:
		return b, nil
	}
	return "", fmt.Errorf("cohort: unknown basis %q, want first_order or signup", s)
}

// Grain is the length of a cohort and of a period since acquisition.
type Grain string

// Cohort grains. A week is an ISO week, starting on Monday.
const (
	Week  Grain = "week"
	Month Grain = "month"
)

// ParseGrain returns the grain named s.
func ParseGrain(s string) (Grain, error) {
	switch g := Grain(s); g {
	case Week, Month:
		return g, nil
	}
	return "", fmt.Errorf("cohort: unknown grain %q, want week or month", s)
}

// Config says how record batches become a [Grid]. The zero value is
// usable: monthly first-order cohorts in UTC, observed up to the latest
// instant in the data.
type Config struct {
	// Basis is the acquisition basis; empty means FirstOrder.
	Basis Basis
	// Grain is the cohort and period length; empty means Month.
	Grain Grain
	// Location is the reporting time zone in which weeks and months start
	// at local midnight; nil means UTC.
	Location *time.Location
	// AsOf is the end of observation: only periods that end at or before
	// it are reported. Zero means the latest instant in the data (the
	// latest ordered_at, signup_at or churned_at added).
	AsOf time.Time
	// MaxPeriods is the largest period index reported (0 is the
	// acquisition period); 0 means no limit.
	MaxPeriods int
	// SpillDir is a directory where the [Builder] may keep the orders in a
	// temporary file rather than in memory once more than about a million
	// (16 bytes each) have been added; empty keeps them all in memory.
	// A builder that may have spilled must be closed ([Builder.Close]) to
	// remove its file.
	SpillDir string
}

// EnsureDefaults fills the empty fields of c with their defaults.
func (c *Config) EnsureDefaults() {
	if c.Basis == "" {
		c.Basis = FirstOrder
	}
	if c.Grain == "" {
		c.Grain = Month
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
}

// Validate reports the first invalid field of c, after defaults.
func (c *Config) Validate() error {
	if _, err := ParseBasis(string(c.Basis)); err != nil {
		return err
	}
	if _, err := ParseGrain(string(c.Grain)); err != nil {
		return err
	}
	if c.MaxPeriods < 0 {
		return fmt.Errorf("cohort: max periods %d is negative", c.MaxPeriods)
	}
	return nil
}
