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
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/exemptionperiod"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/repairapplication"
	"github.com/creditgraph/creditgraph/ent/repairtransition"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/workdays"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/vocab"
)

// State is a repair application's state.
type State = repairapplication.State

// The duties of a repair that one person may not combine (domain.md §5.2–5.3, separation of
// duties): applying for the subject, accepting at the platform, the determining department's
// initial review (初审), and its decision on re-review (复审).
const (
	dutyApply   = "applying"
	dutyAccept  = "accepting"
	dutyReview  = "the initial review"
	dutyDecide  = "the decision"
	dutyExecute = "" // the platform carries out what was decided
)

// Transitions is the state machine of domain.md §5.3 with who may make each step: the
// applicant (a writer of the record's sector, for the subject) applies; the credit office, the
// single window, accepts and carries out; the department that made the record (谁认定、谁修复)
// reviews — first a writer without the decide permission (初审), then on re-review a writer
// with it (复审), the role above. No other sector's department takes any step.
var Transitions = workflow.Machine[State]{
	repairapplication.StateDRAFT:                  {apply(repairapplication.StateSUBMITTED), apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateSUBMITTED:              {accept(repairapplication.StateACCEPTED, false), accept(repairapplication.StateNEEDS_SUPPLEMENT, true), accept(repairapplication.StateNOT_ACCEPTED, true), apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateNEEDS_SUPPLEMENT:       {apply(repairapplication.StateSUBMITTED), apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateACCEPTED:               {review(repairapplication.StateINITIAL_APPROVED, false), review(repairapplication.StateINITIAL_REJECTED, true), apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateINITIAL_APPROVED:       {review(repairapplication.StateUNDER_AUTHORITY_REVIEW, false), apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateUNDER_AUTHORITY_REVIEW: {decide(repairapplication.StateAPPROVED, false), decide(repairapplication.StateDENIED, true), apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateAPPROVED:               {{To: repairapplication.StateCOMPLETED, Actor: authz.CreditOffice, Duty: dutyExecute}, apply(repairapplication.StateWITHDRAWN)},
	repairapplication.StateCOMPLETED:              {{To: repairapplication.StateREVOKED, Actor: authz.CreditOffice, Reason: true, Duty: dutyExecute}},
}

// The steps of each duty: who takes them, and whether a reason is required (refusals).
func apply(to State) workflow.Edge[State] {
	return workflow.Edge[State]{To: to, Actor: authz.Applicant, Duty: dutyApply}
}
func accept(to State, reason bool) workflow.Edge[State] {
	return workflow.Edge[State]{To: to, Actor: authz.CreditOffice, Reason: reason, Duty: dutyAccept}
}
func review(to State, reason bool) workflow.Edge[State] {
	return workflow.Edge[State]{To: to, Actor: authz.InitialReviewer, Reason: reason, Duty: dutyReview}
}
func decide(to State, reason bool) workflow.Edge[State] {
	return workflow.Edge[State]{To: to, Actor: authz.Decider, Reason: reason, Duty: dutyDecide}
}

// separate refuses a step whose duty the viewer may not take because it took another duty of
// the same application: the steps already taken are history (the application's transitions).
func separate(history []*ent.RepairTransition, duty string, v *authz.Viewer) error {
	if duty == "" || v == nil || v.Perms != nil && v.Perms.System {
		return nil
	}
	for _, h := range history {
		other := dutyOf(State(h.FromState), State(h.ToState))
		if h.Actor == v.TokenName && other != "" && other != duty {
			return fmt.Errorf("%w: %s took %s of this application; %s must be taken by someone else (separation of duties)",
				derrors.Forbidden, v.TokenName, other, duty)
		}
	}
	return nil
}

// dutyOf is the duty of the step from one state to another.
func dutyOf(from, to State) string {
	for _, e := range Transitions[from] {
		if e.To == to {
			return e.Duty
		}
	}
	return ""
}

// Next lists the states reachable from s.
func Next(s State) []State { return Transitions.Next(s) }

// record is the penalty or listing an application is about.
type record struct {
	sector       vocab.Sector
	departmentID int // the department that made it (谁认定)
	status       vocab.RecordStatus
	public       bool // in publicity on the step's day (publicity.Predicate): what repair ends
	minEnd       *time.Time
	repairable   bool
	entityID     int
	personID     int
	actOn        time.Time // the decision or listing date: when the conduct was determined
	ruleSet      string    // a penalty's publicity rule set: the regime it was published under
	violation    string    // a penalty's 违法行为类型
	listType     string    // a listing's list
}

// load reads the application's record as committed (evaluator.Current), holding it until the
// step ends: a step's checks are against the record as it stands on day, never a snapshot older
// than a correction, withdrawal or expiry committed while the step waited. Whether it is in
// publicity is asked of the database with the publicity rule itself, in the same locking read.
func load(ctx context.Context, c *ent.Client, app *ent.RepairApplication, day time.Time) (record, error) {
	ctx = authz.AsSystem(ctx)
	if app.PenaltyID != 0 {
		q := func() *ent.AdministrativePenaltyQuery {
			return c.AdministrativePenalty.Query().Where(administrativepenalty.ID(app.PenaltyID), predicate.AdministrativePenalty(evaluator.Current))
		}
		p, err := q().Only(ctx)
		if err != nil {
			return record{}, err
		}
		public := q()
		public.Filter().Where(publicity.Predicate(vocab.RecordPenalty, day))
		in, err := public.Exist(ctx)
		return record{p.Sector, p.DepartmentID, p.Status, in, p.PublicityMinEnd, p.Repairable, p.EntityID, p.PersonID, p.DecisionDate,
			p.PublicityRuleSet, p.ViolationType, ""}, err
	}
	q := func() *ent.ListEntryQuery {
		return c.ListEntry.Query().Where(listentry.ID(app.ListEntryID), predicate.ListEntry(evaluator.Current))
	}
	l, err := q().Only(ctx)
	if err != nil {
		return record{}, err
	}
	public := q()
	public.Filter().Where(publicity.Predicate(vocab.RecordListEntry, day))
	in, err := public.Exist(ctx)
	return record{l.Sector, l.DepartmentID, l.Status, in, l.PublicityMinEnd, l.Repairable, l.EntityID, l.PersonID, l.ListedOn, "", "", string(l.ListType)}, err
}

// Transition moves an application to state to, if the current state allows it and the viewer
// may make that step; reason is required for refusals. It runs in the caller's transaction
// (c is the transactional client) so its effects stand or fall together.
func Transition(ctx context.Context, c *ent.Client, env workflow.Env, id int, to State, reason string) (*ent.RepairApplication, error) {
	today := env.Clock.Today()
	if err := repairapplication.StateValidator(to); err != nil {
		return nil, derrors.Field("to", "unknown state %q", to)
	}
	// Visible to the caller, or not found; locked, so two submissions of a step take turns.
	app, err := c.RepairApplication.Query().Where(repairapplication.ID(id), predicate.RepairApplication(workflow.ForUpdate)).Only(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := load(ctx, c, app, today)
	if err != nil {
		return nil, err
	}
	v := authz.FromContext(ctx)
	owner, err := refdata.Owner(ctx, c, rec.departmentID)
	if err != nil {
		return nil, err
	}
	owner.Entity, owner.Person = rec.entityID, rec.personID
	edge, err := Transitions.Step("a repair application", app.State, to, v, owner, reason)
	if err != nil {
		return nil, err
	}
	history, err := c.RepairTransition.Query().Where(repairtransition.ApplicationID(id)).All(authz.AsSystem(ctx))
	if err != nil {
		return nil, err
	}
	if err := separate(history, edge.Duty, v); err != nil {
		return nil, err
	}
	cal, err := workflow.Calendar(ctx, c)
	if err != nil {
		return nil, err
	}
	ictx := authz.AsSystem(ctx) // the role table above is the authorization of this step
	upd := c.RepairApplication.UpdateOneID(id).SetState(to).SetLastReason(reason)
	deadline := func(step string) (time.Time, error) {
		n, err := workflow.Limit(ctx, c, "REPAIR", step, today)
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
		// Another workflow may have ended the record since the approval (an upheld objection
		// withdrew it, its window ran out): nothing is left to repair, and a withdrawal must
		// not turn into a repair. The applicant may withdraw the application.
		if !rec.public {
			return nil, fmt.Errorf("%w: %s; the applicant may withdraw the application", derrors.Conflict, notPublic(rec))
		}
		// The regime's further conditions hold on the day publicity stops, not only on the day
		// applied for: a listing or a repeat penalty since the submission bars the early stop.
		if err := barred(ctx, c, app, rec, today); err != nil {
			return nil, err
		}
		if err := complete(ictx, c, app, today); err != nil {
			return nil, err
		}
		upd.SetCompletedOn(today).ClearDueOn()
	case repairapplication.StateREVOKED:
		// Only a record this repair left REPAIRED is republished: one withdrawn since (an
		// upheld objection that it should never have been published) stays withdrawn.
		if rec.status == vocab.Repaired {
			if err := revoke(ictx, c, app); err != nil {
				return nil, err
			}
		}
		upd.ClearDueOn()
	case repairapplication.StateNEEDS_SUPPLEMENT:
		// the applicant's turn: no deadline of the office runs
		upd.ClearDueOn()
	default:
		if Transitions.Final(to) {
			upd.ClearDueOn()
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
		SetActor(actor.TokenName).SetActorRole(actor.Role).SetActorDepartment(actor.Department).SetReason(reason).SetAt(env.Clock.Now()).Exec(ictx); err != nil {
		return nil, err
	}
	switch to {
	case repairapplication.StateAPPROVED, repairapplication.StateDENIED, repairapplication.StateCOMPLETED, repairapplication.StateREVOKED:
		events.AfterCommit(ctx, env.Events, events.Event{Type: events.RepairDecision, Sector: rec.sector, RecordID: app.PenaltyID + app.ListEntryID,
			EntityID: rec.entityID, Document: id, Summary: fmt.Sprintf("repair application %d: %s", id, to)})
	}
	return c.RepairApplication.Get(ctx, id)
}

// eligible checks the conditions of domain.md §5.1 at submission.
func eligible(ctx context.Context, c *ent.Client, app *ent.RepairApplication, rec record, today time.Time) error {
	flags := app.MitigatingFlags
	switch {
	case !rec.public:
		return fmt.Errorf("%w: %s", derrors.Conflict, notPublic(rec))
	case !rec.repairable:
		return fmt.Errorf("%w: the record is not repairable under the publicity rules in force", derrors.Conflict)
	case !app.ObligationsFulfilled:
		return derrors.Field("obligationsFulfilled", "the obligations (fine, rectification, arrears) must be fulfilled before repair")
	case app.CommitmentID == 0:
		return derrors.Field("commitmentID", "a credit repair commitment (信用修复承诺) must be attached")
	}
	if slices.Contains(flags, vocab.Epidemic) {
		// The epidemic circumstance counts only for conduct inside a declared period (§5.4).
		declared, err := c.ExemptionPeriod.Query().Where(exemptionperiod.StartsOnLTE(rec.actOn), exemptionperiod.EndsOnGTE(rec.actOn)).
			Exist(authz.AsSystem(ctx))
		if err != nil {
			return err
		}
		if !declared {
			return derrors.Field("mitigatingFlags", "EPIDEMIC applies only to conduct inside a declared epidemic period; the record is dated %s, outside every one",
				rec.actOn.Format(time.DateOnly))
		}
	}
	if rec.minEnd != nil {
		earliest := *rec.minEnd
		// Which circumstances waive the minimum period is dated data (REPAIR_WAIVERS rows).
		scale, err := refdata.Scale(ctx, refdata.Of(c), vocab.ScaleRepairWaivers, today)
		if err != nil {
			return err
		}
		if !waived(scale, flags) && today.Before(earliest) {
			return fmt.Errorf("%w: the minimum publicity period runs until %s; repair can be applied for from then", derrors.Conflict, earliest.Format(time.DateOnly))
		}
	}
	cm, err := c.CreditCommitment.Query().Where(creditcommitment.ID(app.CommitmentID)).Only(authz.AsSystem(ctx))
	if err != nil {
		return derrors.Field("commitmentID", "no commitment with ID %d", app.CommitmentID)
	}
	if cm.Kind != creditcommitment.KindREPAIR || cm.EntityID != rec.entityID || cm.PersonID != rec.personID {
		return derrors.Field("commitmentID", "the commitment must be a REPAIR commitment of the record's subject")
	}
	return barred(ctx, c, app, rec, today)
}

// barred checks the further conditions of repair that REPAIR_BARS rows in force on today set
// for the record's regime — a penalty's publicity rule set (SAMR Order 45 art. 14 for market
// supervision's penalties), a listing's list (SAMR Order 44 art. 20 for its serious list): the
// subject on none of the bar's lists, not penalised again by the record's sector for the same
// violation type, and no heavier penalty from that sector since. All are read as committed,
// like the record.
func barred(ctx context.Context, c *ent.Client, app *ent.RepairApplication, rec record, today time.Time) error {
	vs, err := refdata.ScaleVersions(ctx, refdata.Of(c), vocab.ScaleRepairBars)
	if err != nil {
		return err
	}
	scale, _ := vs.InForce(today) // no version in force: no further conditions
	regime := fmt.Sprintf("under %s the penalty", rec.ruleSet)
	if app.ListEntryID != 0 {
		regime = fmt.Sprintf("the %s listing", rec.listType)
	}
	ctx = authz.AsSystem(ctx)
	for _, bar := range scale.Bars {
		if !bar.Covers(rec.ruleSet, rec.listType) {
			continue
		}
		if len(bar.Lists) > 0 {
			q := c.ListEntry.Query().Where(publicity.ActiveListing(today), predicate.ListEntry(evaluator.Current),
				listentry.ListTypeIn(enumsOf[listentry.ListType](bar.Lists)...), listentry.IDNEQ(app.ListEntryID))
			if rec.entityID != 0 {
				q.Where(listentry.EntityID(rec.entityID))
			} else {
				q.Where(listentry.PersonID(rec.personID))
			}
			if l, err := q.First(ctx); err == nil {
				return fmt.Errorf("%w: %s cannot be repaired while its subject is on the %s list (decision %s of %s)",
					derrors.Conflict, regime, l.ListType, l.DecisionNo, l.ListedOn.Format(time.DateOnly))
			} else if !ent.IsNotFound(err) {
				return err
			}
		}
		again := func(where ...predicate.AdministrativePenalty) *ent.AdministrativePenaltyQuery {
			q := c.AdministrativePenalty.Query().Where(administrativepenalty.IDNEQ(app.PenaltyID), predicate.AdministrativePenalty(evaluator.Current),
				administrativepenalty.SectorEQ(rec.sector), administrativepenalty.StatusNEQ(vocab.Withdrawn)).Where(where...)
			if rec.entityID != 0 {
				return q.Where(administrativepenalty.EntityID(rec.entityID))
			}
			return q.Where(administrativepenalty.PersonID(rec.personID))
		}
		if bar.SameViolationAgain && app.PenaltyID != 0 {
			p, err := again(administrativepenalty.ViolationType(rec.violation), administrativepenalty.DecisionDateGTE(rec.actOn)).First(ctx)
			if err == nil {
				return fmt.Errorf("%w: %s cannot be repaired: its subject was penalised again for %q (decision %s of %s)",
					derrors.Conflict, regime, rec.violation, p.DecisionNo, p.DecisionDate.Format(time.DateOnly))
			} else if !ent.IsNotFound(err) {
				return err
			}
		}
		if len(bar.HeavierPenaltyAgain) > 0 || bar.AggravatedFineAgain {
			// A decision may impose several categories (a JSON array): the candidates are read
			// and their categories compared here.
			ps, err := again(administrativepenalty.DecisionDateGT(rec.actOn)).Order(ent.Asc(administrativepenalty.FieldDecisionDate), ent.Asc(administrativepenalty.FieldID)).
				Select(administrativepenalty.FieldDecisionNo, administrativepenalty.FieldDecisionDate, administrativepenalty.FieldPenaltyCategories,
					administrativepenalty.FieldAggravatedFine).All(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if bar.AggravatedFineAgain && p.AggravatedFine && slices.Contains(p.PenaltyCategories, vocab.Fine) {
					return fmt.Errorf("%w: %s cannot be repaired: its subject has since received a heavier penalty from the %s sector, a fine set by the aggravated principle (decision %s of %s)",
						derrors.Conflict, regime, rec.sector, p.DecisionNo, p.DecisionDate.Format(time.DateOnly))
				}
				for _, cat := range p.PenaltyCategories {
					if slices.Contains(bar.HeavierPenaltyAgain, cat) {
						return fmt.Errorf("%w: %s cannot be repaired: its subject has since received a heavier penalty from the %s sector, %s (decision %s of %s)",
							derrors.Conflict, regime, rec.sector, cat, p.DecisionNo, p.DecisionDate.Format(time.DateOnly))
					}
				}
			}
		}
	}
	return nil
}

// enumsOf converts stored names to an enum type.
func enumsOf[E ~string](names []string) []E {
	out := make([]E, len(names))
	for i, n := range names {
		out[i] = E(n)
	}
	return out
}

// notPublic says why a record out of publicity has nothing to repair.
func notPublic(rec record) string {
	if rec.status != vocab.Published {
		return fmt.Sprintf("the record is %s, not published: nothing to repair", rec.status)
	}
	return "the record's publicity has ended (its window is over, or the listing was removed): nothing to repair"
}

// waived reports whether the flags hold every circumstance of one of the scale's waivers.
func waived(scale vocab.ScaleParams, flags []vocab.MitigationFlag) bool {
	for _, w := range scale.Waivers {
		all := len(w) > 0
		for _, f := range w {
			all = all && slices.Contains(flags, vocab.MitigationFlag(f))
		}
		if all {
			return true
		}
	}
	return false
}

// complete stops the record's publicity; the record hooks then recompute the evaluation, and
// the measures of a listing lift because it is no longer active.
func complete(ctx context.Context, c *ent.Client, app *ent.RepairApplication, today time.Time) error {
	if app.PenaltyID != 0 {
		return c.AdministrativePenalty.UpdateOneID(app.PenaltyID).SetStatus(vocab.Repaired).SetPublicityStoppedOn(today).Exec(ctx)
	}
	return c.ListEntry.UpdateOneID(app.ListEntryID).SetStatus(vocab.Repaired).SetRemovedOn(today).
		SetRemovalReason(listentry.RemovalReasonEARLY_REPAIR).Exec(ctx)
}

// revoke republishes a repaired record (修复撤销).
func revoke(ctx context.Context, c *ent.Client, app *ent.RepairApplication) error {
	if app.PenaltyID != 0 {
		return c.AdministrativePenalty.UpdateOneID(app.PenaltyID).SetStatus(vocab.Published).ClearPublicityStoppedOn().Exec(ctx)
	}
	return c.ListEntry.UpdateOneID(app.ListEntryID).SetStatus(vocab.Published).ClearRemovedOn().ClearRemovalReason().Exec(ctx)
}

// ReportRow counts the applications of a department that reached a state in a period.
type ReportRow struct {
	Department string
	State      State
	Count      int
}

// Report counts, per department and state, the applications that reached each state between
// from and to (inclusive): submitted → accepted → initial approval → re-review → completed, as
// the source counts them. Days are China's (vocab.DayStart): a step at 00:30 in Jiangsu counts
// on that day, not on the UTC day before.
func Report(ctx context.Context, c *ent.Client, from, to time.Time) ([]*ReportRow, error) {
	var where []predicate.RepairTransition
	if start := vocab.DayStart(from); start.Year() >= 1 {
		// From the day's first instant; before year 1 there is nothing to bound.
		where = append(where, repairtransition.AtGTE(start))
	}
	if next := to.AddDate(0, 0, 1); next.Year() <= 9999 {
		// Before the next day. After 9999-12-31 there is nothing to bound, and no date
		// MariaDB could compare with.
		where = append(where, repairtransition.AtLT(vocab.DayStart(next)))
	}
	ts, err := c.RepairTransition.Query().
		Where(where...).
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

// Recount counts every stored deadline of every repair application again on cal, the
// calendar as it now stands, and stores those that changed: acceptBy from the day submitted,
// decideBy from the day accepted, syncBy from the day approved (each with the time limit in
// force that day, as Transition counted it), and dueOn, while it runs, as the latest of them.
// The day a state was entered is its latest transition's, as Transition records it.
func Recount(ctx context.Context, c *ent.Client, cal workdays.Calendar) ([]workflow.Change, error) {
	ctx = authz.AsSystem(ctx)
	apps, err := c.RepairApplication.Query().
		Where(repairapplication.Or(repairapplication.AcceptByNotNil(), repairapplication.DecideByNotNil(), repairapplication.SyncByNotNil())).
		WithTransitions().Order(ent.Asc(repairapplication.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var changes []workflow.Change
	for _, a := range apps {
		entered := map[string]time.Time{} // state → the day of its latest transition
		for _, t := range a.Edges.Transitions {
			if d := vocab.DateOf(t.At); d.After(entered[t.ToState]) || entered[t.ToState].IsZero() {
				entered[t.ToState] = d
			}
		}
		if a.SubmittedOn != nil {
			entered[string(repairapplication.StateSUBMITTED)] = *a.SubmittedOn
		}
		upd := c.RepairApplication.UpdateOneID(a.ID)
		before := len(changes)
		var latest *time.Time
		for _, d := range []struct {
			by    *time.Time
			state State
			step  string
			field string
			set   func(time.Time) *ent.RepairApplicationUpdateOne
		}{
			{a.AcceptBy, repairapplication.StateSUBMITTED, "ACCEPT", "acceptBy", upd.SetAcceptBy},
			{a.DecideBy, repairapplication.StateACCEPTED, "DECIDE", "decideBy", upd.SetDecideBy},
			{a.SyncBy, repairapplication.StateAPPROVED, "SYNC", "syncBy", upd.SetSyncBy},
		} {
			if d.by == nil {
				continue // not started
			}
			start, ok := entered[string(d.state)]
			if !ok {
				latest = nil // no record of the day it started: left as stored, and dueOn with it
				continue
			}
			now, err := workflow.Recount(ctx, c, cal, "REPAIR", d.step, start, *d.by, "repair application", a.ID, d.field, &changes)
			if err != nil {
				return nil, err
			}
			d.set(now)
			latest = &now
		}
		if a.DueOn != nil && latest != nil && !latest.Equal(*a.DueOn) {
			changes = append(changes, workflow.Change{Record: "repair application", ID: a.ID, Field: "dueOn", Was: *a.DueOn, Now: *latest})
			upd.SetDueOn(*latest)
		}
		if len(changes) > before {
			if err := upd.Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}
