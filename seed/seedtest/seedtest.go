// Package seedtest gives tests the demo's access setup on a database they opened: the
// reference data, an authorizer with the built-in policy and the publicity predicate, and the
// demo tokens with their secrets — as main wires them.
package seedtest

import (
	"context"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
)

// Access is what a test needs to act as the demo's roles.
type Access struct {
	Authorizer *authz.Authorizer
	Tokens     authz.TokenService
	// Secrets maps each demo token's name to its bearer secret.
	Secrets map[string]string
}

// DemoAccess loads the reference data into db and issues the demo tokens.
func DemoAccess(t testing.TB, db *storage.DB) Access {
	t.Helper()
	ctx := context.Background()
	if err := seed.Reference(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	a, err := authz.New(ctx, authz.EntStore{Client: db.Client}, nil, authz.Config{Publicity: publicity.Predicate})
	if err != nil {
		t.Fatal(err)
	}
	acc := Access{Authorizer: a, Tokens: authz.TokenService{Client: db.Client, Authorizer: a}, Secrets: map[string]string{}}
	demo, err := seed.DemoTokens(ctx, acc.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range demo {
		acc.Secrets[d.Name] = d.Token
	}
	return acc
}

// ClerkOf is the rule that makes the named token a clerk of one more domain (a sector): a
// change of that token's rights alone, as tests of rights that change while work runs need.
func ClerkOf(token, domain string) authz.Rule {
	return authz.Rule{PType: "g", V: [4]string{authz.TokenSubject(token), authz.RoleClerk, domain}}
}

// ChangeRule adds the rule to a's policy, or removes it, failing the test when it cannot.
func ChangeRule(t testing.TB, a *authz.Authorizer, add bool, r authz.Rule) {
	t.Helper()
	do := a.RemoveRule
	if add {
		do = a.AddRule
	}
	if err := do(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}
