package graph

import (
	"context"
	"time"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/environment"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/vocab"
)

// ratiosOf reads the sampling shares; nil means the defaults.
func ratiosOf(in *TierRatiosInput) map[vocab.Tier]float64 {
	if in == nil {
		return nil
	}
	return map[vocab.Tier]float64{vocab.TierA: in.A, vocab.TierB: in.B, vocab.TierC: in.C, vocab.TierD: in.D}
}

// restrictions dispatches to the entity or the person check; exactly one subject is named.
func restrictions(ctx context.Context, c *ent.Client, uscc *string, personID *int, purpose string, today time.Time) ([]*jointpunishment.Restriction, error) {
	switch {
	case uscc != nil && personID == nil:
		return jointpunishment.ForEntity(ctx, c, *uscc, purpose, today)
	case personID != nil && uscc == nil:
		return jointpunishment.ForPerson(ctx, c, *personID, purpose, today)
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
func eiaStatus(ctx context.Context, c *ent.Client, entityID, personID *int, today time.Time) (*environment.EIAState, error) {
	var e, p int
	switch {
	case entityID != nil && personID == nil:
		e = *entityID
	case personID != nil && entityID == nil:
		p = *personID
	default:
		return nil, derrors.Field("entityID", "name exactly one subject: entityID or personID")
	}
	st, err := scorer.EIA(ctx, c, e, p, today)
	return &st, err
}

// enumList types a closed set stored as a JSON list of strings (a catalogue's purposes, a
// rule's penalty categories) as its GraphQL enum.
func enumList[T ~string](values []string) []T {
	out := make([]T, len(values))
	for i, v := range values {
		out[i] = T(v)
	}
	return out
}
