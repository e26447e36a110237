package graph

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	lru "github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// HandlerConfig is what the GraphQL endpoint needs from the composition root.
type HandlerConfig struct {
	// Deps are the resolvers' dependencies (the ent client, the authorizer, the ledger, …).
	Deps
	// Tokens authenticate WebSocket connections, whose token comes in connection_init, and
	// each operation on them.
	Tokens authz.TokenService
	// AllowedOrigins may open a WebSocket from a browser (the CORS origins); same-origin
	// pages always may.
	AllowedOrigins []string
	// RateLimit is the edge's per-caller rate limit, applied to every operation over a
	// WebSocket (HTTP requests are limited at the edge): it answers how long the caller must
	// wait, 0 when the operation may run. Nil for no limit.
	RateLimit func(context.Context) time.Duration
	// Hold bounds what a caller keeps open: it takes one of the caller's places for what
	// ("socket" or "subscription") and answers how to give it back, or false when the caller
	// holds as many as it may. Nil for no bound.
	Hold func(ctx context.Context, what string) (release func(), ok bool)
	// PublicIntrospection lets callers without a token introspect the schema (development).
	PublicIntrospection bool
	// Limits bound each operation's cost, depth and page size; zero means DefaultLimits.
	Limits Limits
	Logger *slog.Logger
	// Extensions run around every operation before the audit trail and the transaction (the
	// HTTP edge's logs and metrics).
	Extensions []graphql.HandlerExtension
	// Retried, when set, hears every rerun of a mutation whose transaction clashed (a metric).
	Retried func()
}

// NewHandler builds the GraphQL endpoint: POST, GET and WebSocket transports, the cost gate,
// persisted queries, introspection for authenticated callers, the audit trail, mutations in a
// transaction (entgql.Transactioner), and the one error presenter. It expects a Viewer in the
// request context (authz.TokenService.Middleware); package server puts it there.
func NewHandler(cfg HandlerConfig) http.Handler {
	client, logger := cfg.Client, cfg.Logger
	srv := handler.New(NewSchema(cfg.Deps))
	ss := sockets{tokens: cfg.Tokens, logger: logger, rateLimit: cfg.RateLimit, hold: cfg.Hold}
	srv.AddTransport(ss.transport(cfg.AllowedOrigins))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(overHTTP{transport.GET{}})
	srv.AddTransport(overHTTP{post{}})
	// File uploads (importRecords): the GraphQL multipart request spec. Tokens travel in the
	// Authorization header, never in cookies, so a cross-site form cannot send one.
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: 64 << 20, MaxMemory: 16 << 20})
	limits := cfg.Limits
	if limits == (Limits{}) {
		limits = DefaultLimits
	}
	srv.AroundFields(aroundFields)
	srv.Use(ss) // first: a socket's token and rate limit are checked before anything else
	srv.Use(costGate{limits})
	// Parsed and validated documents by their text: a frontend sends the same few queries again
	// and again, and parsing and validating them was a tenth of a request's CPU.
	srv.SetQueryCache(bounded[*ast.QueryDocument]{lru.New[*ast.QueryDocument](1000)})
	srv.Use(extension.AutomaticPersistedQuery{Cache: bounded[string]{lru.New[string](1000)}})
	srv.Use(introspectionGate{public: cfg.PublicIntrospection})
	for _, ext := range cfg.Extensions {
		srv.Use(ext)
	}
	srv.Use(writeRetry{retries: cfg.Retried})
	srv.Use(auditTrail{client: client, logger: logger})
	// Policy changes go through the authorizer's own store and apply at once; they are one row
	// each and need no request transaction (which SQLite would make them wait on).
	// recomputeEvaluations and importRecords commit batch by batch; loadCalendar commits unless
	// it is a dry run.
	srv.Use(transactioner{client: client, logger: logger,
		skip: entgql.SkipIfHasFields("addPolicyRule", "removePolicyRule", "recomputeEvaluations", "importRecords", "loadCalendar")})
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "panic in resolver", "panic", v, "path", graphql.GetPath(ctx).String(), "stack", string(debug.Stack()))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": derrors.CodeInternal}}
	})
	return ss.wrap(srv)
}

// maxCachedQuery is the longest query text the caches keep: real documents are a few
// kilobytes, and a cache of 1,000 entries must not pin gigabytes for a caller who sends
// megabyte-sized queries.
const maxCachedQuery = 32 << 10

// bounded is a cache that keeps only query texts up to maxCachedQuery: the key of the document
// cache, the value of the persisted-query cache (whose key is the text's hash).
type bounded[T any] struct{ *lru.LRU[T] }

func (c bounded[T]) Add(ctx context.Context, key string, v T) {
	if text, ok := any(v).(string); ok && len(text) > maxCachedQuery || len(key) > maxCachedQuery {
		return
	}
	c.LRU.Add(ctx, key, v)
}
