// Package revocation takes a penalty out of publication when its decision no longer stands:
// revoked, or confirmed illegal or void, by reconsideration, a court or the department itself.
// The deciding department withdraws it within a time limit counted in working days from the
// day that took effect (SAMR Order 45 art. 11: three working days; domain.md §4). It is the
// department's own act, in the request's transaction — unlike an objection, which the subject
// files and the credit office handles.
package revocation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/workdays"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/vocab"
)

// Withdrawal is why and on what a penalty is withdrawn.
type Withdrawal struct {
	Reason      administrativepenalty.WithdrawalReason
	Basis       string    // the document that revoked the decision or confirmed it illegal or void
	EffectiveOn time.Time // the day that document took effect
}

// Withdraw withdraws penalty id from publication for the reason given: WITHDRAWN, its
// publicity stopped today if it was still public, with the reason, the document, the day it
// took effect and the day the withdrawal was due. Only a supervisor of the deciding department
// may (FORBIDDEN for another caller who sees the penalty, NOT_FOUND for one who does not); the
// evaluation and the events follow from the record hooks.
func Withdraw(ctx context.Context, c *ent.Client, env workflow.Env, id int, w Withdrawal) (*ent.AdministrativePenalty, error) {
	today := env.Clock.Today()
	// Visible to the caller, or not found; locked, so two withdrawals take turns.
	p, err := c.AdministrativePenalty.Query().Where(administrativepenalty.ID(id), predicate.AdministrativePenalty(workflow.ForUpdate)).Only(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := refdata.Owner(ctx, c, p.DepartmentID)
	if err != nil {
		return nil, err
	}
	if !authz.May(authz.FromContext(ctx), authz.Decider, owner) {
		return nil, fmt.Errorf("%w: a penalty is withdrawn from publication by a supervisor of the department that decided it (%s)", derrors.Forbidden, owner.Department)
	}
	w.Basis = strings.TrimSpace(w.Basis)
	switch {
	case administrativepenalty.WithdrawalReasonValidator(w.Reason) != nil:
		return nil, derrors.Field("reason", "unknown reason %q", w.Reason)
	case w.Basis == "":
		return nil, derrors.Field("basis", "name the document that revoked the decision or confirmed it illegal or void")
	case len(w.Basis) > 255:
		return nil, derrors.Field("basis", "is longer than 255 bytes")
	case w.EffectiveOn.After(today):
		return nil, derrors.Field("effectiveOn", "%s is after today (%s): a decision is withdrawn once its revocation has taken effect",
			w.EffectiveOn.Format(time.DateOnly), today.Format(time.DateOnly))
	case w.EffectiveOn.Before(p.DecisionDate):
		return nil, derrors.Field("effectiveOn", "%s is before the decision date %s", w.EffectiveOn.Format(time.DateOnly), p.DecisionDate.Format(time.DateOnly))
	case p.Status == vocab.Withdrawn:
		return nil, fmt.Errorf("%w: the penalty was withdrawn already", derrors.Conflict)
	}
	cal, err := workflow.Calendar(ctx, c)
	if err != nil {
		return nil, err
	}
	n, err := workflow.Limit(ctx, c, "PENALTY", "WITHDRAW", w.EffectiveOn)
	if err != nil {
		return nil, err
	}
	// Whether it is public today is the publicity rule's own answer, asked of the database.
	public := c.AdministrativePenalty.Query().Where(administrativepenalty.ID(id))
	public.Filter().Where(publicity.Predicate(vocab.RecordPenalty, today))
	in, err := public.Exist(authz.AsSystem(ctx))
	if err != nil {
		return nil, err
	}
	upd := c.AdministrativePenalty.UpdateOneID(id).SetStatus(vocab.Withdrawn).SetUnderObjection(false).
		SetWithdrawalReason(w.Reason).SetWithdrawalBasis(w.Basis).SetWithdrawalEffectiveOn(w.EffectiveOn).SetWithdrawBy(cal.Add(w.EffectiveOn, n))
	if in {
		upd.SetPublicityStoppedOn(today)
	}
	if err := upd.Exec(authz.AsSystem(ctx)); err != nil {
		return nil, err
	}
	return c.AdministrativePenalty.Get(ctx, id)
}

// Recount counts every penalty's withdrawBy again on cal, the calendar as it now stands, from
// the day its withdrawal took effect with the time limit in force that day, as Withdraw counted
// it, and stores those that changed. The update is the deadline's alone: no record event, as
// the record itself did not change.
func Recount(ctx context.Context, c *ent.Client, cal workdays.Calendar) ([]workflow.Change, error) {
	ctx = authz.AsSystem(ctx)
	ps, err := c.AdministrativePenalty.Query().Where(administrativepenalty.WithdrawByNotNil(), administrativepenalty.WithdrawalEffectiveOnNotNil()).
		Order(ent.Asc(administrativepenalty.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var changes []workflow.Change
	for _, p := range ps {
		before := len(changes)
		now, err := workflow.Recount(ctx, c, cal, "PENALTY", "WITHDRAW", *p.WithdrawalEffectiveOn, *p.WithdrawBy, "penalty", p.ID, "withdrawBy", &changes)
		if err != nil {
			return nil, err
		}
		if len(changes) > before {
			if err := c.AdministrativePenalty.Update().Where(administrativepenalty.ID(p.ID)).SetWithdrawBy(now).Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}
