// Package jointpunishment answers "what restricts this subject?" (一处失信、处处受限, domain.md §8):
// for an entity, the catalogue measures that follow its active listings; for a person, the
// measures of their own listings and those that extend to the role they held at a listed
// entity on the day it was listed. It is computed from the listings at the day asked, so a
// measure applies exactly while its listing is active and lifts when the listing expires, is
// repaired or is revoked, in the same transaction that changes the listing. A listing under
// objection, or exempt (an SME's conduct caused by the epidemic in a declared period),
// triggers nothing.
//
// Who a listing reaches (domain.md §8, §7): the persons who held a role the measure extends to
// — legal representative, principal, directly responsible persons — on the listing date, not
// whoever holds it today: someone appointed after the listing is not restricted by it, and the
// one who held the role is restricted for the listing's whole period even after leaving it.
// A reached person is restricted only once given prior notice like any listed person: a
// notice of the listing's sector for its list type, its reply deadline passed or its reply
// handled. A measure applies only to the kinds of subject it is for (an office-holding ban
// reaches persons, not the company). Each restriction cites the basis of its listing's
// publicity regime and of the measure.
//
// The check serves every department (a licensing desk must see another sector's blacklist), so
// it reads listings across departments and returns the basis of each restriction, not the
// listing records themselves.
package jointpunishment

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/naturalperson"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/priornotice"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/refdata"
)

// Purposes a department checks restrictions for.
var Purposes = []string{"BIDDING", "SUBSIDY", "LICENSING", "OFFICE_HOLDING", "NOTIFY_AND_COMMIT", "PROCUREMENT", "HONOURS", "FINANCING", "INSPECTION"}

// Restriction is one measure that applies, with its basis.
type Restriction struct {
	Measure *ent.JointPunishmentMeasure
	Purpose string
	// Via is SELF when the subject itself is listed, or the role through which a listing of
	// an entity reaches a person (LEGAL_REPRESENTATIVE, PRINCIPAL, …).
	Via        string
	Entity     *ent.MarketEntity // the listed entity, when the listing is an entity's
	ListType   string
	DecisionNo string
	Department string // name of the listing department
	ListedOn   time.Time
	Until      *time.Time // planned end of the listing
	// Basis is the legal basis of the listing's publicity regime and of the measure.
	Basis string
}

// The kinds of subject a measure is for.
const (
	KindEntity = "ENTITY"
	KindPerson = "PERSON"
)

// CheckPurpose answers a field error unless purpose is one of Purposes.
func CheckPurpose(purpose string) error {
	if !slices.Contains(Purposes, purpose) {
		return derrors.Field("purpose", "unknown purpose %q (one of %v)", purpose, Purposes)
	}
	return nil
}

// Subject finds the entity with the USCC for a check by key that reads across departments
// (restrictions, incentives): NOT_FOUND when there is none — and, to a subject or person
// token, when it is another's (authz.AsksAbout).
func Subject(ctx context.Context, c *ent.Client, uscc string) (*ent.MarketEntity, error) {
	code, err := SubjectCode(uscc)
	if err != nil {
		return nil, err
	}
	e, err := c.MarketEntity.Query().Where(marketentity.Uscc(code)).Only(authz.AsSystem(ctx))
	if ent.IsNotFound(err) || err == nil && !authz.AsksAbout(ctx, authz.Own{EntityID: e.ID}) {
		return nil, fmt.Errorf("%w: no entity with USCC %s", derrors.NotFound, code)
	}
	return e, err
}

// SubjectCode is the normalised form of a uscc argument that names a subject, or an error
// naming the argument when the code cannot be any entity's (every stored entity's code passed
// this check). It comes before any lookup, so a malformed code is answered as bad input, in
// words of its own rather than echoed whole, and never as an entity that is missing.
func SubjectCode(uscc string) (string, error) {
	code := ident.NormalizeUSCC(uscc)
	if _, err := ident.ValidateUSCC(code, false); err != nil {
		return "", derrors.Field("uscc", "%s", err)
	}
	return code, nil
}

