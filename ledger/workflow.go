package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/exemptionperiod"
	"github.com/creditgraph/creditgraph/ent/hook"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/priornotice"
	"github.com/creditgraph/creditgraph/vocab"
)

// priorNotice checks a notice's dates.
func (e *Engine) priorNotice(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if err := e.notFuture(m, "served_on"); err != nil {
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
	personID, _ := m.PersonID()
	listed, okListed := m.ListedOn()
	listType, okType := m.ListType()
	depID, _ := m.DepartmentID()
	if m.Op().Is(ent.OpUpdateOne) { // the stored values stand in for those the update leaves
		var err error
		if personID, err = m.OldPersonID(ctx); err != nil {
			return err
		}
		if depID, err = m.OldDepartmentID(ctx); err != nil {
			return err
		}
		if !okListed {
			if listed, err = m.OldListedOn(ctx); err != nil {
				return err
			}
		}
		if !okType {
			if listType, err = m.OldListType(ctx); err != nil {
				return err
			}
		}
	}
	if personID == 0 {
		return nil
	}
	ctx = authz.AsSystem(ctx)
	dep, err := m.Client().Department.Get(ctx, depID)
	if err != nil {
		return err
	}
	// As committed (evaluator.Current): a correction of the notice made meanwhile counts.
	served, err := m.Client().PriorNotice.Query().Where(priornotice.Completed(personID, string(listType), dep.Sector, listed),
		predicate.PriorNotice(evaluator.Current)).Exist(ctx)
	if err != nil {
		return err
	}
	if !served {
		return fmt.Errorf("%w: personID: a natural person can be put on %s only after a prior notice was served and its reply deadline passed or its reply was handled", derrors.Conflict, listType)
	}
	return nil
}

// recordRefs are the fields by which a new repair application or objection names its record,
// by type, with their names in the API: a rating can be objected to, not repaired.
var recordRefs = map[string][][2]string{
	gen.TypeRepairApplication: {{"penalty_id", "penaltyID"}, {"list_entry_id", "listEntryID"}},
	gen.TypeObjection:         {{"penalty_id", "penaltyID"}, {"list_entry_id", "listEntryID"}, {"rating_id", "ratingID"}},
}

// oneRecord checks that a new repair application or objection names exactly one record.
func oneRecord(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, mu ent.Mutation) (ent.Value, error) {
		if !mu.Op().Is(ent.OpCreate) {
			return next.Mutate(ctx, mu)
		}
		named, names := 0, []string{}
		for _, f := range recordRefs[mu.Type()] {
			if _, ok := mu.Field(f[0]); ok {
				named++
			}
			names = append(names, f[1])
		}
		if named != 1 {
			return nil, derrors.Field("penaltyID", "name exactly one record: %s or %s",
				strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
		}
		return next.Mutate(ctx, mu)
	})
}

// repairDepartment sends a repair application to the department that made the record (谁认定、
// 谁修复, domain.md §5.2): the department an application names must be the record's, or it
// is refused, naming it.
func repairDepartment(next ent.Mutator) ent.Mutator {
	return hook.RepairApplicationFunc(func(ctx context.Context, m *gen.RepairApplicationMutation) (ent.Value, error) {
		depID, ok := m.DepartmentID()
		if !m.Op().Is(ent.OpCreate) || !ok {
			return next.Mutate(ctx, m)
		}
		// The record as the caller sees it: one hidden from the caller is reported as missing
		// further on, not described here.
		var owner int
		if id, ok := m.PenaltyID(); ok {
			p, err := m.Client().AdministrativePenalty.Get(ctx, id)
			if err != nil {
				return next.Mutate(ctx, m) // the privacy rules and the schema report it
			}
			owner = p.DepartmentID
		} else if id, ok := m.ListEntryID(); ok {
			l, err := m.Client().ListEntry.Get(ctx, id)
			if err != nil {
				return next.Mutate(ctx, m)
			}
			owner = l.DepartmentID
		}
		if owner != 0 && owner != depID {
			d, err := m.Client().Department.Get(authz.AsSystem(ctx), owner)
			if err != nil {
				return nil, err
			}
			return nil, derrors.Field("departmentID", "the record was made by %s (%s); its repair goes to that department", d.Name, d.Code)
		}
		return next.Mutate(ctx, m)
	})
}

