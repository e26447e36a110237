// Package environment holds the ecology & environment sector's rules: Jiangsu's 12-point
// dynamic enterprise environmental credit score (江苏省企事业环保信用评价, domain.md §3.1) and
// the EIA integrity scoring of third-party service providers and practitioners (§3.5).
package environment

import (
	"time"

	"github.com/creditgraph/creditgraph/vocab"
)

// Colour is the environmental credit colour of a score.
type Colour string

// The colours, best first.
const (
	Green  Colour = "GREEN"  // 环保诚信
	Blue   Colour = "BLUE"   // 环保良好
	Yellow Colour = "YELLOW" // 警示
	Red    Colour = "RED"    // 较重失信
	Black  Colour = "BLACK"  // 严重失信
)

// ColourOf maps a score to its colour under the scale version in force (a ScaleRule row of
// ENV_CREDIT_JS: today GREEN 11–12, BLUE 6–10, YELLOW 3–5, RED 1–2, BLACK ≤ 0).
func ColourOf(scale vocab.ScaleParams, score int) Colour {
	for _, b := range scale.Bands {
		if score >= b.MinScore {
			return Colour(b.Grade)
		}
	}
	if n := len(scale.Bands); n > 0 {
		return Colour(scale.Bands[n-1].Grade)
	}
	return Black
}

// Event changes a score for a period: a deduction (negative points, 1 for a warning up to 12
// for an environmental crime) or a bonus (a credit commitment kept, front-runner status).
type Event struct {
	Points        int
	EffectiveFrom time.Time
	// ExpiresOn is the first day the event no longer counts; zero for never.
	ExpiresOn time.Time
}

// Score is the dynamic score at a day: the scale's initial score (9) plus every event in effect,
// capped at its maximum (12).
func Score(scale vocab.ScaleParams, events []Event, at time.Time) int {
	return ScoreFrom(scale, Base{Score: scale.InitialScore}, events, at)
}

// Base is where a score starts: the scale's initial score, or a score imported from the
// provincial system as of a day (Since), which already holds the events before it.
type Base struct {
	Score int
	Since time.Time // zero for the initial score
}

// ScoreFrom is the dynamic score at a day starting from base: the events in effect that take
// effect after base.Since are added, capped at the scale's maximum.
func ScoreFrom(scale vocab.ScaleParams, base Base, events []Event, at time.Time) int {
	s := base.Score
	for _, e := range events {
		if e.EffectiveFrom.After(at) || !e.ExpiresOn.IsZero() && !e.ExpiresOn.After(at) ||
			!base.Since.IsZero() && !e.EffectiveFrom.After(base.Since) {
			continue
		}
		s += e.Points
	}
	return min(s, scale.MaxScore)
}

// HalfYear is the snapshot period of a day (2026H1, 2026H2): the price levers (electricity and
// sewage surcharges for RED and BLACK) are settled on the last day of each half-year.
func HalfYear(at time.Time) (label string, last time.Time) {
	if at.Month() <= 6 {
		return at.Format("2006") + "H1", time.Date(at.Year(), 6, 30, 0, 0, 0, 0, time.UTC)
	}
	return at.Format("2006") + "H2", time.Date(at.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
}

// Snapshot is the score and colour a unit had on the last day of the half-year containing at.
func Snapshot(scale vocab.ScaleParams, events []Event, at time.Time) (label string, score int, colour Colour) {
	label, last := HalfYear(at)
	score = Score(scale, events, last)
	return label, score, ColourOf(scale, score)
}
