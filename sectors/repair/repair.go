// Package repair runs credit repair (信用修复, domain.md §5) as an enforced workflow. The
// transitions and who may make each one are declared in one table; eligibility is checked at
// submission under the rules in force; deadlines are counted in working days from the
// holiday calendar and the time limits stored as data; completion stops the record's publicity
// (which lifts its measures and recomputes the entity's evaluation) in the same transaction.
package repair

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/ent/repairapplication"
	"github.com/creditgraph/creditgraph/ent/repairtransition"
	"github.com/creditgraph/creditgraph/ent/timelimit"
	"github.com/creditgraph/creditgraph/sectors"
	"github.com/creditgraph/creditgraph/sectors/workdays"
)

// State is a repair application's state.
type State = repairapplication.State

// Actor is who may make a transition.
type Actor string

const (
	// Applicant is a writer of the determining sector acting for the subject (a clerk submits
	// on the subject's behalf).
	Applicant Actor = "APPLICANT"
	// CreditOffice accepts, reviews first and executes.
	CreditOffice Actor = "CREDIT_OFFICE"
	// Determining is the department that made the determination (谁认定、谁修复).
	Determining Actor = "DETERMINING_DEPARTMENT"
)

type edge struct {
	to     State
	actor  Actor
	reason bool // a reason is required
}

// Transitions is the state machine of domain.md §5.3 with who may make each step.
var Transitions = map[State][]edge{
	repairapplication.StateDRAFT: {{repairapplication.StateSUBMITTED, Applicant, false}, {repairapplication.StateWITHDRAWN, Applicant, false}},
	repairapplication.StateSUBMITTED: {
		{repairapplication.StateACCEPTED, CreditOffice, false}, {repairapplication.StateNEEDS_SUPPLEMENT, CreditOffice, true},
		{repairapplication.StateNOT_ACCEPTED, CreditOffice, true}, {repairapplication.StateWITHDRAWN, Applicant, false}},
	repairapplication.StateNEEDS_SUPPLEMENT: {{repairapplication.StateSUBMITTED, Applicant, false}, {repairapplication.StateWITHDRAWN, Applicant, false}},
	repairapplication.StateACCEPTED: {
		{repairapplication.StateINITIAL_APPROVED, CreditOffice, false}, {repairapplication.StateINITIAL_REJECTED, CreditOffice, true},
		{repairapplication.StateWITHDRAWN, Applicant, false}},
	repairapplication.StateINITIAL_APPROVED: {{repairapplication.StateUNDER_AUTHORITY_REVIEW, CreditOffice, false}, {repairapplication.StateWITHDRAWN, Applicant, false}},
	repairapplication.StateUNDER_AUTHORITY_REVIEW: {
		{repairapplication.StateAPPROVED, Determining, false}, {repairapplication.StateDENIED, Determining, true},
		{repairapplication.StateWITHDRAWN, Applicant, false}},
	repairapplication.StateAPPROVED:  {{repairapplication.StateCOMPLETED, CreditOffice, false}},
	repairapplication.StateCOMPLETED: {{repairapplication.StateREVOKED, CreditOffice, true}},
}

// Next lists the states reachable from s.
func Next(s State) []State {
	var out []State
	for _, e := range Transitions[s] {
		out = append(out, e.to)
	}
	return out
}

