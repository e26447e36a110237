package ledger

import (
	"context"
	"fmt"

	"entgo.io/ent"

	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/vocab"
)

// recordEvents publishes, after the transaction commits, an event for every sector record of
// kind that is created (RECORDED; a listing LISTED), corrected (CORRECTED) or ended — its
// status leaves PUBLISHED (ENDED) or a listing is removed (REMOVED). Records exempt from
// consequences (an epidemic waiver) are recorded quietly. Who receives an event is the
// subscriber's scope: the GraphQL subscription shows it only to those who may read the record.
func (e *Engine) recordEvents(kind vocab.RecordType) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			status, statusSet := m.Field("status")
			_, removing := m.Field("removed_on")
			v, err := next.Mutate(ctx, m)
			if err != nil || !m.Op().Is(ent.OpCreate|ent.OpUpdateOne) {
				return v, err
			}
			f, ok := factsOf(v)
			if !ok || f.exempt {
				return v, nil
			}
			ev := events.Event{Kind: kind, Sector: f.sector, RecordID: f.id, EntityID: f.entityID}
			switch {
			case m.Op().Is(ent.OpCreate) && kind == vocab.RecordListEntry:
				ev.Type, ev.Summary = events.Listed, fmt.Sprintf("%s listed (%s)", f.what, f.ref)
			case m.Op().Is(ent.OpCreate):
				ev.Type, ev.Summary = events.Recorded, fmt.Sprintf("%s recorded (%s)", f.what, f.ref)
			case removing && f.removed:
				ev.Type, ev.Summary = events.Removed, fmt.Sprintf("%s removed (%s)", f.what, f.ref)
			case statusSet && status != vocab.Published:
				ev.Type, ev.Summary = events.Ended, fmt.Sprintf("%s %s (%s)", f.what, status, f.ref)
			default:
				ev.Type, ev.Summary = events.Corrected, fmt.Sprintf("%s corrected (%s)", f.what, f.ref)
			}
			events.AfterCommit(ctx, e.Events, ev)
			return v, nil
		})
	}
}

// facts are what an event says about a record.
type facts struct {
	id, entityID int
	sector       vocab.Sector
	what, ref    string // the record's kind in words and its reference (decision or licence number …)
	exempt       bool
	removed      bool
}

func factsOf(v ent.Value) (facts, bool) {
	switch r := v.(type) {
	case *gen.AdministrativePenalty:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: "penalty", ref: r.DecisionNo, exempt: r.Exemption != ""}, true
	case *gen.AdministrativeLicense:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: "licence", ref: r.LicenseNo}, true
	case *gen.ListEntry:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: string(r.ListType), ref: r.DecisionNo,
			exempt: r.Exemption != "", removed: r.RemovedOn != nil}, true
	case *gen.SectorRating:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: string(r.Scheme) + " rating", ref: r.Grade}, true
	case *gen.SpotCheck:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: "spot check", ref: r.TaskID}, true
	case *gen.CreditCommitment:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: "commitment", ref: string(r.Kind)}, true
	case *gen.RedListEntry:
		return facts{id: r.ID, entityID: r.EntityID, sector: r.Sector, what: string(r.ListType), ref: r.DecisionNo, removed: r.RemovedOn != nil}, true
	}
	return facts{}, false
}

// ObserveTiers makes the evaluation recomputes in ctx publish a TIER_CHANGED event, after
// commit, for every entity whose risk tier they change — when anyone may subscribe
// (events.Broker.Wanted): with no subscriber the recompute does not read the old tiers.
func (e *Engine) ObserveTiers(ctx context.Context) context.Context {
	if !e.Events.Wanted() {
		return ctx
	}
	return evaluator.ObserveTiers(ctx, func(ctx context.Context, t evaluator.TierChange) {
		from := string(t.From)
		if from == "" {
			from = "none"
		}
		events.AfterCommit(ctx, e.Events, events.Event{Type: events.TierChanged, RecordID: t.EntityID, EntityID: t.EntityID,
			Summary: fmt.Sprintf("risk tier %s → %s", from, t.To)})
	})
}
