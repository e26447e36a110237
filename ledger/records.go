package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent"
	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/hook"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/transport"
	"github.com/creditgraph/creditgraph/vocab"
)

// recordMutation is what every generated record mutation offers; the record hook works on all
// of them through it.
type recordMutation interface {
	ent.Mutation
	Client() *gen.Client
	DepartmentID() (int, bool)
	EntityID() (int, bool)
	PersonID() (int, bool)
	SetSector(vocab.Sector)
}

// recordRules are the per-type rules of a record: which dates may not lie in the future,
// which amounts may not be negative, and whether a severity is required.
type recordRules struct {
	pastDates      []string
	amounts        []string
	severityNeeded bool
	extra          func(ctx context.Context, m ent.Mutation) error
	// evaluates marks record types the composite evaluation reads: writing one recomputes
	// its entity's evaluation in the same transaction.
	evaluates bool
}

// record derives the sector from the deciding department, applies the shared rules, locks the
// entity and recomputes its evaluation.
func (e *Engine) record(rules recordRules) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, mu ent.Mutation) (ent.Value, error) {
			m, ok := mu.(recordMutation)
			if !ok {
				return nil, fmt.Errorf("unexpected mutation type %T", mu)
			}
			if m.Op().Is(ent.OpCreate) {
				depID, ok := m.DepartmentID()
				if !ok {
					return nil, derrors.Field("departmentID", "the deciding department is required")
				}
				dep, err := refdata.Department(ctx, m, depID)
				if gen.IsNotFound(err) {
					return nil, derrors.Field("departmentID", "no department has ID %d", depID)
				}
				if err != nil {
					return nil, err
				}
				sector, err := sectorOf(m, dep)
				if err != nil {
					return nil, err
				}
				m.SetSector(sector)
				_, hasEntity := m.EntityID()
				_, hasPerson := m.PersonID()
				if !hasEntity && !hasPerson {
					return nil, derrors.Field("entityID", "a record needs a subject: entityID, personID or both")
				}
				if _, ok := m.Field("severity"); rules.severityNeeded && !ok {
					return nil, derrors.Field("severity", "is required: MINOR, GENERAL or SERIOUS")
				}
			}
			if m.Op().Is(ent.OpUpdateOne) {
				if err := sameSector(ctx, m); err != nil {
					return nil, err
				}
			}
			if err := e.notFuture(m, rules.pastDates...); err != nil {
				return nil, err
			}
			if err := nonNegative(m, rules.amounts...); err != nil {
				return nil, err
			}
			if rules.extra != nil {
				if err := rules.extra(ctx, m); err != nil {
					return nil, err
				}
			}
			if m.Op().Is(ent.OpCreate|ent.OpUpdateOne) && len(rules.pastDates) > 0 {
				if err := exempt(ctx, m, rules.pastDates[0]); err != nil {
					return nil, err
				}
			}
			entityID, hasEntity := m.EntityID()
			if !hasEntity && m.Op().Is(ent.OpUpdateOne) && rules.evaluates {
				if v, err := m.OldField(ctx, "entity_id"); err == nil {
					entityID, hasEntity = v.(int), v.(int) != 0
				}
			}
			if rules.evaluates && hasEntity && !evaluator.IsDeferred(ctx) {
				if err := evaluator.Lock(ctx, m.Client(), entityID); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || !rules.evaluates || !hasEntity || evaluator.IsDeferred(ctx) {
				return v, err
			}
			if err := evaluator.Recompute(e.ObserveTiers(ctx), m.Client(), e.Clock, entityID); err != nil {
				return nil, fmt.Errorf("recomputing the evaluation: %w", err)
			}
			return v, nil
		})
	}
}

