package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The graphql-transport-ws close codes the socket ends with when access is refused: a
// rejected connection_init (the protocol's "Forbidden"), and rights that ended while the
// connection was open — a revoked or expired token (its "Unauthorized", which clients such as
// graphql-ws treat as fatal rather than reconnecting).
const (
	closeForbidden    = 4403
	closeUnauthorized = 4401
	// closeTooMany ends a connection over the caller's bound of open sockets; graphql-ws
	// clients treat it as fatal, so they do not reconnect at once.
	closeTooMany = 4429
	// closeRightsChanged ends a connection whose token's rights changed while it was open (a
	// policy change): its operations and subscriptions ran with the rights it opened with, so
	// it ends; graphql-ws clients retry on any code outside their fatal list, and a new
	// connection has the rights the token has now.
	closeRightsChanged = 4000
	// closeInitTimeout ends a connection that sent no connection_init within socketInitWait
	// (the protocol's "Connection initialisation timeout").
	closeInitTimeout = 4408
)

// closeReasons are the reasons sent with the codes a socket ends with.
var closeReasons = map[int]string{
	closeUnauthorized:  "Unauthorized: the token was revoked or has expired",
	closeRightsChanged: "Rights changed: the token's rights changed; connect again",
}

// socketInitWait is how long an opened socket may wait before its connection_init: until then
// it is nobody's (its token is in that message), so it holds a place of its own (see wrap).
const socketInitWait = 5 * time.Second

// socketRecheck is how often an open socket's token is checked again: revocation, expiry and a
// change of its rights end a connection within this interval (and the promise is 5 s).
const socketRecheck = 2 * time.Second

// socket is one WebSocket connection's access state: the credential it authenticated with and
// how to end it. Every operation on it authenticates again, and a watcher re-checks the token
// while it is open, so a socket never outlives its token's rights.
type socket struct {
	header string // the Authorization value, from connection_init or the upgrade request

	mu     sync.Mutex
	code   int // the close code to send instead of a normal closure; 0 for none
	cancel context.CancelFunc
	// closing is the code of a refusal on its way to the client (see endAfter); 0 for none.
	closing int
	// awaiting gives back the place the socket held until its connection_init came.
	awaiting func()
}

type socketKey struct{}

// socketOf returns the connection an operation came over, nil for plain HTTP.
func socketOf(ctx context.Context) *socket { s, _ := ctx.Value(socketKey{}).(*socket); return s }

// OverSocket tells whether the operation in ctx came over a WebSocket (logs say so).
func OverSocket(ctx context.Context) bool { return socketOf(ctx) != nil }

// end closes the connection with code: its operations stop and no more events are sent.
func (s *socket) end(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code == 0 {
		s.code = code
	}
	if s.cancel != nil {
		s.cancel()
	}
}

// refusalWait bounds how long a refused operation's socket stays open for the refusal to be
// written (it is written at once; this is for a write that never completes).
const refusalWait = time.Second

// endAfter ends the connection with code once the refusal err — which it marks with the
// extension "closes": code — has been written to the client (socketConn.WriteJSON), at the
// latest after refusalWait. Ending at once would race the refusal: gqlgen writes it after the
// operation context is refused, while a cancelled connection closes on another goroutine, so
// the client could see the close frame without the reason. The refused operation runs nothing
// meanwhile, and each later operation is checked on its own.
func (s *socket) endAfter(code int, err *gqlerror.Error) *gqlerror.Error {
	if err.Extensions == nil {
		err.Extensions = map[string]any{}
	}
	err.Extensions["closes"] = code
	s.mu.Lock()
	s.closing = code
	s.mu.Unlock()
	time.AfterFunc(refusalWait, func() { s.end(code) })
	return err
}

// closingCode is the code of a refusal on its way, 0 for none.
func (s *socket) closingCode() int { s.mu.Lock(); defer s.mu.Unlock(); return s.closing }

// closeCode is the code to close with: the one end chose, in place of gqlgen's normal closure.
func (s *socket) closeCode(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code != 0 && code == transport.WebsocketCloseNormalClosure {
		return s.code
	}
	return code
}

