package ledger

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

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
// job. It is one transaction that locks the rows it ends, so when several instances run it at
// once each record ends, and is announced, once.
func (e *Engine) Expire(ctx context.Context, client *gen.Client) (n int, err error) {
	tx, err := client.Tx(authz.AsSystem(ctx))
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			n = 0
		} else if err = tx.Commit(); err != nil {
			n = 0
		}
	}()
	ctx = gen.NewTxContext(authz.AsSystem(ctx), tx)
	c := tx.Client()
	today := e.today()
	var pens []ending
	err = c.AdministrativePenalty.Query().
		Where(administrativepenalty.StatusEQ(vocab.Published), administrativepenalty.PublicityDeadlineLT(today)).
		Modify(lockEnding(administrativepenalty.FieldDecisionNo, administrativepenalty.FieldDecisionNo)).Scan(ctx, &pens)
	if err != nil {
		return 0, err
	}
	var ids []int
	for _, p := range pens {
		ids = append(ids, p.ID)
	}
	n, err = c.AdministrativePenalty.Update().Where(administrativepenalty.IDIn(ids...), administrativepenalty.StatusEQ(vocab.Published)).
		SetStatus(vocab.Expired).Save(ctx)
	if err != nil {
		return 0, err
	}
	var lists []ending
	err = c.ListEntry.Query().
		Where(listentry.StatusEQ(vocab.Published), listentry.RemovedOnIsNil(), listentry.PlannedEndOnLT(today)).
		Modify(lockEnding(listentry.FieldDecisionNo, listentry.FieldListType)).Scan(ctx, &lists)
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
		events.AfterCommit(ctx, e.Events, events.Event{Type: events.Ended, Kind: vocab.RecordPenalty, Sector: p.Sector, RecordID: p.ID, EntityID: p.EntityID,
			Summary: fmt.Sprintf("penalty EXPIRED (%s)", p.DecisionNo)})
	}
	for _, l := range lists {
		events.AfterCommit(ctx, e.Events, events.Event{Type: events.Ended, Kind: vocab.RecordListEntry, Sector: l.Sector, RecordID: l.ID, EntityID: l.EntityID,
			Summary: fmt.Sprintf("%s EXPIRED (%s)", l.What, l.DecisionNo)})
	}
	return n + m, nil
}

// ending is what Expire reads of a record it ends.
type ending struct {
	ID         int          `json:"id"`
	Sector     vocab.Sector `json:"sector"`
	EntityID   int          `json:"entity_id"`
	DecisionNo string       `json:"decision_no"`
	What       string       `json:"what"` // a listing's list type
}

// lockEnding selects an ending's columns (what: a column naming the kind) and, on MySQL,
// locks the rows (FOR UPDATE) until the transaction ends: another instance running Expire
// waits, then finds them ended. SQLite has one writer at a time and no row locks.
func lockEnding(decisionNo, what string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		s.Select(s.C("id"), s.C("sector"), s.C("entity_id"), s.C(decisionNo), entsql.As(s.C(what), "what"))
		if s.Dialect() != dialect.SQLite {
			s.ForUpdate()
		}
	}
}
