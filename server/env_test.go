package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/seed/seedtest"
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
	return newEnvOn(t, storagetest.Engine{Name: "sqlite", Open: storagetest.OpenSQLite})
}

// newEnvOn is newEnv on engine e.
func newEnvOn(t *testing.T, e storagetest.Engine) *testEnv {
	t.Helper()
	env := &testEnv{db: e.Open(t, storagetest.Options{})}
	acc := seedtest.DemoAccess(t, env.db)
	env.authorizer, env.tokens, env.secrets = acc.Authorizer, acc.Tokens, acc.Secrets
	env.srv = httptest.NewServer(server.New(server.Config{Deps: graph.Deps{Client: env.db.Client, Ledger: env.db.Ledger, Tallies: env.db.Tallies, Authorizer: env.authorizer},
		Tokens: env.tokens, Ready: env.db.Ready, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Playground: true}))
	t.Cleanup(env.srv.Close)
	return env
}

// edgeServer is the demo environment's server with edge settings.
func edgeServer(t *testing.T, env *testEnv, edge server.EdgeConfig) *httptest.Server {
	srv := httptest.NewServer(server.New(server.Config{Deps: graph.Deps{Client: env.db.Client, Ledger: env.db.Ledger, Authorizer: env.authorizer}, Tokens: env.tokens,
		Ready: env.db.Ready, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: env.db.SQL, Edge: edge}))
	t.Cleanup(srv.Close)
	return srv
}

// get fetches url with the demo token's secret (none for the public) and returns the status
// and body.
func (env *testEnv) get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+env.secrets[token])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}