// contentSector is the sector a record's kind belongs to — a rating's or score event's scheme,
// a list entry's list type — and the field that says it (empty when m sets no kind); ok is
// false for kinds of any sector.
func contentSector(m ent.Mutation) (s vocab.Sector, field string, ok bool) {
	switch m := m.(type) {
	case *gen.SectorRatingMutation:
		if v, set := m.Scheme(); set {
			s, ok = vocab.SchemeSectors[string(v)]
			return s, "scheme", ok
		}
	case *gen.CreditScoreEventMutation:
		if v, set := m.Scheme(); set {
			s, ok = vocab.SchemeSectors[string(v)]
			return s, "scheme", ok
		}
	case *gen.ListEntryMutation:
		if v, set := m.ListType(); set {
			s, ok = vocab.ListTypeSector(string(v))
			return s, "listType", ok
		}
	}
	return "", "", false
}

// sectorOf is a new record's sector: its kind's when the kind belongs to one sector, else the
// deciding department's. The department must be of that sector — or, for list entries, the
// credit office, which keeps the lists of every sector — so what a caller may write is decided
// by what the record is, not by which department it names.
func sectorOf(m recordMutation, dep *gen.Department) (vocab.Sector, error) {
	s, field, ok := contentSector(m)
	if !ok {
		return dep.Sector, nil
	}
	_, isList := m.(*gen.ListEntryMutation)
	if s != dep.Sector && !(isList && dep.Sector == vocab.CreditOffice) {
		v, _ := m.Field(derrorsField(field))
		return "", derrors.Field("departmentID", "a record of %s %v belongs to the %s sector; department %s is of %s", field, v, s, dep.Code, dep.Sector)
	}
	return s, nil
}

// sameSector refuses an update that changes a record's kind to one of another sector — or to a
// kind of any sector, whose record is its department's sector, as a create of it would be (a
// market listing the credit office recorded, made a commitment breach, is the credit office's).
func sameSector(ctx context.Context, m recordMutation) error {
	s, field, ok := contentSector(m)
	if field == "" {
		return nil // the kind is not changed
	}
	if !ok {
		depID, err := m.OldField(ctx, "department_id")
		if err != nil {
			return err
		}
		dep, err := refdata.Department(ctx, m, depID.(int))
		if err != nil {
			return err
		}
		s = dep.Sector
	}
	old, err := m.OldField(ctx, "sector")
	if err != nil {
		return err
	}
	if old.(vocab.Sector) != s {
		return derrors.Field(field, "would move the record from the %s sector to %s; record a new one instead", old, s)
	}
	return nil
}

// derrorsField is the ent name of a GraphQL field name used by contentSector.
func derrorsField(graphQLName string) string {
	if graphQLName == "listType" {
		return "list_type"
	}
	return graphQLName
}

// penaltyRules checks the national publication fields that depend on each other.
func (e *Engine) penaltyRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.AdministrativePenaltyMutation)
	if raw, ok := m.CounterpartyUscc(); ok && raw != "" {
		code := ident.NormalizeUSCC(raw)
		if _, err := ident.ValidateUSCC(code, true); err != nil {
			return derrors.Field("counterpartyUscc", "%s", err)
		}
		m.SetCounterpartyUscc(code)
	}
	// The fields that depend on each other are checked on the penalty as it will be — the
	// stored values standing in for those an update leaves — so that no update makes a penalty
	// a create refuses.
	touched := m.Op().Is(ent.OpCreate)
	for _, f := range []string{"counterparty_category", "counterparty_uscc", "registration_no", "penalty_categories", "fine_amount", "aggravated_fine", "entity_id", "person_id"} {
		_, set := m.Field(f)
		touched = touched || set || m.FieldCleared(f)
	}
	if _, appended := m.AppendedPenaltyCategories(); !touched && !appended {
		return e.penaltyFields(ctx, m)
	}
	f, err := penaltyAfter(ctx, m)
	if err != nil {
		return err
	}
	if f.category == "LEGAL_PERSON" && f.uscc == "" {
		return derrors.Field("counterpartyUscc", "is required for a legal person")
	}
	if f.uscc == ident.PlaceholderUSCC && strings.TrimSpace(f.regNo) == "" {
		return derrors.Field("registrationNo", "is required when counterpartyUscc is the placeholder %s", ident.PlaceholderUSCC)
	}
	if err := penaltySubject(ctx, m, f); err != nil {
		return err
	}
	if len(f.cats) == 0 {
		return derrors.Field("penaltyCategories", "at least one penalty category is required")
	}
	seen := map[vocab.PenaltyCategory]bool{}
	for _, c := range f.cats {
		if seen[c] {
			return derrors.Field("penaltyCategories", "%s is listed twice", c)
		}
		seen[c] = true
	}
	if seen[vocab.Fine] && !f.fine {
		return derrors.Field("fineAmount", "is required when the penalty categories include FINE")
	}
	if seen[vocab.Detention] && f.category == "LEGAL_PERSON" {
		return derrors.Field("penaltyCategories", "DETENTION (行政拘留) restricts a person's liberty: it is imposed on a natural person, not on 法人及非法人组织 (Administrative Penalty Law art. 9)")
	}
	if f.aggravated && !seen[vocab.Fine] {
		return derrors.Field("aggravatedFine", "is for a fine set by the aggravated principle; the penalty categories include no FINE")
	}
	return e.penaltyFields(ctx, m)
}

