package graph_test

import (
	"fmt"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A write clash — a deadlock, a lock wait timeout, on a Galera cluster a certification failure
// — can be reported by any statement of a mutation's transaction or by its COMMIT, depending on
// which rows another node wrote first. Wherever it comes, the mutation runs again and the caller
// gets its answer: never INTERNAL (an error wrapped so that its cause is lost), never a write
// swallowed (an error ignored, so the rerun is skipped and the rest commits without it). For
// each kind of mutation below the test counts the statements of its transaction, then runs it
// once per statement, and once more for the COMMIT, with that one failing as a deadlock, and
// checks that each run's effect is stored exactly once, audited once, and announced by the same
// credit events as a run without a clash (an attempt rolled back publishes nothing).
func TestAClashAnywhereInAMutationIsRunAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		env := newEnvWith(t, e, 6, storage.Options{Wrap: faults.Wrap})
		clerk, co := env.as("demo-market-clerk"), env.as("demo-credit-office")
		penalty := func(src string) string {
			var p struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(createPenaltyQ, penaltyInput(env, "market-320500", src), &p)
			return p.CreateAdministrativePenalty.ID
		}
		corrected := penalty("CL-CORR")
		one := func(table, where string, args ...any) error {
			if n := env.count(table, where, args...); n != 1 {
				return fmt.Errorf("%d rows in %s where %s %v, want 1", n, table, where, args)
			}
			return nil
		}
		cases := []struct {
			name, query string
			as          *testEnv
			vars        func(i int) map[string]any
			check       func(i int) error
		}{
			{"a batch of penalties", `mutation ClashBatch($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`, clerk,
				func(i int) map[string]any { return map[string]any{"in": penaltyBatch(env, 4, fmt.Sprintf("CLB%d", i))} },
				func(i int) error {
					if n := env.count("administrative_penalties", "source_record_id LIKE ?", fmt.Sprintf("CLB%d-%%", i)); n != 4 {
						return fmt.Errorf("%d of the batch's 4 penalties stored", n)
					}
					return nil
				}},
			{"a penalty", `mutation ClashPenalty($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`, clerk,
				func(i int) map[string]any { return penaltyInput(env, "market-320500", fmt.Sprintf("CLP%d", i)) },
				func(i int) error {
					return one("administrative_penalties", "source_record_id = ?", fmt.Sprintf("CLP%d", i))
				}},
			{"a correction", `mutation ClashCorrection($id: ID!, $r: String!) { updateAdministrativePenalty(id: $id, input: {remark: $r}) { id } }`, clerk,
				func(i int) map[string]any { return map[string]any{"id": corrected, "r": fmt.Sprintf("更正%d", i)} },
				func(i int) error { return one("administrative_penalties", "remark = ?", fmt.Sprintf("更正%d", i)) }},
			{"a serious listing", `mutation ClashListing($d: ID!, $e: ID!, $src: String!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "clash", sourceRecordID: $src, severity: SERIOUS, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: "2026-01-02", reason: "欠薪",
				basis: "第五条", decisionNo: $src}) { id } }`, co,
				func(i int) map[string]any {
					return map[string]any{"d": env.departmentID("labour-320000"), "e": penaltyInput(env, "labour-320000", "x")["in"].(map[string]any)["entityID"],
						"src": fmt.Sprintf("CLL%d", i)}
				},
				func(i int) error { return one("list_entries", "source_record_id = ?", fmt.Sprintf("CLL%d", i)) }},
			// As many registrations as one request may make: each is a lookup by ID number,
			// counted per request, and a rerun must not count the rolled-back attempt's.
			{"five persons", `mutation ClashPersons($a: String!, $b: String!, $c: String!, $d: String!, $e: String!, $n: String!) {
				a: createNaturalPerson(input: {idNumber: $a, name: $n}) { id } b: createNaturalPerson(input: {idNumber: $b, name: $n}) { id }
				c: createNaturalPerson(input: {idNumber: $c, name: $n}) { id } d: createNaturalPerson(input: {idNumber: $d, name: $n}) { id }
				e: createNaturalPerson(input: {idNumber: $e, name: $n}) { id } }`, co,
				func(i int) map[string]any {
					vars := map[string]any{"n": fmt.Sprintf("冲突%d", i)}
					for j, k := range []string{"a", "b", "c", "d", "e"} {
						first17 := fmt.Sprintf("320502198001%02d%03d", 1+i%28, 100+j)
						c, err := ident.ResidentIDCheckChar(first17)
						if err != nil {
							t.Fatal(err)
						}
						vars[k] = first17 + string(c)
					}
					return vars
				},
				func(i int) error {
					if n := env.count("natural_persons", "name = ?", fmt.Sprintf("冲突%d", i)); n != 5 {
						return fmt.Errorf("%d of the 5 persons stored", n)
					}
					return nil
				}},
			{"an entity", `mutation ClashEntity($u: String!) { createMarketEntity(input: {uscc: $u, name: "冲突测试某公司"}) { id } }`, clerk,
				func(i int) map[string]any {
					return map[string]any{"u": validUSCC("91320500", fmt.Sprintf("%08d", 71000000+i))}
				},
				func(i int) error {
					return one("market_entities", "uscc = ?", validUSCC("91320500", fmt.Sprintf("%08d", 71000000+i)))
				}},
			{"an objection", `mutation ClashObjection($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: WRONG, description: "罚款金额有误"}) { id } }`, co,
				func(i int) map[string]any { return map[string]any{"p": penalty(fmt.Sprintf("CLO%d", i))} },
				func(i int) error {
					return one("objections", "penalty_id = (SELECT id FROM administrative_penalties WHERE source_record_id = ?)", fmt.Sprintf("CLO%d", i))
				}},
		}
		deadlock := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
		// The record events a run published (tier changes left out: whether a tier moves
		// depends on the runs before), by type: a rerun must not publish twice, nor an attempt
		// that was rolled back at all.
		heard, stop := env.db.Events.Subscribe(10000)
		defer stop()
		published := func() map[events.Type]int {
			got := map[events.Type]int{}
			for {
				select {
				case ev := <-heard:
					if ev.Type != events.TierChanged {
						got[ev.Type]++
					}
				case <-time.After(20 * time.Millisecond):
					return got
				}
			}
		}
		for _, c := range cases {
			run := 0
			var want map[events.Type]int // what the run without a fault published
			total := 0                   // statements of the run without a fault
			do := func(fail int) {
				run++
				vars := c.vars(run)
				if fail >= 0 {
					faults.FailNext(fail, deadlock)
				} else {
					faults.ObserveNext()
				}
				res := c.as.post(c.query, vars)
				where := fmt.Sprintf("%s with statement %d of %d failing", c.name, fail, total)
				if fail == 0 {
					where = c.name + " with its COMMIT failing"
				}
				if len(res.Errors) > 0 {
					t.Errorf("%s: %+v", where, res.Errors)
					return
				}
				if fail >= 0 && !faults.Fired() {
					t.Errorf("%s: the fault was not returned", where)
				}
				if err := c.check(run); err != nil {
					t.Errorf("%s: %v", where, err)
				}
				got := published()
				if fail < 0 {
					want = got
				} else if !maps.Equal(got, want) {
					t.Errorf("%s: published %v, want %v as without the clash", where, got, want)
				}
			}
			// A recompute writes in full only the evaluations that change: the first run may
			// change its entities' and the later ones not, so the statements are counted on a
			// second run, in the state every faulted run starts from.
			do(-1)
			do(-1)
			n := faults.Statements()
			total = n
			if n == 0 {
				t.Fatalf("%s: no statements observed in its transaction", c.name)
			}
			for k := 0; k <= n; k++ {
				do(k)
			}
			op, _, _ := strings.Cut(strings.Fields(c.query)[1], "(")
			if got := env.count("audit_logs", "operation = ? AND outcome = 'OK'", op); got != run {
				t.Errorf("%s: %d audit rows for %d runs", c.name, got, run)
			}
			t.Logf("%s: %d statements, each failed once; events each run %v", c.name, n, want)
		}
	})
}

