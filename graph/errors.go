package graph

import (
	"context"
	"database/sql/driver"
	"net"

	"errors"
	"log/slog"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/privacy"
)

// presentError is the one place errors are categorised for clients: it sets extensions.code
// (and extensions.field for bad input) and makes sure no SQL text or internal detail leaves the
// server; internal errors are logged with their path instead.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := present(ctx, err, logger)
		// What any message quotes of the caller's input is cut short: no answer carries a
		// long input back whole.
		gqlErr.Message = derrors.Clip(gqlErr.Message)
		return gqlErr
	}
}

// present is err for the caller: its code, field and words.
func present(ctx context.Context, err error, logger *slog.Logger) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if gqlErr.Extensions == nil {
		gqlErr.Extensions = map[string]any{}
	}
	v := authz.FromContext(ctx)
	if fc := graphql.GetFieldContext(ctx); fc != nil && strings.HasPrefix(fc.Field.Name, "__") && !authz.MayIntrospect(v, false) {
		// The introspection gate turned introspection off for this caller.
		set(gqlErr, derrors.CodeUnauthenticated, "", "introspection needs a bearer token")
		return gqlErr
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Args == nil && len(fc.Field.Arguments) > 0 && gqlErr.Err != nil {
		// The field's arguments did not decode (a bad ID, cursor, time or date): the
		// caller's input, named by the argument's path.
		field := lastName(gqlErr.Path)
		set(gqlErr, derrors.CodeBadUserInput, field, field+": "+argumentProblem(gqlErr.Err))
		return gqlErr
	}
	if code, ok := gqlErr.Extensions["code"]; ok && gqlErr.Err == nil {
		if code == "GRAPHQL_VALIDATION_FAILED" && !authz.MayIntrospect(v, false) {
			// No schema hints for callers who may not read the schema.
			if i := strings.Index(gqlErr.Message, " Did you mean"); i >= 0 {
				gqlErr.Message = gqlErr.Message[:i]
			}
		}
		if code == "GRAPHQL_VALIDATION_FAILED" && len(gqlErr.Path) > 0 && gqlErr.Path[0] == ast.PathName("variable") {
			// A variable of the wrong type or an unknown enum value is the caller's input.
			gqlErr.Extensions["code"] = derrors.CodeBadUserInput
			if name := lastName(gqlErr.Path); name != "" {
				gqlErr.Extensions["field"] = name
				gqlErr.Message = name + ": " + gqlErr.Message
			}
		}
		return gqlErr // parser and validation errors already carry their code
	}
	if gqlErr.Err == nil && gqlErr.Extensions["code"] == nil {
		// gqlgen's own protocol errors (an undecodable body, an unknown operation) are
		// the caller's to fix and say what is wrong.
		gqlErr.Extensions["code"] = derrors.CodeBadUserInput
		return gqlErr
	}
	msg := err.Error()
	if gqlErr.Err != nil {
		msg = gqlErr.Err.Error() // without gqlgen's location and path prefix
	}
	var (
		fieldErr   *derrors.FieldError
		validErr   *ent.ValidationError
		constraint *ent.ConstraintError
		notFound   *ent.NotFoundError
	)
	switch {
	case errors.As(err, &fieldErr):
		set(gqlErr, derrors.CodeBadUserInput, fieldErr.Field, fieldErr.Error())
	case errors.As(err, &validErr):
		field := derrors.GraphQLName(validErr.Name)
		if row := (*derrors.RowError)(nil); errors.As(err, &row) {
			field = row.Field(field)
		}
		set(gqlErr, derrors.CodeBadUserInput, field, field+": "+derrors.DescribeValidation(validErr.Unwrap()))
	case errors.As(err, &constraint):
		field, msg := derrors.DescribeConstraint(constraint.Error())
		if row := (*derrors.RowError)(nil); field != "" && errors.As(err, &row) {
			field = row.Field(field)
		}
		code := derrors.CodeConflict
		if field == "" && strings.Contains(strings.ToLower(constraint.Error()), "foreign key") {
			code = derrors.CodeBadUserInput
		}
		set(gqlErr, code, field, msg)
	case errors.As(err, &notFound):
		set(gqlErr, derrors.CodeNotFound, "", "not found: "+strings.TrimPrefix(notFound.Error(), "ent: "))
	case errors.Is(err, derrors.NotFound):
		set(gqlErr, derrors.CodeNotFound, "", msg) // "not found: no entity with USCC …"
	case errors.Is(err, derrors.InvalidArgument):
		set(gqlErr, derrors.CodeBadUserInput, "", msg)
	case errors.Is(err, derrors.Forbidden), errors.Is(err, privacy.Deny):
		set(gqlErr, derrors.CodeForbidden, "", derrors.DescribeDenial(msg))
	case errors.Is(err, derrors.Unauthenticated):
		set(gqlErr, derrors.CodeUnauthenticated, "", msg)
	case errors.Is(err, derrors.Conflict):
		set(gqlErr, derrors.CodeConflict, "", msg)
	case writeClash(err) && !isQuery(ctx):
		set(gqlErr, derrors.CodeConflict, "", "the write clashed with a concurrent one and was rolled back whole; send it again")
	case writeClash(err):
		// A read that met a concurrent write's locks, or a table the database reloaded
		// under it (storage's guard): nothing is wrong with the request.
		set(gqlErr, derrors.CodeUnavailable, "", "the service is temporarily unavailable; try again shortly")
	case errors.Is(err, derrors.Unavailable), databaseDown(err):
		set(gqlErr, derrors.CodeUnavailable, "", "the service is temporarily unavailable; try again shortly")
	case isInputCoercion(gqlErr):
		gqlErr.Extensions["code"] = derrors.CodeBadUserInput
		if name := lastName(gqlErr.Path); name != "" {
			gqlErr.Extensions["field"] = name
			gqlErr.Message = name + ": " + gqlErr.Message
		}
	default:
		logger.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "err", err)
		set(gqlErr, derrors.CodeInternal, "", "internal error")
	}
	return gqlErr
}