func internal(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// may reports whether the viewer acts as actor for a record of sector.
func may(v *authz.Viewer, actor Actor, sector sectors.Sector) bool {
	if v == nil || v.Perms == nil {
		return false
	}
	p := v.Perms
	switch actor {
	case CreditOffice:
		return p.System || p.ManagePolicy
	case Applicant, Determining:
		return p.CanWrite(sector)
	}
	return false
}

// Calendar loads the official calendar.
func Calendar(ctx context.Context, c *ent.Client) (workdays.Calendar, error) {
	rows, err := c.Holiday.Query().Order(ent.Asc(holiday.FieldDay)).All(internal(ctx))
	if err != nil {
		return workdays.Calendar{}, err
	}
	days := make([]workdays.Day, len(rows))
	for i, r := range rows {
		days[i] = workdays.Day{Date: r.Day, Working: r.Working}
	}
	return workdays.New(days), nil
}

// limit is the time limit of a step in force on day, in working days.
func limit(ctx context.Context, c *ent.Client, step string, day time.Time) (int, error) {
	l, err := c.TimeLimit.Query().Where(timelimit.Procedure("REPAIR"), timelimit.Step(step), timelimit.EffectiveFromLTE(day)).
		Order(ent.Desc(timelimit.FieldEffectiveFrom)).First(internal(ctx))
	if err != nil {
		return 0, fmt.Errorf("time limit REPAIR/%s: %w", step, err)
	}
	return l.WorkingDays, nil
}

// record is the penalty or listing an application is about.
type record struct {
	sector     sectors.Sector
	status     sectors.RecordStatus
	minEnd     *time.Time
	repairable bool
	entityID   int
	personID   int
}

func load(ctx context.Context, c *ent.Client, app *ent.RepairApplication) (record, error) {
	ctx = internal(ctx)
	if app.PenaltyID != 0 {
		p, err := c.AdministrativePenalty.Get(ctx, app.PenaltyID)
		if err != nil {
			return record{}, err
		}
		return record{p.Sector, p.Status, p.PublicityMinEnd, p.Repairable, p.EntityID, p.PersonID}, nil
	}
	l, err := c.ListEntry.Get(ctx, app.ListEntryID)
	if err != nil {
		return record{}, err
	}
	return record{l.Sector, l.Status, l.PublicityMinEnd, l.Repairable, l.EntityID, l.PersonID}, nil
}

// Transition moves an application to state to, if the current state allows it and the viewer
// may make that step; reason is required for refusals. It runs in the caller's transaction
// (c is the transactional client) so its effects stand or fall together.
func Transition(ctx context.Context, c *ent.Client, id int, to State, reason string, today time.Time) (*ent.RepairApplication, error) {
	if err := repairapplication.StateValidator(to); err != nil {
		return nil, derrors.Field("to", "unknown state %q", to)
	}
	app, err := c.RepairApplication.Get(ctx, id) // visible to the caller, or not found
	if err != nil {
		return nil, err
	}
	rec, err := load(ctx, c, app)
	if err != nil {
		return nil, err
	}
	var step *edge
	for _, e := range Transitions[app.State] {
		if e.to == to {
			step = &e
			break
		}
	}
	if step == nil {
		next := Next(app.State)
		names := make([]string, len(next))
		for i, s := range next {
			names[i] = string(s)
		}
		return nil, fmt.Errorf("%w: a %s application cannot become %s; allowed next states: [%s]", derrors.Conflict, app.State, to, strings.Join(names, ", "))
	}
	v := authz.FromContext(ctx)
	if !may(v, step.actor, rec.sector) {
		return nil, fmt.Errorf("%w: %s to %s is for the %s", derrors.Forbidden, app.State, to, strings.ToLower(strings.ReplaceAll(string(step.actor), "_", " ")))
	}
	if step.reason && strings.TrimSpace(reason) == "" {
		return nil, derrors.Field("reason", "a reason is required to move an application to %s", to)
	}
	cal, err := Calendar(ctx, c)
	if err != nil {
		return nil, err
	}
	ictx := internal(ctx) // the role table above is the authorization of this step
	upd := c.RepairApplication.UpdateOneID(id).SetState(to).SetLastReason(reason)
	deadline := func(step string) (time.Time, error) {
		n, err := limit(ctx, c, step, today)
		return cal.Add(today, n), err
	}
	switch to {
	case repairapplication.StateSUBMITTED:
		if err := eligible(ctx, c, app, rec, today); err != nil {
			return nil, err
		}
		by, err := deadline("ACCEPT")
		if err != nil {
			return nil, err
		}
		upd.SetSubmittedOn(today).SetAcceptBy(by).SetDueOn(by)
	case repairapplication.StateACCEPTED:
		by, err := deadline("DECIDE")
		if err != nil {
			return nil, err
		}
		upd.SetDecideBy(by).SetDueOn(by)
	case repairapplication.StateAPPROVED:
		by, err := deadline("SYNC")
		if err != nil {
			return nil, err
		}
		upd.SetSyncBy(by).SetDueOn(by)
	case repairapplication.StateCOMPLETED:
		if err := complete(ictx, c, app, today); err != nil {
			return nil, err
		}
		upd.SetCompletedOn(today).ClearDueOn()
	case repairapplication.StateREVOKED:
		if err := revoke(ictx, c, app); err != nil {
			return nil, err
		}
		upd.ClearDueOn()
	case repairapplication.StateNEEDS_SUPPLEMENT:
		// the applicant's turn: no deadline of the office runs
		upd.ClearDueOn()
	default:
		if len(Next(to)) == 0 {
			upd.ClearDueOn() // a final state
		}
	}
	if _, err := upd.Save(ictx); err != nil {
		return nil, err
	}
	actor := &authz.Viewer{TokenName: "system", Role: "system"}
	if v != nil {
		actor = v
	}
	if err := c.RepairTransition.Create().SetApplicationID(id).SetFromState(string(app.State)).SetToState(string(to)).
		SetActor(actor.TokenName).SetActorRole(actor.Role).SetActorDepartment(actor.Department).SetReason(reason).Exec(ictx); err != nil {
		return nil, err
	}
	return c.RepairApplication.Get(ctx, id)
}

// eligible checks the conditions of domain.md §5.1 at submission.
func eligible(ctx context.Context, c *ent.Client, app *ent.RepairApplication, rec record, today time.Time) error {
	flags := app.MitigatingFlags
	switch {
	case rec.status != sectors.Published:
		return fmt.Errorf("%w: the record is %s, not published: nothing to repair", derrors.Conflict, rec.status)
	case !rec.repairable:
		return fmt.Errorf("%w: the record is not repairable under the publicity rules in force", derrors.Conflict)
	case !app.ObligationsFulfilled:
		return derrors.Field("obligationsFulfilled", "the obligations (fine, rectification, arrears) must be fulfilled before repair")
	case app.CommitmentID == 0:
		return derrors.Field("commitmentID", "a credit repair commitment (信用修复承诺) must be attached")
	}
	if rec.minEnd != nil {
		earliest := *rec.minEnd
		// Our rule for the 2020 guidance: a first offence without intent, an SME hit by the
		// epidemic, or a court-approved restructuring need not wait out the minimum period.
		waived := slices.Contains(flags, "EPIDEMIC") || slices.Contains(flags, "BANKRUPTCY_RESTRUCTURING") ||
			slices.Contains(flags, "FIRST_OFFENCE") && slices.Contains(flags, "NO_SUBJECTIVE_INTENT")
		if !waived && today.Before(earliest) {
			return fmt.Errorf("%w: the minimum publicity period runs until %s; repair can be applied for from then", derrors.Conflict, earliest.Format(time.DateOnly))
		}
	}
	cm, err := c.CreditCommitment.Query().Where(creditcommitment.ID(app.CommitmentID)).Only(internal(ctx))
	if err != nil {
		return derrors.Field("commitmentID", "no commitment with ID %d", app.CommitmentID)
	}
	if cm.Kind != creditcommitment.KindREPAIR || cm.EntityID != rec.entityID || cm.PersonID != rec.personID {
		return derrors.Field("commitmentID", "the commitment must be a REPAIR commitment of the record's subject")
	}
	return nil
}

// complete stops the record's publicity; the record hooks then recompute the evaluation, and
// the measures of a listing lift because it is no longer active.
func complete(ctx context.Context, c *ent.Client, app *ent.RepairApplication, today time.Time) error {
	if app.PenaltyID != 0 {
		return c.AdministrativePenalty.UpdateOneID(app.PenaltyID).SetStatus(sectors.Repaired).SetPublicityStoppedOn(today).Exec(ctx)
	}
	return c.ListEntry.UpdateOneID(app.ListEntryID).SetStatus(sectors.Repaired).SetRemovedOn(today).
		SetRemovalReason(listentry.RemovalReasonEARLY_REPAIR).Exec(ctx)
}

// revoke republishes a repaired record (修复撤销).
func revoke(ctx context.Context, c *ent.Client, app *ent.RepairApplication) error {
	if app.PenaltyID != 0 {
		return c.AdministrativePenalty.UpdateOneID(app.PenaltyID).SetStatus(sectors.Published).ClearPublicityStoppedOn().Exec(ctx)
	}
	return c.ListEntry.UpdateOneID(app.ListEntryID).SetStatus(sectors.Published).ClearRemovedOn().ClearRemovalReason().Exec(ctx)
}

// ReportRow counts the applications of a department that reached a state in a period.
type ReportRow struct {
	Department string
	State      State
	Count      int
}

// Report counts, per department and state, the applications that reached each state between
// from and to (inclusive): submitted → accepted → initial approval → re-review → completed, as
// the source counts them.
func Report(ctx context.Context, c *ent.Client, from, to time.Time) ([]*ReportRow, error) {
	ts, err := c.RepairTransition.Query().
		Where(repairtransition.AtGTE(from), repairtransition.AtLT(to.AddDate(0, 0, 1))).
		WithApplication(func(q *ent.RepairApplicationQuery) { q.WithDepartment() }).All(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		dep   string
		state State
	}
	seen := map[key]map[int]bool{}
	for _, t := range ts {
		app := t.Edges.Application
		if app == nil || app.Edges.Department == nil {
			continue // not visible to the caller
		}
		k := key{app.Edges.Department.Code, State(t.ToState)}
		if seen[k] == nil {
			seen[k] = map[int]bool{}
		}
		seen[k][app.ID] = true
	}
	out := make([]*ReportRow, 0, len(seen))
	for k, apps := range seen {
		out = append(out, &ReportRow{Department: k.dep, State: k.state, Count: len(apps)})
	}
	slices.SortFunc(out, func(a, b *ReportRow) int {
		if c := strings.Compare(a.Department, b.Department); c != 0 {
			return c
		}
		return strings.Compare(string(a.State), string(b.State))
	})
	return out, nil
}
