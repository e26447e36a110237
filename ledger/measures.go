package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/hook"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/naturalperson"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
)

// The stored joint-punishment measure applications (domain.md §8) follow every change that
// decides them, in the same transaction: a listing's, a role's at a listed entity (who held it
// on the listing date) and a prior notice's (a reached person is restricted once notified).
// Every read that decides them reads what is committed (evaluator.Current): the writes that
// decide them can run at once. Time alone changes them in one way — a notice's reply deadline
// passing — which the calendar job covers (SyncNoticesDue); planned ends need nothing, the rows
// carry them.

// listingMeasures syncs the applications of the listings a mutation changed.
func (e *Engine) listingMeasures(next ent.Mutator) ent.Mutator {
	return hook.ListEntryFunc(func(ctx context.Context, m *gen.ListEntryMutation) (ent.Value, error) {
		var ids []int
		if m.Op().Is(ent.OpUpdate) { // a bulk update: its rows, before it changes them
			var err error
			if ids, err = m.IDs(authz.AsSystem(ctx)); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if l, ok := v.(*gen.ListEntry); ok {
			ids = append(ids, l.ID)
		}
		if err := claimListings(ctx, m.Client(), ids); err != nil {
			return nil, err
		}
		return v, jointpunishment.Sync(ctx, m.Client(), e.today(), ids...)
	})
}

// roleMeasures syncs the applications of the listings of an entity whose roles changed.
func (e *Engine) roleMeasures(next ent.Mutator) ent.Mutator {
	return hook.EntityRoleFunc(func(ctx context.Context, m *gen.EntityRoleMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		r, ok := v.(*gen.EntityRole)
		if !ok {
			return v, nil
		}
		if err := claim(ctx, m.Client(), []int{r.EntityID}, []int{r.PersonID}); err != nil {
			return nil, err
		}
		ids, err := m.Client().ListEntry.Query().Where(listentry.EntityID(r.EntityID), predicate.ListEntry(evaluator.Current)).IDs(authz.AsSystem(ctx))
		if err != nil {
			return nil, err
		}
		return v, jointpunishment.Sync(ctx, m.Client(), e.today(), ids...)
	})
}

// noticeMeasures syncs the applications of the listings a changed prior notice may complete.
func (e *Engine) noticeMeasures(next ent.Mutator) ent.Mutator {
	return hook.PriorNoticeFunc(func(ctx context.Context, m *gen.PriorNoticeMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		n, ok := v.(*gen.PriorNotice)
		if !ok {
			return v, nil
		}
		return v, e.syncPersons(ctx, m.Client(), n.PersonID)
	})
}

// syncPersons syncs the listings that may reach the persons: their own and those of every
// entity where they held a role.
func (e *Engine) syncPersons(ctx context.Context, c *gen.Client, persons ...int) error {
	if len(persons) == 0 {
		return nil
	}
	ctx = authz.AsSystem(ctx)
	entities, err := c.EntityRole.Query().Where(entityrole.PersonIDIn(persons...), predicate.EntityRole(evaluator.Current)).Unique(true).
		Select(entityrole.FieldEntityID).Ints(ctx)
	if err != nil {
		return err
	}
	if err := claim(ctx, c, entities, persons); err != nil {
		return err
	}
	ids, err := c.ListEntry.Query().Where(listentry.Or(listentry.PersonIDIn(persons...), listentry.EntityIDIn(entities...)),
		predicate.ListEntry(evaluator.Current)).IDs(ctx)
	if err != nil {
		return err
	}
	return jointpunishment.Sync(ctx, c, e.today(), ids...)
}

// SyncNoticesDue syncs the listings of the persons whose prior notices were completed by time
// alone — their reply deadline passed with no reply — since the engine's last run that
// succeeded; on its first run, every such notice. So however long the job did not run or failed
// (a server stopped for weeks, a database away), its next run catches up; syncing twice changes
// nothing. Notices completed by a handled reply were synced by that write.
func (e *Engine) SyncNoticesDue(ctx context.Context, c *gen.Client) error {
	e.notices.Lock()
	defer e.notices.Unlock()
	today := e.today()
	q := c.PriorNotice.Query().Where(priornotice.ReplyDeadlineLT(today), priornotice.RepliedOnIsNil())
	if !e.notices.syncedTo.IsZero() {
		q.Where(priornotice.ReplyDeadlineGTE(e.notices.syncedTo.AddDate(0, 0, -1)))
	}
	persons, err := q.Unique(true).Select(priornotice.FieldPersonID).Ints(authz.AsSystem(ctx))
	if err != nil {
		return err
	}
	for len(persons) > 0 {
		batch := persons[:min(500, len(persons))]
		persons = persons[len(batch):]
		if err := e.syncPersons(ctx, c, batch...); err != nil {
			return err
		}
	}
	e.notices.syncedTo = today
	return nil
}

// claimListings claims the subjects of the listings and the persons holding roles at their
// entities: what deciding the listings' measures reads.
func claimListings(ctx context.Context, c *gen.Client, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	ctx = authz.AsSystem(ctx)
	ls, err := c.ListEntry.Query().Where(listentry.IDIn(ids...)).Select(listentry.FieldEntityID, listentry.FieldPersonID).All(ctx)
	if err != nil {
		return err
	}
	var entities, persons []int
	for _, l := range ls {
		if l.EntityID != 0 {
			entities = append(entities, l.EntityID)
		}
		if l.PersonID != 0 {
			persons = append(persons, l.PersonID)
		}
	}
	if len(entities) > 0 {
		held, err := c.EntityRole.Query().Where(entityrole.EntityIDIn(entities...), predicate.EntityRole(evaluator.Current)).Unique(true).
			Select(entityrole.FieldPersonID).Ints(ctx)
		if err != nil {
			return err
		}
		persons = append(persons, held...)
	}
	return claim(ctx, c, entities, persons)
}

// claim writes the rows of the entities and persons that a measure decision reads (their
// updated_at), in the deciding write's transaction. On one server the locking reads
// (evaluator.Current) make two writes that decide each other take turns. On a Galera cluster
// locks are each node's own and certification compares only the rows written, so a listing and
// the prior notice that completes its reach, written at once on two nodes, each missed the
// other and the measure was not applied until the listing's next write. Every write that
// decides measures — a listing, a role, a prior notice — now writes the subjects it reads, so
// two that decide each other write a common row: the later to commit fails certification and
// runs again (graph's retry), seeing the first. (SQLite runs one writer at a time; the same
// statements run there, so both engines write alike.)
func claim(ctx context.Context, c *gen.Client, entities, persons []int) error {
	now := time.Now()
	for _, t := range []struct {
		table string
		ids   []int
	}{{marketentity.Table, entities}, {naturalperson.Table, persons}} {
		ids := slices.Clone(t.ids)
		slices.Sort(ids) // by primary key, one order for every writer: two claims wait rather than deadlock
		ids = slices.Compact(ids)
		ids = slices.DeleteFunc(ids, func(id int) bool { return id == 0 })
		if len(ids) == 0 {
			continue
		}
		args := []any{now}
		for _, id := range ids {
			args = append(args, id)
		}
		q := "UPDATE " + t.table + " SET updated_at = ? WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
		if _, err := c.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("claiming the %s a measure decision reads: %w", t.table, err)
		}
	}
	return nil
}
