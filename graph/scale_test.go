package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/cmd/loadbench/queries"
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

// BenchmarkQueriesABC runs the supervisor's queries a–c and the dashboard's h of cmd/loadbench
// through the HTTP server on 2,000 entities, to profile what a request costs beyond its SQL
// (the 1 M figures come from scripts/scale.sh bench). On MariaDB, set CREDITGRAPH_TEST_MYSQL_DSN.
// The tallies are compacted first, as the server's compactor keeps them: without that, h read
// every delta of the seed and measured the seed, not the query.
//
//	go test ./graph -run '^$' -bench QueriesABC -cpuprofile /tmp/abc.prof
func BenchmarkQueriesABC(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			env := newEnv(b, e, 2000)
			for { // as the server's compactor would have: the deltas of the seed folded
				n, err := env.db.Tallies.Compact(context.Background(), 50000)
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			sup := env.as("demo-market-supervisor")
			var city, uscc, person string
			if err := env.db.SQL.QueryRow(`SELECT city_code FROM market_entities WHERE risk_tier = 'D'
				GROUP BY city_code ORDER BY COUNT(*) DESC, city_code LIMIT 1`).Scan(&city); err != nil {
				b.Fatal(err)
			}
			if err := env.db.SQL.QueryRow(`SELECT e.uscc FROM market_entities e JOIN sector_ratings r ON r.entity_id = e.id
				GROUP BY e.uscc ORDER BY COUNT(*) DESC, e.uscc LIMIT 1`).Scan(&uscc); err != nil {
				b.Fatal(err)
			}
			if err := env.db.SQL.QueryRow(`SELECT person_id FROM entity_roles WHERE role = 'LEGAL_REPRESENTATIVE'
				GROUP BY person_id ORDER BY COUNT(*) DESC, person_id LIMIT 1`).Scan(&person); err != nil {
				b.Fatal(err)
			}
			for _, q := range []struct {
				name, query string
				vars        map[string]any
			}{
				{"a", queries.A, map[string]any{"city": city}},
				{"b", queries.B, map[string]any{"u": uscc}},
				{"c", queries.C, map[string]any{"p": person}},
				{"h", queries.H, nil},
				{"i", queries.I, nil},
			} {
				b.Run(q.name, func(b *testing.B) {
					b.ReportAllocs()
					env.stmts.Store(0)
					for b.Loop() {
						sup.mustData(q.query, q.vars, nil)
					}
					b.ReportMetric(float64(env.stmts.Load())/float64(b.N), "statements/op")
				})
			}
		})
	}
}

// A person's restrictions cost the same statements however many listed entities the person
// holds a role in: whether each reached listing's prior notice is complete is one read for all
// of them, not one per listing (statements bounded by depth, issue 15).
func TestPersonRestrictionsStatementsDoNotGrowWithListings(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 8)
		clerk := env.as("demo-market-clerk")
		var ents struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		clerk.mustData(`{ marketEntities(first: 4, orderBy: [{field: USCC}]) { edges { node { id } } } }`, nil, &ents)
		if len(ents.MarketEntities.Edges) < 4 {
			t.Fatalf("want 4 demo entities, got %d", len(ents.MarketEntities.Edges))
		}
		// One person is principal of one listed entity, another of three.
		person := func(name, idNumber string, entities []string) string {
			var p struct{ CreateNaturalPerson struct{ ID string } }
			env.as("demo-credit-office").mustData(`mutation($n: String!, $id: String!) { createNaturalPerson(input: {name: $n, idNumber: $id}) { id } }`,
				map[string]any{"n": name, "id": idNumber}, &p)
			for _, e := range entities {
				clerk.mustData(`mutation($e: ID!, $p: ID!, $from: Date!) { createEntityRole(input: {entityID: $e, personID: $p,
					role: PRINCIPAL, startedOn: $from}) { id } }`, map[string]any{"e": e, "p": p.CreateNaturalPerson.ID, "from": todayMinus(400)}, nil)
			}
			clerk.mustData(`mutation($d: ID!, $p: ID!, $no: String!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d,
				personID: $p, noticeNo: $no, listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST,
				replyDeadline: $r}) { id } }`, map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID,
				"no": "SC-" + name, "s": todayMinus(29), "r": todayMinus(5)}, nil)
			return p.CreateNaturalPerson.ID
		}
		id := func(i int) string { return ents.MarketEntities.Edges[i].Node.ID }
		one := person("甲", "32050219800101123X", []string{id(0)})
		three := person("乙", "110101199003077774", []string{id(1), id(2), id(3)})
		for i := range 4 {
			clerk.mustData(`mutation($d: ID!, $e: ID!, $no: String!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "sc", sourceRecordID: $no, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
				reason: "r", basis: "b", decisionNo: $no}) { id } }`,
				map[string]any{"d": env.departmentID("market-320500"), "e": id(i), "no": fmt.Sprintf("SC-L%d", i), "on": todayMinus(30)}, nil)
		}
		sup := env.as("demo-market-supervisor")
		count := func(p string, want int) int64 {
			t.Helper()
			var out restrictionsOut
			env.stmts.Store(0)
			sup.mustData(`query($p: ID!) { restrictions(personId: $p, purpose: BIDDING) { via decisionNo entity { uscc } measure { code } } }`,
				map[string]any{"p": p}, &out)
			n := env.stmts.Load()
			reached := map[string]bool{}
			for _, r := range out.Restrictions {
				reached[r.DecisionNo] = true
			}
			if len(reached) != want {
				t.Fatalf("person %s is restricted through %d listings (%+v), want %d", p, len(reached), out.Restrictions, want)
			}
			return n
		}
		if x, y := count(one, 1), count(three, 3); x != y {
			t.Errorf("restrictions of a person reached through 1 listing: %d statements; through 3: %d", x, y)
		}
	})
}