// ForEntity lists the restrictions on the entity with the USCC for purpose on day.
func ForEntity(ctx context.Context, c *ent.Client, uscc, purpose string, day time.Time) ([]*Restriction, error) {
	if err := CheckPurpose(purpose); err != nil {
		return nil, err
	}
	ctx = authz.AsSystem(ctx)
	e, err := Subject(ctx, c, uscc)
	if err != nil {
		return nil, err
	}
	lists, err := e.QueryListEntries().Where(publicity.ActiveListing(day)).WithDepartment().All(ctx)
	if err != nil || len(lists) == 0 {
		return nil, err
	}
	cat, err := catalogue(ctx, c, day)
	if err != nil {
		return nil, err
	}
	var out []*Restriction
	for _, l := range lists {
		out = append(out, cat.matches(l, e, KindEntity, purpose, "SELF")...)
	}
	return out, nil
}

// catalogueOf is what matching a listing to measures reads: the measures in force on the day
// checked and the publicity rules their basis cites. Most subjects have no listing in force,
// so it is read only once one is found.
type catalogueOf struct {
	measures []*ent.JointPunishmentMeasure
	rules    []*ent.PublicityRule
}

func catalogue(ctx context.Context, c *ent.Client, day time.Time) (*catalogueOf, error) {
	measures, err := c.JointPunishmentMeasure.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	measures = slices.DeleteFunc(measures, func(m *ent.JointPunishmentMeasure) bool { return !InForce(m, day) })
	rules, err := refdata.PublicityRules(ctx, refdata.Of(c))
	if err != nil {
		return nil, err
	}
	return &catalogueOf{measures, rules}, nil
}

// InForce reports whether measure m is in force on day: from its effectiveFrom (its first
// day) to the day before its effectiveTo (the first day it no longer applies).
func InForce(m *ent.JointPunishmentMeasure, day time.Time) bool {
	return (m.EffectiveFrom == nil || !m.EffectiveFrom.After(day)) && (m.EffectiveTo == nil || m.EffectiveTo.After(day))
}

// During is the part of an application running from from to to (its last day; nil: open) in
// which measure m is in force, and whether there is one. The write engine stores it and the
// bulk loader writes it, so an application of a measure repealed while the listing runs ends
// on the measure's last day, and one of a measure not yet in force begins on its first.
func During(m *ent.JointPunishmentMeasure, from time.Time, to *time.Time) (time.Time, *time.Time, bool) {
	if m.EffectiveFrom != nil && m.EffectiveFrom.After(from) {
		from = *m.EffectiveFrom
	}
	if m.EffectiveTo != nil {
		if last := m.EffectiveTo.AddDate(0, 0, -1); to == nil || last.Before(*to) {
			to = &last
		}
	}
	return from, to, to == nil || !to.Before(from)
}

func (cat *catalogueOf) matches(l *ent.ListEntry, e *ent.MarketEntity, kind, purpose, via string) []*Restriction {
	return matches(cat.measures, cat.rules, l, e, kind, purpose, via)
}

