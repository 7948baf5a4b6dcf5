package cohort

import (
	"fmt"
	"strconv"
	"strings"
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
	// Brackets are the ranges of periods since acquisition for bracket
	// retention ([Cohort.Brackets]); nil means [DefaultBrackets], an empty
	// non-nil slice none. They must be in ascending order and must not
	// overlap.
	Brackets []Bracket
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
	if c.Brackets == nil {
		c.Brackets = DefaultBrackets()
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
	return ValidateBrackets(c.Brackets)
}

// Bracket is a range of periods since acquisition, From to To inclusive:
// a customer is retained in it when active in at least one of its
// periods.
type Bracket struct{ From, To int }

// DefaultBrackets returns the brackets used when none are configured:
// the acquisition period, then 1–2, 3–5 and 6–11 periods after it (with
// months: the first quarter after acquisition, the second, the second
// half-year).
func DefaultBrackets() []Bracket {
	return []Bracket{{0, 0}, {1, 2}, {3, 5}, {6, 11}}
}

// String returns the bracket as ParseBracket reads it: "3-5", or "0" for
// a single period.
func (br Bracket) String() string {
	if br.From == br.To {
		return strconv.Itoa(br.From)
	}
	return strconv.Itoa(br.From) + "-" + strconv.Itoa(br.To)
}

// ParseBracket reads a bracket written "FROM-TO" (periods since
// acquisition, both included) or "K" for the single period K.
func ParseBracket(s string) (Bracket, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		to = from
	}
	f, err1 := strconv.Atoi(strings.TrimSpace(from))
	t, err2 := strconv.Atoi(strings.TrimSpace(to))
	if err1 != nil || err2 != nil {
		return Bracket{}, fmt.Errorf("cohort: bracket %q, want FROM-TO or K, periods since acquisition such as 3-5", s)
	}
	br := Bracket{f, t}
	if err := br.validate(); err != nil {
		return Bracket{}, err
	}
	return br, nil
}

func (br Bracket) validate() error {
	if br.From < 0 {
		return fmt.Errorf("cohort: bracket %s starts before the acquisition period (0)", br)
	}
	if br.To < br.From {
		return fmt.Errorf("cohort: bracket %d-%d ends before it starts", br.From, br.To)
	}
	return nil
}

// ValidateBrackets reports the first bracket that is invalid, or that
// does not start after the one before it ends. A [BracketError] carries
// its index.
func ValidateBrackets(brs []Bracket) error {
	for i, br := range brs {
		if err := br.validate(); err != nil {
			return &BracketError{Index: i, Err: err}
		}
		if i > 0 && br.From <= brs[i-1].To {
			return &BracketError{Index: i, Err: fmt.Errorf("cohort: bracket %s does not start after bracket %s ends: brackets must ascend without overlapping", br, brs[i-1])}
		}
	}
	return nil
}

// BracketError is an invalid bracket of [Config.Brackets]; Index counts
// from 0.
type BracketError struct {
	Index int
	Err   error
}

func (e *BracketError) Error() string { return fmt.Sprintf("brackets[%d]: %v", e.Index, e.Err) }

// Unwrap returns the underlying error.
func (e *BracketError) Unwrap() error { return e.Err }
