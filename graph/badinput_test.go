package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Bad input of every kind gets its HTTP status and a clear GraphQL error, writes nothing, and
// the server keeps serving. A request error (the document does not validate, is too complex,
// or its variables do not coerce) is 200 under application/json and 400 under
// application/graphql-response+json, as GraphQL over HTTP asks.
func TestBadInputTable(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		srv := edgeServer(t, env, server.EdgeConfig{BodyLimit: 4096})
		auth := "Bearer " + env.secrets["demo-market-clerk"]
		const good = `{"query":"mutation { createMarketEntity(input: {uscc: \"91320214745555318W\", name: \"某公司\"}) { id } }"}`
		tests := []struct {
			name, contentType, body string
			status                  int
			code                    string
			modern                  int // the status under application/graphql-response+json, when it differs
		}{
			{"invalid JSON", "application/json", `{"query": "{ viewer { role } }"`, 400, "BAD_USER_INPUT", 0},
			{"wrong content type", "text/plain", good, 400, "", 0},
			{"body over the limit", "application/json", `{"query":"` + strings.Repeat(" ", 5000) + `{ viewer { role } }"}`, 413, "BAD_USER_INPUT", 0},
			{"deeply nested", "application/json", `{"query":"{ marketEntities(first: 1) { edges { node { ` + strings.Repeat("legalRepresentative { represents { ", 6) +
				"id" + strings.Repeat(" } }", 6) + ` } } } }"}`, 200, "QUERY_TOO_COMPLEX", 400},
			{"very wide", "application/json", `{"query":"{ departments { edges { node { penalties { edges { node { id } } } licenses { edges { node { id } } } } } } }"}`, 200, "QUERY_TOO_COMPLEX", 400},
			{"unknown field", "application/json", `{"query":"{ viewer { password } }"}`, 200, "GRAPHQL_VALIDATION_FAILED", 400},
			{"wrong variable type", "application/json", `{"query":"query($n: Int) { marketEntities(first: $n) { totalCount } }","variables":{"n":"ten"}}`, 200, "BAD_USER_INPUT", 400},
			{"a batch with one bad row", "application/json", `{"query":"mutation { a: createMarketEntity(input: {uscc: \"91320214745555318W\", name: \"一\"}) { id } b: createMarketEntity(input: {uscc: \"91350100M000100Y42\", name: \"二\"}) { id } }"}`, 200, "BAD_USER_INPUT", 0},
		}
		before := env.count("market_entities", "")
		for _, accept := range []string{"", "application/graphql-response+json"} {
			for _, tt := range tests {
				if accept != "" && tt.modern != 0 {
					tt.status = tt.modern
				}
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(tt.body))
				req.Header.Set("Content-Type", tt.contentType)
				req.Header.Set("Authorization", auth)
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var r gqlResponse
				_ = json.Unmarshal(raw, &r)
				if res.StatusCode != tt.status {
					t.Errorf("%s (Accept %q): HTTP %d, want %d (%s)", tt.name, accept, res.StatusCode, tt.status, raw)
				}
				if tt.code != "" && (len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.code || r.Errors[0].Message == "") {
					t.Errorf("%s: errors %+v, want %s", tt.name, r.Errors, tt.code)
				}
				if n := env.count("market_entities", ""); n != before {
					t.Fatalf("%s wrote: %d entities, want %d", tt.name, n, before)
				}
			}
		}
		// Still serving.
		env.mustData(`{ viewer { role } }`, nil, nil)
	})
}

// edgeServer is the demo environment's server with edge settings.
func edgeServer(t *testing.T, env *testEnv, edge server.EdgeConfig) *httptest.Server {
	srv := httptest.NewServer(server.New(server.Config{Deps: graph.Deps{Client: env.db.Client, Ledger: env.db.Ledger, Authorizer: env.authorizer}, Tokens: env.tokens,
		Ready: env.db.Ready, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: env.db.SQL, Edge: edge}))
	t.Cleanup(srv.Close)
	return srv
}

