package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Operations over the limits are refused with a clear error before any SQL runs; page sizes
// are bounded; persisted queries work.
func TestCostLimits(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 20)
	pub := env.as("")
	tests := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"nested unbounded lists", `{ departments { edges { node { penalties { edges { node { id } } } listEntries { edges { node { id } } } } } } }`, nil, "QUERY_TOO_COMPLEX"},
		{"wide nesting by variables", `query($n: Int) { marketEntities(first: $n) { edges { node { penalties(first: $n) { edges { node { id department { penalties(first: $n) { edges { node { id } } } } } } } } } } }`,
			map[string]any{"n": 1000}, "QUERY_TOO_COMPLEX"},
		{"page too large", `{ marketEntities(first: 5000) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"negative page", `query($n: Int) { marketEntities(first: $n) { totalCount } }`, map[string]any{"n": -1}, "BAD_USER_INPUT"},
		{"thousands of aliased counts", aliased(1200, `a%d: marketEntities(first: 1) { totalCount }`), nil, "QUERY_TOO_COMPLEX"},
		{"a thousand node lookups with counts", `{ nodes(ids: [` + strings.Repeat(`"1",`, 999) + `"1"]) { id ... on MarketEntity { penalties(first: 100) { totalCount } } } }`, nil, "QUERY_TOO_COMPLEX"},
		{"more IDs than a page", `{ nodes(ids: [` + strings.Repeat(`"1",`, 1000) + `"1"]) { id } }`, nil, "BAD_USER_INPUT"},
		{"hundreds of aliased restrictions", aliased(201, `a%d: restrictions(uscc: "91320000000000000X", purpose: BIDDING) { via }`), nil, "QUERY_TOO_COMPLEX"},
		{"a hundred and one aliased writes", "mutation " + aliased(101, `a%d: removePolicyRule(input: {kind: PERMISSION, role: "clerk", department: "market"}) { role }`), nil, "QUERY_TOO_COMPLEX"},
		{"the province recomputed twice", `mutation { a: recomputeEvaluations b: recomputeEvaluations }`, nil, "QUERY_TOO_COMPLEX"},
		{"too deep", `{ marketEntities(first: 1) { edges { node { legalRepresentative { represents { legalRepresentative { represents { legalRepresentative { represents { legalRepresentative { represents { legalRepresentative { represents { id } } } } } } } } } } } } } }`, nil, "QUERY_TOO_COMPLEX"},
	}
	for _, tt := range tests {
		env.stmts.Store(0)
		r := pub.post(tt.query, tt.vars)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != tt.code {
			t.Errorf("%s: %d errors (first %+v), want %s", tt.name, len(r.Errors), first(r.Errors), tt.code)
			continue
		}
		// A mutation's attempt is audited whatever its outcome: that row is the one statement.
		want := int64(0)
		if strings.HasPrefix(tt.query, "mutation") {
			want = 1
		}
		if n := env.stmts.Load(); n != want {
			t.Errorf("%s: %d SQL statements ran with the refusal, want %d", tt.name, n, want)
		}
		if strings.Contains(r.Errors[0].Message, "SELECT") {
			t.Errorf("%s: message leaks SQL", tt.name)
		}
	}
	pub.mustData(`{ marketEntities(first: 1000) { edges { node { uscc } } } }`, nil, nil)
	// A supervisor's tier × city table: 52 aliased counts fit the budget.
	pub.mustData(aliased(52, `a%d: marketEntities(first: 1) { totalCount }`), nil, nil)
	// Automatic persisted queries: the hash alone works once the query was sent with it.
	const q = `{ marketEntities(first: 1) { totalCount } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	send := func(body map[string]any) string {
		raw, _ := json.Marshal(body)
		res, err := http.Post(env.srv.URL+"/query", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if got := send(map[string]any{"extensions": ext}); !strings.Contains(got, "PersistedQueryNotFound") {
		t.Errorf("unknown hash: %s", got)
	}
	send(map[string]any{"query": q, "extensions": ext})
	if got := send(map[string]any{"extensions": ext}); !strings.Contains(got, `"totalCount":20`) {
		t.Errorf("persisted query by hash: %s", got)
	}
}

// aliased is a query of n aliased copies of field (with %d for the alias number).
func aliased(n int, field string) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, field+" ", i)
	}
	b.WriteString("}")
	return b.String()
}

// first is the first error, or nil.
func first(errs []gqlError) *gqlError {
	if len(errs) == 0 {
		return nil
	}
	return &errs[0]
}

