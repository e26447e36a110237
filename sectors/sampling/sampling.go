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

	"github.com/creditgraph/creditgraph/vocab"
)

// DefaultRatios are the sampling shares per tier seen in practice (domain.md §3.4: C and D
// sampled fully, B 5%, A 2%); callers may pass their own.
var DefaultRatios = map[vocab.Tier]float64{vocab.TierA: 0.02, vocab.TierB: 0.05, vocab.TierC: 1, vocab.TierD: 1}

// Candidate is an entity that may be drawn.
type Candidate struct {
	ID   int
	Tier vocab.Tier
}

// Draw picks round(ratio × n) entities of each tier at random and assigns each an inspector.
func Draw(cands []Candidate, ratios map[vocab.Tier]float64, inspectors []string, seed uint64) ([]vocab.Assignment, error) {
	if len(inspectors) == 0 {
		return nil, fmt.Errorf("the department has no inspectors to assign")
	}
	for t, r := range ratios {
		if r < 0 || r > 1 || math.IsNaN(r) {
			return nil, fmt.Errorf("the ratio for tier %s must be between 0 and 1, got %v", t, r)
		}
	}
	byTier := map[vocab.Tier][]int{}
	for _, c := range cands {
		byTier[c.Tier] = append(byTier[c.Tier], c.ID)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	var out []vocab.Assignment
	for _, tier := range []vocab.Tier{vocab.TierA, vocab.TierB, vocab.TierC, vocab.TierD} {
		ids := byTier[tier]
		sort.Ints(ids) // the draw must not depend on the order rows came back in
		k := int(math.Round(ratios[tier] * float64(len(ids))))
		for i := 0; i < k; i++ { // partial Fisher–Yates
			j := i + rng.IntN(len(ids)-i)
			ids[i], ids[j] = ids[j], ids[i]
			out = append(out, vocab.Assignment{EntityID: ids[i], Tier: tier, Inspector: inspectors[rng.IntN(len(inspectors))]})
		}
	}
	return out, nil
}