// penaltySubject checks that the counterparty a penalty publishes is the subject whose file it
// joins: a legal person's penalty is its entity's; a natural person's names no entity and no
// code (so, having a subject, it is the person's); an individual business's is its entity's or its operator's; a code given
// with an entity is the entity's, or the placeholder with the entity's registration number
// (工商注册号). Else the publication would name one subject while another is restricted.
func penaltySubject(ctx context.Context, m *gen.AdministrativePenaltyMutation, f dependent) error {
	entity, _, err := after[int](ctx, m, administrativepenalty.FieldEntityID)
	if err != nil {
		return err
	}
	switch f.category {
	case "LEGAL_PERSON":
		if entity == 0 {
			return derrors.Field("entityID", "a legal person's penalty is recorded against its entity")
		}
		if f.uscc == ident.PlaceholderUSCC {
			return derrors.Field("counterpartyUscc", "the placeholder %s is for an individual business without a code, not a legal person", ident.PlaceholderUSCC)
		}
	case "NATURAL_PERSON":
		switch { // a record has a subject (the record rule), so here it is the person
		case entity != 0:
			return derrors.Field("entityID", "a natural person's penalty names no entity (an individual business is INDIVIDUAL_BUSINESS)")
		case f.uscc != "":
			return derrors.Field("counterpartyUscc", "a natural person has no unified social credit code")
		}
	}
	if entity == 0 || f.uscc == "" {
		return nil
	}
	reg, found, err := refdata.EntityCodes(ctx, m, entity)
	switch {
	case err != nil:
		return err
	case !found:
		return nil // a missing entity is reported by the foreign key, as for any record
	case f.uscc == reg.USCC:
		return nil
	case f.uscc == ident.PlaceholderUSCC && reg.RegistrationNo != "" && strings.TrimSpace(f.regNo) == reg.RegistrationNo:
		return nil
	case f.uscc == ident.PlaceholderUSCC:
		return derrors.Field("registrationNo", "%q is not the registration number of the penalty's entity, which the placeholder %s must give", f.regNo, ident.PlaceholderUSCC)
	}
	return derrors.Field("counterpartyUscc", "is %s, but the penalty's entity is registered as %s", f.uscc, reg.USCC)
}

// penaltyFields checks the penalty's other publication fields and sets its publicity.
func (e *Engine) penaltyFields(ctx context.Context, m *gen.AdministrativePenaltyMutation) error {
	for _, f := range []string{"decision_no", "authority_uscc", "data_source_unit_uscc"} {
		if v, ok := m.Field(f); ok && strings.TrimSpace(v.(string)) == "" {
			return derrors.Field(derrors.GraphQLName(f), "must not be blank")
		}
	}
	for _, f := range []string{"authority_uscc", "data_source_unit_uscc"} {
		if v, ok := m.Field(f); ok {
			code := ident.NormalizeUSCC(v.(string))
			if _, err := ident.ValidateUSCC(code, false); err != nil {
				return derrors.Field(derrors.GraphQLName(f), "%s", err)
			}
			_ = m.SetField(f, code)
		}
	}
	return setPenaltyPublicity(ctx, m)
}

