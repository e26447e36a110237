package jointpunishment

import (
	"context"
	"slices"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/measureapplication"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	pn "github.com/creditgraph/creditgraph/sectors/priornotice"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/refdata"
)

// Lift reasons that are not a listing's removal reason or status.
const (
	LiftedUnderObjection  = "UNDER_OBJECTION"
	LiftedExempt          = "EXEMPT"
	LiftedNoLongerApplies = "NO_LONGER_APPLIES"
)

// application is one measure applying to one subject through a listing, as the rules give it.
type application struct {
	measure        *ent.JointPunishmentMeasure
	entity, person int // the subject: one of them is set
	via            string
	from           time.Time
}

type appKey struct {
	measure, entity, person int
	via                     string
}

func (a application) key() appKey { return appKey{a.measure.ID, a.entity, a.person, a.via} }

func storedKey(a *ent.MeasureApplication) appKey {
	k := appKey{measure: a.MeasureID, via: a.Via}
	if a.EntityID != nil {
		k.entity = *a.EntityID
	}
	if a.PersonID != nil {
		k.person = *a.PersonID
	}
	return k
}

// Sync brings the stored measure applications of the listings in line with the rules on day
// (domain.md §8): an application the rules give that is not stored open is added, one stored
// open that the rules no longer give is lifted — on the listing's removal date when it was
// removed, else on day — with the reason, and an open one whose listing's end moved follows
// it. An application runs only while its measure is in force (During): its dates are the
// listing's cut to the measure's. An application that merely reached its planned end stays as
// it was: its to date says so. It is idempotent; the write engine calls it after every change
// of a listing, a role or a prior notice, and the calendar job for notices whose reply
// deadline has passed.
//
// It runs inside the writing transaction and reads what is committed, waiting for what another
// transaction is writing (evaluator.Current): a listing, a role and a notice written at once
// each see the others, so no person the listing reaches goes free (the graph test
// InterleavedWritesLeaveDerivedRowsCurrent).
func Sync(ctx context.Context, c *ent.Client, day time.Time, listingIDs ...int) error {
	if len(listingIDs) == 0 {
		return nil
	}
	ctx = authz.AsSystem(ctx)
	listings, err := c.ListEntry.Query().Where(listentry.IDIn(listingIDs...), predicate.ListEntry(evaluator.Current)).All(ctx)
	if err != nil {
		return err
	}
	active, err := c.ListEntry.Query().Where(listentry.IDIn(listingIDs...), publicity.ActiveListing(day), predicate.ListEntry(evaluator.Current)).IDs(ctx)
	if err != nil {
		return err
	}
	measures, err := c.JointPunishmentMeasure.Query().All(ctx)
	if err != nil {
		return err
	}
	rules, err := refdata.PublicityRules(ctx, refdata.Of(c))
	if err != nil {
		return err
	}
	for _, l := range listings {
		var want []application
		if slices.Contains(active, l.ID) {
			if want, err = applicationsOf(ctx, c, measures, l, day); err != nil {
				return err
			}
		}
		if err := store(ctx, c, rules, l, want, day); err != nil {
			return err
		}
	}
	return nil
}

// applicationsOf are the applications an active listing gives on day: the listed subject's
// own, and those reaching the persons who held a role the measure extends to on the listing
// date, each from the day its prior notice was complete (domain.md §7–8).
func applicationsOf(ctx context.Context, c *ent.Client, measures []*ent.JointPunishmentMeasure, l *ent.ListEntry, day time.Time) ([]application, error) {
	var out []application
	for _, m := range measures {
		if !slices.Contains(m.ListTypes, string(l.ListType)) {
			continue
		}
		switch {
		case l.EntityID != 0 && AppliesTo(m, KindEntity):
			out = append(out, application{measure: m, entity: l.EntityID, via: "SELF", from: l.ListedOn})
		case l.PersonID != 0 && AppliesTo(m, KindPerson):
			out = append(out, application{measure: m, person: l.PersonID, via: "SELF", from: l.ListedOn})
		}
	}
	if l.EntityID == 0 {
		return out, nil
	}
	roles, err := c.EntityRole.Query().Where(entityrole.EntityID(l.EntityID), predicate.EntityRole(evaluator.Current)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if !heldOn(r, l.ListedOn) {
			continue
		}
		var reaching []*ent.JointPunishmentMeasure
		for _, m := range measures {
			if slices.Contains(m.ListTypes, string(l.ListType)) && AppliesTo(m, KindPerson) && slices.Contains(m.ExtendsToRoles, string(r.Role)) {
				reaching = append(reaching, m)
			}
		}
		if len(reaching) == 0 {
			continue
		}
		complete, ok, err := noticeComplete(ctx, c, r.PersonID, l, day)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		from := l.ListedOn
		if complete.After(from) {
			from = complete
		}
		for _, m := range reaching {
			out = append(out, application{measure: m, person: r.PersonID, via: string(r.Role), from: from})
		}
	}
	return out, nil
}