// The audit row of an operation is written after the answer, on its own; when that insert
// clashes (two Galera nodes taking the same id) it is written again, not lost.
func TestAClashWritingTheAuditRowIsWrittenAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		env := newEnvWith(t, e, 3, storage.Options{Wrap: faults.Wrap})
		deadlock := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
		faults.FailMatching("INSERT INTO `audit_logs`", 2, deadlock)
		env.as("demo-market-clerk").mustData(`mutation AuditClash($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`,
			penaltyInput(env, "market-320500", "AUD-1"), nil)
		if n := env.count("audit_logs", "operation = 'AuditClash' AND outcome = 'OK'"); n != 1 {
			t.Errorf("%d audit rows after two clashes writing it, want 1", n)
		}
		if n := env.count("administrative_penalties", "source_record_id = 'AUD-1'"); n != 1 {
			t.Errorf("%d penalties, want 1", n)
		}
		// An export's audit row the same way, here refused for an id another node took.
		faults.FailMatching("INSERT INTO `audit_logs`", 2, &mysql.MySQLError{Number: 1062, Message: "Duplicate entry '60129542163' for key 'PRIMARY'"})
		if res, body := exportAs(t, env, "demo-market-clerk", url.Values{"connection": {"listEntries"}, "format": {"csv"}}); res.StatusCode != 200 {
			t.Fatalf("export: %d %.300s", res.StatusCode, body)
		}
		if n := env.count("audit_logs", "kind = 'EXPORT'"); n != 1 {
			t.Errorf("%d export audit rows after two clashes writing it, want 1", n)
		}
	})
}

