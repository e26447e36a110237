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
