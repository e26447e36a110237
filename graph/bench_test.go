package graph_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// BenchmarkNestedQuery measures what authorization costs: the same 50-entity nested query
// (legal representatives, their entities, penalties) as an internal job with no checks, and as
// a market supervisor, whose permissions become SQL filters on every level.
//
//	go test ./graph -run '^$' -bench NestedQuery -benchmem
func BenchmarkNestedQuery(b *testing.B) {
	db := storagetest.OpenSQLite(b, storagetest.Options{})
	ctx := context.Background()
	o := seed.DefaultOptions()
	if _, err := seed.Demo(ctx, db.Client, o); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	authorizer, err := authz.New(ctx, authz.EntStore{Client: db.Client}, logger, authz.Config{Publicity: publicity.Predicate})
	if err != nil {
		b.Fatal(err)
	}
	tokens := authz.TokenService{Client: db.Client, Authorizer: authorizer}
	if _, err := tokens.Issue(ctx, authz.IssueRequest{Name: "bench-supervisor", Role: authz.RoleSupervisor, Department: "market"}); err != nil {
		b.Fatal(err)
	}
	h := graph.NewHandler(graph.HandlerConfig{Deps: graph.Deps{Client: db.Client, Ledger: db.Ledger, Authorizer: authorizer}, Logger: logger})
	body := []byte(`{"query":"{ marketEntities(first: 50, orderBy: [{field: USCC}]) { totalCount edges { node { uscc name ` +
		`legalRepresentative { name represents { uscc } } penalties(first: 5) { totalCount edges { node { decisionNo department { name } } } } ` +
		`listEntries(first: 5) { totalCount edges { node { listType } } } } } } }"}`)
	for _, v := range []struct {
		name   string
		viewer *authz.Viewer
	}{
		{"no-authz", authz.FromContext(authz.SystemContext(ctx))},
		{"supervisor", &authz.Viewer{TokenName: "bench-supervisor", Role: "supervisor", Department: "market", Perms: authorizer.Permissions(authz.TokenSubject("bench-supervisor"))}},
	} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req = req.WithContext(authz.NewContext(req.Context(), v.viewer))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}
