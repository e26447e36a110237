package schema

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"entgo.io/ent"
	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/division"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/exemptionperiod"
	"github.com/creditgraph/creditgraph/ent/hook"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/sectors"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/sectors/events/notify"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/shopspring/decimal"
)

// The hooks below keep derived fields and cross-field rules in the data layer, so every path
// that writes (GraphQL, seeding, a CLI, a job) validates the same way. They fail with a
// derrors.FieldError naming the GraphQL field, and since they run before the INSERT/UPDATE,
// nothing is written.

// chinaTZ is the zone in which "today" is judged for dates.
var chinaTZ = time.FixedZone("CST", 8*3600)

// today is the current calendar date in China, as midnight UTC like stored dates.
func today() time.Time {
	n := time.Now().In(chinaTZ)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// internal lets a hook read and maintain derived data whatever the caller may see: the
// caller's own write has passed its privacy check already.
func internal(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// notFuture refuses a date field set to a day after today.
func notFuture(m ent.Mutation, fields ...string) error {
	for _, f := range fields {
		v, ok := m.Field(f)
		if !ok {
			continue
		}
		if t, ok := v.(time.Time); ok && t.After(today()) {
			return derrors.Field(derrors.GraphQLName(f), "%s is in the future", t.Format(time.DateOnly))
		}
	}
	return nil
}

// nonNegative refuses a negative amount.
func nonNegative(m ent.Mutation, fields ...string) error {
	for _, f := range fields {
		if v, ok := m.Field(f); ok {
			if d, ok := v.(decimal.Decimal); ok && d.IsNegative() {
				return derrors.Field(derrors.GraphQLName(f), "must not be negative, got %s", d)
			}
		}
	}
	return nil
}

// notBefore refuses an end date earlier than its start date. On an update of one row the
// stored value stands in for the one not being changed.
func notBefore(ctx context.Context, m ent.Mutation, start, end string) error {
	value := func(name string) (time.Time, bool) {
		v, ok := m.Field(name)
		if !ok && m.Op().Is(ent.OpUpdateOne) {
			var err error
			if v, err = m.OldField(ctx, name); err != nil {
				return time.Time{}, false
			}
			ok = true
		}
		switch t := v.(type) {
		case time.Time:
			return t, ok
		case *time.Time:
			if t != nil {
				return *t, ok
			}
		}
		return time.Time{}, false
	}
	st, ok1 := value(start)
	et, ok2 := value(end)
	if ok1 && ok2 && et.Before(st) {
		return derrors.Field(derrors.GraphQLName(end), "%s is before %s %s", et.Format(time.DateOnly), derrors.GraphQLName(start), st.Format(time.DateOnly))
	}
	return nil
}

var industryCode = regexp.MustCompile(`^[A-T]([0-9]{2,4})?$`)

// marketEntityHook normalises and validates the USCC and derives kind, organisation code and
// division from it.
func marketEntityHook(next ent.Mutator) ent.Mutator {
	return hook.MarketEntityFunc(func(ctx context.Context, m *gen.MarketEntityMutation) (ent.Value, error) {
		if raw, ok := m.Uscc(); ok {
			code := ident.NormalizeUSCC(raw)
			status, err := ident.ValidateUSCC(code, false)
			if err != nil {
				return nil, derrors.Field("uscc", "%s", err)
			}
			kind, _ := ident.EntityKindOf(code)
			m.SetUscc(code)
			m.SetUsccStatus(marketentity.UsccStatus(status))
			m.SetOrgCode(ident.OrgCode(code))
			m.SetEntityKind(kind)
			div := code[2:8]
			m.SetDivisionCode(div)
			if d, ok := ident.LookupDivision(div); ok {
				if d.CityCode != "" {
					m.SetCityCode(d.CityCode)
				}
				id, err := m.Client().Division.Query().Where(division.Code(div)).OnlyID(internal(ctx))
				switch {
				case err == nil:
					m.SetDivisionID(id)
				case !gen.IsNotFound(err):
					return nil, err
				}
			}
		}
		if _, ok := m.EvaluationDueOn(); !ok && m.Op().Is(ent.OpCreate) {
			m.SetEvaluationDueOn(today()) // first evaluated by the due-date job, if no record comes first
		}
		if v, ok := m.IndustryCode(); ok && v != "" && !industryCode.MatchString(v) {
			return nil, derrors.Field("industryCode", "%q is not a GB/T 4754 code (a letter A-T and 2 to 4 digits)", v)
		}
		if err := notFuture(m, "established_on"); err != nil {
			return nil, err
		}
		if err := nonNegative(m, "registered_capital"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// naturalPersonHook validates the ID number for its type and derives gender, birth date and
// address code from a resident ID.
func naturalPersonHook(next ent.Mutator) ent.Mutator {
	return hook.NaturalPersonFunc(func(ctx context.Context, m *gen.NaturalPersonMutation) (ent.Value, error) {
		if raw, ok := m.IDNumber(); ok {
			t, ok := m.IDType()
			if !ok {
				t = ident.IDResidentCard
			}
			number := ident.NormalizeIDNumber(raw)
			facts, err := ident.ValidateIDNumber(t, number, time.Now())
			if err != nil {
				return nil, derrors.Field("idNumber", "%s", err)
			}
			if m.Cipher == nil {
				return nil, errors.New("no personal-data key is configured (CREDITGRAPH_DATA_KEY)")
			}
			sealed, err := m.Cipher.Seal(number)
			if err != nil {
				return nil, err
			}
			// At rest the number exists only sealed, hashed for lookup, and masked.
			m.SetIDNumber(sealed)
			m.SetIDNumberHash(m.Cipher.Hash(string(t), number))
			m.SetIDNumberMasked(ident.MaskIDNumber(number))
			if !facts.BirthDate.IsZero() {
				m.SetBirthDate(facts.BirthDate)
				m.SetGender(facts.Gender)
				m.SetDivisionCode(facts.DivisionCode)
			}
		}
		if v, ok := m.Name(); ok && strings.TrimSpace(v) == "" {
			return nil, derrors.Field("name", "must not be blank")
		}
		return next.Mutate(ctx, m)
	})
}

// entityRoleHook checks a role's dates and keeps MarketEntity.legalRepresentative equal to the
// current LEGAL_REPRESENTATIVE role (the latest started one that has not ended).
func entityRoleHook(next ent.Mutator) ent.Mutator {
	return hook.EntityRoleFunc(func(ctx context.Context, m *gen.EntityRoleMutation) (ent.Value, error) {
		if err := notFuture(m, "started_on"); err != nil {
			return nil, err
		}
		if err := notBefore(ctx, m, "started_on", "ended_on"); err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		role, ok := v.(*gen.EntityRole)
		if !ok || role.Role != entityrole.RoleLEGAL_REPRESENTATIVE {
			return v, err
		}
		c := m.Client()
		ctx = internal(ctx) // maintaining a derived field, not a read or write of the caller's
		current, err := c.EntityRole.Query().
			Where(entityrole.EntityID(role.EntityID), entityrole.RoleEQ(entityrole.RoleLEGAL_REPRESENTATIVE),
				entityrole.Or(entityrole.EndedOnIsNil(), entityrole.EndedOnGTE(today()))).
			Order(gen.Desc(entityrole.FieldStartedOn), gen.Desc(entityrole.FieldID)).
			First(ctx)
		upd := c.MarketEntity.UpdateOneID(role.EntityID)
		switch {
		case err == nil:
			upd.SetLegalRepresentativeID(current.PersonID)
		case gen.IsNotFound(err):
			upd.ClearLegalRepresentative()
		default:
			return nil, err
		}
		if err := upd.Exec(ctx); err != nil {
			return nil, fmt.Errorf("updating legal representative: %w", err)
		}
		return v, nil
	})
}

// recordMutation is what every generated record mutation offers; RecordMixin's hook works on
// all of them through it.
type recordMutation interface {
	ent.Mutation
	Client() *gen.Client
	DepartmentID() (int, bool)
	EntityID() (int, bool)
	PersonID() (int, bool)
	SetSector(sectors.Sector)
}

// recordRules are the per-type rules of RecordMixin: which dates may not lie in the future,
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

// recordHook derives the sector from the deciding department and applies the shared rules.
func recordHook(rules recordRules) ent.Hook {
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
				m.SetSector(dep.Sector)
				_, hasEntity := m.EntityID()
				_, hasPerson := m.PersonID()
				if !hasEntity && !hasPerson {
					return nil, derrors.Field("entityID", "a record needs a subject: entityID, personID or both")
				}
				if _, ok := m.Field("severity"); rules.severityNeeded && !ok {
					return nil, derrors.Field("severity", "is required: MINOR, GENERAL or SERIOUS")
				}
			}
			if err := notFuture(m, rules.pastDates...); err != nil {
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
			if m.Op().Is(ent.OpCreate) && len(rules.pastDates) > 0 {
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
			if err := evaluator.Recompute(ctx, m.Client(), sectors.Today(), entityID); err != nil {
				return nil, fmt.Errorf("recomputing the evaluation: %w", err)
			}
			return v, nil
		})
	}
}

// penaltyRules checks the national publication fields that depend on each other.
func penaltyRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.AdministrativePenaltyMutation)
	if raw, ok := m.CounterpartyUscc(); ok && raw != "" {
		code := ident.NormalizeUSCC(raw)
		status, err := ident.ValidateUSCC(code, true)
		if err != nil {
			return derrors.Field("counterpartyUscc", "%s", err)
		}
		if status == ident.USCCPlaceholder {
			if no, _ := m.RegistrationNo(); strings.TrimSpace(no) == "" {
				return derrors.Field("registrationNo", "is required when counterpartyUscc is the placeholder %s", ident.PlaceholderUSCC)
			}
		}
		m.SetCounterpartyUscc(code)
	}
	if m.Op().Is(ent.OpCreate) {
		if cat, _ := m.CounterpartyCategory(); cat == "LEGAL_PERSON" {
			if v, _ := m.CounterpartyUscc(); v == "" {
				return derrors.Field("counterpartyUscc", "is required for a legal person")
			}
		}
		if _, ok := m.PenaltyCategories(); !ok {
			return derrors.Field("penaltyCategories", "at least one penalty category is required")
		}
	}
	if cats, ok := m.PenaltyCategories(); ok {
		if len(cats) == 0 {
			return derrors.Field("penaltyCategories", "at least one penalty category is required")
		}
		seen := map[sectors.PenaltyCategory]bool{}
		for _, c := range cats {
			if seen[c] {
				return derrors.Field("penaltyCategories", "%s is listed twice", c)
			}
			seen[c] = true
		}
		if _, hasFine := m.FineAmount(); seen[sectors.Fine] && !hasFine && m.Op().Is(ent.OpCreate) {
			return derrors.Field("fineAmount", "is required when the penalty categories include FINE")
		}
	}
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
	if err := notBefore(ctx, m, "decision_date", "valid_until"); err != nil {
		return err
	}
	return setPublicity(ctx, m)
}

// setPublicity computes a penalty's publicity window from the rule in force at its decision
// date (domain.md §4): the rule set whose dates cover the decision date, for the penalty's
// severity, preferring a rule limited to its sector. Without a matching rule the window stays
// empty and the penalty is not public.
func setPublicity(ctx context.Context, m *gen.AdministrativePenaltyMutation) error {
	decided, okDate := m.DecisionDate()
	severity, okSev := m.Severity()
	if !okDate && !okSev {
		return nil
	}
	if !m.Op().Is(ent.OpCreate) {
		if !okDate {
			old, err := m.OldDecisionDate(ctx)
			if err != nil {
				return err
			}
			decided = old
		}
		if !okSev {
			old, err := m.OldSeverity(ctx)
			if err != nil {
				return err
			}
			if old == nil {
				return nil
			}
			severity = *old
		}
	}
	sector, _ := m.Sector()
	rules, err := refdata.PublicityRules(ctx, m)
	if err != nil {
		return err
	}
	rule := refdata.PenaltyRule(rules, string(severity), string(sector), decided)
	if rule == nil {
		m.ClearPublicityStart()
		m.ClearPublicityMinEnd()
		m.ClearPublicityDeadline()
		m.ClearPublicityRuleSet()
		return nil
	}
	m.SetPublicityStart(decided)
	m.SetPublicityMinEnd(decided.AddDate(0, rule.MinMonths, 0))
	m.SetPublicityDeadline(decided.AddDate(0, rule.MaxMonths, -1))
	m.SetRepairable(rule.Repairable)
	m.SetPublicityRuleSet(rule.RuleSet)
	return nil
}

// listEntryRules checks that a listing's dates are in order and a removal has a reason.
func listEntryRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.ListEntryMutation)
	if v, ok := m.DecisionNo(); ok && strings.TrimSpace(v) == "" {
		return derrors.Field("decisionNo", "must not be blank")
	}
	if err := notBefore(ctx, m, "listed_on", "planned_end_on"); err != nil {
		return err
	}
	if err := notBefore(ctx, m, "listed_on", "removed_on"); err != nil {
		return err
	}
	_, removed := m.RemovedOn()
	_, reason := m.RemovalReason()
	if removed && !reason {
		return derrors.Field("removalReason", "is required when removedOn is set")
	}
	if !m.Op().Is(ent.OpCreate) {
		return nil
	}
	if err := priorNoticeServed(ctx, m); err != nil {
		return err
	}
	// The list's publicity rule in force at the listing date sets the earliest repair and,
	// when the department gave none, the planned end.
	listed, _ := m.ListedOn()
	listType, _ := m.ListType()
	rules, err := refdata.PublicityRules(ctx, m)
	if err != nil {
		return err
	}
	r := refdata.ListRule(rules, string(listType), listed)
	if r == nil {
		return nil
	}
	m.SetPublicityMinEnd(listed.AddDate(0, r.MinMonths, 0))
	m.SetRepairable(r.Repairable)
	if _, ok := m.PlannedEndOn(); !ok {
		m.SetPlannedEndOn(listed.AddDate(0, r.MaxMonths, -1))
	}
	return nil
}