// dependent is what the rules about a penalty's dependent fields look at.
type dependent struct {
	category, uscc, regNo string
	cats                  []vocab.PenaltyCategory
	fine                  bool // a fine amount is given
	aggravated            bool // the fine was set by the aggravated principle (从重)
}

// penaltyAfter is the penalty's dependent fields once m is applied: what m sets (or clears, or
// appends), else on an update of one row the stored value (read as committed: currentOld).
func penaltyAfter(ctx context.Context, m *gen.AdministrativePenaltyMutation) (dependent, error) {
	var f dependent
	category, _, err := after[administrativepenalty.CounterpartyCategory](ctx, m, administrativepenalty.FieldCounterpartyCategory)
	if err != nil {
		return f, err
	}
	f.category = string(category)
	if f.uscc, _, err = after[string](ctx, m, administrativepenalty.FieldCounterpartyUscc); err != nil {
		return f, err
	}
	if f.regNo, _, err = after[string](ctx, m, administrativepenalty.FieldRegistrationNo); err != nil {
		return f, err
	}
	if f.cats, _, err = after[[]vocab.PenaltyCategory](ctx, m, administrativepenalty.FieldPenaltyCategories); err != nil {
		return f, err
	}
	if more, ok := m.AppendedPenaltyCategories(); ok {
		f.cats = append(slices.Clone(f.cats), more...)
	}
	if _, f.fine, err = after[decimal.Decimal](ctx, m, administrativepenalty.FieldFineAmount); err != nil {
		return f, err
	}
	f.aggravated, _, err = after[bool](ctx, m, administrativepenalty.FieldAggravatedFine)
	return f, err
}

// setPenaltyPublicity stores a penalty's publicity window, repairability and — where a class
// rule decides it — its severity, from the rule in force at its decision date for its
// severity, categories, domain, procedure, fine and validity (sectors/publicity chooses the rule
// and counts the window). Without a matching rule, or with one that says it is not published,
// the window stays empty and the penalty is not public.
func setPenaltyPublicity(ctx context.Context, m *gen.AdministrativePenaltyMutation) error {
	decided, okDate := m.DecisionDate()
	severity, okSev := m.Severity()
	cats, okCats := m.PenaltyCategories()
	domain, okDomain := m.Domain()
	procedure, okProc := m.Procedure()
	fine, okFine := m.FineAmount()
	validUntil, okValid := m.ValidUntil()
	published, okPublished := m.PublishedOn()
	clearedFine := m.FieldCleared("fine_amount")
	clearedValid := m.FieldCleared("valid_until")
	clearedPublished := m.FieldCleared("published_on")
	if !okDate && !okSev && !okCats && !okDomain && !okProc && !okFine && !okValid && !okPublished &&
		!clearedFine && !clearedValid && !clearedPublished {
		return nil
	}
	sector, _ := m.Sector()
	p := publicity.Penalty{}
	if okFine {
		p.Fine = &fine
	}
	if okValid {
		p.ValidUntil = &validUntil
	}
	if okPublished {
		p.Published = &published
	}
	if !m.Op().Is(ent.OpCreate) {
		// The stored values the update leaves, from the row as committed (currentOld), not a
		// read of the transaction's snapshot: a correction committed meanwhile counts.
		var err error
		if sector, err = m.OldSector(ctx); err != nil {
			return err
		}
		if !okDate {
			if decided, err = m.OldDecisionDate(ctx); err != nil {
				return err
			}
		}
		if !okSev {
			if severity, err = m.OldSeverity(ctx); err != nil {
				return err
			}
		}
		if !okCats {
			if cats, err = m.OldPenaltyCategories(ctx); err != nil {
				return err
			}
		}
		if !okDomain {
			old, err := m.OldDomain(ctx)
			if err != nil {
				return err
			}
			if old != nil {
				domain = *old
			}
		}
		if !okProc {
			if procedure, err = m.OldProcedure(ctx); err != nil {
				return err
			}
		}
		if !okFine && !clearedFine {
			if p.Fine, err = m.OldFineAmount(ctx); err != nil {
				return err
			}
		}
		if !okValid && !clearedValid {
			if p.ValidUntil, err = m.OldValidUntil(ctx); err != nil {
				return err
			}
		}
		if !okPublished && !clearedPublished {
			if p.Published, err = m.OldPublishedOn(ctx); err != nil {
				return err
			}
		}
	}
	rules, err := refdata.PublicityRules(ctx, m)
	if err != nil {
		return err
	}
	p.Severity, p.Sector, p.Categories, p.Domain, p.Procedure, p.Decided =
		string(severity), string(sector), cats, string(domain), string(procedure), decided
	rule, sev := publicity.PenaltyRule(rules, p)
	if sev != string(severity) {
		m.SetSeverity(vocab.Severity(sev)) // the class of the penalty decides, not the form
	}
	if rule == nil || !rule.Published {
		m.ClearPublicityStart()
		m.ClearPublicityMinEnd()
		m.ClearPublicityDeadline()
		m.ClearPublicityRuleSet()
		m.ClearPublishBy()
		if rule != nil {
			m.SetPublicityRuleSet(rule.RuleSet) // the rule that keeps it unpublished
		}
		return nil
	}
	w := publicity.PenaltySpan(rule, p)
	m.SetPublicityStart(w.Start)
	m.SetPublicityMinEnd(w.MinEnd)
	m.SetPublicityDeadline(w.MaxEnd)
	m.SetRepairable(rule.Repairable)
	m.SetPublicityRuleSet(rule.RuleSet)
	by, due, err := publicity.PublishBy(ctx, m, rule, decided)
	switch {
	case err != nil:
		return err
	case due:
		m.SetPublishBy(by)
	default:
		m.ClearPublishBy()
	}
	return nil
}

