// Package server is the HTTP edge of creditgraph: the mux (/query, /export, the playground, /healthz,
// /readyz, /metrics), request ids, security headers, CORS, the body limit, authentication,
// per-token rate limits, and the logs and metrics of every operation. What it serves at
// /query is package graph's handler.
package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/server/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"
)

// Config is what the HTTP surface needs from main.
type Config struct {
	// Deps are what the GraphQL resolvers need (the ent client, the authorizer, the ledger, …).
	graph.Deps
	Tokens authz.TokenService
	// PublicIntrospection lets callers without a token introspect the schema (development).
	PublicIntrospection bool
	// Edge sets limits, CORS, rate limits and metrics; zero fields take DefaultEdge's.
	Edge EdgeConfig
	// DB, when set, has its connection-pool statistics exported as metrics.
	DB *sql.DB
	// Limits bound each operation's cost, depth and page size; zero means graph.DefaultLimits.
	Limits graph.Limits
	// Ready reports whether the database answers; /readyz calls it.
	Ready func(context.Context) error
	// Database names the database the instance uses (host:port or file, no credentials), for
	// /readyz: behind a load balancer on a cluster, which node an instance writes to.
	Database string
	Logger   *slog.Logger
	// Playground serves GraphiQL at "/" when set.
	Playground bool
}

// NewServer routes the service: /query (GraphQL), / (playground), /healthz (the process is
// up), /readyz (the database answers) and /metrics (Prometheus), behind the edge: request ids,
// security headers, CORS, the body limit, authentication and per-token rate limits.
func New(cfg Config) http.Handler {
	edge := cfg.Edge
	if edge.BodyLimit == 0 {
		edge.BodyLimit = DefaultEdge.BodyLimit
	}
	if edge.RateBurst == 0 {
		edge.RateBurst = DefaultEdge.RateBurst
	}
	if edge.OpenPerCaller == 0 {
		edge.OpenPerCaller = DefaultEdge.OpenPerCaller
	}
	reg := edge.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := newMetrics(reg)
	if cfg.DB != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(cfg.DB, "creditgraph"))
	}
	share := float64(max(edge.Instances, 1))
	limiter := newRateLimiter(rate.Limit(edge.RatePerToken/share), max(1, int(float64(edge.RateBurst)/share)), m)
	limiter.addrs = newClientAddrs(edge.TrustedProxies)
	open := &holds{limit: edge.OpenPerCaller, open: map[string]int{}, m: m}
	authn := cfg.Tokens.Middleware
	mux := http.NewServeMux()
	gql := graph.NewHandler(graph.HandlerConfig{Deps: cfg.Deps,
		Tokens: cfg.Tokens, AllowedOrigins: edge.CORSOrigins, RateLimit: limiter.wait, Hold: open.hold, PublicIntrospection: cfg.PublicIntrospection, Limits: cfg.Limits, Logger: cfg.Logger,
		Extensions: []graphql.HandlerExtension{observe{logger: cfg.Logger, m: m}}, Retried: m.retries.Inc})
	db := &readiness{check: cfg.Ready}
	mux.Handle("/query", db.wrap(withBodyLimit(edge.BodyLimit, authn(limiter.wrap(gql), func() { m.denials.WithLabelValues("unauthenticated").Inc() }))))
	// Exports page through the same handler with the caller's context; each page is one
	// request of the caller's rate.
	mux.Handle("GET /export", db.wrap(authn(limiter.wrap(exportHandler(gql, cfg.Client, cfg.Logger, limiter.pace)), func() { m.denials.WithLabelValues("unauthenticated").Inc() })))
	if cfg.Playground {
		pg := playground.Handler("creditgraph", "/query")
		mux.Handle("/{$}", pg)
		mux.Handle(playground.AssetPrefix, pg)
		mux.Handle("GET /favicon.ico", pg)
	}
	mux.Handle("/metrics", authn(metricsHandler(reg)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			cfg.Logger.WarnContext(ctx, "not ready", "err", err)
			// The cause goes to the log, not to whoever asks: /readyz needs no token.
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable", "database": cfg.Database})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": cfg.Database})
	})
	return withRequestID(withSecurityHeaders(withCORS(edge.CORSOrigins, mux)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
