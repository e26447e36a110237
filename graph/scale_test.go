package graph_test

import (
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// The benchmark queries of issue 6 cost a number of SQL statements bounded by their depth,
// whatever the number of rows: (a) a supervisor's D-tier entities of a city with legal
// representatives and list entries, (b) one entity with all its records and restrictions,
// (c) restrictions of a legal representative of several entities.
func TestBenchmarkQueriesStatementCounts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 2000)
		sup := env.as("demo-market-supervisor")
		count := func(q string, vars map[string]any) int64 {
			t.Helper()
			env.stmts.Store(0)
			sup.mustData(q, vars, nil)
			// Authentication reads the token first: one statement outside the query.
			return env.stmts.Load()
		}
		const a = `query($n: Int!) { marketEntities(first: $n, where: {riskTier: D}, orderBy: [{field: CREDIT_SCORE}]) { totalCount edges { node {
			uscc name creditScore legalRepresentative { name } listEntries(first: 10) { edges { node { listType listedOn } } } } } } }`
		if x, y := count(a, map[string]any{"n": 2}), count(a, map[string]any{"n": 40}); x != y {
			t.Errorf("(a): %d statements for 2 entities, %d for 40", x, y)
		}
		// (b): an entity with many records and one with none.
		var busy, quiet string
		if err := env.db.SQL.QueryRow(`SELECT e.uscc FROM market_entities e JOIN sector_ratings r ON r.entity_id = e.id
			GROUP BY e.uscc ORDER BY COUNT(*) DESC, e.uscc LIMIT 1`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := env.db.SQL.QueryRow(`SELECT uscc FROM market_entities e WHERE NOT EXISTS (SELECT 1 FROM administrative_penalties p WHERE p.entity_id = e.id)
			ORDER BY uscc LIMIT 1`).Scan(&quiet); err != nil {
			t.Fatal(err)
		}
		const b = `query($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node { uscc name riskTier
			evaluation { tier score gates components { scheme weight } }
			penalties(first: 100) { edges { node { decisionNo publicity { maxEnd } } } } licenses(first: 100) { edges { node { licenseNo } } }
			listEntries(first: 100) { edges { node { listType } } } ratings(first: 100) { edges { node { scheme grade } } }
			spotChecks(first: 100) { edges { node { result } } } commitments(first: 100) { edges { node { kind } } } } } }
			restrictions(uscc: $u, purpose: BIDDING) { via measure { code } } }`
		if x, y := count(b, map[string]any{"u": quiet}), count(b, map[string]any{"u": busy}); x != y {
			t.Errorf("(b): %d statements for a quiet entity, %d for a busy one", x, y)
		}
		// (c): the demo legal representative heading the most entities, against one heading one.
		var many, one string
		if err := env.db.SQL.QueryRow(`SELECT person_id FROM entity_roles WHERE role = 'LEGAL_REPRESENTATIVE'
			GROUP BY person_id ORDER BY COUNT(*) DESC, person_id LIMIT 1`).Scan(&many); err != nil {
			t.Fatal(err)
		}
		if err := env.db.SQL.QueryRow(`SELECT person_id FROM entity_roles WHERE role = 'LEGAL_REPRESENTATIVE'
			GROUP BY person_id HAVING COUNT(*) = 1 ORDER BY person_id LIMIT 1`).Scan(&one); err != nil {
			t.Fatal(err)
		}
		const c = `query($p: ID!) { restrictions(personId: $p, purpose: BIDDING) { via listType entity { uscc } measure { code } } }`
		if x, y := count(c, map[string]any{"p": one}), count(c, map[string]any{"p": many}); x != y {
			t.Errorf("(c): %d statements for a person heading one entity, %d for one heading several", x, y)
		}
	})
}
