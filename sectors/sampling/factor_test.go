package sampling

import (
	"slices"
	"testing"

	"github.com/creditgraph/creditgraph/vocab"
)

// Entities that earn fewer inspections form their own stratum of the tier, drawn at the tier's
// ratio times their factor; everyone else is drawn exactly as without factors.
func TestFactorsHalveTheDrawOfTheirStratum(t *testing.T) {
	var plain, mixed []Candidate
	for i := 1; i <= 400; i++ {
		plain = append(plain, Candidate{ID: i, Tier: vocab.TierA})
		mixed = append(mixed, Candidate{ID: i, Tier: vocab.TierA})
	}
	for i := 401; i <= 600; i++ {
		mixed = append(mixed, Candidate{ID: i, Tier: vocab.TierA, Factor: 0.5})
	}
	ratios := map[vocab.Tier]float64{vocab.TierA: 0.1}
	a, err := Draw(plain, ratios, []string{"甲"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Draw(mixed, ratios, []string{"甲"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	red := 0
	for _, x := range b {
		if x.EntityID > 400 {
			red++
		}
	}
	if len(a) != 40 || len(b) != 50 || red != 10 {
		t.Errorf("drew %d of 400 plain; with 200 at half: %d, of them %d red-listed; want 40, 50, 10", len(a), len(b), red)
	}
	if !slices.Equal(a, b[:40]) {
		t.Errorf("the plain stratum's draw changed when red-listed entities joined")
	}
}
