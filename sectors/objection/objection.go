// Package objection handles objections (异议, domain.md §6) against a penalty, a listing or a
// sector rating: accepting one marks the record "under objection" for everyone who can see it
// (and takes it out of automatic joint punishment and the evaluation); the credit office checks
// it or forwards it to the providing department, which decides with reasons; an upheld
// objection corrects or withdraws the record. Each step is in the request's transaction, with its time limit in working days.
package objection

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/objection"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/workdays"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/vocab"
)

// State is an objection's state.
type State = objection.State

// Transitions is the state machine of domain.md §6 with who may make each step.
var Transitions = workflow.Machine[State]{
	objection.StateSUBMITTED: {{To: objection.StateACCEPTED, Actor: authz.CreditOffice}, {To: objection.StateNOT_ACCEPTED, Actor: authz.CreditOffice, Reason: true}},
	objection.StateACCEPTED:  {{To: objection.StatePLATFORM_CHECK, Actor: authz.CreditOffice}},
	objection.StatePLATFORM_CHECK: {
		{To: objection.StateUPHELD, Actor: authz.CreditOffice, Reason: true}, {To: objection.StateFORWARDED, Actor: authz.CreditOffice}},
	objection.StateFORWARDED: {{To: objection.StatePROVIDER_CHECK, Actor: authz.Determining}},
	objection.StatePROVIDER_CHECK: {
		{To: objection.StateUPHELD, Actor: authz.Determining, Reason: true}, {To: objection.StateREJECTED, Actor: authz.Determining, Reason: true}},
	objection.StateUPHELD:   {{To: objection.StateCLOSED, Actor: authz.CreditOffice}},
	objection.StateREJECTED: {{To: objection.StateCLOSED, Actor: authz.CreditOffice}},
}

// step limits: the time limit that starts when an objection enters a state (domain.md §6): the
// mark within 1 working day of filing, the platform's check within 5 of acceptance, the
// provider's decision within its own 5 of being forwarded.
var stepLimit = map[State]string{
	objection.StateSUBMITTED: "MARK",
	objection.StateACCEPTED:  "PLATFORM_CHECK",
	objection.StateFORWARDED: "PROVIDER_CHECK",
}

// keepsDeadline are the states that continue the stage before them: the platform's check keeps
// its 5 days, and the provider's check its own.
var keepsDeadline = map[State]bool{objection.StatePLATFORM_CHECK: true, objection.StatePROVIDER_CHECK: true}

// forwardLimit is the platform's time limit to forward what it cannot decide, from the start
// of its check.
const forwardLimit = "FORWARD"

// openStates are the states of an objection still being handled.
var openStates = []State{objection.StateSUBMITTED, objection.StateACCEPTED, objection.StatePLATFORM_CHECK,
	objection.StateFORWARDED, objection.StatePROVIDER_CHECK}

// Ref names the record objected to: exactly one of its IDs is set.
type Ref struct{ PenaltyID, ListEntryID, RatingID int }

// refOf is the record an objection is against.
func refOf(o *ent.Objection) Ref { return Ref{o.PenaltyID, o.ListEntryID, o.RatingID} }

// Filing is a new objection.
type Filing struct {
	Ref
	Grounds     objection.Grounds
	Description string
}

type record struct {
	sector       vocab.Sector
	departmentID int
	underObj     bool
	entityID     int
	personID     int
	owner        authz.Owner // who decided it, and its subject
}

// load reads the record objected to, locked, with its owner.
func load(ctx context.Context, c *ent.Client, ref Ref) (record, error) {
	rec, err := lockRecord(ctx, c, ref)
	if err != nil {
		return record{}, err
	}
	rec.owner, err = refdata.Owner(ctx, c, rec.departmentID)
	rec.owner.Entity, rec.owner.Person = rec.entityID, rec.personID
	return rec, err
}

