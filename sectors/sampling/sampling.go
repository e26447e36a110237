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
	// Factor is the share of its tier's ratio the entity is drawn at: below 1 for an entity
	// that earns fewer inspections (a red list, sectors/incentives); 0 counts as 1.
	Factor float64
}

// Draw picks round(ratio × n) entities of each tier at random and assigns each an inspector;
// entities with a factor below 1 form their own stratum of the tier, drawn at ratio × factor.
// Without such entities the draw is what it was before factors existed.
func Draw(cands []Candidate, ratios map[vocab.Tier]float64, inspectors []string, seed uint64) ([]vocab.Assignment, error) {
	if len(inspectors) == 0 {
		return nil, fmt.Errorf("the department has no inspectors to assign")
	}
	for t, r := range ratios {
		if r < 0 || r > 1 || math.IsNaN(r) {
			return nil, fmt.Errorf("the ratio for tier %s must be between 0 and 1, got %v", t, r)
		}
	}
	type stratum struct {
		tier   vocab.Tier
		factor float64
	}
	strata := map[stratum][]int{}
	for _, c := range cands {
		f := c.Factor
		if f <= 0 || f > 1 || math.IsNaN(f) {
			f = 1
		}
		strata[stratum{c.Tier, f}] = append(strata[stratum{c.Tier, f}], c.ID)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	var out []vocab.Assignment
	for _, tier := range []vocab.Tier{vocab.TierA, vocab.TierB, vocab.TierC, vocab.TierD} {
		factors := []float64{}
		for s := range strata {
			if s.tier == tier {
				factors = append(factors, s.factor)
			}
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(factors))) // 1 first: the plain stratum draws as before
		for _, f := range factors {
			ids := strata[stratum{tier, f}]
			sort.Ints(ids) // the draw must not depend on the order rows came back in
			k := int(math.Round(ratios[tier] * f * float64(len(ids))))
			for i := 0; i < k; i++ { // partial Fisher–Yates
				j := i + rng.IntN(len(ids)-i)
				ids[i], ids[j] = ids[j], ids[i]
				out = append(out, vocab.Assignment{EntityID: ids[i], Tier: tier, Inspector: inspectors[rng.IntN(len(inspectors))]})
			}
		}
	}
	return out, nil
}