// sockets authenticates WebSocket connections the way the HTTP edge authenticates requests.
type sockets struct {
	tokens authz.TokenService
	logger *slog.Logger
	// rateLimit is the edge's per-caller rate limit, applied to each operation; nil for none.
	rateLimit func(context.Context) time.Duration
	recheck   time.Duration
	// hold bounds the sockets and subscriptions a caller keeps open (HandlerConfig.Hold).
	hold func(ctx context.Context, what string) (release func(), ok bool)
}

// transport is the WebSocket transport: origins allowed by CORS may open a socket (same-origin
// pages always may), the token comes in connection_init (browsers cannot set headers on a
// WebSocket), and refusals close with graphql-transport-ws codes.
func (ss sockets) transport(origins []string) transport.Websocket {
	return transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		InitTimeout:           socketInitWait,
		Implementation:        acceptor{transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: origins}}},
		InitFunc:              ss.init,
	}
}

// wrap marks upgrade requests with a fresh socket before gqlgen accepts them. Until its
// connection_init, a socket takes one of its caller's places for sockets awaiting one (the
// caller of the upgrade request: its address, or the token of its Authorization header), so
// no caller can open sockets without end and never say who it is; one more is answered 429.
func (ss sockets) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			next.ServeHTTP(w, r)
			return
		}
		s := &socket{header: r.Header.Get("Authorization")}
		if ss.hold != nil {
			release, ok := ss.hold(r.Context(), "socket awaiting connection_init")
			if !ok {
				derrors.WriteHTTP(w, http.StatusTooManyRequests, derrors.CodeRateLimited,
					"too many connections awaiting connection_init from this caller; send connection_init on those first")
				return
			}
			s.awaiting = release
			defer release()
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), socketKey{}, s)))
	})
}

// init authenticates connection_init's Authorization (or else the upgrade request's) and
// starts the watcher that ends the connection when the token stops being valid.
func (ss sockets) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	s := socketOf(ctx)
	if s == nil { // not through wrap: refuse rather than run unauthenticated
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errors.New("Forbidden")
	}
	if s.awaiting != nil {
		s.awaiting() // it awaits no more
	}
	if h := p.Authorization(); h != "" {
		s.header = h
	}
	v, err := ss.tokens.Authenticate(ctx, s.header)
	if err != nil {
		ctx = transport.AppendCloseReason(ctx, "Forbidden: "+publicMessage(err))
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, err
	}
	// The connection's viewer: its operations run with these rights, and it ends once the
	// token no longer has them (Viewer.StillHolds, in the gate and the watcher).
	ctx = authz.NewContext(ctx, v)
	if ss.hold != nil {
		release, ok := ss.hold(ctx, "socket")
		if !ok {
			ctx = transport.AppendCloseReason(ctx, "Too many open connections for this caller")
			return transport.WithWebsocketCloseCode(ctx, closeTooMany), nil, errors.New("too many open connections")
		}
		context.AfterFunc(ctx, release) // the connection's context ends with it
	}
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	go ss.watch(ctx, s) // the public's too: a policy change can change its rights
	return ctx, nil, nil
}

// watch checks the socket's token every recheck interval and ends the connection once it is
// revoked or expired, or its rights changed. A database that does not answer ends nothing:
// operations still authenticate one by one.
func (ss sockets) watch(ctx context.Context, s *socket) {
	every := ss.recheck
	if every <= 0 {
		every = socketRecheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
			v := authz.FromContext(ctx)
			switch err := v.StillHolds(ctx); {
			case errors.Is(err, derrors.Unauthenticated):
				ss.logger.InfoContext(ctx, "websocket closed: token no longer valid")
				s.end(closeUnauthorized) // cancels ctx: the loop ends
			case errors.Is(err, authz.ErrRightsChanged):
				ss.logger.InfoContext(ctx, "websocket closed: the token's rights changed", "token", v.TokenName)
				s.end(closeRightsChanged)
			}
		}
	}
}