// commitmentBreach records a breach: when a commitment becomes BREACHED, a COMMITMENT_BREACH
// entry of the commitment's sector is listed for its subject (which takes the subject out of
// notify-and-commit approvals and caps its tier), in the same transaction. A breach stands: a
// commitment once BREACHED keeps that fulfilment, so that no commitment reads FULFILLED beside
// an active breach listing; a breach recorded in error is corrected through an objection to
// its listing.
func (e *Engine) commitmentBreach(next ent.Mutator) ent.Mutator {
	return hook.CreditCommitmentFunc(func(ctx context.Context, m *gen.CreditCommitmentMutation) (ent.Value, error) {
		f, ok := m.Fulfilment()
		if ok && f != creditcommitment.FulfilmentBREACHED && m.Op().Is(ent.OpUpdateOne) {
			old, err := m.OldFulfilment(ctx)
			if err != nil {
				return nil, err
			}
			if old == creditcommitment.FulfilmentBREACHED {
				id, _ := m.ID()
				return nil, derrors.Field("fulfilment", "the commitment was breached and its subject listed (COMMITMENT_BREACH, decision BREACH-%d): a breach stands; one recorded in error is corrected by an objection to that listing (fileObjection)", id)
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || !ok || f != creditcommitment.FulfilmentBREACHED {
			return v, err
		}
		cm := v.(*gen.CreditCommitment)
		key := fmt.Sprintf("BREACH-%d", cm.ID)
		c := m.Client()
		sys := authz.AsSystem(ctx)
		if exists, err := c.ListEntry.Query().Where(listentry.DepartmentID(cm.DepartmentID), listentry.SourceSystem("creditgraph-commitments"),
			listentry.SourceRecordID(key)).Exist(sys); err != nil || exists {
			return v, err
		}
		create := c.ListEntry.Create().SetDepartmentID(cm.DepartmentID).SetSourceSystem("creditgraph-commitments").SetSourceRecordID(key).
			SetSeverity(vocab.General).SetListType(listentry.ListTypeCOMMITMENT_BREACH).SetListedOn(e.today()).
			SetReason("违背信用承诺: " + cm.RelatedMatter).SetBasis("国办发〔2019〕35号 §二(一): 承诺履约情况记入信用记录").
			SetDecisionNo(key)
		if cm.EntityID != 0 {
			create.SetEntityID(cm.EntityID)
		}
		if cm.PersonID != 0 {
			create.SetPersonID(cm.PersonID)
		}
		if err := create.Exec(sys); err != nil {
			return nil, fmt.Errorf("recording the breach: %w", err)
		}
		return v, nil
	})
}

// exempt marks a record exempt when it is flagged as an SME's conduct caused by the epidemic
// and a declared exemption period covers its date: it is recorded, but triggers no listing
// effects, measures or gates. A correction of the date decides again: out of every period the
// record is no longer exempt, into one it is (the stored flags standing in).
func exempt(ctx context.Context, m ent.Mutation, dateField string) error {
	update := m.Op().Is(ent.OpUpdateOne)
	v, ok := m.Field(dateField)
	if !ok {
		return nil // a create without the date is refused elsewhere; an update keeps the decision
	}
	flag := func(name string) (bool, error) {
		f, ok := m.Field(name)
		if !ok && update {
			var err error
			if f, err = m.OldField(ctx, name); err != nil {
				return false, err
			}
		}
		return f == true, nil
	}
	epi, err := flag("epidemic_related")
	if err != nil {
		return err
	}
	sme, err := flag("sme")
	if err != nil {
		return err
	}
	name := ""
	if epi && sme {
		day := v.(time.Time)
		c := m.(interface{ Client() *gen.Client }).Client()
		p, err := c.ExemptionPeriod.Query().Where(exemptionperiod.StartsOnLTE(day), exemptionperiod.EndsOnGTE(day)).First(authz.AsSystem(ctx))
		switch {
		case err == nil:
			name = p.Name
		case !gen.IsNotFound(err):
			return err
		}
	}
	if name == "" && !update {
		return nil // no declared period covers it: recorded as usual
	}
	return m.SetField("exemption", name)
}
