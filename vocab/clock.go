package vocab

import "time"

// chinaTZ is where calendar days are judged.
var chinaTZ = time.FixedZone("CST", 8*3600)

// Clock is the one source of time of the credit graph. It is built at the composition root
// and passed to every room that needs "now" or "today", so tests set the time instead of
// waiting for it.
type Clock func() time.Time

// SystemClock reads the machine's time; main wires it.
var SystemClock Clock = time.Now

// FixedClock always answers t; tests use it.
func FixedClock(t time.Time) Clock { return func() time.Time { return t } }

// Now is the current instant.
func (c Clock) Now() time.Time { return c() }

// Today is the current calendar date in China as midnight UTC, the form dates are stored in.
func (c Clock) Today() time.Time { return DateOf(c()) }

// DateOf is the calendar date in China of an instant, as midnight UTC.
func DateOf(t time.Time) time.Time {
	n := t.In(chinaTZ)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// DayStart is the instant, in UTC, at which a calendar date (midnight UTC, as dates are
// stored) begins in China: what a count of instants by day (the repair report's steps) takes
// as a day's bounds, so an instant belongs to the day DateOf gives it.
func DayStart(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, chinaTZ).UTC()
}

// AddMonths is the last day of a period of n calendar months that starts on day, as 民法典
// arts. 201–202 count it: the start day itself is not counted, and the period ends on the
// corresponding day of the last month — or on that month's last day when it has none
// (2026-01-31 + 1 month = 2026-02-28; 2024-02-29 + 12 months = 2025-02-28). Go's AddDate
// normalises instead (2026-01-31 + 1 month = 2026-03-03), which dates month-end records late.
// n may be negative (the day a period of -n months ending on day began).
func AddMonths(day time.Time, n int) time.Time {
	y, m, d := day.Date()
	first := time.Date(y, m+time.Month(n), 1, day.Hour(), day.Minute(), day.Second(), day.Nanosecond(), day.Location())
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}