// Values one engine would store and the other refuse get the same answer on both: a clear
// BAD_USER_INPUT naming the field, nothing written, and every page that lists records still
// works (issue 12, point 11).
func TestOutOfRangeValuesAreRefusedOnBothEngines(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		tests := []struct {
			name  string
			set   map[string]any
			field string
		}{
			{"fine over DECIMAL(18,6)", map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "1000000000000"}, "fineAmount"},
			{"fine finer than 6 places", map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "0.0000001"}, "fineAmount"},
			{"a date in year 1", map[string]any{"decisionDate": "0001-01-01"}, "decisionDate"},
			{"a validity in 9999", map[string]any{"validUntil": "9999-12-31"}, "validUntil"},
			{"a text over 64 KiB", map[string]any{"remark": strings.Repeat("长", 22000)}, "remark"},
		}
		for i, tt := range tests {
			vars := penaltyInput(env, "market-320500", fmt.Sprintf("RANGE-%d", i))
			for k, v := range tt.set {
				vars["in"].(map[string]any)[k] = v
			}
			clerk.wantError(createPenaltyQ, vars, "BAD_USER_INPUT", tt.field)
		}
		// A float too large for any engine, written as a literal.
		var ent struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id } } } }`, nil, &ent)
		r := clerk.post(`mutation($d: ID!, $e: ID!) { createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "range",
			sourceRecordID: "F1", scheme: MARKET_RISK_CLASS, grade: "A", score: 1e999, period: "2025", validFrom: "2025-06-01"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ent.MarketEntities.Edges[0].Node.ID})
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == "INTERNAL" {
			t.Errorf("an infinite score: %+v, want a caller's error", r.Errors)
		}
		if n := env.count("administrative_penalties", "source_record_id LIKE 'RANGE-%'") + env.count("sector_ratings", "source_system = 'range'"); n != 0 {
			t.Errorf("%d out-of-range records were written", n)
		}
		clerk.mustData(`{ administrativePenalties(first: 100) { edges { node { fineAmount decisionDate } } } sectorRatings(first: 100) { edges { node { score } } } }`, nil, nil)
	})
}

// A caller's mistake is never INTERNAL (issue 12, point 12): bad IDs, cursors, times and
// dates, introspection without a token and unknown fields each get a code of the caller's, and
// no message names a table (generated from the schema's tables) or a Go type; callers who may
// not read the schema get no field suggestions.
func TestCallerMistakesAreNeverInternal(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		queries := []struct{ query, code string }{
			{`{ node(id: "abc") { id } }`, "BAD_USER_INPUT"},
			{`{ node(id: "99999999999999999999") { id } }`, "BAD_USER_INPUT"},
			{`{ nodes(ids: ["1", "x"]) { id } }`, "BAD_USER_INPUT"},
			{`{ marketEntities(first: 1, after: "garbage") { totalCount } }`, "BAD_USER_INPUT"},
			{`{ administrativePenalties(where: {createdAtGT: "yesterday"}) { totalCount } }`, "BAD_USER_INPUT"},
			{`{ administrativePenalties(where: {decisionDateGT: "2025-13-45"}) { totalCount } }`, "BAD_USER_INPUT"},
			{`{ marketEntitie { totalCount } }`, "GRAPHQL_VALIDATION_FAILED"},
			{`{ __schema { types { name } } }`, "UNAUTHENTICATED"},
			{`{ __type(name: "MarketEntity") { name fields { name } } }`, "UNAUTHENTICATED"},
		}
		var tables []string
		for _, tbl := range migrate.Tables {
			tables = append(tables, tbl.Name)
		}
		for _, who := range []string{"", "demo-market-clerk"} {
			for _, q := range queries {
				if who != "" && q.code == "UNAUTHENTICATED" {
					continue // a token may introspect
				}
				r := env.as(who).post(q.query, nil)
				if len(r.Errors) == 0 {
					t.Errorf("%q as %q: no error", q.query, who)
					continue
				}
				for _, e := range r.Errors {
					code, _ := e.Extensions["code"].(string)
					if code == "" || code == "INTERNAL" || code != q.code {
						t.Errorf("%q as %q: code %q (%s), want %s", q.query, who, code, e.Message, q.code)
					}
					for _, leak := range append(tables, "ent:", "*ent.", "strconv", "SELECT") {
						if strings.Contains(e.Message, leak) {
							t.Errorf("%q as %q: message %q names %q", q.query, who, e.Message, leak)
						}
					}
					if who == "" && strings.Contains(e.Message, "Did you mean") {
						t.Errorf("%q: the public gets a field suggestion: %s", q.query, e.Message)
					}
				}
			}
		}
	})
}
