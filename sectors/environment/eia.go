package environment

import (
	"time"

	"github.com/creditgraph/creditgraph/vocab"
)

// EIA integrity scoring of environmental-impact-assessment compilers and practitioners
// (环评失信记分, domain.md §3.5): points accumulate over a one-year cycle that starts when the
// integrity file is opened; the scale's warning points (10 today) bring a warning, its
// restriction points (20) a rectification list for its months (6) and a new cycle — the dated
// ScaleRule rows of EIA_POINTS; a ban puts the unit on the blacklist, where no points are scored. Listings are
// public for five years, and reports from a listed unit or person are refused while listed.

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

// EIAState is the outcome of scoring at a day.
type EIAState struct {
	Status          EIAStatus
	CyclePoints     int       // points in the current cycle
	CycleStart      time.Time // start of the current cycle
	RestrictedFrom  time.Time // the day the points reached the restriction threshold, if they did
	BannedFrom      time.Time // the first day of the ban in force, when blacklisted
	RestrictedUntil time.Time // the last day of the rectification restriction (inclusive), if any
}

// EvaluateEIA scores a unit's acts up to at. fileOpened starts the first cycle; banUntil, when
// after at, means a ban is in force.
func EvaluateEIA(scale vocab.ScaleParams, fileOpened time.Time, acts []EIAPoints, banUntil, at time.Time) EIAState {
	if banUntil.After(at) {
		return EIAState{Status: EIABlacklisted}
	}
	st := EIAState{CycleStart: fileOpened}
	for _, a := range acts { // acts in date order
		if a.On.After(at) {
			break
		}
		for !a.On.Before(vocab.AddMonths(st.CycleStart, 12)) {
			st.CycleStart, st.CyclePoints = vocab.AddMonths(st.CycleStart, 12), 0
		}
		st.CyclePoints += a.Points
		if st.CyclePoints >= scale.RestrictionPoints {
			// Months counted as 民法典 art. 202 counts them, from the day the threshold was reached.
			st.RestrictedFrom, st.RestrictedUntil = a.On, vocab.AddMonths(a.On, scale.RectifyMonths)
			st.CycleStart, st.CyclePoints = a.On, 0 // the cycle restarts with the listing
		}
	}
	for !at.Before(vocab.AddMonths(st.CycleStart, 12)) {
		st.CycleStart, st.CyclePoints = vocab.AddMonths(st.CycleStart, 12), 0
	}
	switch {
	case !st.RestrictedUntil.IsZero() && !st.RestrictedUntil.Before(at):
		st.Status = EIARestricted
	case st.CyclePoints >= scale.WarningPoints:
		st.Status = EIAWarning
	default:
		st.Status = EIANormal
	}
	return st
}

// AcceptsReports reports whether an EIA report from the unit may be accepted at the day.
func (s EIAState) AcceptsReports() bool {
	return s.Status != EIARestricted && s.Status != EIABlacklisted
}
