package environment

import (
	"time"

	"github.com/creditgraph/creditgraph/vocab"
)

// EIA integrity scoring of environmental-impact-assessment compilers and practitioners
// (环评失信记分, domain.md §3.5): points accumulate over a one-year cycle that starts when the
// integrity file is opened; the scale's warning points (10 today) bring a warning, its
// restriction points (20) a rectification list for its months (6) and a new cycle — the dated
// ScaleRule rows of EIA_POINTS, each act judged by the version of its day; a ban puts the unit
// on the blacklist while it runs, and no points are scored then. Listings are public for five
// years, and reports from a listed unit or person are refused while it is restricted or banned.

// EIAStatus is where a provider or practitioner stands.
type EIAStatus string

// The statuses.
const (
	EIANormal      EIAStatus = "NORMAL"
	EIAWarning     EIAStatus = "WARNING"
	EIARestricted  EIAStatus = "RESTRICTED"  // on the rectification list
	EIABlacklisted EIAStatus = "BLACKLISTED" // banned from compiling reports
)

// EIAPoints is one scored act.
type EIAPoints struct {
	Points int
	On     time.Time
}

// EIABan is a ban on compiling EIA reports: from its first day to the day before Until, or for
// good when Until is zero.
type EIABan struct {
	From, Until time.Time
}

// runs reports whether the ban is in force on day.
func (b EIABan) runs(day time.Time) bool {
	return !day.Before(b.From) && (b.Until.IsZero() || day.Before(b.Until))
}

// LastDay is the ban's last day, zero for a ban for good.
func (b EIABan) LastDay() time.Time {
	if b.Until.IsZero() {
		return time.Time{}
	}
	return b.Until.AddDate(0, 0, -1)
}

// EIARectification is one rectification listing: from the day the points reached the
// restriction threshold through its last day (inclusive).
type EIARectification struct {
	From, Until time.Time
}

// EIAState is the outcome of scoring at a day.
type EIAState struct {
	Status          EIAStatus
	CyclePoints     int       // points in the current cycle
	CycleStart      time.Time // start of the current cycle
	RestrictedFrom  time.Time // the day the latest rectification began, if any
	RestrictedUntil time.Time // the last day of the rectification that ends last (inclusive), if any
	BannedFrom      time.Time // the first day of the ban in force, when blacklisted
	// Rectifications are every rectification listing of the history, oldest first, and Bans
	// every ban begun by the day: each is a listing, public for its rule's years whether or
	// not it still restricts.
	Rectifications []EIARectification
	Bans           []EIABan
}

// EIAScale is the EIA_POINTS scale version in force on a day.
type EIAScale func(day time.Time) (vocab.ScaleParams, error)

// EvaluateEIA scores a unit's acts (in date order) up to at. fileOpened starts the first
// cycle, which lasts a year; each cycle starts where the last ended. An act during a ban is not
// scored. Points reaching the restriction threshold of the scale version in force on the act's
// day put the unit on the rectification list that day for that version's months — a scored act
// is judged by the rules of its day, not by later ones — and start a new cycle. At at the unit
// is BLACKLISTED while a ban runs, RESTRICTED while a rectification runs, WARNING with the
// current cycle's points at the warning threshold in force at at, NORMAL otherwise.
func EvaluateEIA(scaleAt EIAScale, fileOpened time.Time, acts []EIAPoints, bans []EIABan, at time.Time) (EIAState, error) {
	st := EIAState{CycleStart: fileOpened}
	banned := func(day time.Time) (EIABan, bool) {
		for _, b := range bans {
			if b.runs(day) {
				return b, true
			}
		}
		return EIABan{}, false
	}
	for _, b := range bans {
		if !b.From.After(at) && (b.Until.IsZero() || b.Until.After(b.From)) {
			st.Bans = append(st.Bans, b)
		}
	}
	for _, a := range acts {
		if a.On.After(at) {
			break
		}
		if _, ok := banned(a.On); ok {
			continue
		}
		for !a.On.Before(vocab.AddMonths(st.CycleStart, 12)) {
			st.CycleStart, st.CyclePoints = vocab.AddMonths(st.CycleStart, 12), 0
		}
		st.CyclePoints += a.Points
		scale, err := scaleAt(a.On)
		if err != nil {
			return EIAState{}, err
		}
		if st.CyclePoints >= scale.RestrictionPoints {
			// Months counted as 民法典 art. 202 counts them, from the day the threshold was reached.
			r := EIARectification{a.On, vocab.AddMonths(a.On, scale.RectifyMonths)}
			if n := len(st.Rectifications); n == 0 || !st.Rectifications[n-1].From.Equal(r.From) {
				st.Rectifications = append(st.Rectifications, r)
			}
			st.RestrictedFrom = r.From
			if r.Until.After(st.RestrictedUntil) {
				st.RestrictedUntil = r.Until
			}
			st.CycleStart, st.CyclePoints = a.On, 0 // the cycle restarts with the listing
		}
	}
	for !at.Before(vocab.AddMonths(st.CycleStart, 12)) {
		st.CycleStart, st.CyclePoints = vocab.AddMonths(st.CycleStart, 12), 0
	}
	scale, err := scaleAt(at)
	if err != nil {
		return EIAState{}, err
	}
	b, isBanned := banned(at)
	switch {
	case isBanned:
		st.Status, st.BannedFrom = EIABlacklisted, b.From
	case !st.RestrictedUntil.IsZero() && !st.RestrictedUntil.Before(at):
		st.Status = EIARestricted
	case st.CyclePoints >= scale.WarningPoints:
		st.Status = EIAWarning
	default:
		st.Status = EIANormal
	}
	return st, nil
}

// AcceptsReports reports whether an EIA report from the unit may be accepted at the day.
func (s EIAState) AcceptsReports() bool {
	return s.Status != EIARestricted && s.Status != EIABlacklisted
}
