package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/auditlog"
)

// auditTrail writes the audit log: every mutation, every operation of an auditor and every
// operation that unmasked personal data gets one append-only row, whatever its outcome. The
// variables are kept only as a digest, never in clear.
type auditTrail struct {
	client *ent.Client
	logger *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = auditTrail{}

func (auditTrail) ExtensionName() string                          { return "AuditTrail" }
func (auditTrail) Validate(schema graphql.ExecutableSchema) error { return nil }

func (a auditTrail) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	v := authz.FromContext(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) || v == nil || v.Perms == nil || !attemptOf(ctx).final() {
		// (An attempt that clashed and runs again wrote nothing; the one that answers is audited.
		// No response is the end of a stream — over a WebSocket every operation's answer is
		// followed by one — which answered nothing more.)
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	purposes := v.TakeReveals() // this response's: a subscription's events share the viewer
	var kind auditlog.Kind
	switch {
	case oc.Operation != nil && oc.Operation.Operation == ast.Mutation:
		kind = auditlog.KindMUTATION
	case v.Perms.Auditor:
		kind = auditlog.KindAUDITOR_READ
	case len(purposes) > 0:
		kind = auditlog.KindPERSONAL_DATA_READ
	default:
		return resp
	}
	outcome := "OK"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "ERROR"
		if code, ok := resp.Errors[0].Extensions["code"].(string); ok {
			outcome = code
		}
	}
	// Streamed into the hash: a batch's variables are a megabyte. Map keys are encoded sorted,
	// so equal variables give equal digests.
	h := sha256.New()
	variablesDigest(h, oc.Variables)
	digest := h.Sum(nil)
	row := AuditRow(a.client, v, kind, OperationName(oc), digest, outcome, time.Since(start)).
		SetPurpose(truncate(strings.Join(purposes, "; "), 255))
	err := AppendAudit(ctx, row)
	if err != nil {
		a.logger.ErrorContext(ctx, "writing the audit log failed", "err", err, "token", v.TokenName, "operation", OperationName(oc))
	}
	return resp
}

// auditReportFetch writes the audit row of a fetch of an issued credit report by its number and
// code (issuedCreditReport), whoever asked and whatever the outcome: the stored content — an
// AUTHORITY edition's records not in publicity among it — is read with nothing but the code,
// so the log says who read which report, and who tried codes that were wrong. It returns err,
// or the failure to write the row: a fetch that cannot be logged is not answered.
func auditReportFetch(ctx context.Context, client *ent.Client, number string, start time.Time, err error) error {
	v := authz.FromContext(ctx)
	if v == nil {
		v = &authz.Viewer{TokenName: authz.PublicSubject, Role: authz.RolePublic}
	}
	outcome := "OK"
	switch {
	case err == nil:
	case errors.Is(err, derrors.NotFound) || ent.IsNotFound(err):
		outcome = derrors.CodeNotFound
	case errors.Is(err, derrors.InvalidArgument):
		outcome = derrors.CodeBadUserInput
	default:
		outcome = "ERROR"
	}
	h := sha256.Sum256([]byte(number))
	row := AuditRow(client, v, auditlog.KindREPORT_FETCH, "issuedCreditReport "+strings.TrimSpace(number), h[:], outcome, time.Since(start))
	if werr := AppendAudit(ctx, row); werr != nil {
		return errors.Join(fmt.Errorf("%w: writing the audit log", derrors.Unavailable), werr)
	}
	return err
}

// AuditRow is an audit row of the viewer's: what every kind records — who (token, role,
// department), what (kind, operation, cut to the column, and the digest of its input, never
// the input), how it ended and how long it took. Callers add what their kind records besides.
func AuditRow(client *ent.Client, v *authz.Viewer, kind auditlog.Kind, operation string, digest []byte, outcome string, took time.Duration) *ent.AuditLogCreate {
	return client.AuditLog.Create().SetTokenName(v.TokenName).SetRole(v.Role).SetDepartment(v.Department).
		SetKind(kind).SetOperation(truncate(operation, 128)).SetVariablesDigest(hex.EncodeToString(digest)).
		SetOutcome(outcome).SetDurationMs(int(took.Milliseconds()))
}

// AppendAudit writes an audit row on its own, after the answer it records is known, as the
// system. On a Galera cluster two nodes can take the same id at once and one insert is refused
// as a clash (seen under the cluster test): the row is written again, a few times, rather than
// lost.
func AppendAudit(ctx context.Context, row *ent.AuditLogCreate) error {
	ctx = authz.SystemContext(context.WithoutCancel(ctx))
	var err error
	for n := 1; n <= maxAttempts; n++ {
		if err = row.Exec(ctx); err == nil || !writeClash(err) {
			return err
		}
		derrors.AfterClash(ctx, n)
	}
	return err
}

// OperationName is the operation's name, or its first field when it has none.
func OperationName(oc *graphql.OperationContext) string {
	if oc.Operation != nil && oc.Operation.Name != "" {
		return truncate(oc.Operation.Name, 128)
	}
	if oc.Operation != nil && len(oc.Operation.SelectionSet) > 0 {
		if f, ok := oc.Operation.SelectionSet[0].(*ast.Field); ok {
			return truncate(string(oc.Operation.Operation)+" "+f.Name, 128)
		}
	}
	return "anonymous"
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// introspectionGate allows introspection to authenticated callers, and to the public only
// when the server runs with public introspection on (development) — except the one question
// whose answer the committed schema.graphql already publishes: whether a type of a given name
// exists (`{ __type(name: "X") { name } }`, which GraphQL-over-HTTP clients and audits use as
// their probe). Fields, arguments and descriptions stay behind a token.
type introspectionGate struct{ public bool }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = introspectionGate{}

func (introspectionGate) ExtensionName() string                          { return "IntrospectionGate" }
func (introspectionGate) Validate(schema graphql.ExecutableSchema) error { return nil }

func (g introspectionGate) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.DisableIntrospection = !authz.MayIntrospect(authz.FromContext(ctx), g.public) && !typeNameProbe(oc.Operation)
	return nil
}

// typeNameProbe reports whether op asks nothing of the schema but __typename and the names of
// types it names itself.
func typeNameProbe(op *ast.OperationDefinition) bool {
	if op == nil {
		return false
	}
	onlyNames := func(set ast.SelectionSet, allowed ...string) bool {
		for _, sel := range set {
			f, ok := sel.(*ast.Field)
			if !ok || !slices.Contains(allowed, f.Name) || (f.Name != "__type" && len(f.SelectionSet) > 0) {
				return false
			}
		}
		return true
	}
	if !onlyNames(op.SelectionSet, "__typename", "__type") {
		return false
	}
	for _, sel := range op.SelectionSet {
		if f := sel.(*ast.Field); f.Name == "__type" && !onlyNames(f.SelectionSet, "__typename", "name") {
			return false
		}
	}
	return true
}