// The gate runs before any other check of an operation: over a socket, the token is
// authenticated again — an operation runs only with the rights the token has now — and the
// caller's rate limit applies, exactly as at the HTTP edge; each operation gets a viewer of its
// own (its own lookups and audit row, as a request has); a subscription takes one of the
// caller's places (Hold) for as long as it runs.
var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.OperationInterceptor
} = sockets{}

func (sockets) ExtensionName() string                          { return "SocketGate" }
func (sockets) Validate(schema graphql.ExecutableSchema) error { return nil }

func (ss sockets) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	s := socketOf(ctx)
	if s == nil {
		return nil // HTTP: the edge has authenticated and rate-limited the request
	}
	switch err := authz.FromContext(ctx).StillHolds(ctx); {
	case errors.Is(err, derrors.Unauthenticated):
		return s.endAfter(closeUnauthorized, &gqlerror.Error{Message: publicMessage(err), Extensions: map[string]any{"code": derrors.CodeUnauthenticated}})
	case errors.Is(err, authz.ErrRightsChanged):
		return s.endAfter(closeRightsChanged, &gqlerror.Error{Message: "the token's rights changed while this connection was open; it closes: connect again to go on with the rights the token has now",
			Extensions: map[string]any{"code": derrors.CodeUnavailable}})
	case err != nil:
		return &gqlerror.Error{Message: publicMessage(err), Extensions: map[string]any{"code": derrors.CodeUnavailable}}
	}
	if ss.rateLimit != nil {
		if wait := ss.rateLimit(ctx); wait > 0 {
			return &gqlerror.Error{Message: fmt.Sprintf("too many requests; retry after %d s", int(wait/time.Second)+1),
				Extensions: map[string]any{"code": derrors.CodeRateLimited, "retryAfter": int(wait/time.Second) + 1}}
		}
	}
	return nil
}

func (ss sockets) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if socketOf(ctx) == nil {
		return next(ctx)
	}
	ctx = authz.NewContext(ctx, authz.FromContext(ctx).ForRequest())
	if ss.hold == nil {
		return next(ctx)
	}
	if oc := graphql.GetOperationContext(ctx); oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	release, ok := ss.hold(ctx, "subscription")
	if !ok {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: "too many open subscriptions for this caller; complete one first",
			Extensions: map[string]any{"code": derrors.CodeRateLimited}}}})
	}
	context.AfterFunc(ctx, release) // the operation's context ends when the subscription does
	return next(ctx)
}

// publicMessage is an authentication error as callers may read it: the category's sentence,
// without infrastructure details.
func publicMessage(err error) string {
	if errors.Is(err, derrors.Unavailable) {
		return "the service is temporarily unavailable; try again shortly"
	}
	return authz.ErrBadToken.Error()
}

// acceptor accepts WebSocket connections with coder/websocket and gives each the socket's
// close code: gqlgen closes a cancelled connection as a normal closure (1000), which would
// tell clients to reconnect at once.
type acceptor struct {
	transport.CoderWebsocketImplementation
}

func (a acceptor) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := a.CoderWebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	s := socketOf(r.Context())
	if s == nil {
		return c, nil
	}
	return &socketConn{WebsocketConn: c, s: s}, nil
}

// socketConn is a connection that closes with its socket's code and keeps the adapter's
// read limit and read deadlines.
type socketConn struct {
	transport.WebsocketConn
	s *socket
}

func (c *socketConn) WriteClose(code int, msg string) error {
	if got := c.s.closeCode(code); got != code {
		code, msg = got, closeReasons[got]
	}
	if code == transport.WebsocketCloseProtocolError && msg == "connection initialisation timeout" {
		code = closeInitTimeout // gqlgen says it with the generic protocol-error code
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// WriteJSON writes a message and, when it carries a refusal that closes the connection (see
// socket.endAfter), ends the connection: the client has the reason before the close frame.
func (c *socketConn) WriteJSON(v any) error {
	err := c.WebsocketConn.WriteJSON(v)
	if code := c.s.closingCode(); code != 0 {
		if b, merr := json.Marshal(v); merr == nil && bytes.Contains(b, []byte(fmt.Sprintf(`"closes":%d`, code))) {
			c.s.end(code)
		}
	}
	return err
}

func (c *socketConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
