package graph

import (
	"database/sql"

	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/graph/playground"
)

// ServerConfig is what the HTTP surface needs from main.
type ServerConfig struct {
	Client     *ent.Client
	Authorizer *authz.Authorizer
	Tokens     authz.TokenService
	// PublicIntrospection lets callers without a token introspect the schema (development).
	PublicIntrospection bool
	// Edge sets limits, CORS, rate limits and metrics; zero fields take DefaultEdge's.
	Edge EdgeConfig
	// DB, when set, has its connection-pool statistics exported as metrics.
	DB *sql.DB
	// Limits bound each operation's cost, depth and page size; zero means DefaultLimits.
	Limits Limits
	// Ready reports whether the database answers; /readyz calls it.
	Ready  func(context.Context) error
	Logger *slog.Logger
	// Playground serves GraphiQL at "/" when set.
	Playground bool
}

// NewGraphQLHandler builds the GraphQL endpoint: POST and GET transports, introspection for
// authenticated callers, the audit trail, mutations in a transaction (entgql.Transactioner),
// and the one error presenter. It expects a Viewer in the request context (Tokens.Middleware).
func NewGraphQLHandler(cfg ServerConfig) http.Handler {
	return newGraphQLHandler(cfg, newMetrics(nil))
}

func newGraphQLHandler(cfg ServerConfig, m *metrics) http.Handler {
	client, logger := cfg.Client, cfg.Logger
	srv := handler.New(NewSchema(client, cfg.Authorizer))
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		// Browsers cannot set headers on a WebSocket: the token comes as a connection parameter.
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if header := p.Authorization(); header != "" {
				v, err := cfg.Tokens.Authenticate(ctx, header)
				if err != nil {
					return ctx, nil, err
				}
				ctx = authz.NewContext(ctx, v)
			}
			return ctx, nil, nil
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	limits := cfg.Limits
	if limits == (Limits{}) {
		limits = DefaultLimits
	}
	srv.Use(costGate{limits})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(introspectionGate{public: cfg.PublicIntrospection})
	srv.Use(observe{logger: logger, m: m})
	srv.Use(auditTrail{client: client, logger: logger})
	srv.Use(transactioner{entgql.Transactioner{
		TxOpener: client,
		// Policy changes go through the authorizer's own store and apply at once; they are
		// one row each and need no request transaction (which SQLite would make them wait on).
		// recomputeEvaluations commits batch by batch.
		SkipTxFunc: entgql.SkipIfHasFields("addPolicyRule", "removePolicyRule", "recomputeEvaluations"),
	}})
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "panic in resolver", "panic", v, "path", graphql.GetPath(ctx).String(), "stack", string(debug.Stack()))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": CodeInternal}}
	})
	return srv
}

// NewServer routes the service: /query (GraphQL), / (playground), /healthz (the process is
// up), /readyz (the database answers) and /metrics (Prometheus), behind the edge: request ids,
// security headers, CORS, the body limit, authentication and per-token rate limits.
func NewServer(cfg ServerConfig) http.Handler {
	edge := cfg.Edge
	if edge.BodyLimit == 0 {
		edge.BodyLimit = DefaultEdge.BodyLimit
	}
	if edge.RateBurst == 0 {
		edge.RateBurst = DefaultEdge.RateBurst
	}
	reg := edge.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := newMetrics(reg)
	if cfg.DB != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(cfg.DB, "creditgraph"))
	}
	limiter := &rateLimiter{limit: rate.Limit(edge.RatePerToken), burst: edge.RateBurst, buckets: map[string]*rate.Limiter{}, m: m}
	authn := cfg.Tokens.Middleware
	mux := http.NewServeMux()
	mux.Handle("/query", withBodyLimit(edge.BodyLimit, authn(limiter.wrap(newGraphQLHandler(cfg, m)), func() { m.denials.WithLabelValues("unauthenticated").Inc() })))
	if cfg.Playground {
		pg := playground.Handler("creditgraph", "/query")
		mux.Handle("/{$}", pg)
		mux.Handle(playground.AssetPrefix, pg)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			cfg.Logger.WarnContext(ctx, "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return withRequestID(withSecurityHeaders(withCORS(edge.CORSOrigins, mux)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// transactioner is entgql.Transactioner made safe for requests that fail before an operation
// exists (an undecodable body): entgql's InterceptResponse panics without an operation context.
type transactioner struct{ entgql.Transactioner }

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	return t.Transactioner.InterceptResponse(ctx, next)
}
