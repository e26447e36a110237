// Package graph is the GraphQL layer: the hand-written schema files (graph/*.graphql), the
// schema entgql generates from ent (graph/ent.graphql), gqlgen's executor, thin resolvers and
// the GraphQL extensions (cost, persisted queries, the introspection gate, the audit trail).
// The HTTP edge around it is package server.
package graph

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/report"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/storage/tally"
	"github.com/creditgraph/creditgraph/vocab"
)

// Deps are what the resolvers need from the composition root.
type Deps struct {
	Client     *ent.Client
	Authorizer *authz.Authorizer
	// Ledger is the write engine registered on Client: it records batches, and its clock and
	// event broker serve the workflows and subscriptions. Nil only where nothing is executed
	// (printing the schema).
	Ledger *ledger.Engine
	// Tallies answer entity counts in constant time (storage/tally); nil counts rows.
	Tallies *tally.Store
	// ReportFont is a TrueType font with Chinese glyphs for credit reports' PDFs; without it
	// reports are issued but not printed.
	ReportFont []byte
	// ImportWorkers is how many batches of an uploaded file are written at once
	// (exchange.Importer.Workers; storage.Target.Writers says what suits the database).
	ImportWorkers int
}

// Resolver is the root resolver and the one place its dependencies are injected.
type Resolver struct {
	client     *ent.Client
	authorizer *authz.Authorizer
	ledger     *ledger.Engine
	workflows  workflow.Env
	clock      vocab.Clock
	tallies    *tally.Store
	reports    *report.Service
	// importWorkers: Deps.ImportWorkers
	importWorkers int
}

// NewSchema builds the executable schema over the resolvers' dependencies.
func NewSchema(d Deps) graphql.ExecutableSchema {
	r := &Resolver{client: d.Client, authorizer: d.Authorizer, ledger: d.Ledger, clock: vocab.SystemClock, tallies: d.Tallies,
		importWorkers: d.ImportWorkers}
	if d.Ledger != nil {
		r.clock, r.workflows = d.Ledger.Clock, workflow.Env{Clock: d.Ledger.Clock, Events: d.Ledger.Events}
	}
	r.reports = &report.Service{Client: d.Client, Authorizer: d.Authorizer, Clock: r.clock, Font: d.ReportFont, Sign: r.sign}
	return NewExecutableSchema(Config{
		Resolvers:  r,
		Directives: DirectiveRoot{Requires: requires},
	})
}

// sign keys issued documents with the data key; without one (printing the schema) it refuses.
func (r *Resolver) sign(msg []byte) []byte {
	if c := r.cipher(); c != nil {
		return c.Sign(msg)
	}
	panic("no data key is configured to sign documents")
}

// cipher is the personal-data cipher the write engine seals ID numbers with.
func (r *Resolver) cipher() *pii.Cipher {
	if r.ledger == nil {
		return nil
	}
	return r.ledger.Cipher
}
