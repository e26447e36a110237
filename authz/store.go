package authz

import (
	"context"
	"fmt"

	"github.com/creditgraph/creditgraph/derrors"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/casbinrule"
	"github.com/creditgraph/creditgraph/ent/predicate"
)

// EntStore keeps the policy in the casbin_rule table: our own small Casbin adapter (the
// upstream ent adapter is not available here).
type EntStore struct{ Client *ent.Client }

// system lets the store read and write rules whoever asks; the callers (the GraphQL policy
// mutations) are gated by the ManagePolicy permission before they get here.
func system(ctx context.Context) context.Context { return AsSystem(ctx) }

// LoadRules reads every rule in a stable order.
func (s EntStore) LoadRules(ctx context.Context) ([]Rule, error) {
	rows, err := s.Client.CasbinRule.Query().Order(ent.Asc(casbinrule.FieldID)).All(system(ctx))
	if err != nil {
		return nil, err
	}
	rules := make([]Rule, len(rows))
	for i, r := range rows {
		rules[i] = Rule{PType: r.Ptype, V: [4]string{r.V0, r.V1, r.V2, r.V3}}
	}
	return rules, nil
}

// AddRule stores a rule; adding one that exists is a no-op.
func (s EntStore) AddRule(ctx context.Context, r Rule) error {
	ctx = system(ctx)
	exists, err := s.match(r).Exist(ctx)
	if err != nil || exists {
		return err
	}
	return s.Client.CasbinRule.Create().SetPtype(r.PType).
		SetV0(r.V[0]).SetV1(r.V[1]).SetV2(r.V[2]).SetV3(r.V[3]).Exec(ctx)
}

// RemoveRule deletes a rule; it is an error when there is none.
func (s EntStore) RemoveRule(ctx context.Context, r Rule) error {
	n, err := s.Client.CasbinRule.Delete().Where(s.predicates(r)...).Exec(system(ctx))
	if err == nil && n == 0 {
		return fmt.Errorf("%w: no rule %s", derrors.NotFound, r)
	}
	return err
}

func (s EntStore) match(r Rule) *ent.CasbinRuleQuery {
	return s.Client.CasbinRule.Query().Where(s.predicates(r)...)
}

func (s EntStore) predicates(r Rule) []predicate.CasbinRule {
	return []predicate.CasbinRule{casbinrule.Ptype(r.PType), casbinrule.V0(r.V[0]), casbinrule.V1(r.V[1]),
		casbinrule.V2(r.V[2]), casbinrule.V3(r.V[3])}
}
