package ledger

import (
	"context"
	"fmt"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/vocab"
)

// Expire moves to EXPIRED the published records whose publicity window has ended (domain.md §4:
// PUBLISHED → EXPIRED, 公示期满): penalties after their publicity deadline, listings after their
// planned end that were not removed. The rows stay for the departments that keep them; the
// public and other departments stopped seeing them on the day after the window (the publicity
// predicate reads the dates), so this changes what records read, not who sees them. It
// returns how many rows changed; the server runs it at start and with the lapsed-evaluation
// job.
func (e *Engine) Expire(ctx context.Context, c *gen.Client) (int, error) {
	ctx = authz.AsSystem(ctx)
	today := e.today()
	pens, err := c.AdministrativePenalty.Query().
		Where(administrativepenalty.StatusEQ(vocab.Published), administrativepenalty.PublicityDeadlineLT(today)).
		Select(administrativepenalty.FieldID, administrativepenalty.FieldSector, administrativepenalty.FieldEntityID, administrativepenalty.FieldDecisionNo).All(ctx)
	if err != nil {
		return 0, err
	}
	var ids []int
	for _, p := range pens {
		ids = append(ids, p.ID)
	}
	n, err := c.AdministrativePenalty.Update().Where(administrativepenalty.IDIn(ids...), administrativepenalty.StatusEQ(vocab.Published)).
		SetStatus(vocab.Expired).Save(ctx)
	if err != nil {
		return 0, err
	}
	lists, err := c.ListEntry.Query().
		Where(listentry.StatusEQ(vocab.Published), listentry.RemovedOnIsNil(), listentry.PlannedEndOnLT(today)).
		Select(listentry.FieldID, listentry.FieldSector, listentry.FieldEntityID, listentry.FieldListType, listentry.FieldDecisionNo).All(ctx)
	if err != nil {
		return n, err
	}
	ids = ids[:0]
	for _, l := range lists {
		ids = append(ids, l.ID)
	}
	m, err := c.ListEntry.Update().Where(listentry.IDIn(ids...), listentry.StatusEQ(vocab.Published)).SetStatus(vocab.Expired).Save(ctx)
	if err != nil {
		return n, err
	}
	// Each ended record is an event for those who follow it.
	for _, p := range pens {
		e.Events.Publish(events.Event{Type: events.Ended, Kind: vocab.RecordPenalty, Sector: p.Sector, RecordID: p.ID, EntityID: p.EntityID,
			Summary: fmt.Sprintf("penalty EXPIRED (%s)", p.DecisionNo)})
	}
	for _, l := range lists {
		e.Events.Publish(events.Event{Type: events.Ended, Kind: vocab.RecordListEntry, Sector: l.Sector, RecordID: l.ID, EntityID: l.EntityID,
			Summary: fmt.Sprintf("%s EXPIRED (%s)", l.ListType, l.DecisionNo)})
	}
	return n + m, nil
}