// AppliesTo reports whether measure m is for subjects of kind (KindEntity, KindPerson).
func AppliesTo(m *ent.JointPunishmentMeasure, kind string) bool {
	return len(m.SubjectKinds) == 0 || slices.Contains(m.SubjectKinds, kind)
}

// noticeComplete is the first day a prior notice to the person for the listing was complete
// (its reply handled, or the day after its reply deadline when there was no reply), if one is by
// day.
func noticeComplete(ctx context.Context, c *ent.Client, personID int, l *ent.ListEntry, day time.Time) (time.Time, bool, error) {
	notices, err := c.PriorNotice.Query().Where(pn.Completed(personID, string(l.ListType), l.Sector, day), predicate.PriorNotice(evaluator.Current)).
		Order(ent.Asc(priornotice.FieldID)).All(ctx)
	if err != nil || len(notices) == 0 {
		return time.Time{}, false, err
	}
	var first time.Time
	for _, n := range notices {
		done := n.ReplyDeadline.AddDate(0, 0, 1)
		if n.ReplyHandled && n.HandledOn != nil { // only a reply is handled: complete when it was
			done = *n.HandledOn
		}
		if first.IsZero() || done.Before(first) {
			first = done
		}
	}
	return first, true, nil
}

// store writes the difference between the applications the listing gives and those stored.
func store(ctx context.Context, c *ent.Client, rules []*ent.PublicityRule, l *ent.ListEntry, want []application, day time.Time) error {
	stored, err := c.MeasureApplication.Query().Where(measureapplication.ListEntryID(l.ID), predicate.MeasureApplication(evaluator.Current)).All(ctx)
	if err != nil {
		return err
	}
	open := map[appKey]*ent.MeasureApplication{}
	lifted := map[appKey]bool{}
	for _, a := range stored {
		if a.LiftedOn == nil {
			open[storedKey(a)] = a
		} else {
			lifted[storedKey(a)] = true
		}
	}
	listingTo := l.PlannedEndOn
	if l.MeasuresEndOn != nil {
		listingTo = l.MeasuresEndOn
	}
	wanted := map[appKey]bool{}
	for _, a := range want {
		from, to, ok := During(a.measure, a.from, listingTo)
		if !ok {
			continue // the measure is not in force while the listing applies
		}
		k := a.key()
		wanted[k] = true
		if s, ok := open[k]; ok {
			if !sameDay(s.ToOn, to) {
				upd := c.MeasureApplication.UpdateOne(s).SetNillableToOn(to)
				if to == nil {
					upd.ClearToOn()
				}
				if err := upd.Exec(ctx); err != nil {
					return err
				}
			}
			continue
		}
		if lifted[k] && day.After(from) {
			from = day // applies again after it was lifted
		}
		kind := measureapplication.SubjectKindENTITY
		create := c.MeasureApplication.Create().SetMeasureID(a.measure.ID).SetListEntryID(l.ID).SetVia(a.via).
			SetBasis(Basis(rules, string(l.ListType), l.ListedOn, a.measure)).SetFromOn(from).SetNillableToOn(to)
		if a.entity != 0 {
			create.SetEntityID(a.entity)
		} else {
			kind = measureapplication.SubjectKindPERSON
			create.SetPersonID(a.person)
		}
		if err := create.SetSubjectKind(kind).Exec(ctx); err != nil {
			return err
		}
	}
	for k, s := range open {
		if wanted[k] {
			continue
		}
		on, reason := liftOf(l, day)
		if reason == "" {
			continue // ended by its planned end, not lifted
		}
		if on.Before(s.FromOn) {
			on = s.FromOn
		}
		if err := c.MeasureApplication.UpdateOne(s).SetLiftedOn(on).SetLiftedReason(reason).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// liftOf says when and why a listing's applications stopped on day; "" when they merely ran
// to their planned end.
func liftOf(l *ent.ListEntry, day time.Time) (time.Time, string) {
	switch {
	case l.RemovedOn != nil:
		reason := "REMOVED"
		if l.RemovalReason != nil {
			reason = string(*l.RemovalReason)
		}
		return *l.RemovedOn, reason
	case l.UnderObjection:
		return day, LiftedUnderObjection
	case l.Exemption != "":
		return day, LiftedExempt
	case l.MeasuresEndOn != nil && l.MeasuresEndOn.Before(day), l.MeasuresEndOn == nil && l.PlannedEndOn != nil && l.PlannedEndOn.Before(day):
		return day, ""
	case string(l.Status) != "PUBLISHED":
		return day, string(l.Status)
	}
	return day, LiftedNoLongerApplies
}

func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// Basis is the legal basis a measure triggered by a listing of listType on listedOn cites: the
// list's publicity regime in force on the listing date, and the measure's own.
func Basis(rules []*ent.PublicityRule, listType string, listedOn time.Time, m *ent.JointPunishmentMeasure) string {
	if rule := publicity.ListRule(rules, listType, listedOn); rule != nil && rule.Basis != "" {
		return rule.Basis + "；" + m.LegalBasis
	}
	return m.LegalBasis
}