// A read that meets a clash (a lock of a concurrent write, or a table the database reloaded
// under it) is told to try again shortly — UNAVAILABLE, not a write's CONFLICT nor INTERNAL.
func TestAClashDuringAReadIsUnavailable(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		env := newEnvWith(t, e, 3, storage.Options{Wrap: faults.Wrap})
		faults.FailMatching("FROM `market_entities`", 1, &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"})
		env.as("demo-market-supervisor").wantError(`{ marketEntities(first: 5) { edges { node { uscc } } } }`, nil, "UNAVAILABLE", "")
		env.as("demo-market-supervisor").mustData(`{ marketEntities(first: 5) { edges { node { uscc } } } }`, nil, nil)
	})
}

// A mutation that clashed twice and then answered is one request in the metrics (creditgraph_graphql_requests_total) and the log, with
// the caller's outcome (OK); the reruns are counted apart, in creditgraph_write_retries_total.
func TestARerunMutationIsMeasuredOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		env := newEnvWith(t, e, 3, storage.Options{Wrap: faults.Wrap})
		reg := prometheus.NewRegistry()
		measured := *env
		measured.srv = edgeServer(t, env, server.EdgeConfig{Registry: reg})
		faults.FailMatching("INSERT INTO `administrative_penalties`", 2, &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"})
		measured.as("demo-market-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320500", "MET-1"), nil)
		series := map[string]float64{}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				name := mf.GetName()
				for _, l := range m.GetLabel() {
					name += " " + l.GetName() + "=" + l.GetValue()
				}
				series[name] = m.GetCounter().GetValue()
			}
		}
		if got := series["creditgraph_graphql_requests_total operation=mutation createAdministrativePenalty outcome=OK"]; got != 1 {
			t.Errorf("%v OK requests measured for one mutation answered OK", got)
		}
		if got := series["creditgraph_graphql_requests_total operation=mutation createAdministrativePenalty outcome=CONFLICT"]; got != 0 {
			t.Errorf("%v CONFLICT requests measured; the caller saw none", got)
		}
		if got := series["creditgraph_write_retries_total"]; got != 2 {
			t.Errorf("%v reruns counted, want 2", got)
		}
	})
}