// No field costs a statement per row (issue 15: statements per request bounded by depth). For
// every top-level connection of the served schema and every field of its node that takes no
// required argument — scalars, to-one objects and lists with their scalars, nested connections'
// first rows with theirs — a page of up to 50 rows selecting that field runs no statement more
// than twice (a statement is its text without its bound values). A field that loaded its data
// row by row would run its statement once per row. Fields the credit office may not read are
// skipped.
func TestNoStatementRunsPerRow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env, sch, who := schemaWalk(t, e, 120)
		const most = 2
		checked := 0
		for _, q := range sch.pagedConnections() {
			fields := sch.pageSelection(q.node, 1)
			for _, name := range slices.Sorted(maps.Keys(fields)) {
				query := fmt.Sprintf(`{ c: %s(first: 50) { edges { node { id %s } } } }`, q.Name, fields[name])
				var r gqlResponse
				texts := env.statements.record(func() { r = who.post(query, nil) })
				var out struct {
					C struct{ Edges []json.RawMessage }
				}
				if err := json.Unmarshal(r.Data, &out); err != nil || len(r.Errors) > 0 || len(out.C.Edges) <= most {
					continue // not readable, or too few rows to tell
				}
				checked++
				seen := map[string]int{}
				for _, text := range texts {
					seen[statementShape(text)]++
				}
				for shape, n := range seen {
					if n > most {
						t.Errorf("%s.%s: a page of %d rows ran one statement %d times:\n%.300s", q.Name, name, len(out.C.Edges), n, shape)
					}
				}
			}
		}
		t.Logf("%d fields checked", checked)
		if checked < 300 {
			t.Errorf("only %d fields had rows enough to check", checked)
		}
	})
}

// statementShape is a statement's text from ent's debug line, without its bound values and
// with lists of placeholders as one.
func statementShape(debug string) string {
	text, _, _ := strings.Cut(debug, " args=")
	_, text, _ = strings.Cut(text, "query=")
	for strings.Contains(text, "?, ?") {
		text = strings.ReplaceAll(text, "?, ?", "?")
	}
	return text
}

// schemaWalk is the set-up of the tests generated from the served schema: a database with
// entities and workflow documents, its schema, and the credit office, who reads the most.
func schemaWalk(t *testing.T, e storagetest.Engine, entities int) (env *testEnv, sch schemaInfo, office *testEnv) {
	t.Helper()
	env = newEnv(t, e, entities)
	workflowDocuments(t, env)
	return env, introspect(env), env.as("demo-credit-office")
}

// pagedConnection is a top-level connection that pages with first and needs no other argument.
type pagedConnection struct {
	Name string // the Query field
	node string // its node type
}

func (s schemaInfo) pagedConnections() []pagedConnection {
	var out []pagedConnection
	for _, q := range s.types["Query"].Fields {
		connType, _, _ := q.Type.named()
		if strings.HasSuffix(connType, "Connection") && takesFirst(q) && !requiresArgs(q, "first") {
			out = append(out, pagedConnection{q.Name, strings.TrimSuffix(connType, "Connection")})
		}
	}
	return out
}

