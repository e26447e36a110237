package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// GraphQL over HTTP (issue 14, point 4): a request error — the document does not parse or
// validate, a variable does not coerce, no query — is 200 under application/json and 4xx
// without a data entry under application/graphql-response+json; a field error is 200 with
// data under both; the public may probe whether a type exists by name, and nothing more of the
// schema. The whole audit of npm graphql-http runs in CI (scripts/graphql-http-audit).
func TestGraphQLOverHTTPStatuses(t *testing.T) {
	env := newEnv(t)
	const (
		legacy  = "application/json"
		modern  = "application/graphql-response+json"
		field   = `{ node(id: "abc") { id } }`
		noQuery = ""
	)
	cases := []struct {
		name, accept, query, variables, token string
		status                                int
		data                                  bool // whether the body has a data entry
	}{
		{"parse failure", legacy, "{", "", "", http.StatusOK, true},
		{"parse failure", modern, "{", "", "", http.StatusBadRequest, false},
		{"validation failure", legacy, "{ noSuchField }", "", "demo-market-clerk", http.StatusOK, true},
		{"validation failure", modern, "{ noSuchField }", "", "demo-market-clerk", http.StatusBadRequest, false},
		{"variable coercion", legacy, "query($n: Int!) { marketEntities(first: $n) { totalCount } }", `{"n":"x"}`, "demo-market-clerk", http.StatusOK, true},
		{"variable coercion", modern, "query($n: Int!) { marketEntities(first: $n) { totalCount } }", `{"n":"x"}`, "demo-market-clerk", http.StatusBadRequest, false},
		{"no query", legacy, noQuery, "", "", http.StatusOK, true},
		{"no query", modern, noQuery, "", "", http.StatusBadRequest, false},
		{"field error", legacy, field, "", "demo-market-clerk", http.StatusOK, true},
		{"field error", modern, field, "", "demo-market-clerk", http.StatusOK, true},
		{"public type probe", modern, `query($n: String!) { __type(name: $n) { name } }`, `{"n":"MarketEntity"}`, "", http.StatusOK, true},
	}
	for _, c := range cases {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			var req *http.Request
			if method == http.MethodPost {
				body := map[string]any{"query": c.query}
				if c.variables != "" {
					body["variables"] = json.RawMessage(c.variables)
				}
				b, _ := json.Marshal(body)
				req, _ = http.NewRequest(method, env.srv.URL+"/query", strings.NewReader(string(b)))
				req.Header.Set("Content-Type", "application/json")
			} else {
				q := url.Values{"query": {c.query}}
				if c.variables != "" {
					q.Set("variables", c.variables)
				}
				req, _ = http.NewRequest(method, env.srv.URL+"/query?"+q.Encode(), nil)
			}
			req.Header.Set("Accept", c.accept)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+env.secrets[c.token])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var out map[string]json.RawMessage
			if err := json.Unmarshal(b, &out); err != nil {
				t.Errorf("%s %s (%s): body is not JSON: %s", method, c.name, c.accept, b)
				continue
			}
			_, hasData := out["data"]
			if res.StatusCode != c.status || hasData != c.data || out["errors"] == nil && c.name != "public type probe" {
				t.Errorf("%s %s (%s): %d, data entry %v; want %d, %v: %s", method, c.name, c.accept, res.StatusCode, hasData, c.status, c.data, b)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.accept) {
				t.Errorf("%s %s: Content-Type %q, want %s", method, c.name, ct, c.accept)
			}
			if c.name == "public type probe" && !strings.Contains(string(b), `"name":"MarketEntity"`) {
				t.Errorf("%s: the public's type probe was not answered: %s", method, b)
			}
		}
	}
	// Beyond the probe the schema stays behind a token.
	for _, q := range []string{`{ __type(name: "MarketEntity") { name fields { name } } }`, `{ __type(name: "MarketEntity") { name description } }`, `{ __schema { types { name } } }`} {
		req, _ := http.NewRequest(http.MethodGet, env.srv.URL+"/query?"+url.Values{"query": {q}}.Encode(), nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), "UNAUTHENTICATED") {
			t.Errorf("the public introspected %s: %s", q, b)
		}
	}
}