// ratingRules checks the grade against its scheme's scale.
func ratingRules(ctx context.Context, mu ent.Mutation) error {
	m := mu.(*gen.SectorRatingMutation)
	grade, ok := m.Grade()
	if !ok {
		return nil
	}
	scheme, ok := m.Scheme()
	if !ok {
		old, err := m.OldScheme(ctx)
		if err != nil {
			return err
		}
		scheme = old
	}
	grade = strings.ToUpper(strings.TrimSpace(grade))
	scale := sectors.RatingGrades[string(scheme)]
	for _, g := range scale {
		if g == grade {
			m.SetGrade(grade)
			return notBefore(ctx, m, "valid_from", "valid_until")
		}
	}
	return derrors.Field("grade", "%q is not a grade of %s (one of %s)", grade, scheme, strings.Join(scale, ", "))
}

// licenseRules checks the validity period.
func licenseRules(ctx context.Context, m ent.Mutation) error {
	if v, ok := m.Field("decision_no"); ok && strings.TrimSpace(v.(string)) == "" {
		return derrors.Field("decisionNo", "must not be blank")
	}
	return notBefore(ctx, m, "valid_from", "valid_to")
}

// scoreEventRules checks the sign of the points for the scheme.
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
	return notBefore(ctx, m, "effective_from", "expires_on")
}