// orderFirst checks, for a list whose rule says so, that the listing followed an order to
// comply by a deadline: it names the order's deadline and is dated after it (the listing as it
// will be; the stored values stand in for those an update leaves).
func orderFirst(ctx context.Context, m *gen.ListEntryMutation, r *gen.PublicityRule, listType listentry.ListType, listed time.Time) error {
	if r == nil || r.OrderFirst == nil || !*r.OrderFirst {
		return nil
	}
	deadline, ok, err := after[time.Time](ctx, m, listentry.FieldOrderDeadline)
	switch {
	case err != nil:
		return err
	case !ok:
		return derrors.Field("orderDeadline", "a %s listing follows an order to comply by a deadline (list rule %s): give that order's deadline", listType, r.RuleSet)
	case !listed.After(deadline):
		return derrors.Field("listedOn", "%s is not after %s, the deadline of the order to comply that must pass before a %s listing",
			listed.Format(time.DateOnly), deadline.Format(time.DateOnly), listType)
	}
	return nil
}

// listEntryRules checks that a listing's dates are in order and a removal has a reason, that a
// person was given prior notice, and sets the window of the list's publicity rule.
func (e *Engine) listEntryRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.ListEntryMutation)
	if v, ok := m.DecisionNo(); ok && strings.TrimSpace(v) == "" {
		return derrors.Field("decisionNo", "must not be blank")
	}
	_, removed := m.RemovedOn()
	_, reason := m.RemovalReason()
	if removed && !reason {
		return derrors.Field("removalReason", "is required when removedOn is set")
	}
	create := m.Op().Is(ent.OpCreate)
	_, moved := m.ListedOn()
	_, relisted := m.ListType()
	if create || moved || relisted {
		// On the listing as it will be: an update moving a person's listing before its notice,
		// or to a list without one, is refused as the create would be.
		if err := priorNoticeServed(ctx, m); err != nil {
			return err
		}
	}
	planned, replanned := m.PlannedEndOn()
	unplanned := m.PlannedEndOnCleared()
	met, metNow := m.ObligationsMetOn()
	unmet := m.ObligationsMetOnCleared()
	_, reordered := m.OrderDeadline()
	unordered := m.OrderDeadlineCleared()
	if !create && !replanned && !unplanned && !metNow && !unmet && !moved && !relisted && !reordered && !unordered {
		return nil
	}
	// The list's publicity rule in force at the listing date sets the earliest repair and,
	// when the department gave none, the planned end; a planned end may not pass the rule's
	// maximum (domain.md §4).
	listed, _, err := after[time.Time](ctx, m, listentry.FieldListedOn)
	if err != nil {
		return err
	}
	listType, _, err := after[listentry.ListType](ctx, m, listentry.FieldListType)
	if err != nil {
		return err
	}
	rules, err := refdata.PublicityRules(ctx, m)
	if err != nil {
		return err
	}
	r := publicity.ListRule(rules, string(listType), listed)
	if err := orderFirst(ctx, m, r, listType, listed); err != nil {
		return err
	}
	if r == nil {
		if !create && (moved || relisted) {
			// No rule is in force for the corrected date or list: nothing one derived stays,
			// as a listing created so has none.
			m.ClearPublicityMinEnd()
			m.SetRepairable(listentry.DefaultRepairable)
		}
		return nil
	}
	var metOn *time.Time
	if metNow {
		metOn = &met
	} else if !create && !unmet {
		if old, err := m.OldObligationsMetOn(ctx); err == nil {
			metOn = old
		}
	}
	w := publicity.SpanOf(r, listed, metOn)
	if replanned && planned.After(w.MaxEnd) {
		return derrors.Field("plannedEndOn", "%s is after %s, the end of the longest publicity (%d months from listing) of %s listings under %s",
			planned.Format(time.DateOnly), w.MaxEnd.Format(time.DateOnly), r.MaxMonths, listType, r.RuleSet)
	}
	if metNow || unmet {
		m.SetPublicityMinEnd(w.MinEnd) // the minimum counts from the day obligations were met, or again from the listing
	}
	if !create && (moved || relisted) {
		// A corrected date or list is the listing's from the start: its minimum publicity and
		// repairability are the rule's for it. A planned end at the longest publicity of the
		// listing as it stood (what a create gives when the department names none) is the
		// longest publicity of the corrected one; any other planned end it keeps must fit.
		m.SetPublicityMinEnd(w.MinEnd)
		m.SetRepairable(r.Repairable)
		if !replanned && !unplanned {
			stored, err := m.OldPlannedEndOn(ctx)
			if err != nil {
				return err
			}
			longest, err := wasLongest(ctx, m, rules, stored)
			if err != nil {
				return err
			}
			if longest {
				m.SetPlannedEndOn(w.MaxEnd)
			} else if stored != nil && stored.After(w.MaxEnd) {
				return derrors.Field("plannedEndOn", "the planned end %s is after %s, the end of the longest publicity (%d months from listing) of %s listings under %s: correct plannedEndOn with it",
					stored.Format(time.DateOnly), w.MaxEnd.Format(time.DateOnly), r.MaxMonths, listType, r.RuleSet)
			}
		}
	}
	if !create {
		if unplanned {
			// A planned end taken away is the rule's again, as for a listing made without one.
			m.ResetPlannedEndOn()
			m.SetPlannedEndOn(w.MaxEnd)
		}
		return nil
	}
	m.SetPublicityMinEnd(w.MinEnd)
	m.SetRepairable(r.Repairable)
	if !replanned {
		m.SetPlannedEndOn(w.MaxEnd)
	}
	return nil
}

