// Package publicity describes records' publicity windows (公示期, domain.md §4). The windows are
// computed on write from the dated rule table (PublicityRule) and stored on the record, so the
// public and cross-department views can filter on them in SQL at query time, with no job.
package publicity

import (
	"time"

	"github.com/creditgraph/creditgraph/ent"
)

// Window is a record's publicity window.
type Window struct {
	Start      time.Time
	MinEnd     *time.Time
	MaxEnd     *time.Time
	StoppedOn  *time.Time
	Repairable bool
}

// OfPenalty is a penalty's window, or nil when no rule covered its decision date.
func OfPenalty(p *ent.AdministrativePenalty) *Window {
	if p.PublicityStart == nil {
		return nil
	}
	return &Window{Start: *p.PublicityStart, MinEnd: p.PublicityMinEnd, MaxEnd: p.PublicityDeadline,
		StoppedOn: p.PublicityStoppedOn, Repairable: p.Repairable}
}

// OfListing is a list entry's window: from listing to planned end, stopped by removal.
func OfListing(l *ent.ListEntry) *Window {
	return &Window{Start: l.ListedOn, MinEnd: l.PublicityMinEnd, MaxEnd: l.PlannedEndOn, StoppedOn: l.RemovedOn, Repairable: l.Repairable}
}