// scoreEventEffects derives a new score event's consequences — rating, listings, evaluation —
// in the transaction that records it.
func scoreEventEffects(next ent.Mutator) ent.Mutator {
	return hook.CreditScoreEventFunc(func(ctx context.Context, m *gen.CreditScoreEventMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpCreate) {
			return v, err
		}
		if err := scorer.Apply(ctx, m.Client(), v.(*gen.CreditScoreEvent), sectors.Today()); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// governmentRecordHook validates a government integrity record.
func governmentRecordHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("body_uscc"); ok {
			code := ident.NormalizeUSCC(v.(string))
			if _, err := ident.ValidateUSCC(code, false); err != nil {
				return nil, derrors.Field("bodyUscc", "%s", err)
			}
			_ = m.SetField("body_uscc", code)
		}
		if err := notFuture(m, "recorded_on"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// workflowPolicy governs workflow documents tied to a department: departments (not the
// public) read them; writers of the department's sector create and change them.
func workflowPolicy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRegistry(rule.RegistryOnly)},
		Mutation: privacy.MutationPolicy{rule.WriteRecords(false)},
	}
}

// priorNoticeHook checks a notice's dates.
func priorNoticeHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if err := notFuture(m, "served_on"); err != nil {
			return nil, err
		}
		if err := notBefore(ctx, m, "served_on", "reply_deadline"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// priorNoticeServed refuses to list a natural person unless a department of the listing
// department's sector served a notice for the list before the listing date, and its reply
// deadline passed or its reply was handled (domain.md §7). It runs for every writer: API,
// imports, CLI and derived listings alike.
func priorNoticeServed(ctx context.Context, m *gen.ListEntryMutation) error {
	personID, ok := m.PersonID()
	if !ok {
		return nil
	}
	listed, _ := m.ListedOn()
	listType, _ := m.ListType()
	depID, _ := m.DepartmentID()
	ctx = internal(ctx)
	dep, err := m.Client().Department.Get(ctx, depID)
	if err != nil {
		return err
	}
	served, err := m.Client().PriorNotice.Query().Where(
		priornotice.PersonID(personID), priornotice.ListType(string(listType)), priornotice.ServedOnLTE(listed),
		priornotice.Or(priornotice.ReplyDeadlineLT(listed), priornotice.ReplyHandled(true)),
		priornotice.HasDepartmentWith(department.SectorEQ(dep.Sector))).Exist(ctx)
	if err != nil {
		return err
	}
	if !served {
		return fmt.Errorf("%w: personID: a natural person can be put on %s only after a prior notice was served and its reply deadline passed or its reply was handled", derrors.Conflict, listType)
	}
	return nil
}

// oneRecordHook checks that a new repair application or objection names exactly one record.
func oneRecordHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, mu ent.Mutation) (ent.Value, error) {
		if !mu.Op().Is(ent.OpCreate) {
			return next.Mutate(ctx, mu)
		}
		_, hasPenalty := mu.Field("penalty_id")
		_, hasList := mu.Field("list_entry_id")
		if hasPenalty == hasList {
			return nil, derrors.Field("penaltyID", "name exactly one record: penaltyID or listEntryID")
		}
		return next.Mutate(ctx, mu)
	})
}

