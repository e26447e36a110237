package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/server"
)

func TestEdgeHeadersCORSBodyLimitRateLimitMetrics(t *testing.T) {
	env := newEnv(t)
	srv := edgeServer(t, env, server.EdgeConfig{CORSOrigins: []string{"https://market.js.gov.cn"}, BodyLimit: 2048, RatePerToken: 1, RateBurst: 3})
	post := func(body string, header map[string]string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	q := `{"query":"{ viewer { tokenName } }"}`
	res := post(q, nil)
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "X-Request-ID"} {
		if res.Header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
	// CORS: the configured frontend is allowed, another origin is not.
	pre := func(origin string) string {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("Access-Control-Allow-Origin")
	}
	if got := pre("https://market.js.gov.cn"); got != "https://market.js.gov.cn" {
		t.Errorf("allowed origin answered %q", got)
	}
	if got := pre("https://evil.example"); got != "" {
		t.Errorf("another origin answered %q", got)
	}
	// Body limit: 413 before anything is decoded.
	if res := post(`{"query":"`+strings.Repeat("x", 4096)+`"}`, nil); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", res.StatusCode)
	}
	// A chunked body (no Content-Length) over the limit gets the same 413.
	chunked, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", io.MultiReader(strings.NewReader(`{"query":"`), strings.NewReader(strings.Repeat("x", 4096)), strings.NewReader(`"}`)))
	chunked.Header.Set("Content-Type", "application/json")
	chunked.ContentLength = -1
	if res, err := http.DefaultClient.Do(chunked); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body over the limit: %d, want 413", res.StatusCode)
		}
	}
	// Rate limit per token: the burst passes, then 429 with Retry-After; another token is unaffected.
	auth := map[string]string{"Authorization": "Bearer " + env.secrets["demo-market-clerk"]}
	limited := 0
	for i := 0; i < 6; i++ {
		if res := post(q, auth); res.StatusCode == http.StatusTooManyRequests {
			limited++
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Error("no request was rate limited")
	}
	if res := post(q, map[string]string{"Authorization": "Bearer " + env.secrets["demo-labour-clerk"]}); res.StatusCode != http.StatusOK {
		t.Errorf("another token was limited: %d", res.StatusCode)
	}
	post(q, map[string]string{"Authorization": "Bearer cg_unknown"})
	// Behind a load balancer with three instances, each enforces a third of the rate: a token
	// sending 30 requests at once to one instance of a service allowed a burst of 30 gets 10.
	third := edgeServer(t, env, server.EdgeConfig{RatePerToken: 3, RateBurst: 30, Instances: 3})
	passed := 0
	for range 30 {
		req, _ := http.NewRequest(http.MethodPost, third.URL+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+env.secrets["demo-labour-clerk"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			passed++
		}
	}
	if passed < 10 || passed > 11 { // 11: a tenth of a second may refill one
		t.Errorf("one of three instances let %d of 30 requests through, want its share of the burst, 10", passed)
	}
	// Metrics: for the credit office and auditors only.
	metrics := func(token string) (int, []byte) { return env.get(t, srv.URL+"/metrics", token) }
	if code, _ := metrics(""); code != http.StatusForbidden {
		t.Errorf("/metrics for the public: %d, want 403", code)
	}
	if code, _ := metrics("demo-transport-clerk"); code != http.StatusForbidden {
		t.Errorf("/metrics for a clerk: %d, want 403", code)
	}
	code, body := metrics("demo-auditor-all")
	if code != http.StatusOK {
		t.Fatalf("/metrics for an auditor: %d", code)
	}
	if bytes.Contains(body, []byte("Probe")) {
		t.Error("callers' operation names became metric labels")
	}
	for _, series := range []string{`creditgraph_graphql_requests_total{operation="query viewer",outcome="OK"}`, "creditgraph_graphql_duration_seconds_bucket",
		`creditgraph_authz_denials_total{kind="rate_limited"}`, `creditgraph_authz_denials_total{kind="unauthenticated"}`, `go_sql_max_open_connections{db_name="creditgraph"}`} {
		if !bytes.Contains(body, []byte(series)) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

// /metrics is not public, and its label sets are bounded: the operation label is the schema's
// root field, whatever names callers give their operations.
func TestMetricsAreBoundedAndNotPublic(t *testing.T) {
	env := newEnv(t)
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/query",
			strings.NewReader(fmt.Sprintf(`{"query":"query Probe%d { viewer { tokenName } }"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+env.secrets["demo-environment-clerk"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("probe %d: %d", i, res.StatusCode)
		}
	}
	metrics := func(token string) (int, []byte) { return env.get(t, env.srv.URL+"/metrics", token) }
	for _, who := range []string{"", "demo-market-clerk", "demo-labour-supervisor"} {
		if code, _ := metrics(who); code != http.StatusForbidden {
			t.Errorf("/metrics for %q: %d, want 403", who, code)
		}
	}
	code, body := metrics("demo-credit-office")
	if code != http.StatusOK {
		t.Fatalf("/metrics for the credit office: %d", code)
	}
	if bytes.Contains(body, []byte("Probe")) {
		t.Error("callers' operation names became metric labels")
	}
	if !bytes.Contains(body, []byte(`creditgraph_graphql_requests_total{operation="query viewer",outcome="OK"} 20`)) {
		t.Errorf("the probes are not counted under the schema's label:\n%s", body)
	}
}

// The public's rate limit is each caller's own, however the caller reaches the server: behind
// the trusted load balancers (--trusted-proxies) each address they append to X-Forwarded-For has
// its own bucket, and nothing a caller writes into the header itself — addresses left of the
// proxy's, garbage, the proxies' own addresses — buys a fresh one; an IPv6 caller's /64 is one
// caller; from a peer that is not trusted the header is ignored. Before, every public caller
// behind a load balancer shared the balancer's bucket, so one could spend it for all.
func TestPublicCallersHaveTheirOwnLimitBehindALoadBalancer(t *testing.T) {
	env := newEnv(t)
	trusted, err := server.ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8"}) // the test's peer is loopback
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Errorf("a bad range: %v, want an error naming it", err)
	}
	status := func(srv *httptest.Server, forwardedFor string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	const ok, limited = http.StatusOK, http.StatusTooManyRequests
	behind := edgeServer(t, env, server.EdgeConfig{RatePerToken: 0.001, RateBurst: 1, TrustedProxies: trusted})
	for _, c := range []struct {
		forwardedFor string
		want         int
		what         string
	}{
		{"203.0.113.5", ok, "a caller's first request"},
		{"203.0.113.5", limited, "the same caller again"},
		{"203.0.113.6", ok, "another caller"},
		{"198.51.100.9, 203.0.113.5", limited, "the first caller, writing another address left of the one the proxy appended"},
		{"203.0.113.5, 10.1.2.3", limited, "the first caller through two trusted proxies"},
		{"2001:db8:1:2::1", ok, "an IPv6 caller"},
		{"2001:db8:1:2:ffff::9", limited, "another address in the same /64"},
		{"2001:db8:1:3::1", ok, "the next /64"},
		{"::ffff:203.0.113.6", limited, "the second caller, written as IPv6"},
		{"", ok, "the proxy itself (a health check), without the header"},
		{"10.9.9.9", limited, "only trusted addresses: the proxy's own bucket"},
		{"not-an-address", limited, "an address that does not parse: the proxy's own bucket"},
	} {
		if got := status(behind, c.forwardedFor); got != c.want {
			t.Errorf("behind the trusted proxy, X-Forwarded-For %q (%s): %d, want %d", c.forwardedFor, c.what, got, c.want)
		}
	}
	others, _ := server.ParseTrustedProxies([]string{"10.0.0.0/8"})
	for what, edge := range map[string]server.EdgeConfig{
		"without trusted proxies":               {RatePerToken: 0.001, RateBurst: 1},
		"from a peer that is not a trusted one": {RatePerToken: 0.001, RateBurst: 1, TrustedProxies: others},
	} {
		direct := edgeServer(t, env, edge)
		for _, c := range []struct {
			forwardedFor string
			want         int
		}{{"203.0.113.5", ok}, {"203.0.113.6", limited}, {"", limited}} {
			if got := status(direct, c.forwardedFor); got != c.want {
				t.Errorf("%s, X-Forwarded-For %q: %d, want %d (the header is the caller's own)", what, c.forwardedFor, got, c.want)
			}
		}
	}
}
