package graph_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Two instances, each on its own node of a Galera cluster, take batches of penalties about the
// same entities at once. Every batch is answered OK or, after its retries, CONFLICT — never
// another error; every acknowledged row is on both nodes and no row of a refused batch is; and
// each entity's stored evaluation is what a fresh recompute gives (the entity locks and the
// recompute stayed correct across nodes). A token revoked through one node is refused through the
// other at once, and a policy change within 5 s. Runs when CREDITGRAPH_TEST_GALERA_DSNS names the
// nodes (.ci/run starts them with scripts/cluster.sh nodes).
func TestGaleraConcurrentWritesThroughTwoNodes(t *testing.T) {
	nodes := storagetest.GaleraNodes(t, storagetest.Options{})
	a := newEnv(t, storagetest.Engine{Name: "galera", Open: func(testing.TB, storagetest.Options) *storage.DB { return nodes[0] }}, 30)
	reg := prometheus.NewRegistry()
	b := *a
	b.db = nodes[1]
	b.srv = httptest.NewServer(server.New(server.Config{Deps: graph.Deps{Client: nodes[1].Client, Ledger: nodes[1].Ledger, Tallies: nodes[1].Tallies, Authorizer: a.authorizer},
		Tokens: authz.TokenService{Client: nodes[1].Client, Authorizer: a.authorizer}, Ready: nodes[1].Ready,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), Edge: server.EdgeConfig{Registry: reg}}))
	t.Cleanup(b.srv.Close)
	envs := []*testEnv{a.as("demo-market-clerk"), b.as("demo-market-clerk")}

	const writers, rounds = 6, 12
	batches := map[string][]map[string]any{}
	for w := range writers {
		for r := range rounds {
			batches[fmt.Sprintf("G%d-%d", w, r)] = penaltyBatch(a, 20, fmt.Sprintf("G%d-%d", w, r)) // 20 rows over 10 entities
		}
	}
	var (
		mu      sync.Mutex
		acked   []string
		refused []string
		wg      sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			env := envs[w%2]
			for r := range rounds {
				prefix := fmt.Sprintf("G%d-%d", w, r)
				res := env.post(`mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`,
					map[string]any{"in": batches[prefix]})
				mu.Lock()
				switch {
				case len(res.Errors) == 0:
					acked = append(acked, prefix)
				case res.Errors[0].Extensions["code"] == "CONFLICT":
					refused = append(refused, prefix)
				default:
					t.Errorf("batch %s through node %d: %+v", prefix, w%2+1, res.Errors)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d batches acknowledged, %d refused with CONFLICT after their retries", len(acked), len(refused))
	for i, db := range nodes {
		for _, p := range acked {
			if n := storagetest.Count(t, db, "administrative_penalties", "source_record_id LIKE ?", p+"-%"); n != 20 {
				t.Errorf("node %d holds %d of acknowledged batch %s's 20 rows", i+1, n, p)
			}
		}
		for _, p := range refused {
			if n := storagetest.Count(t, db, "administrative_penalties", "source_record_id LIKE ?", p+"-%"); n != 0 {
				t.Errorf("node %d holds %d rows of refused batch %s: half applied", i+1, n, p)
			}
		}
	}
	// Each entity's evaluation as stored equals a fresh recompute of it (done in a transaction
	// that is then rolled back).
	ctx := authz.SystemContext(context.Background())
	ids := nodes[0].Client.MarketEntity.Query().Order(ent.Asc(marketentity.FieldUscc)).Limit(10).IDsX(ctx)
	stored := evaluations(ctx, nodes[0].Client, ids)
	tx, err := nodes[0].Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := evaluator.Recompute(ent.NewTxContext(ctx, tx), tx.Client(), vocab.SystemClock, ids...); err != nil {
		t.Fatal(err)
	}
	if fresh := evaluations(ctx, tx.Client(), ids); fresh != stored {
		t.Errorf("stored evaluations\n%s\ndiffer from a fresh recompute\n%s", stored, fresh)
	}
	// A token revoked through node 1 is refused by the instance on node 2 at its next request:
	// tokens are read on every request, with causal reads.
	labour := b.as("demo-labour-clerk")
	if res := labour.post(`{ __typename }`, nil); len(res.Errors) > 0 {
		t.Fatalf("before revocation: %+v", res.Errors)
	}
	if err := a.tokens.Revoke(ctx, "demo-labour-clerk"); err != nil {
		t.Fatal(err)
	}
	if res := labour.post(`{ __typename }`, nil); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("a token revoked on node 1, used at once on node 2: %d %+v, want UNAUTHENTICATED", res.Status, res.Errors)
	}
	// A policy change made through node 1 reaches an instance on node 2 within the 5 s the
	// access rules promise (each instance reloads the stored policy when it changes).
	other, err := authz.New(ctx, authz.EntStore{Client: nodes[1].Client}, nil, authz.Config{Publicity: publicity.Predicate})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go other.Watch(wctx, 100*time.Millisecond)
	a.as("demo-credit-office").mustData(`mutation($in: PolicyRuleInput!) { addPolicyRule(input: $in) { kind } }`,
		map[string]any{"in": map[string]any{"kind": "ROLE_BINDING", "subject": "demo-transport-clerk", "role": "clerk", "department": "market"}}, nil)
	for deadline := time.Now().Add(5 * time.Second); !other.Permissions(authz.TokenSubject("demo-transport-clerk")).CanWrite("MARKET"); {
		if time.Now().After(deadline) {
			t.Fatal("the instance on node 2 did not apply a binding added through node 1 within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if mfs, err := reg.Gather(); err == nil {
		for _, mf := range mfs {
			if mf.GetName() == "creditgraph_write_retries_total" {
				t.Logf("node 2's instance ran %v mutations again after a clash", mf.GetMetric()[0].GetCounter().GetValue())
			}
		}
	}
}

// evaluations lists the entities' tier, score and grade, one line each.
func evaluations(ctx context.Context, c *ent.Client, ids []int) string {
	var lines []string
	for _, e := range c.MarketEntity.Query().Where(marketentity.IDIn(ids...)).AllX(ctx) {
		tier := "none"
		if e.RiskTier != nil {
			tier = string(*e.RiskTier)
		}
		score, grade := "none", "none"
		if e.CreditScore != nil {
			score = fmt.Sprint(*e.CreditScore)
		}
		if e.CreditGrade != nil {
			grade = fmt.Sprint(*e.CreditGrade)
		}
		lines = append(lines, fmt.Sprintf("%d %s %s %s", e.ID, tier, score, grade))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
