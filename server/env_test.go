package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// testEnv is a served database with the reference data and the demo tokens: what the edge
// tests need, without demo entities.
type testEnv struct {
	db         *storage.DB
	authorizer *authz.Authorizer
	tokens     authz.TokenService
	secrets    map[string]string // demo token name → secret
	srv        *httptest.Server  // the server with the default edge and the playground
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	env := &testEnv{db: storagetest.OpenSQLite(t, storagetest.Options{}), secrets: map[string]string{}}
	if err := seed.Reference(ctx, env.db.Client); err != nil {
		t.Fatal(err)
	}
	var err error
	if env.authorizer, err = authz.New(ctx, authz.EntStore{Client: env.db.Client}, nil, authz.Config{Publicity: publicity.Predicate}); err != nil {
		t.Fatal(err)
	}
	env.tokens = authz.TokenService{Client: env.db.Client, Authorizer: env.authorizer}
	demo, err := seed.DemoTokens(ctx, env.tokens)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range demo {
		env.secrets[d.Name] = d.Token
	}
	env.srv = httptest.NewServer(server.New(server.Config{Client: env.db.Client, Ledger: env.db.Ledger,
		Authorizer: env.authorizer, Tokens: env.tokens, Ready: env.db.Ready, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Playground: true}))
	t.Cleanup(env.srv.Close)
	return env
}

// edgeServer is the demo environment's server with edge settings.
func edgeServer(t *testing.T, env *testEnv, edge server.EdgeConfig) *httptest.Server {
	srv := httptest.NewServer(server.New(server.Config{Client: env.db.Client, Ledger: env.db.Ledger, Authorizer: env.authorizer, Tokens: env.tokens,
		Ready: env.db.Ready, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: env.db.SQL, Edge: edge}))
	t.Cleanup(srv.Close)
	return srv
}
