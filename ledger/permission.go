package ledger

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/sectors/refdata"
)

// The permission check answers first. ent runs the engine's hooks before a type's privacy
// policy (they derive what the policy judges: a record's sector), so a rule of theirs could
// answer a caller that may not make the write at all — a date "before the stored validFrom",
// a number already taken, a record already stored under a source key — and tell it what is
// stored. permissionFirst is the outermost hook: when a write is refused for anything that is
// the row's doing, it asks the type's policy, and a caller the policy refuses hears that
// refusal instead. A hook that answers without calling the next (once) asks the policy first
// itself (mayWrite).
func permissionFirst(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err == nil || denied(err) || !RowFault(err) {
			return v, err
		}
		// A caller refused, or one that cannot see the row it changes (its policy reads the
		// stored row as the caller), hears that.
		if perr := mayWrite(ctx, m); denied(perr) || gen.IsNotFound(perr) {
			return nil, perr
		}
		return v, err
	})
}

// mayWrite evaluates the policy of m's type on m: nil when the policy lets the write go on.
func mayWrite(ctx context.Context, m ent.Mutation) error {
	policy := gen.PolicyOf(m.Type())
	if policy == nil {
		return fmt.Errorf("%w: %s has no privacy policy", privacy.Deny, m.Type())
	}
	if rm, ok := m.(recordMutation); ok && m.Op().Is(ent.OpCreate) {
		withSector(ctx, rm)
	}
	return policy.EvalMutation(ctx, m)
}

// withSector sets on a record's create the sector the record hook derives, when that hook has
// not run yet, so the policy judges the record the create makes: a listing recorded in the
// credit office's department is of its list type's sector. What fails here is left for the
// record hook to report.
func withSector(ctx context.Context, m recordMutation) {
	if _, set := m.Field("sector"); set {
		return
	}
	depID, ok := m.DepartmentID()
	if !ok {
		return
	}
	dep, err := refdata.Department(ctx, m, depID)
	if err != nil {
		return
	}
	if s, err := sectorOf(m, dep); err == nil {
		m.SetSector(s)
	}
}

// denied reports whether err is a permission check's refusal.
func denied(err error) bool {
	return err != nil && (errors.Is(err, privacy.Deny) || errors.Is(err, derrors.Forbidden))
}
