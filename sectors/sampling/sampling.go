// Package sampling draws random inspection plans (双随机、一公开, domain.md §3.4): per risk tier,
// a share of the entities is drawn at random and each is assigned an inspector at random from
// the department's pool. The draw depends only on its inputs and the seed, so a plan can be
// reproduced and audited.
package sampling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/creditgraph/creditgraph/sectors/evaluation"
)

// DefaultRatios are the sampling shares per tier seen in practice (domain.md §3.4: C and D
// sampled fully, B 5%, A 2%); callers may pass their own.
var DefaultRatios = map[evaluation.Tier]float64{evaluation.TierA: 0.02, evaluation.TierB: 0.05, evaluation.TierC: 1, evaluation.TierD: 1}

// Candidate is an entity that may be drawn.
type Candidate struct {
	ID   int
	Tier evaluation.Tier
}

// Assignment is one drawn entity and its inspector.
type Assignment struct {
	EntityID  int             `json:"entityID"`
	Tier      evaluation.Tier `json:"tier"`
	Inspector string          `json:"inspector"`
}

// Draw picks round(ratio × n) entities of each tier at random and assigns each an inspector.
func Draw(cands []Candidate, ratios map[evaluation.Tier]float64, inspectors []string, seed uint64) ([]Assignment, error) {
	if len(inspectors) == 0 {
		return nil, fmt.Errorf("the department has no inspectors to assign")
	}
	for t, r := range ratios {
		if r < 0 || r > 1 || math.IsNaN(r) {
			return nil, fmt.Errorf("the ratio for tier %s must be between 0 and 1, got %v", t, r)
		}
	}
	byTier := map[evaluation.Tier][]int{}
	for _, c := range cands {
		byTier[c.Tier] = append(byTier[c.Tier], c.ID)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	var out []Assignment
	for _, tier := range []evaluation.Tier{evaluation.TierA, evaluation.TierB, evaluation.TierC, evaluation.TierD} {
		ids := byTier[tier]
		sort.Ints(ids) // the draw must not depend on the order rows came back in
		k := int(math.Round(ratios[tier] * float64(len(ids))))
		for i := 0; i < k; i++ { // partial Fisher–Yates
			j := i + rng.IntN(len(ids)-i)
			ids[i], ids[j] = ids[j], ids[i]
			out = append(out, Assignment{EntityID: ids[i], Tier: tier, Inspector: inspectors[rng.IntN(len(inspectors))]})
		}
	}
	return out, nil
}