func lockRecord(ctx context.Context, c *ent.Client, ref Ref) (record, error) {
	named := 0
	for _, id := range []int{ref.PenaltyID, ref.ListEntryID, ref.RatingID} {
		if id != 0 {
			named++
		}
	}
	switch {
	case named != 1:
		return record{}, derrors.Field("penaltyID", "name exactly one record: penaltyID, listEntryID or ratingID")
	case ref.PenaltyID != 0:
		p, err := c.AdministrativePenalty.Query().Where(administrativepenalty.ID(ref.PenaltyID), predicate.AdministrativePenalty(workflow.ForUpdate)).Only(ctx)
		if err != nil {
			return record{}, err
		}
		return record{sector: p.Sector, departmentID: p.DepartmentID, underObj: p.UnderObjection, entityID: p.EntityID, personID: p.PersonID}, nil
	case ref.ListEntryID != 0:
		l, err := c.ListEntry.Query().Where(listentry.ID(ref.ListEntryID), predicate.ListEntry(workflow.ForUpdate)).Only(ctx)
		if err != nil {
			return record{}, err
		}
		return record{sector: l.Sector, departmentID: l.DepartmentID, underObj: l.UnderObjection, entityID: l.EntityID, personID: l.PersonID}, nil
	}
	r, err := c.SectorRating.Query().Where(sectorrating.ID(ref.RatingID), predicate.SectorRating(workflow.ForUpdate)).Only(ctx)
	if err != nil {
		return record{}, err
	}
	return record{sector: r.Sector, departmentID: r.DepartmentID, underObj: r.UnderObjection, entityID: r.EntityID, personID: r.PersonID}, nil
}

// mark sets or clears the record's objection mark; the record hooks recompute the evaluation.
func mark(ctx context.Context, c *ent.Client, ref Ref, on bool) error {
	ctx = authz.AsSystem(ctx)
	switch {
	case ref.PenaltyID != 0:
		return c.AdministrativePenalty.UpdateOneID(ref.PenaltyID).SetUnderObjection(on).Exec(ctx)
	case ref.ListEntryID != 0:
		return c.ListEntry.UpdateOneID(ref.ListEntryID).SetUnderObjection(on).Exec(ctx)
	}
	return c.SectorRating.UpdateOneID(ref.RatingID).SetUnderObjection(on).Exec(ctx)
}

// withdraw takes the record out of publicity on day after an upheld objection: WITHDRAWN, its
// publicity stopped (a penalty), the listing removed with the reason CORRECTED, or the rating
// no longer held by anyone who reads or evaluates it.
func withdraw(ctx context.Context, c *ent.Client, ref Ref, day time.Time) error {
	ctx = authz.AsSystem(ctx)
	switch {
	case ref.PenaltyID != 0:
		return c.AdministrativePenalty.UpdateOneID(ref.PenaltyID).SetUnderObjection(false).SetStatus(vocab.Withdrawn).
			SetPublicityStoppedOn(day).Exec(ctx)
	case ref.ListEntryID != 0:
		return c.ListEntry.UpdateOneID(ref.ListEntryID).SetUnderObjection(false).SetStatus(vocab.Withdrawn).
			SetRemovedOn(day).SetRemovalReason(listentry.RemovalReasonCORRECTED).Exec(ctx)
	}
	return c.SectorRating.UpdateOneID(ref.RatingID).SetUnderObjection(false).SetStatus(vocab.Withdrawn).Exec(ctx)
}

func actor(ctx context.Context) *authz.Viewer {
	if v := authz.FromContext(ctx); v != nil {
		return v
	}
	return &authz.Viewer{TokenName: "system", Role: "system"}
}

