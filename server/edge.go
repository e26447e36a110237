package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/realclientip/realclientip-go"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"golang.org/x/time/rate"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/graph"
)

// EdgeConfig is what the service does at its edge, before GraphQL: limits, CORS, rate limits,
// metrics. Zero values mean the defaults in DefaultEdge.
type EdgeConfig struct {
	// CORSOrigins are the department frontends allowed to call the API from a browser.
	CORSOrigins []string
	// BodyLimit is the largest request body, in bytes.
	BodyLimit int64
	// RatePerToken is the sustained requests per second each token (or, for the public, each
	// client address) may make; 0 turns rate limiting off.
	RatePerToken float64
	// RateBurst is how many requests above the rate a token may make at once.
	RateBurst int
	// OpenPerCaller is how many WebSocket connections each token (each client address for
	// the public) may hold open on this instance at once, and how many subscriptions across
	// them; over it a connection closes with 4429 and a subscription is refused RATE_LIMITED.
	OpenPerCaller int
	// Instances is how many instances serve behind one load balancer (0 or 1: this one only).
	// RatePerToken and RateBurst are then the whole service's: each instance enforces its share
	// (rate/Instances, burst/Instances, at least 1), so a token's requests spread over the
	// instances get the configured rate in all. A client pinned to one instance gets that
	// instance's share; the limit needs no shared state, no write per request (see SCALING.md).
	Instances int
	// TrustedProxies are the load balancers or reverse proxies in front of the instances: from
	// them the public's address is read from X-Forwarded-For (see clientAddrs). Empty: the
	// peer's own address, and the header is ignored.
	TrustedProxies []net.IPNet
	// Registry receives the service's metrics; /metrics serves it.
	Registry *prometheus.Registry
}

// DefaultEdge are the edge settings of a server started without flags.
// A body of 4 MiB leaves room for a batch of 1,000 penalties (about 1 MiB).
// 32 open sockets and subscriptions leave a department's frontend a socket for each of its
// users' browser tabs on a shared token, while one caller cannot hold a goroutine, a token
// check every 2 s and a query per event for thousands.
var DefaultEdge = EdgeConfig{BodyLimit: 4 << 20, RatePerToken: 50, RateBurst: 100, OpenPerCaller: 32}

// metrics are the service's Prometheus instruments.
type metrics struct {
	requests *prometheus.CounterVec   // by operation and outcome
	duration *prometheus.HistogramVec // by operation
	denials  *prometheus.CounterVec   // by kind
	retries  prometheus.Counter       // mutations run again after a write clash
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "creditgraph_graphql_requests_total",
			Help: "GraphQL operations by operation name and outcome (OK or the first error code)."}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "creditgraph_graphql_duration_seconds",
			Help: "GraphQL operation latency by operation name.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"operation"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "creditgraph_authz_denials_total",
			Help: "Requests refused by authentication, authorization or rate limiting."}, []string{"kind"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "creditgraph_write_retries_total",
			Help: "Mutations run again because their transaction clashed with another (deadlock, lock wait, Galera certification)."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.denials, m.retries)
	}
	return m
}

type requestIDKey struct{}

// RequestID returns the id the edge gave the request, for logs.
func RequestID(ctx context.Context) string { id, _ := ctx.Value(requestIDKey{}).(string); return id }

// withRequestID tags every request with an id (or the caller's X-Request-ID) for the logs.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// withSecurityHeaders sets the headers every response carries.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// withCORS lets the configured department frontends call the API from browsers.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins, AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", "X-Request-ID"}, MaxAge: 600,
	}).Handler(next)
}

// withBodyLimit refuses bodies over limit with 413 and a GraphQL error, before decoding.
func withBodyLimit(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			derrors.WriteHTTP(w, http.StatusRequestEntityTooLarge, derrors.CodeBadUserInput, fmt.Sprintf("the request body is over the limit of %d bytes", limit))
		}
		if r.ContentLength > limit {
			tooLarge()
			return
		}
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			// A body of unknown length (chunked) is read up to the limit first, so one over it
			// gets 413 like any other, not a decoding error.
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				derrors.WriteHTTP(w, http.StatusBadRequest, derrors.CodeBadUserInput, "the request body could not be read")
				return
			}
			if int64(len(body)) > limit {
				tooLarge()
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// maxBuckets bounds the rate limiter's memory: the buckets of the callers seen most recently.
const maxBuckets = 100_000

// rateLimiter keeps one token bucket per caller, for the maxBuckets callers seen most recently:
// a caller who keeps coming keeps its bucket however many other addresses appear, so a spray of
// addresses cannot refill anyone's spent bucket.
type rateLimiter struct {
	limit   rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
	m       *metrics
	addrs   clientAddrs
}

func newRateLimiter(limit rate.Limit, burst int, m *metrics) *rateLimiter {
	buckets, _ := lru.New[string, *rate.Limiter](maxBuckets) // errs only for a size below 1
	return &rateLimiter{limit: limit, burst: burst, buckets: buckets, m: m}
}

// wrap answers 429 with Retry-After when a caller exceeds its rate. It runs after
// authentication; it also records the client's address for the limits of WebSocket operations.
func (l *rateLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, l.addrs.of(r)))
		if d := l.wait(r.Context()); d > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(d/time.Second)+1))
			derrors.WriteHTTP(w, http.StatusTooManyRequests, derrors.CodeRateLimited, "too many requests; retry after the time in Retry-After")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type clientAddrKey struct{}

