package graph

import (
	"context"
	"time"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors"
	"github.com/creditgraph/creditgraph/sectors/environment"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/sectors/evaluation"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
)

// ratiosOf reads the sampling shares; nil means the defaults.
func ratiosOf(in *TierRatiosInput) map[evaluation.Tier]float64 {
	if in == nil {
		return nil
	}
	return map[evaluation.Tier]float64{evaluation.TierA: in.A, evaluation.TierB: in.B, evaluation.TierC: in.C, evaluation.TierD: in.D}
}

// restrictions dispatches to the entity or the person check; exactly one subject is named.
func restrictions(ctx context.Context, c *ent.Client, uscc *string, personID *int, purpose string) ([]*jointpunishment.Restriction, error) {
	switch {
	case uscc != nil && personID == nil:
		return jointpunishment.ForEntity(ctx, c, *uscc, purpose, sectors.Today())
	case personID != nil && uscc == nil:
		return jointpunishment.ForPerson(ctx, c, *personID, purpose, sectors.Today())
	}
	return nil, derrors.Field("uscc", "name exactly one subject: uscc or personId")
}

// nonZero is nil for the zero time, so unset dates are null in GraphQL.
func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// eiaStatus dispatches to the provider or practitioner check; exactly one subject is named.
func eiaStatus(ctx context.Context, c *ent.Client, entityID, personID *int) (*environment.EIAState, error) {
	var e, p int
	switch {
	case entityID != nil && personID == nil:
		e = *entityID
	case personID != nil && entityID == nil:
		p = *personID
	default:
		return nil, derrors.Field("entityID", "name exactly one subject: entityID or personID")
	}
	st, err := scorer.EIA(ctx, c, e, p, sectors.Today())
	return &st, err
}
