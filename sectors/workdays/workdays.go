// Package workdays counts working days on the official calendar: weekends are off except
// make-up working days (调休), and public holidays are off. Procedural deadlines (repair,
// objections) are counted with it; the calendar itself is data (Holiday rows).
package workdays

import "time"

// Calendar knows the days that differ from the weekly rhythm.
type Calendar struct {
	holidays map[time.Time]bool // weekdays off
	makeUp   map[time.Time]bool // weekend days on
}

// Day is one exception of the calendar.
type Day struct {
	Date    time.Time
	Working bool
}

// New builds a calendar from its exceptions (dates as midnight UTC).
func New(days []Day) Calendar {
	c := Calendar{holidays: map[time.Time]bool{}, makeUp: map[time.Time]bool{}}
	for _, d := range days {
		if d.Working {
			c.makeUp[d.Date] = true
		} else {
			c.holidays[d.Date] = true
		}
	}
	return c
}

// IsWorking reports whether a day is a working day.
func (c Calendar) IsWorking(d time.Time) bool {
	switch {
	case c.makeUp[d]:
		return true
	case c.holidays[d]:
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Add returns the n-th working day after start (start itself does not count): the last day of
// a limit of n working days that starts running on start.
func (c Calendar) Add(start time.Time, n int) time.Time {
	d := start
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorking(d) {
			n--
		}
	}
	return d
}
