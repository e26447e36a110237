package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
)

// requires implements @requires: the one gate on whole operations. Rows and individual writes
// are governed in the data layer; this only stops callers who hold no permission of the kind
// at all (auditors and the public cannot call mutations) before any resolver runs.
func requires(ctx context.Context, _ any, next graphql.Resolver, permission Permission) (any, error) {
	v := authz.FromContext(ctx)
	if v == nil || v.Perms == nil {
		return nil, fmt.Errorf("%w: no caller", derrors.Forbidden)
	}
	ok := false
	switch permission {
	case PermissionWrite:
		ok = v.Perms.CanWriteAnything()
	case PermissionManagePolicy:
		ok = v.Perms.System || v.Perms.ManagePolicy
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s (%s) lacks the %s permission", derrors.Forbidden, v.TokenName, v.Role, permission)
	}
	return next(ctx)
}

// hidePersonIDs answers null for every personID field to callers who may not read persons: a
// person's internal ID on a public record would let the public link one person's records.
func hidePersonIDs(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Name == "personID" && !authz.FromContext(ctx).SeesPersons() {
		return nil, nil
	}
	return next(ctx)
}