// commitmentBreachHook records a breach: when a commitment becomes BREACHED, a
// COMMITMENT_BREACH entry of the commitment's sector is listed for its subject (which takes the
// subject out of notify-and-commit approvals and caps its tier), in the same transaction.
func commitmentBreachHook(next ent.Mutator) ent.Mutator {
	return hook.CreditCommitmentFunc(func(ctx context.Context, m *gen.CreditCommitmentMutation) (ent.Value, error) {
		f, ok := m.Fulfilment()
		v, err := next.Mutate(ctx, m)
		if err != nil || !ok || f != creditcommitment.FulfilmentBREACHED {
			return v, err
		}
		cm := v.(*gen.CreditCommitment)
		key := fmt.Sprintf("BREACH-%d", cm.ID)
		c := m.Client()
		ictx := internal(ctx)
		if exists, err := c.ListEntry.Query().Where(listentry.SourceSystem("creditgraph-commitments"), listentry.SourceRecordID(key)).Exist(ictx); err != nil || exists {
			return v, err
		}
		create := c.ListEntry.Create().SetDepartmentID(cm.DepartmentID).SetSourceSystem("creditgraph-commitments").SetSourceRecordID(key).
			SetSeverity(sectors.General).SetListType(listentry.ListTypeCOMMITMENT_BREACH).SetListedOn(today()).
			SetReason("违背信用承诺: " + cm.RelatedMatter).SetBasis("国办发〔2019〕35号 §二(一): 承诺履约情况记入信用记录").
			SetDecisionNo(key)
		if cm.EntityID != 0 {
			create.SetEntityID(cm.EntityID)
		}
		if cm.PersonID != 0 {
			create.SetPersonID(cm.PersonID)
		}
		if err := create.Exec(ictx); err != nil {
			return nil, fmt.Errorf("recording the breach: %w", err)
		}
		return v, nil
	})
}