func takesFirst(f gqlField) bool {
	return slices.ContainsFunc(f.Args, func(a struct {
		Name string
		Type gqlType
	}) bool {
		return a.Name == "first"
	})
}

// requiresArgs reports whether f has a non-null argument other than those named.
func requiresArgs(f gqlField, except ...string) bool {
	for _, a := range f.Args {
		if a.Type.Kind == "NON_NULL" && !slices.Contains(except, a.Name) {
			return true
		}
	}
	return false
}

// pageSelection selects every field of typ that needs no argument, by name: scalars and enums,
// and to depth more levels of objects and of connections' first three rows.
func (s schemaInfo) pageSelection(typ string, depth int) map[string]string {
	out := map[string]string{}
	for _, f := range s.types[typ].Fields {
		name, kind, _ := f.Type.named()
		switch {
		case strings.HasSuffix(name, "Connection") && takesFirst(f) && !requiresArgs(f, "first"):
			if depth > 0 {
				out[f.Name] = fmt.Sprintf("%s(first: 3) { totalCount edges { node { %s } } }", f.Name, joined(s.pageSelection(strings.TrimSuffix(name, "Connection"), depth-1)))
			}
		case requiresArgs(f):
		case kind == "SCALAR" || kind == "ENUM":
			out[f.Name] = f.Name
		case kind == "OBJECT" && depth > 0:
			out[f.Name] = fmt.Sprintf("%s { %s }", f.Name, joined(s.pageSelection(name, depth-1)))
		case kind == "OBJECT" || kind == "INTERFACE" || kind == "UNION":
			out[f.Name] = f.Name + " { __typename }"
		}
	}
	return out
}

func joined(fields map[string]string) string {
	if len(fields) == 0 {
		return "__typename"
	}
	return strings.Join(slices.Sorted(maps.Values(fields)), " ")
}

// A page that asks for pageInfo and edges but not totalCount counts no rows (entgql's Paginate
// would count every row the filter admits, then set pageInfo from the page's own rows), and
// its pageInfo is what it was with the count: for every top-level connection of the served
// schema, forwards and backwards, from the start and after a cursor, for the public, a clerk and
// the credit office.
func TestPagesCountOnlyWhenAsked(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env, sch, office := schemaWalk(t, e, 40)
		type page struct {
			C struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage, HasPreviousPage bool
					StartCursor, EndCursor       *string
				}
				Edges []struct{ Cursor string }
			}
		}
		const info = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor }`
		checked := 0
		for _, who := range []*testEnv{env.as(""), env.as("demo-market-clerk"), office} { // rows each may read
			for _, q := range sch.pagedConnections() {
				var start page
				if r := who.post(fmt.Sprintf(`{ c: %s(first: 2) { totalCount %s } }`, q.Name, info), nil); len(r.Errors) > 0 || json.Unmarshal(r.Data, &start) != nil {
					continue // not the credit office's to list
				}
				args := []string{"first: 2", "last: 2"}
				if len(start.C.Edges) > 0 {
					args = append(args, fmt.Sprintf("first: 2, after: %q", start.C.Edges[0].Cursor), fmt.Sprintf("last: 1, before: %q", start.C.Edges[len(start.C.Edges)-1].Cursor))
				}
				for _, a := range args {
					var counted, uncounted page
					who.mustData(fmt.Sprintf(`{ c: %s(%s) { totalCount %s } }`, q.Name, a, info), nil, &counted)
					var r gqlResponse
					texts := env.statements.record(func() { r = who.post(fmt.Sprintf(`{ c: %s(%s) { %s } }`, q.Name, a, info), nil) })
					if len(r.Errors) > 0 || json.Unmarshal(r.Data, &uncounted) != nil {
						t.Fatalf("%s(%s): %+v", q.Name, a, r.Errors)
					}
					checked++
					uncounted.C.TotalCount = counted.C.TotalCount
					if !reflect.DeepEqual(counted, uncounted) {
						t.Errorf("%s(%s): pageInfo and edges with totalCount %+v, without %+v", q.Name, a, counted.C, uncounted.C)
					}
					for _, text := range texts {
						if strings.Contains(strings.ToUpper(statementShape(text)), "COUNT(") {
							t.Errorf("%s(%s) without totalCount counted rows:\n%.200s", q.Name, a, statementShape(text))
						}
					}
				}
			}
		}
		t.Logf("%d pages checked", checked)
		if checked < 200 {
			t.Errorf("only %d pages checked", checked)
		}
	})
}