// File records an objection against a record the caller can see. The record is marked when the
// credit office accepts it (domain.md §6: SUBMITTED → ACCEPTED + objectionMark | NOT_ACCEPTED).
func File(ctx context.Context, c *ent.Client, env workflow.Env, f Filing) (*ent.Objection, error) {
	today := env.Clock.Today()
	rec, err := load(ctx, c, f.Ref) // not found when the caller cannot see it
	if err != nil {
		return nil, err
	}
	v := actor(ctx)
	if !authz.May(v, authz.Filer, rec.owner) {
		return nil, fmt.Errorf("%w: objections are filed through the credit office or the record's sector", derrors.Forbidden)
	}
	// One objection at a time: the record is locked (load), and another still open refuses this
	// (read as committed: a filing that held the lock before this one is seen).
	open := c.Objection.Query().Where(objection.StateIn(openStates...), predicate.Objection(workflow.ForUpdate))
	switch {
	case f.PenaltyID != 0:
		open.Where(objection.PenaltyID(f.PenaltyID))
	case f.ListEntryID != 0:
		open.Where(objection.ListEntryID(f.ListEntryID))
	default:
		open.Where(objection.RatingID(f.RatingID))
	}
	if busy, err := open.Exist(authz.AsSystem(ctx)); err != nil || busy || rec.underObj {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: an objection against this record is already being handled", derrors.Conflict)
	}
	cal, err := workflow.Calendar(ctx, c)
	if err != nil {
		return nil, err
	}
	n, err := workflow.Limit(ctx, c, "OBJECTION", stepLimit[objection.StateSUBMITTED], today)
	if err != nil {
		return nil, err
	}
	create := c.Objection.Create().SetDepartmentID(rec.departmentID).SetGrounds(f.Grounds).SetDescription(f.Description).
		SetFiledOn(today).SetDueOn(cal.Add(today, n)).
		SetHistory([]vocab.WorkflowStep{{To: string(objection.StateSUBMITTED), Actor: v.TokenName, Role: v.Role, Department: v.Department, At: env.Clock.Now()}})
	switch {
	case f.PenaltyID != 0:
		create.SetPenaltyID(f.PenaltyID)
	case f.ListEntryID != 0:
		create.SetListEntryID(f.ListEntryID)
	default:
		create.SetRatingID(f.RatingID)
	}
	o, err := create.Save(authz.AsSystem(ctx))
	if err != nil {
		return nil, err
	}
	// Not marked yet: the credit office's acceptance marks the record (Transition), so filing
	// alone — which a subject may do about its own records — suspends nothing.
	return c.Objection.Get(ctx, o.ID)
}

