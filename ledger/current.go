package ledger

import (
	"context"

	"entgo.io/ent"

	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/intercept"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
)

// An update of one row checks and derives from the row's stored values (OldField): an end
// date against the stored start, a publicity window from the stored listing date, the entity
// whose evaluation follows. ent reads the row once, at the first OldField, and keeps it for
// the mutation. On MySQL that read would see the transaction's snapshot, taken before the
// update waited for the row: two corrections of one row at once — one moving the start, the
// other the end — each passed against the row as it was, and both were stored. currentOld
// makes that first read a locking one (evaluator.Current), before any other hook asks: it
// waits for a transaction writing the row and reads what it committed, and no other may
// change the row until this one ends (the graph test InterleavedCorrectionsKeepDateOrder).

// lockedReadKey marks the context of the read currentOld makes.
type lockedReadKey struct{}

// currentOld reads an updated row's old values, as committed, before the other hooks run.
func currentOld(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if m.Op().Is(ent.OpUpdateOne) {
			if fields := append(m.Fields(), m.ClearedFields()...); len(fields) > 0 {
				// A row the caller may not read, or that is gone, is the update's to report.
				if _, err := m.OldField(context.WithValue(ctx, lockedReadKey{}, true), fields[0]); err != nil && !gen.IsNotFound(err) {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// lockedReads makes the read currentOld marks a locking read.
var lockedReads = intercept.Func(func(ctx context.Context, q intercept.Query) error {
	if ctx.Value(lockedReadKey{}) != nil {
		q.WhereP(evaluator.Current)
	}
	return nil
})
