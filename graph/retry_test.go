package graph_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// clashes makes the third penalty each transaction creates fail as MariaDB and Galera report a
// write clash (a deadlock; a certification failure reads the same), for the first n
// transactions, after two rows of the batch were written; it returns how many rows were
// attempted in all.
func clashes(env *testEnv, n int64) *atomic.Int64 {
	var left, rows atomic.Int64
	left.Store(n)
	env.db.Client.AdministrativePenalty.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if m.Op().Is(ent.OpCreate) {
				rows.Add(1)
				if key, _ := m.Field("source_record_id"); strings.HasSuffix(key.(string), "-2") && left.Add(-1) >= 0 {
					return nil, &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
				}
			}
			return next.Mutate(ctx, m)
		})
	})
	return &rows
}

const retryQ = `mutation Retried($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`

// A mutation whose transaction clashes runs again, whole, up to five times: after two clashes
// the batch is written once, every row exactly once, and audited once; when every attempt
// clashes the caller gets CONFLICT and nothing is written; other errors are not retried.
func TestMutationsRetryWriteClashes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		clerk := env.as("demo-market-clerk")

		rows := clashes(env, 2)
		clerk.mustData(retryQ, map[string]any{"in": penaltyBatch(env, 5, "R")}, nil)
		if n := env.count("administrative_penalties", "source_record_id LIKE 'R-%'"); n != 5 {
			t.Errorf("%d penalties stored after two clashes, want the batch's 5", n)
		}
		if got := rows.Load(); got != 3+3+5 {
			t.Errorf("%d row writes attempted, want 11 (two attempts stopped at the third row, then five)", got)
		}
		if n := env.count("audit_logs", "operation = 'Retried' AND outcome = 'OK'"); n != 1 {
			t.Errorf("%d audit rows for the retried mutation, want 1", n)
		}

		clashes(env, 5)
		clerk.wantError(retryQ, map[string]any{"in": penaltyBatch(env, 5, "S")}, "CONFLICT", "")
		if n := env.count("administrative_penalties", "source_record_id LIKE 'S-%'"); n != 0 {
			t.Errorf("%d penalties stored after five clashes, want none", n)
		}
		if n := env.count("audit_logs", "operation = 'Retried' AND outcome = 'CONFLICT'"); n != 1 {
			t.Errorf("%d audit rows for the mutation that kept clashing, want 1", n)
		}

		bad := penaltyBatch(env, 5, "T")
		bad[4]["severity"] = "NOT_A_SEVERITY"
		before := rows.Load()
		clerk.wantError(retryQ, map[string]any{"in": bad}, "BAD_USER_INPUT", "")
		if got := rows.Load() - before; got > 5 {
			t.Errorf("a batch refused for bad input ran %d row writes: it was retried", got)
		}
	})
}