// The standard introspection query of graphql-js — what GraphiQL's documentation explorer and
// graphql-codegen send, nesting type references 15 levels — runs for every token holder; the
// public gets UNAUTHENTICATED. Introspection is judged by its shape, not the data limits:
// lists nest three deep at most and a type reference lists nothing, wherever the
// introspection sits (a fragment on Query included), so the schema cannot be multiplied by
// itself.
func TestStandardIntrospectionForTokenHolders(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 0)
	query, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"demo-market-clerk", "demo-auditor-all", "demo-credit-office"} {
		var out struct {
			Schema struct {
				QueryType struct{ Name string }
				Types     []struct{ Name string }
			} `json:"__schema"`
		}
		env.as(who).mustData(string(query), nil, &out)
		names := map[string]bool{}
		for _, ty := range out.Schema.Types {
			names[ty.Name] = true
		}
		if out.Schema.QueryType.Name != "Query" || !names["MarketEntity"] || !names["MeasureApplication"] || len(names) < 100 {
			t.Errorf("%s: introspection gave query type %q and %d types", who, out.Schema.QueryType.Name, len(names))
		}
	}
	env.as("").wantError(string(query), nil, "UNAUTHENTICATED", "")
	for _, q := range []string{
		`{ __schema { types { fields { type { fields { name } } } } } }`,
		`{ __schema { types { possibleTypes { fields { args { name } } } } } }`,
		`{ __type(name: "MarketEntity") { fields { type { ofType { fields { name } } } } } }`,
		`{ ...F } fragment F on Query { __schema { types { fields { type { fields { name } } } } } }`,
		`{ __schema { queryType { ` + strings.Repeat("fields { type { ", 1) + strings.Repeat("ofType { ", 22) + "name" + strings.Repeat(" }", 22) + " } } } } }",
	} {
		// Refused by our shape rule or, for some shapes, by gqlparser's own introspection-depth
		// validation first; either way before anything runs.
		r := env.as("demo-auditor-all").post(q, nil)
		if len(r.Errors) == 0 || string(r.Data) != "null" && len(r.Data) != 0 {
			t.Errorf("%s: not refused: %s", q, r.Data)
			continue
		}
		if code := r.Errors[0].Extensions["code"]; code != "QUERY_TOO_COMPLEX" && code != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: %+v, want QUERY_TOO_COMPLEX", q, r.Errors)
		}
		t.Logf("%s: %s", r.Errors[0].Extensions["code"], q)
	}
}

// Every filter of every connection is bounded the same way on every engine: a where input with
// more conditions, listed values or text than one statement can hold is refused as bad input
// naming where — SQLite would have failed deep in the query (an expression tree over 1,000 deep,
// over 32,766 bound values, a LIKE pattern over 50,000 bytes) and answered INTERNAL — while a
// filter at the bounds runs. Generated from
// the schema's connections, on both engines.
func TestFiltersAreBoundedOnEveryEngine(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		office := env.as("demo-credit-office")
		ids := func(n int) string {
			s := make([]string, n)
			for i := range s {
				s[i] = fmt.Sprintf(`"%d"`, i+1)
			}
			return strings.Join(s, ", ")
		}
		ors := func(n int) string { return strings.TrimSuffix(strings.Repeat(`{idNEQ: "1"}, `, n), ", ") }
		checked, texts := 0, 0
		schema := graph.NewSchema(graph.Deps{}).Schema()
		for _, f := range schema.Query.Fields {
			if f.Arguments.ForName("where") == nil || f.Arguments.ForName("first") == nil {
				continue
			}
			checked++
			q := func(where string) string {
				return fmt.Sprintf(`{ %s(first: 1, where: %s) { totalCount } }`, f.Name, where)
			}
			// 1 + 2 per entry: the or, each entry and its condition.
			office.wantError(q(`{or: [`+ors(250)+`]}`), nil, "BAD_USER_INPUT", "where")
			office.wantError(q(`{idNotIn: [`+ids(10_001)+`]}`), nil, "BAD_USER_INPUT", "where")
			if r := office.post(q(`{or: [`+ors(249)+`]}`), nil); len(r.Errors) > 0 && r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%s with a filter of 499 conditions: %+v", f.Name, r.Errors[0])
			}
			if r := office.post(q(`{idNotIn: [`+ids(10_000)+`]}`), nil); len(r.Errors) > 0 && r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%s with a filter of 10,000 values: %+v", f.Name, r.Errors[0])
			}
			// Texts: the first ...Contains condition of the input, if it has one.
			for _, in := range schema.Types[f.Arguments.ForName("where").Type.Name()].Fields {
				if !strings.HasSuffix(in.Name, "Contains") {
					continue
				}
				text := func(n int) string { return fmt.Sprintf(`{%s: "%s"}`, in.Name, strings.Repeat("%", n)) }
				office.wantError(q(text(1001)), nil, "BAD_USER_INPUT", "where")
				if r := office.post(q(text(1000)), nil); len(r.Errors) > 0 && r.Errors[0].Extensions["code"] != "FORBIDDEN" {
					t.Errorf("%s with a text of 1,000 characters: %+v", f.Name, r.Errors[0])
				}
				texts++
				break
			}
		}
		if checked < 20 || texts < 10 {
			t.Fatalf("only %d connections with a where argument found, %d with a text condition", checked, texts)
		}
		// Nested connections' filters are held to the same bounds.
		office.wantError(`{ divisions(first: 1) { edges { node { entities(first: 1, where: {or: [`+ors(250)+`]}) { totalCount } } } } }`, nil, "BAD_USER_INPUT", "where")
		// And the case that failed on SQLite before: thousands of alternatives.
		office.wantError(`{ marketEntities(first: 1, where: {or: [`+ors(5000)+`]}) { totalCount } }`, nil, "BAD_USER_INPUT", "where")
	})
}