// exempt marks a new record exempt when it is flagged as an SME's conduct caused by the
// epidemic and a declared exemption period covers its date: it is recorded, but triggers no
// listing effects, measures or gates.
func exempt(ctx context.Context, m ent.Mutation, dateField string) error {
	epi, _ := m.Field("epidemic_related")
	sme, _ := m.Field("sme")
	if epi != true || sme != true {
		return nil
	}
	v, ok := m.Field(dateField)
	if !ok {
		return nil
	}
	day := v.(time.Time)
	c := m.(interface{ Client() *gen.Client }).Client()
	p, err := c.ExemptionPeriod.Query().Where(exemptionperiod.StartsOnLTE(day), exemptionperiod.EndsOnGTE(day)).First(internal(ctx))
	switch {
	case gen.IsNotFound(err):
		return nil // no declared period covers it: recorded as usual
	case err != nil:
		return err
	}
	return m.SetField("exemption", p.Name)
}

// listingEvents publishes LISTED and REMOVED events after the listing's transaction commits.
func listingEvents(next ent.Mutator) ent.Mutator {
	return hook.ListEntryFunc(func(ctx context.Context, m *gen.ListEntryMutation) (ent.Value, error) {
		_, removing := m.RemovedOn()
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		l, ok := v.(*gen.ListEntry)
		if !ok || l.Exemption != "" {
			return v, nil
		}
		e := events.Event{Sector: l.Sector, RecordID: l.ID, EntityID: l.EntityID, Public: l.Status == sectors.Published && l.RemovedOn == nil}
		switch {
		case m.Op().Is(ent.OpCreate):
			e.Type, e.Summary = events.Listed, fmt.Sprintf("%s listed (%s)", l.ListType, l.DecisionNo)
		case removing && l.RemovedOn != nil:
			e.Type, e.Summary = events.Removed, fmt.Sprintf("%s removed (%s)", l.ListType, l.DecisionNo)
		default:
			return v, nil
		}
		notify.AfterCommit(ctx, m.Client(), e)
		return v, nil
	})
}