// wait takes one request from the caller's bucket and answers 0, or answers how long the
// caller must wait and takes nothing. Callers are keyed by token name, the public by client
// address; HTTP requests and WebSocket operations share the bucket.
func (l *rateLimiter) wait(ctx context.Context) time.Duration {
	if l.limit <= 0 {
		return 0
	}
	res := l.bucket(ctx).Reserve()
	d := res.Delay()
	if d > 0 {
		res.Cancel()
		l.m.denials.WithLabelValues("rate_limited").Inc()
	}
	return d
}

// callerKey names who is limited: the token, or for the public the client's address.
func callerKey(ctx context.Context) string {
	if v := authz.FromContext(ctx); v != nil && v.TokenName != authz.PublicSubject {
		return "token:" + v.TokenName
	}
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return "public:" + addr
}

// holds counts what each caller keeps open — WebSocket connections, and subscriptions across
// them — against a bound per caller (EdgeConfig.OpenPerCaller).
type holds struct {
	limit int
	mu    sync.Mutex
	open  map[string]int
	m     *metrics
}

// hold takes one of the caller's places for what, or answers false when all are taken.
func (h *holds) hold(ctx context.Context, what string) (release func(), ok bool) {
	key := what + " " + callerKey(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open[key] >= h.limit {
		h.m.denials.WithLabelValues("too_many_open").Inc()
		return nil, false
	}
	h.open[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.open[key]--; h.open[key] <= 0 {
				delete(h.open, key)
			}
		})
	}, true
}

// bucket is the caller's bucket, made on its first request.
func (l *rateLimiter) bucket(ctx context.Context) *rate.Limiter {
	key := callerKey(ctx)
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, b); found { // another request added it first
			b = prev
		}
	}
	return b
}

// pace takes one request from the caller's bucket for work a request does beyond its own
// (an export's pages after the first), waiting for the bucket to refill rather than refusing:
// the work has begun and its answer is streaming. It fails only when ctx ends first.
func (l *rateLimiter) pace(ctx context.Context) error {
	if l.limit <= 0 {
		return nil
	}
	return l.bucket(ctx).Wait(ctx)
}

// clientAddrs finds who a public request comes from, for the public's rate limit and open
// sockets: the peer's address, or, when the peer is one of the trusted proxies (the load
// balancers in front of the instances), the rightmost X-Forwarded-For address that is not one
// of them — the one the first trusted proxy saw. (Only that header: the proxies must append to
// it, as nginx's $proxy_add_x_forwarded_for and HAProxy's forwardfor do; another header the
// proxies pass through untouched would be the caller's to write.) The entries left of it are the
// caller's own to write, and from a peer that is not trusted the header is ignored, so no caller
// can choose its own bucket. Without trusted proxies every public caller behind a load balancer
// would share one bucket, and one caller could spend it for all.
type clientAddrs struct {
	trusted   []net.IPNet
	forwarded realclientip.Strategy // nil without trusted proxies
}

// ParseTrustedProxies reads the trusted proxies: addresses and CIDR ranges.
func ParseTrustedProxies(list []string) ([]net.IPNet, error) {
	nets, err := realclientip.AddressesAndRangesToIPNets(list...)
	if err != nil {
		return nil, fmt.Errorf("%w (give addresses or CIDR ranges, such as 10.0.0.5 or 10.0.0.0/24)", err)
	}
	return nets, nil
}

func newClientAddrs(trusted []net.IPNet) clientAddrs {
	if len(trusted) == 0 {
		return clientAddrs{}
	}
	return clientAddrs{trusted: trusted, forwarded: realclientip.Must(realclientip.NewRightmostTrustedRangeStrategy("X-Forwarded-For", trusted))}
}

