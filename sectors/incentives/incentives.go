// Package incentives applies the joint-incentive catalogue (守信联合激励): which incentives a
// subject earns for a purpose from its red-list entries in force (容缺受理, 绿色通道, fewer random
// inspections, priority in funding …), mirroring jointpunishment's restrictions.
//
// Restrictions come first: a subject with any listing in force that carries consequences
// (sectors/publicity.ActiveListing) earns no incentive at all, whatever its red lists — an
// incentive never lifts a restriction (国发〔2016〕33号: 红黑名单并存时失信惩戒优先).
package incentives

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/incentivemeasure"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/vocab"
)

// Incentive is one catalogue incentive a subject earns, with the red-list entry that earns it.
type Incentive struct {
	Measure      *ent.IncentiveMeasure
	Purpose      string
	ListType     redlistentry.ListType
	DecisionNo   string
	Source       string
	Department   string // name of the recording department
	RecognisedOn time.Time
	Until        *time.Time
	Basis        string
}

// ActiveRedListing selects the red-list entries in force on day: published, not under
// objection, recognised by day, neither withdrawn nor past their validity.
func ActiveRedListing(day time.Time) predicate.RedListEntry {
	return redlistentry.And(redlistentry.StatusEQ(vocab.Published), redlistentry.UnderObjection(false),
		redlistentry.RemovedOnIsNil(), redlistentry.RecognisedOnLTE(day),
		redlistentry.Or(redlistentry.ValidUntilIsNil(), redlistentry.ValidUntilGTE(day)))
}

// inForce selects the catalogue measures in force on day.
func inForce(day time.Time) predicate.IncentiveMeasure {
	return incentivemeasure.And(incentivemeasure.EffectiveFromLTE(day),
		incentivemeasure.Or(incentivemeasure.EffectiveToIsNil(), incentivemeasure.EffectiveToGT(day)))
}

// Result is what a subject earns for a purpose: the incentives, or none and why.
type Result struct {
	Granted []*Incentive
	// WithheldBy names the listings in force that withhold every incentive (decision numbers);
	// empty when nothing does.
	WithheldBy []string
}

// ForEntity lists the incentives the entity with the USCC earns for purpose on day. Like the
// restrictions check it reads across departments: the red lists and the catalogue are public,
// and the listings that withhold incentives are in publicity.
func ForEntity(ctx context.Context, c *ent.Client, uscc, purpose string, day time.Time) (*Result, error) {
	if err := jointpunishment.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	ctx = authz.AsSystem(ctx)
	e, err := jointpunishment.Subject(ctx, c, uscc)
	if err != nil {
		return nil, err
	}
	out := &Result{Granted: []*Incentive{}}
	listed, err := e.QueryListEntries().Where(publicity.ActiveListing(day)).Order(ent.Asc(listentry.FieldListedOn)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range listed {
		out.WithheldBy = append(out.WithheldBy, fmt.Sprintf("%s %s", l.ListType, l.DecisionNo))
	}
	if len(listed) > 0 {
		return out, nil
	}
	reds, err := e.QueryRedListEntries().Where(ActiveRedListing(day)).WithDepartment().Order(ent.Asc(redlistentry.FieldRecognisedOn)).All(ctx)
	if err != nil || len(reds) == 0 {
		return out, err
	}
	measures, err := c.IncentiveMeasure.Query().Where(inForce(day)).Order(ent.Asc(incentivemeasure.FieldCode)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range measures {
		if !slices.Contains(m.Purposes, purpose) {
			continue
		}
		for _, r := range reds {
			if !slices.Contains(m.RedListTypes, string(r.ListType)) {
				continue
			}
			dep := ""
			if r.Edges.Department != nil {
				dep = r.Edges.Department.Name
			}
			out.Granted = append(out.Granted, &Incentive{Measure: m, Purpose: purpose, ListType: r.ListType, DecisionNo: r.DecisionNo,
				Source: r.Source, Department: dep, RecognisedOn: r.RecognisedOn, Until: r.ValidUntil,
				Basis: r.Basis + "；" + m.LegalBasis})
		}
	}
	return out, nil
}

// InspectionFactors are the shares of their tier's sampling ratio the given entities are drawn
// at: for each entity that earns an INSPECTION incentive on day (a red list in force, no listing
// in force), the smallest factor among those incentives. Entities absent from the map are drawn
// at their tier's full ratio.
func InspectionFactors(ctx context.Context, c *ent.Client, entities predicate.MarketEntity, day time.Time) (map[int]float64, error) {
	ctx = authz.AsSystem(ctx)
	measures, err := c.IncentiveMeasure.Query().Where(inForce(day), incentivemeasure.InspectionFactorNotNil()).All(ctx)
	if err != nil || len(measures) == 0 {
		return nil, err
	}
	factorOf := map[redlistentry.ListType]float64{}
	for _, m := range measures {
		if !slices.Contains(m.Purposes, "INSPECTION") {
			continue
		}
		for _, t := range m.RedListTypes {
			lt := redlistentry.ListType(t)
			if f, ok := factorOf[lt]; !ok || *m.InspectionFactor < f {
				factorOf[lt] = *m.InspectionFactor
			}
		}
	}
	var reds []struct {
		EntityID int                   `json:"entity_id"`
		ListType redlistentry.ListType `json:"list_type"`
	}
	err = c.RedListEntry.Query().Where(ActiveRedListing(day), redlistentry.HasEntityWith(entities)).
		Select(redlistentry.FieldEntityID, redlistentry.FieldListType).Scan(ctx, &reds)
	if err != nil || len(reds) == 0 {
		return nil, err
	}
	var listed []struct {
		EntityID int `json:"entity_id"`
	}
	err = c.ListEntry.Query().Where(publicity.ActiveListing(day), listentry.HasEntityWith(entities)).
		Select(listentry.FieldEntityID).Scan(ctx, &listed)
	if err != nil {
		return nil, err
	}
	restricted := map[int]bool{}
	for _, l := range listed {
		restricted[l.EntityID] = true
	}
	out := map[int]float64{}
	for _, r := range reds {
		f, ok := factorOf[r.ListType]
		if !ok || restricted[r.EntityID] {
			continue
		}
		if old, seen := out[r.EntityID]; !seen || f < old {
			out[r.EntityID] = f
		}
	}
	return out, nil
}
