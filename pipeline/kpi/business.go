package kpi

import (
	"fmt"
	"time"
)

// BusinessHours is a weekly opening schedule in a time zone, with
// holidays. Durations "in business hours" count only the time the support
// team is open.
type BusinessHours struct {
	Location *time.Location
	// Week holds the opening intervals of each weekday (index 0 is Sunday,
	// as time.Weekday), as local wall-clock times. An interval's end may be
	// 24:00. Intervals of one day must not overlap.
	Week [7][]Interval
	// Holidays are local dates (YYYY-MM-DD) on which the team is closed.
	Holidays map[string]bool
}

// Interval is an opening interval within a day, from Start to End local
// wall-clock time since midnight.
type Interval struct {
	Start, End time.Duration
}

// DefaultBusinessHours is Monday to Friday, 09:00 to 17:00, in loc.
func DefaultBusinessHours(loc *time.Location) *BusinessHours {
	b := &BusinessHours{Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		b.Week[d] = []Interval{{9 * time.Hour, 17 * time.Hour}}
	}
	return b
}

// Validate reports the first problem of the schedule.
func (b *BusinessHours) Validate() error {
	if b.Location == nil {
		return fmt.Errorf("kpi: business hours have no time zone")
	}
	open := false
	for d, ivs := range b.Week {
		for _, iv := range ivs {
			if iv.Start < 0 || iv.End > 24*time.Hour || iv.Start >= iv.End {
				return fmt.Errorf("kpi: business hours on %s: interval %v–%v is not within one day", time.Weekday(d), iv.Start, iv.End)
			}
			open = true
		}
	}
	if !open {
		return fmt.Errorf("kpi: business hours are never open")
	}
	return nil
}

// Duration returns the open time between a and b. Each interval is turned
// into instants with the zone's rules, so an interval that spans a
// daylight-saving change lasts one hour more or less than its wall-clock
// length, and a wall-clock time that the change skips becomes the instant
// of the change.
func (b *BusinessHours) Duration(a, c time.Time) time.Duration {
	if !c.After(a) {
		return 0
	}
	var total time.Duration
	day := a.In(b.Location)
	y, m, d := day.Date()
	for {
		midnight := localTime(y, m, d, 0, b.Location)
		if !midnight.Before(c) {
			break
		}
		if len(b.Holidays) == 0 || !b.Holidays[midnight.Format("2006-01-02")] {
			for _, iv := range b.Week[midnight.Weekday()] {
				s := localTime(y, m, d, iv.Start, b.Location)
				e := localTime(y, m, d, iv.End, b.Location)
				s, e = later(s, a), earlier(e, c)
				if e.After(s) {
					total += e.Sub(s)
				}
			}
		}
		d++
	}
	return total
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