// argumentProblem says what is wrong with an argument in words a caller can act on, without
// the decoder's internals.
func argumentProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "strconv."), strings.Contains(msg, "invalid syntax"), strings.Contains(msg, "out of range"):
		return "not a valid ID or number"
	case strings.Contains(msg, "cursor"), strings.Contains(msg, "base64"), strings.Contains(msg, "msgpack"):
		return "not a cursor this API gave out"
	case strings.Contains(msg, "parsing time"), strings.Contains(msg, "time"):
		return "not a time like 2026-05-31T08:00:00+08:00"
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 && !strings.Contains(msg[i:], "*") {
		return msg[i+2:]
	}
	return msg
}

// lastName is the innermost field name of a path (skipping list indexes).
func lastName(p ast.Path) string {
	for i := len(p) - 1; i >= 0; i-- {
		if name, ok := p[i].(ast.PathName); ok {
			return string(name)
		}
	}
	return ""
}

func set(e *gqlerror.Error, code, field, msg string) {
	e.Message = msg
	e.Extensions["code"] = code
	if field != "" {
		e.Extensions["field"] = field
	}
}

// isInputCoercion recognises gqlgen's errors for arguments that failed to decode (a bad Date or
// enum in the input object), which name the argument path and are the caller's to fix.
func isInputCoercion(e *gqlerror.Error) bool {
	var inner error = e.Err
	for inner != nil {
		if _, ok := inner.(*gqlerror.Error); ok {
			return true
		}
		inner = errors.Unwrap(inner)
	}
	return strings.Contains(e.Message, "is not a") || strings.Contains(e.Message, "must be a")
}

// writeClash reports a write clash (derrors.WriteClash): nothing was written and the same
// request may simply be sent again.
func writeClash(err error) bool { return derrors.WriteClash(err) }

// isQuery reports whether ctx is a query operation's (a read; mutations write).
func isQuery(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Query
}

// databaseDown recognises a database that does not answer (refused or broken connections), so
// callers get UNAVAILABLE — retry later — instead of an internal error.
func databaseDown(err error) bool {
	var netErr *net.OpError
	var my *mysql.MySQLError
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.As(err, &netErr) ||
		errors.As(err, &my) && my.Number == 1047 { // a Galera node outside the primary component
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "bad connection") || strings.Contains(msg, "invalid connection")
}