// wasLongest reports whether planned, a listing's stored planned end, is the longest publicity
// its rule gave the listing as stored (before the update's corrections).
func wasLongest(ctx context.Context, m *gen.ListEntryMutation, rules []*gen.PublicityRule, planned *time.Time) (bool, error) {
	if planned == nil {
		return false, nil
	}
	listed, err := m.OldListedOn(ctx)
	if err != nil {
		return false, err
	}
	listType, err := m.OldListType(ctx)
	if err != nil {
		return false, err
	}
	r := publicity.ListRule(rules, string(listType), listed)
	return r != nil && publicity.SpanOf(r, listed, nil).MaxEnd.Format(time.DateOnly) == planned.Format(time.DateOnly), nil
}

// ratingRules checks the grade against its scheme's scale and, for the transport schemes, that
// it is the grade their score (and points) give (sectors/transport).
func ratingRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.SectorRatingMutation)
	_, gradeSet := m.Grade()
	_, schemeSet := m.Scheme()
	_, scoreSet := m.Score()
	_, pointsSet := m.Points()
	if !gradeSet && !schemeSet && !scoreSet && !pointsSet && !m.ScoreCleared() && !m.PointsCleared() {
		return nil // a create sets grade and scheme
	}
	// The rating as it will be: an update changing the scheme, score or points is checked
	// against the grade it keeps, as a create of the same rating would be.
	grade, _, err := after[string](ctx, m, sectorrating.FieldGrade)
	if err != nil {
		return err
	}
	scheme, _, err := after[sectorrating.Scheme](ctx, m, sectorrating.FieldScheme)
	if err != nil {
		return err
	}
	grade = strings.ToUpper(strings.TrimSpace(grade))
	scale := vocab.RatingGrades[string(scheme)]
	if !slices.Contains(scale, grade) {
		if !gradeSet {
			return derrors.Field("scheme", "%s has no grade %q, the rating's (its grades: %s): correct grade with it", scheme, grade, strings.Join(scale, ", "))
		}
		return derrors.Field("grade", "%q is not a grade of %s (one of %s)", grade, scheme, strings.Join(scale, ", "))
	}
	if gradeSet {
		m.SetGrade(grade)
	}
	score, scored, err := after[float64](ctx, m, sectorrating.FieldScore)
	if err != nil {
		return err
	}
	points, _, err := after[int](ctx, m, sectorrating.FieldPoints)
	if err != nil {
		return err
	}
	if scored {
		var want string
		switch scheme {
		case sectorrating.SchemeTRANSPORT_OPERATOR_JS:
			want = transport.OperatorGrade(score, points)
		case sectorrating.SchemeTRANSPORT_CONSTRUCTION:
			want = transport.ConstructionGrade(score, grade == "D") // D may be imposed directly
		}
		if want != "" && want != grade {
			field := "grade" // the field the update sent that the others contradict
			switch {
			case gradeSet:
			case scoreSet || m.ScoreCleared():
				field = "score"
			case pointsSet || m.PointsCleared():
				field = "points"
			default:
				field = "scheme"
			}
			return derrors.Field(field, "%s does not follow from score %g and %d points on %s: the grade is %s", grade, score, points, scheme, want)
		}
	}
	return nil
}

