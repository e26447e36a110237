// Package planner draws and stores inspection plans over the stored risk tiers.
package planner

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/inspectionplan"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/incentives"
	"github.com/creditgraph/creditgraph/sectors/sampling"
	"github.com/creditgraph/creditgraph/vocab"
)

// Draw draws a plan for the department over the operating entities registered in a division
// (a city code covers its counties) and stores it. The same department, division, ratios and
// seed return the stored plan: a draw is reproducible and recorded once. Writing the plan is
// subject to the department's write permission (the data layer checks it).
//
// Entities that earn fewer inspections on day (a red list in force and no listing: the
// INSPECTION incentives of the catalogue) are drawn at their tier's ratio times the incentive's
// factor (sectors/incentives.InspectionFactors).
func Draw(ctx context.Context, c *ent.Client, departmentID int, divisionCode string, ratios map[vocab.Tier]float64, seed int64, day time.Time) (*ent.InspectionPlan, error) {
	div, ok := ident.LookupDivision(divisionCode)
	if !ok {
		return nil, derrors.Field("divisionCode", "%q is not a Jiangsu division code", divisionCode)
	}
	dep, err := c.Department.Get(ctx, departmentID)
	if ent.IsNotFound(err) {
		return nil, derrors.Field("departmentID", "no department has ID %d", departmentID)
	}
	if err != nil {
		return nil, err
	}
	if len(dep.Inspectors) == 0 {
		return nil, derrors.Field("departmentID", "department %s has no inspectors to assign", dep.Code)
	}
	if ratios == nil {
		ratios = sampling.DefaultRatios
	}
	// The plan's inputs are its identity: other ratios are another plan, even with the seed.
	code := fmt.Sprintf("SSLM-%s-%s-%d-%s", dep.Code, div.Code, seed, ratioTag(ratios))
	if p, err := c.InspectionPlan.Query().Where(inspectionplan.Code(code)).Only(ctx); err == nil {
		return p, nil
	} else if !ent.IsNotFound(err) {
		return nil, err
	}
	where := []predicate.MarketEntity{marketentity.RiskTierNotNil(),
		marketentity.StatusIn(marketentity.StatusEXISTING, marketentity.StatusOPERATING)}
	switch div.Level {
	case ident.LevelCity:
		where = append(where, marketentity.CityCode(div.Code))
	case ident.LevelCounty:
		where = append(where, marketentity.DivisionCode(div.Code))
	}
	q := c.MarketEntity.Query().Where(where...)
	var rows []struct {
		ID       int        `json:"id"`
		RiskTier vocab.Tier `json:"risk_tier"`
	}
	// Registration data and tiers are visible to every department; read them whoever asks.
	if err := q.Select(marketentity.FieldID, marketentity.FieldRiskTier).Scan(authz.AsSystem(ctx), &rows); err != nil {
		return nil, err
	}
	factors, err := incentives.InspectionFactors(ctx, c, marketentity.And(where...), day)
	if err != nil {
		return nil, err
	}
	cands := make([]sampling.Candidate, len(rows))
	for i, r := range rows {
		cands[i] = sampling.Candidate{ID: r.ID, Tier: r.RiskTier, Factor: factors[r.ID]}
	}
	drawn, err := sampling.Draw(cands, ratios, dep.Inspectors, uint64(seed))
	if err != nil {
		return nil, derrors.Field("ratios", "%s", err)
	}
	return c.InspectionPlan.Create().SetCode(code).SetDepartmentID(dep.ID).SetDivisionCode(div.Code).SetSeed(seed).
		SetRatios(ratios).SetCandidates(len(cands)).SetAssignments(drawn).Save(ctx)
}

// ratioTag writes ratios as a short, canonical part of a plan code: the shares in percent per
// tier (A2B5C100D100 for the default shares).
func ratioTag(ratios map[vocab.Tier]float64) string {
	var b strings.Builder
	for _, t := range []vocab.Tier{vocab.TierA, vocab.TierB, vocab.TierC, vocab.TierD} {
		b.WriteString(string(t) + strconv.FormatFloat(math.Round(ratios[t]*1e4)/1e2, 'f', -1, 64)) // to 0.01 %
	}
	return b.String()
}