// ForPerson lists the restrictions on a natural person for purpose on day: the person's own
// listings, and listings of entities where the person holds a role the measure extends to.
func ForPerson(ctx context.Context, c *ent.Client, personID int, purpose string, day time.Time) ([]*Restriction, error) {
	if err := CheckPurpose(purpose); err != nil {
		return nil, err
	}
	v := authz.FromContext(ctx)
	public := v != nil && v.TokenName == authz.PublicSubject
	notFound := fmt.Errorf("%w: no person with ID %d", derrors.NotFound, personID)
	if !authz.AsksAbout(ctx, authz.Own{PersonID: personID}) {
		return nil, notFound // a person token asking about another person
	}
	ctx = authz.AsSystem(ctx)
	var cat *catalogueOf // read when the first listing is found
	match := func(l *ent.ListEntry, e *ent.MarketEntity, via string) ([]*Restriction, error) {
		if cat == nil {
			var err error
			if cat, err = catalogue(ctx, c, day); err != nil {
				return nil, err
			}
		}
		return cat.matches(l, e, KindPerson, purpose, via), nil
	}
	// Every role the person ever held: which of them reach a listing depends on the listing's
	// date, not on today.
	roles, err := c.EntityRole.Query().Where(entityrole.PersonID(personID)).Order(ent.Asc(entityrole.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	// The person's own listings and those of every entity the person held a role in, in one
	// read; most people reach none, and then nothing else is read.
	held := make([]int, 0, len(roles))
	for _, r := range roles {
		held = append(held, r.EntityID)
	}
	whose := listentry.PersonID(personID)
	if len(held) > 0 {
		whose = listentry.Or(whose, listentry.EntityIDIn(held...))
	}
	lists, err := c.ListEntry.Query().Where(whose, publicity.ActiveListing(day)).WithDepartment().
		Order(ent.Asc(listentry.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Restriction
	ofEntity := map[int][]*ent.ListEntry{}
	for _, l := range lists {
		if l.PersonID == personID {
			found, err := match(l, nil, "SELF")
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
		if l.EntityID != 0 {
			ofEntity[l.EntityID] = append(ofEntity[l.EntityID], l)
		}
	}
	if len(roles) == 0 && len(lists) == 0 {
		// A listing or a role names a person that exists (foreign keys), so only a person with
		// neither is looked up: an unknown ID is not found. The public may ask about a
		// person's restrictions but is shown no person: for it an unknown ID answers as one of
		// a person without restrictions, or the answer would tell which IDs are persons.
		ok, err := c.NaturalPerson.Query().Where(naturalperson.ID(personID)).Exist(ctx)
		switch {
		case err != nil:
			return nil, err
		case !ok && !public:
			return nil, notFound
		}
		return nil, nil
	}
	// The listings a role reaches: held on the listing date, the person given prior notice.
	type reach struct {
		role *ent.EntityRole
		l    *ent.ListEntry
	}
	var reached []reach
	var noticed map[priornotice.Kind]bool // read once, when a listing first needs it
	for _, r := range roles {
		for _, l := range ofEntity[r.EntityID] {
			if !heldOn(r, l.ListedOn) {
				continue // appointed after the listing, or gone before it
			}
			if noticed == nil {
				if noticed, err = priornotice.CompletedKinds(ctx, c, personID, day); err != nil {
					return nil, err
				}
			}
			if !noticed[priornotice.Kind{ListType: string(l.ListType), Sector: l.Sector}] {
				continue // not yet given prior notice (§7)
			}
			reached = append(reached, reach{r, l})
		}
	}
	if len(reached) == 0 {
		return out, nil
	}
	// The entities of the listings reached, read whole: a restriction answers with its entity.
	ids := make([]int, len(reached))
	for i, x := range reached {
		ids[i] = x.l.EntityID
	}
	ents, err := c.MarketEntity.Query().Where(marketentity.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int]*ent.MarketEntity, len(ents))
	for _, e := range ents {
		byID[e.ID] = e
	}
	for _, x := range reached {
		found, err := match(x.l, byID[x.l.EntityID], string(x.role.Role))
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// heldOn reports whether role r was held on day (its dates are inclusive; none means open).
func heldOn(r *ent.EntityRole, day time.Time) bool {
	return (r.StartedOn == nil || !r.StartedOn.After(day)) && (r.EndedOn == nil || !r.EndedOn.Before(day))
}

// matches are the measures a listing triggers for purpose, reaching a subject of kind via.
func matches(measures []*ent.JointPunishmentMeasure, rules []*ent.PublicityRule, l *ent.ListEntry, e *ent.MarketEntity, kind, purpose, via string) []*Restriction {
	var out []*Restriction
	for _, m := range measures {
		if !slices.Contains(m.ListTypes, string(l.ListType)) || !slices.Contains(m.Purposes, purpose) {
			continue
		}
		if !AppliesTo(m, kind) {
			continue
		}
		if via != "SELF" && !slices.Contains(m.ExtendsToRoles, via) {
			continue
		}
		r := Restriction{Measure: m, Purpose: purpose, Via: via, Entity: e, ListType: string(l.ListType),
			DecisionNo: l.DecisionNo, ListedOn: l.ListedOn, Until: l.PlannedEndOn, Basis: Basis(rules, string(l.ListType), l.ListedOn, m)}
		if l.MeasuresEndOn != nil {
			r.Until = l.MeasuresEndOn
		}
		_, r.Until, _ = During(m, l.ListedOn, r.Until) // a measure repealed before the listing ends
		if l.Edges.Department != nil {
			r.Department = l.Edges.Department.Name
		}
		out = append(out, &r)
	}
	return out
}