// licenseRules checks the decision number.
func licenseRules(_ context.Context, m ent.Mutation) error {
	if v, ok := m.Field("decision_no"); ok && strings.TrimSpace(v.(string)) == "" {
		return derrors.Field("decisionNo", "must not be blank")
	}
	return nil
}

// commitmentPublicity stores a commitment's publicity deadline (信用承诺公示) from the rule of
// its kind in force on the day it was signed (sectors/publicity chooses the rule and counts the
// window): on creation, and again when its kind or signing day is corrected. Without a rule, or
// with one that does not publish, the deadline stays empty and the commitment is not public.
func commitmentPublicity(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.CreditCommitmentMutation)
	signed, signedSet := m.SignedOn()
	kind, kindSet := m.Kind()
	if !m.Op().Is(ent.OpCreate) {
		if !signedSet && !kindSet {
			return nil
		}
		var err error
		if !signedSet {
			if signed, err = m.OldSignedOn(ctx); err != nil {
				return err
			}
		}
		if !kindSet {
			if kind, err = m.OldKind(ctx); err != nil {
				return err
			}
		}
	}
	rules, err := refdata.PublicityRules(ctx, m)
	if err != nil {
		return err
	}
	r := publicity.CommitmentRule(rules, string(kind), signed)
	if r == nil || !r.Published {
		m.ClearPublicityDeadline()
		m.ClearPublicityRuleSet()
		return nil
	}
	m.SetPublicityDeadline(publicity.SpanOf(r, signed, nil).MaxEnd)
	m.SetPublicityRuleSet(r.RuleSet)
	return nil
}

