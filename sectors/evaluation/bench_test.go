package evaluation

import (
	"testing"

	"github.com/creditgraph/creditgraph/vocab"
)

// go test ./sectors/evaluation -run '^$' -bench . -benchmem
func BenchmarkEvaluate(b *testing.B) {
	rs := DefaultRuleSet()
	in := Input{
		Ratings:   []Rating{{Scheme: "MARKET_RISK_CLASS", Grade: "B"}, {Scheme: "ENV_CREDIT_JS", Grade: "YELLOW"}, {Scheme: "LABOUR_INTEGRITY", Grade: "A"}},
		Listings:  []Listing{{ListType: "MS_ABNORMAL_OPERATION", Severity: vocab.General}},
		Penalties: []Penalty{{Severity: vocab.General}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := Evaluate(rs, in); r.Tier != vocab.TierC {
			b.Fatal(r.Tier)
		}
	}
}
