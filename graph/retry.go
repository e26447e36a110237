package graph

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ledger"
)

// A mutation runs in one transaction, and a transaction the database rolls back for a write
// clash — a deadlock, a lock wait timeout, or on a Galera cluster a certification failure
// (another node committed a write to the same rows first, reported as a deadlock) — wrote
// nothing, so running the whole operation again is safe. writeRetry does that a bounded
// number of times; the caller sees CONFLICT only when every attempt clashed, and never a
// half-applied batch: each attempt is all or nothing.

// maxAttempts bounds how often one mutation runs.
const maxAttempts = 5

// attempt is one run of a mutation, shared through the context by writeRetry (which starts
// it), the transactioner (which notes a clash) and the audit trail (which records only the
// attempt that answers).
type attempt struct {
	n       int
	clashed atomic.Bool
}

type attemptKey struct{}

func attemptOf(ctx context.Context) *attempt {
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	return a
}

// final reports whether the response of this attempt is the one the caller gets.
func (a *attempt) final() bool { return a == nil || !a.clashed.Load() || a.n >= maxAttempts }

// FinalAttempt reports, after an operation's response is made, whether that response is the
// one the caller gets — false for an attempt that clashed and runs again. Extensions that log,
// measure or audit an operation count only the final attempt.
func FinalAttempt(ctx context.Context) bool { return attemptOf(ctx).final() }

// writeRetry runs a mutation again when its transaction clashed; retries counts the reruns.
type writeRetry struct{ retries func() }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = writeRetry{}

func (writeRetry) ExtensionName() string                          { return "WriteRetry" }
func (writeRetry) Validate(schema graphql.ExecutableSchema) error { return nil }

func (r writeRetry) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	first := true
	return func(rctx context.Context) *graphql.Response {
		if !first {
			return nil // a mutation answers once
		}
		first = false
		for n := 1; ; n++ {
			a := &attempt{n: n}
			// Each attempt executes the operation afresh: a new response handler with its own
			// transaction and its own errors.
			resp := next(context.WithValue(ctx, attemptKey{}, a))(context.WithValue(rctx, attemptKey{}, a))
			if a.final() || rctx.Err() != nil {
				return resp
			}
			if r.retries != nil {
				r.retries()
			}
			if !derrors.AfterClash(rctx, n) {
				return resp
			}
			authz.FromContext(ctx).Retry()
		}
	}
}

// transactioner runs each mutation in one transaction (as entgql.Transactioner does), with
// what a multi-primary database needs besides: a failed commit is answered through the error
// presenter (CONFLICT for a certification failure, UNAVAILABLE for a lost node) instead of a
// bare message, and a clash is noted for writeRetry.
type transactioner struct {
	client *ent.Client
	skip   func(*ast.OperationDefinition) bool
	logger *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = transactioner{}

func (transactioner) ExtensionName() string                          { return "Transactioner" }
func (transactioner) Validate(schema graphql.ExecutableSchema) error { return nil }

// MutateOperationContext runs a transactional operation's resolvers one at a time: they share
// the transaction's one connection, which two goroutines must not use at once.
func (t transactioner) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation || t.skip(oc.Operation) {
		return nil
	}
	previous := oc.ResolverMiddleware
	var mu sync.Mutex
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return previous(ctx, next)
	}
	return nil
}

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx) // an undecodable body: no operation to run
	}
	op := graphql.GetOperationContext(ctx).Operation
	if op == nil || op.Operation != ast.Mutation || t.skip(op) {
		return next(ctx)
	}
	a := attemptOf(ctx)
	txCtx, tx, err := t.client.OpenTx(ctx)
	if err != nil {
		a.note(err)
		return t.fail(ctx, err)
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	resp := next(txCtx)
	if resp == nil {
		_ = tx.Rollback()
		return nil
	}
	if len(resp.Errors) > 0 {
		_ = tx.Rollback()
		for _, e := range resp.Errors {
			a.note(e)
		}
		return &graphql.Response{Errors: resp.Errors, Extensions: resp.Extensions}
	}
	if err := tx.Commit(); err != nil {
		a.note(err)
		return t.fail(ctx, err)
	}
	return resp
}

// note marks the attempt clashed when err is a write clash, or, on the first attempt, a source
// key that a concurrent send of the same record took after this one looked (ledger's once):
// run again, the mutation finds that record and answers it, as a retried send is answered. A
// key still taken on the second attempt belongs to a record the caller cannot see: CONFLICT.
func (a *attempt) note(err error) {
	if a != nil && (writeClash(err) || a.n == 1 && ledger.SourceKeyTaken(err)) {
		a.clashed.Store(true)
	}
}

// fail answers a transaction that could not begin or commit: nothing was written.
func (t transactioner) fail(ctx context.Context, err error) *graphql.Response {
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) {
		gqlErr = presentError(t.logger)(ctx, err)
	}
	return &graphql.Response{Errors: gqlerror.List{gqlErr}}
}
