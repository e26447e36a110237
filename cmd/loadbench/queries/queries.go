// Package queries holds the GraphQL documents of cmd/loadbench's queries a–i, so that the
// benchmark over HTTP and the in-process profile of graph's BenchmarkQueriesABC ask the same.
package queries

// The queries, by their letter in BENCHMARKS.md.
const (
	A = `query($city: String!) { marketEntities(first: 50, where: {riskTier: D, cityCode: $city}, orderBy: [{field: CREDIT_SCORE}]) {
		totalCount edges { node { uscc name creditScore legalRepresentative { name }
		listEntries(first: 10) { edges { node { listType listedOn plannedEndOn removedOn } } } } } } }`
	B = `query($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node { uscc name riskTier creditScore
		evaluation { tier score gates components { scheme sourceGrade weight } }
		penalties(first: 100) { edges { node { decisionNo decisionDate severity publicity { minEnd maxEnd } } } }
		licenses(first: 100) { edges { node { licenseNo validTo } } }
		listEntries(first: 100) { edges { node { listType listedOn } } } ratings(first: 100) { edges { node { scheme grade } } }
		spotChecks(first: 100) { edges { node { result } } } commitments(first: 100) { edges { node { kind } } } } } }
		restrictions(uscc: $u, purpose: BIDDING) { via listType measure { code } } }`
	C = `query($p: ID!) { restrictions(personId: $p, purpose: BIDDING) { via listType entity { uscc } measure { code } } }`
	D = `query($city: String!) {
		a: marketEntities(first: 0, where: {cityCode: $city, riskTier: A}) { totalCount }
		b: marketEntities(first: 0, where: {cityCode: $city, riskTier: B}) { totalCount }
		c: marketEntities(first: 0, where: {cityCode: $city, riskTier: C}) { totalCount }
		d: marketEntities(first: 0, where: {cityCode: $city, riskTier: D}) { totalCount } }`
	G = `{ entityCounts(groupBy: [CITY, TIER]) { keys count } }`
	H = `{ entityCounts(groupBy: [COUNTY, KIND, STATUS]) { keys count } }`
	I = `{ entityCountTable(groupBy: [COUNTY, KIND, STATUS]) { keys counts } }` // h's groups as a table
	E = `query($from: Time!, $to: Time!) { auditLogs(first: 50, where: {department: "market", atGTE: $from, atLT: $to},
		orderBy: {field: AT, direction: DESC}) { totalCount edges { node { at tokenName role kind operation outcome } } } }`
)
