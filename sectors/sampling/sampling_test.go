package sampling

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/creditgraph/creditgraph/vocab"
)

func candidates(n int) []Candidate {
	r := rand.New(rand.NewPCG(1, 2))
	tiers := []vocab.Tier{"A", "A", "A", "A", "A", "A", "B", "B", "B", "C", "D"}
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{ID: i + 1, Tier: tiers[r.IntN(len(tiers))]}
	}
	return out
}

func TestDrawIsReproducibleAndProportional(t *testing.T) {
	cands := candidates(10000)
	inspectors := []string{"王检查", "李检查", "张检查"}
	ratios := map[vocab.Tier]float64{"A": 0.02, "B": 0.05, "C": 0.5, "D": 1}
	a, err := Draw(cands, ratios, inspectors, 42)
	if err != nil {
		t.Fatal(err)
	}
	// The same seed gives the same plan, whatever order the candidates come in.
	shuffled := slices.Clone(cands)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	b, _ := Draw(shuffled, ratios, inspectors, 42)
	if !slices.Equal(a, b) {
		t.Error("the same seed drew different plans")
	}
	c, _ := Draw(cands, ratios, inspectors, 43)
	if slices.Equal(a, c) {
		t.Error("another seed drew the same plan")
	}
	total := map[vocab.Tier]int{}
	for _, x := range cands {
		total[x.Tier]++
	}
	drawn := map[vocab.Tier]int{}
	seen := map[int]bool{}
	perInspector := map[string]int{}
	for _, x := range a {
		if seen[x.EntityID] {
			t.Fatalf("entity %d drawn twice", x.EntityID)
		}
		seen[x.EntityID] = true
		drawn[x.Tier]++
		perInspector[x.Inspector]++
	}
	for tier, ratio := range ratios {
		share := float64(drawn[tier]) / float64(total[tier])
		// round(ratio·n) differs from ratio·n by at most half an entity.
		if math.Abs(share-ratio) > 0.5/float64(total[tier])+1e-9 {
			t.Errorf("tier %s: drew %d of %d (%.4f), want %.2f", tier, drawn[tier], total[tier], share, ratio)
		}
	}
	for _, name := range inspectors {
		if n := perInspector[name]; n < len(a)/len(inspectors)*8/10 {
			t.Errorf("inspector %s got %d of %d: not drawn at random", name, n, len(a))
		}
	}
}

func TestDrawRefusesBadInput(t *testing.T) {
	if _, err := Draw(candidates(10), DefaultRatios, nil, 1); err == nil {
		t.Error("drew without inspectors")
	}
	if _, err := Draw(candidates(10), map[vocab.Tier]float64{"A": 1.5}, []string{"x"}, 1); err == nil {
		t.Error("accepted a ratio above 1")
	}
}