// of is the key of r's caller: an IPv4 address, or an IPv6 address's /64 — the block one
// subscriber is given, whose 2^64 addresses would otherwise each be a fresh bucket.
func (c clientAddrs) of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if c.forwarded != nil && c.trustedPeer(host) {
		if ip := c.forwarded.ClientIP(r.Header, r.RemoteAddr); ip != "" {
			host = ip
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

func (c clientAddrs) trustedPeer(host string) bool {
	ip := net.ParseIP(host)
	for _, n := range c.trusted {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// observe is the GraphQL extension that logs and measures every operation: one structured
// log line with request id, token, operation, outcome and duration, and the Prometheus series.
type observe struct {
	logger *slog.Logger
	m      *metrics
}

func (observe) ExtensionName() string                          { return "Observe" }
func (observe) Validate(schema graphql.ExecutableSchema) error { return nil }

func (o observe) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	if resp == nil && (oc.Operation == nil || oc.Operation.Operation != ast.Subscription) {
		return resp // a socket asking past a query's one response: nothing ran
	}
	if !graph.FinalAttempt(ctx) {
		return resp // a mutation that clashed and runs again: its answer is the next attempt's
	}
	if oc.Operation != nil && oc.Operation.Operation == ast.Mutation && !oc.Stats.OperationStart.IsZero() {
		start = oc.Stats.OperationStart // a rerun mutation's duration includes every attempt
	}
	op := graph.OperationName(oc)
	outcome := "OK"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "ERROR"
		if code, ok := resp.Errors[0].Extensions["code"].(string); ok {
			outcome = code
		}
	}
	if outcome == derrors.CodeForbidden {
		o.m.denials.WithLabelValues("forbidden").Inc()
	}
	d := time.Since(start)
	series := metricOperation(oc)
	o.m.requests.WithLabelValues(series, outcome).Inc()
	o.m.duration.WithLabelValues(series).Observe(d.Seconds())
	token := ""
	if v := authz.FromContext(ctx); v != nil {
		token = v.TokenName
	}
	transport := "http"
	if graph.OverSocket(ctx) {
		transport = "websocket"
	}
	o.logger.InfoContext(ctx, "graphql", "request_id", RequestID(ctx), "transport", transport, "token", token, "operation", op,
		"outcome", outcome, "duration_ms", float64(d.Microseconds())/1000)
	return resp
}

// metricOperation is an operation's metrics label: its type and first root field as the schema
// defines them ("query marketEntities"), so the label set is bounded by the schema whatever
// names callers give their operations; anything else folds into "other".
func metricOperation(oc *graphql.OperationContext) string {
	if oc == nil || oc.Operation == nil || len(oc.Operation.SelectionSet) == 0 {
		return "other"
	}
	f, ok := oc.Operation.SelectionSet[0].(*ast.Field)
	if !ok || f.Definition == nil {
		return "other"
	}
	return string(oc.Operation.Operation) + " " + f.Definition.Name
}

// metricsHandler serves /metrics to the callers who operate the service — the credit office
// and auditors — and to no one else: the series say who calls what, how often and how it goes.
func metricsHandler(reg *prometheus.Registry) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := authz.FromContext(r.Context())
		if v == nil || v.Perms == nil || !(v.Perms.ManagePolicy || v.Perms.Auditor) {
			derrors.WriteHTTP(w, http.StatusForbidden, derrors.CodeForbidden, "the metrics are for the credit office and auditors: send their bearer token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// readiness remembers, for a second, whether the database answers, so an instance whose
// database is gone (a Galera node killed or cut off) answers 503 UNAVAILABLE at once instead
// of holding every request until its query fails — and serves again by itself as soon as the
// database answers. One check a second at most, made by whichever request comes first.
type readiness struct {
	check func(context.Context) error
	mu    sync.Mutex
	at    time.Time
	err   error
}

func (r *readiness) ready(ctx context.Context) error {
	if r.check == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.at) < time.Second {
		return r.err
	}
	c, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	r.err, r.at = r.check(c), time.Now()
	return r.err
}

// wrap answers 503 with UNAVAILABLE and Retry-After while the database does not answer.
func (r *readiness) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := r.ready(req.Context()); err != nil {
			w.Header().Set("Retry-After", "1")
			derrors.WriteHTTP(w, http.StatusServiceUnavailable, derrors.CodeUnavailable, "the service's database is unavailable; try again shortly or use another instance")
			return
		}
		next.ServeHTTP(w, req)
	})
}
