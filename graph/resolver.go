// Package graph is the GraphQL layer: the hand-written schema files (graph/*.graphql), the
// schema entgql generates from ent (graph/ent.graphql), gqlgen's executor, thin resolvers and
// the HTTP handler that serves them.
package graph

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
)

// Resolver is the root resolver and the one place its dependencies are injected.
type Resolver struct {
	client     *ent.Client
	authorizer *authz.Authorizer
}

// NewSchema builds the executable schema over an ent client and the authorizer.
func NewSchema(client *ent.Client, authorizer *authz.Authorizer) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{
		Resolvers:  &Resolver{client: client, authorizer: authorizer},
		Directives: DirectiveRoot{Requires: requires},
	})
}