// Transition moves an objection to state to with its effects on the record.
//
// Upholding an objection records what it changed: grounds that the record should not be public
// (should not be published, past its period, a duplicate, private) take it out of publicity,
// dated, with the removal's reason; grounds that it is wrong, incomplete or differs from its
// source need the correction, and the record stays public, corrected (domain.md §6).
func Transition(ctx context.Context, c *ent.Client, env workflow.Env, id int, to State, reason, correction string) (*ent.Objection, error) {
	today := env.Clock.Today()
	if err := objection.StateValidator(to); err != nil {
		return nil, derrors.Field("to", "unknown state %q", to)
	}
	o, err := c.Objection.Query().Where(objection.ID(id), predicate.Objection(workflow.ForUpdate)).Only(ctx) // one step at a time
	if err != nil {
		return nil, err
	}
	rec, err := load(authz.AsSystem(ctx), c, refOf(o))
	if err != nil {
		return nil, err
	}
	v := actor(ctx)
	if _, err := Transitions.Step("an objection", o.State, to, v, rec.owner, reason); err != nil {
		return nil, err
	}
	upd := c.Objection.UpdateOneID(id).SetState(to).SetDecisionReason(reason).
		SetHistory(append(o.History, vocab.WorkflowStep{From: string(o.State), To: string(to), Actor: v.TokenName, Role: v.Role,
			Department: v.Department, Reason: reason, At: env.Clock.Now()}))
	limit := func(step string) (time.Time, error) {
		cal, err := workflow.Calendar(ctx, c)
		if err != nil {
			return time.Time{}, err
		}
		n, err := workflow.Limit(ctx, c, "OBJECTION", step, today)
		return cal.Add(today, n), err
	}
	switch step, ok := stepLimit[to]; {
	case ok:
		due, err := limit(step)
		if err != nil {
			return nil, err
		}
		upd.SetDueOn(due)
	case keepsDeadline[to]:
	default:
		upd.ClearDueOn()
	}
	if to == objection.StatePLATFORM_CHECK {
		by, err := limit(forwardLimit)
		if err != nil {
			return nil, err
		}
		upd.SetForwardBy(by)
	} else {
		upd.ClearForwardBy()
	}
	switch to {
	case objection.StateACCEPTED: // the mark (异议处理中): the record's measures are suspended
		err = mark(ctx, c, refOf(o), true)
	case objection.StateNOT_ACCEPTED, objection.StateREJECTED:
		err = mark(ctx, c, refOf(o), false)
	case objection.StateUPHELD:
		correction = strings.TrimSpace(correction)
		switch o.Grounds {
		case objection.GroundsSHOULD_NOT_PUBLISH, objection.GroundsPAST_PERIOD, objection.GroundsDUPLICATE, objection.GroundsPRIVACY:
			if correction == "" {
				correction = fmt.Sprintf("withdrawn from publicity (%s)", o.Grounds)
			}
			err = withdraw(ctx, c, refOf(o), today)
		default:
			if correction == "" {
				return nil, derrors.Field("correction", "upholding an objection that the record is %s needs the correction made to it", o.Grounds)
			}
			err = mark(ctx, c, refOf(o), false) // corrected, still public
		}
		upd.SetCorrection(correction).SetCorrectedOn(today)
	}
	if err != nil {
		return nil, err
	}
	if _, err := upd.Save(authz.AsSystem(ctx)); err != nil {
		return nil, err
	}
	switch to {
	case objection.StateNOT_ACCEPTED, objection.StateUPHELD, objection.StateREJECTED:
		events.AfterCommit(ctx, env.Events, events.Event{Type: events.ObjectionDecision, Sector: rec.sector, RecordID: o.PenaltyID + o.ListEntryID + o.RatingID,
			Document: id, Summary: fmt.Sprintf("objection %d: %s", id, to)})
	}
	return c.Objection.Get(ctx, id)
}

// Recount counts every stored deadline of every objection again on cal, the calendar as it now
// stands, and stores those that changed: dueOn from the day the stage that set it began (filed,
// accepted, forwarded; stepLimit), forwardBy from the day the platform's check began, each with
// the time limit in force that day, as Transition counted it. The days are the history's.
func Recount(ctx context.Context, c *ent.Client, cal workdays.Calendar) ([]workflow.Change, error) {
	ctx = authz.AsSystem(ctx)
	objs, err := c.Objection.Query().Where(objection.Or(objection.DueOnNotNil(), objection.ForwardByNotNil())).
		Order(ent.Asc(objection.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var changes []workflow.Change
	for _, o := range objs {
		var stage, platform *vocab.WorkflowStep // the latest step into a state that sets dueOn, into the platform's check
		for i, h := range o.History {
			if _, ok := stepLimit[State(h.To)]; ok {
				stage = &o.History[i]
			}
			if State(h.To) == objection.StatePLATFORM_CHECK {
				platform = &o.History[i]
			}
		}
		upd := c.Objection.UpdateOneID(o.ID)
		before := len(changes)
		if o.DueOn != nil && stage != nil {
			start := vocab.DateOf(stage.At)
			if State(stage.To) == objection.StateSUBMITTED && o.FiledOn != nil {
				start = *o.FiledOn
			}
			now, err := workflow.Recount(ctx, c, cal, "OBJECTION", stepLimit[State(stage.To)], start, *o.DueOn, "objection", o.ID, "dueOn", &changes)
			if err != nil {
				return nil, err
			}
			upd.SetDueOn(now)
		}
		if o.ForwardBy != nil && platform != nil {
			now, err := workflow.Recount(ctx, c, cal, "OBJECTION", forwardLimit, vocab.DateOf(platform.At), *o.ForwardBy, "objection", o.ID, "forwardBy", &changes)
			if err != nil {
				return nil, err
			}
			upd.SetForwardBy(now)
		}
		if len(changes) > before {
			if err := upd.Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}