// redListSectors are the sectors whose departments record each red list: the tax authority's
// A grades reach the platform through the credit office.
var redListSectors = map[redlistentry.ListType]vocab.Sector{
	redlistentry.ListTypeTAX_A_GRADE: vocab.CreditOffice, redlistentry.ListTypeLABOUR_A_GRADE: vocab.Labour,
	redlistentry.ListTypeENV_GREEN: vocab.Environment, redlistentry.ListTypeSAMR_CONTRACT_HONOUR: vocab.Market,
	redlistentry.ListTypeTRANSPORT_AA_GRADE: vocab.Transport,
}

// redListRules checks that the red list belongs to the recording department's sector and that
// the recognition does not end before it starts.
func redListRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.RedListEntryMutation)
	if lt, ok := m.ListType(); ok {
		sector, known := m.Sector()
		if !known && m.Op().Is(ent.OpUpdateOne) {
			old, err := m.OldSector(ctx)
			if err != nil {
				return err
			}
			sector = old
		}
		if want := redListSectors[lt]; want != sector {
			return derrors.Field("listType", "%s is recorded by a department of the %s sector, not %s", lt, want, sector)
		}
	}
	for _, f := range []string{"decision_no", "source"} {
		if v, ok := m.Field(f); ok && strings.TrimSpace(v.(string)) == "" {
			return derrors.Field(derrors.GraphQLName(f), "must not be blank")
		}
	}
	return nil
}

// scoreEventRules checks the sign of the points for the scheme, that EIA points have a scale
// version in force on their day, and that a ban ends after it begins.
func scoreEventRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.CreditScoreEventMutation)
	scheme, _ := m.Scheme()
	points, ok := m.Points()
	switch {
	case !ok:
	case scheme == creditscoreevent.SchemeENV_CREDIT_JS && (points == 0 || points > 2):
		return derrors.Field("points", "an environmental credit event deducts 1 to 12 points or adds 1 or 2, got %d", points)
	case scheme == creditscoreevent.SchemeEIA_POINTS && points < 0:
		return derrors.Field("points", "EIA points are positive, got %d", points)
	}
	// EIA points are judged by the scale version in force on the day scored, and a ban runs
	// from its first day to the day before its end: both must exist.
	scheme, _, err := after[creditscoreevent.Scheme](ctx, m, creditscoreevent.FieldScheme)
	if err != nil || scheme != creditscoreevent.SchemeEIA_POINTS {
		return err
	}
	from, hasFrom, err := after[time.Time](ctx, m, creditscoreevent.FieldEffectiveFrom)
	if err != nil || !hasFrom {
		return err
	}
	category, _, err := after[string](ctx, m, creditscoreevent.FieldCategory)
	if err != nil {
		return err
	}
	until, hasUntil, err := after[time.Time](ctx, m, creditscoreevent.FieldExpiresOn)
	if err != nil {
		return err
	}
	if category == "BAN" && hasUntil && !until.After(from) {
		return derrors.Field("expiresOn", "a ban ends after its first day %s (expiresOn is its first day over), got %s",
			from.Format(time.DateOnly), until.Format(time.DateOnly))
	}
	versions, err := refdata.ScaleVersions(ctx, m, vocab.ScaleEIAPoints)
	if err != nil {
		return err
	}
	if _, err := versions.At(from); err != nil {
		return derrors.Field("effectiveFrom", "no EIA points scale is in force on %s: points are scored under the version of their day", from.Format(time.DateOnly))
	}
	return nil
}

// scoreEventEffects derives a new score event's consequences — rating, listings, evaluation —
// in the transaction that records it.
func (e *Engine) scoreEventEffects(next ent.Mutator) ent.Mutator {
	return hook.CreditScoreEventFunc(func(ctx context.Context, m *gen.CreditScoreEventMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		if err := scorer.Apply(ctx, m.Client(), v.(*gen.CreditScoreEvent), e.today()); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// governmentRecord validates a government integrity record.
func (e *Engine) governmentRecord(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("body_uscc"); ok {
			code := ident.NormalizeUSCC(v.(string))
			if _, err := ident.ValidateUSCC(code, false); err != nil {
				return nil, derrors.Field("bodyUscc", "%s", err)
			}
			_ = m.SetField("body_uscc", code)
		}
		if err := e.notFuture(m, "recorded_on"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}
