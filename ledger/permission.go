package ledger

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativelicense"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/apitoken"
	"github.com/creditgraph/creditgraph/ent/auditlog"
	"github.com/creditgraph/creditgraph/ent/casbinrule"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/creditreportissue"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/division"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/entitytally"
	"github.com/creditgraph/creditgraph/ent/entitytallydelta"
	"github.com/creditgraph/creditgraph/ent/evaluationruleset"
	"github.com/creditgraph/creditgraph/ent/exemptionperiod"
	"github.com/creditgraph/creditgraph/ent/governmentintegrityrecord"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/ent/incentivemeasure"
	"github.com/creditgraph/creditgraph/ent/inspectionplan"
	"github.com/creditgraph/creditgraph/ent/jointpunishmentmeasure"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/measureapplication"
	"github.com/creditgraph/creditgraph/ent/naturalperson"
	"github.com/creditgraph/creditgraph/ent/objection"
	"github.com/creditgraph/creditgraph/ent/outboxevent"
	"github.com/creditgraph/creditgraph/ent/outboxsequence"
	"github.com/creditgraph/creditgraph/ent/practitioner"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/ent/repairapplication"
	"github.com/creditgraph/creditgraph/ent/repairtransition"
	"github.com/creditgraph/creditgraph/ent/scalerule"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/ent/serviceprovider"
	"github.com/creditgraph/creditgraph/ent/spotcheck"
	"github.com/creditgraph/creditgraph/ent/timelimit"
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
	policy, ok := policies[m.Type()]
	if !ok {
		return fmt.Errorf("%w: %s has no policy the engine knows", privacy.Deny, m.Type())
	}
	if rm, ok := m.(recordMutation); ok && m.Op().Is(ent.OpCreate) {
		withSector(ctx, rm)
	}
	return policy().EvalMutation(ctx, m)
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

// policies are the privacy policies of the schema's types, by type: read when asked, as the
// generated runtime sets them when the program starts. TestEveryTypeHasItsPolicy keeps the
// table whole.
var policies = map[string]func() ent.Policy{
	gen.TypeAPIToken:                  func() ent.Policy { return apitoken.Policy },
	gen.TypeAdministrativeLicense:     func() ent.Policy { return administrativelicense.Policy },
	gen.TypeAdministrativePenalty:     func() ent.Policy { return administrativepenalty.Policy },
	gen.TypeAuditLog:                  func() ent.Policy { return auditlog.Policy },
	gen.TypeCasbinRule:                func() ent.Policy { return casbinrule.Policy },
	gen.TypeCreditCommitment:          func() ent.Policy { return creditcommitment.Policy },
	gen.TypeCreditReportIssue:         func() ent.Policy { return creditreportissue.Policy },
	gen.TypeCreditScoreEvent:          func() ent.Policy { return creditscoreevent.Policy },
	gen.TypeDepartment:                func() ent.Policy { return department.Policy },
	gen.TypeDivision:                  func() ent.Policy { return division.Policy },
	gen.TypeEntityRole:                func() ent.Policy { return entityrole.Policy },
	gen.TypeEntityTally:               func() ent.Policy { return entitytally.Policy },
	gen.TypeEntityTallyDelta:          func() ent.Policy { return entitytallydelta.Policy },
	gen.TypeEvaluationRuleSet:         func() ent.Policy { return evaluationruleset.Policy },
	gen.TypeExemptionPeriod:           func() ent.Policy { return exemptionperiod.Policy },
	gen.TypeGovernmentIntegrityRecord: func() ent.Policy { return governmentintegrityrecord.Policy },
	gen.TypeHoliday:                   func() ent.Policy { return holiday.Policy },
	gen.TypeIncentiveMeasure:          func() ent.Policy { return incentivemeasure.Policy },
	gen.TypeInspectionPlan:            func() ent.Policy { return inspectionplan.Policy },
	gen.TypeJointPunishmentMeasure:    func() ent.Policy { return jointpunishmentmeasure.Policy },
	gen.TypeListEntry:                 func() ent.Policy { return listentry.Policy },
	gen.TypeMarketEntity:              func() ent.Policy { return marketentity.Policy },
	gen.TypeMeasureApplication:        func() ent.Policy { return measureapplication.Policy },
	gen.TypeNaturalPerson:             func() ent.Policy { return naturalperson.Policy },
	gen.TypeObjection:                 func() ent.Policy { return objection.Policy },
	gen.TypeOutboxEvent:               func() ent.Policy { return outboxevent.Policy },
	gen.TypeOutboxSequence:            func() ent.Policy { return outboxsequence.Policy },
	gen.TypePractitioner:              func() ent.Policy { return practitioner.Policy },
	gen.TypePriorNotice:               func() ent.Policy { return priornotice.Policy },
	gen.TypePublicityRule:             func() ent.Policy { return publicityrule.Policy },
	gen.TypeRedListEntry:              func() ent.Policy { return redlistentry.Policy },
	gen.TypeRepairApplication:         func() ent.Policy { return repairapplication.Policy },
	gen.TypeRepairTransition:          func() ent.Policy { return repairtransition.Policy },
	gen.TypeScaleRule:                 func() ent.Policy { return scalerule.Policy },
	gen.TypeSectorRating:              func() ent.Policy { return sectorrating.Policy },
	gen.TypeServiceProvider:           func() ent.Policy { return serviceprovider.Policy },
	gen.TypeSpotCheck:                 func() ent.Policy { return spotcheck.Policy },
	gen.TypeTimeLimit:                 func() ent.Policy { return timelimit.Policy },
}
