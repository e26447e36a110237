package graph_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

const createPenaltiesQ = `mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) {
	id sourceRecordID publicity { maxEnd } entity { uscc riskTier evaluation { gates } } } }`

// penaltyBatch builds n valid penalty inputs of a market department over the first entities
// by USCC, two rows per entity, with source keys prefix-0 … prefix-(n-1).
func penaltyBatch(env *testEnv, n int, prefix string) []map[string]any {
	env.t.Helper()
	var list struct {
		MarketEntities struct {
			Edges []struct{ Node struct{ ID, Uscc string } }
		}
	}
	env.as("demo-credit-office").mustData(`query($n: Int!) { marketEntities(first: $n, orderBy: [{field: USCC}]) { edges { node { id uscc } } } }`,
		map[string]any{"n": (n + 1) / 2}, &list)
	var ents []benchEntity
	for _, e := range list.MarketEntities.Edges {
		ents = append(ents, benchEntity{e.Node.ID, e.Node.Uscc})
	}
	return penaltyBatchOver(env, ents, n, prefix)
}

// benchEntity is an entity a generated penalty is about.
type benchEntity struct{ ID, Uscc string }

// penaltyBatchOver is penaltyBatch about the given entities, two penalties each in turn.
func penaltyBatchOver(env *testEnv, ents []benchEntity, n int, prefix string) []map[string]any {
	authority := validUSCC("11320000", "01400000")
	dep := env.departmentID("market-320500")
	rows := make([]map[string]any, n)
	for i := range rows {
		e := ents[i/2%len(ents)]
		rows[i] = map[string]any{
			"departmentID": dep, "entityID": e.ID, "sourceSystem": "ingest-test", "sourceRecordID": fmt.Sprintf("%s-%d", prefix, i),
			"severity": "GENERAL", "counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": e.Uscc,
			"decisionNo": fmt.Sprintf("苏市监罚〔2026〕%s-%d号", prefix, i), "violationType": "虚假广告", "violationFacts": "在网店发布虚假宣传内容",
			"legalBasis": "《中华人民共和国广告法》第五十五条", "penaltyCategories": []string{"WARNING", "FINE"}, "fineAmount": "1.5",
			"penaltyContent": "警告，罚款人民币1.5万元", "decisionDate": todayMinus(30 + i%300),
			"authorityName": "苏州市市场监督管理局", "authorityUscc": authority, "dataSourceUnit": "苏州市市场监督管理局", "dataSourceUnitUscc": authority,
		}
	}
	return rows
}

// A batch of penalties is written whole in one transaction, with each row's publicity and each
// entity's evaluation; a re-sent batch writes nothing; one bad row rolls the batch back and the
// error names the row; writes outside the caller's sector are refused whole.
func TestCreateAdministrativePenaltiesBatch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 40)
		clerk := env.as("demo-market-clerk")
		rows := penaltyBatch(env, 20, "B")
		rows[0]["severity"] = "SERIOUS"
		type result struct {
			CreateAdministrativePenalties []struct {
				ID, SourceRecordID string
				Publicity          *struct{ MaxEnd string }
				Entity             struct {
					Uscc, RiskTier string
					Evaluation     struct{ Gates []string }
				}
			}
		}
		before := env.count("administrative_penalties", "")
		var first, again result
		clerk.mustData(createPenaltiesQ, map[string]any{"in": rows}, &first)
		got := first.CreateAdministrativePenalties
		if len(got) != len(rows) || env.count("administrative_penalties", "") != before+len(rows) {
			t.Fatalf("%d results, %d rows stored; want %d new", len(got), env.count("administrative_penalties", "")-before, len(rows))
		}
		for i, p := range got {
			if p.SourceRecordID != rows[i]["sourceRecordID"] || p.Publicity == nil || p.Publicity.MaxEnd == "" {
				t.Errorf("row %d = %+v, want source key %s with a publicity window", i, p, rows[i]["sourceRecordID"])
			}
		}
		// The serious penalty caps its entity at C, recomputed in the batch's transaction.
		if ent := got[0].Entity; ent.RiskTier < "C" || !strings.Contains(strings.Join(ent.Evaluation.Gates, ";"), "serious penalty") {
			t.Errorf("entity of the serious penalty: tier %s, gates %v", ent.RiskTier, ent.Evaluation.Gates)
		}
		if n := env.count("market_entities", "uscc = ? AND risk_tier IN ('C', 'D')", got[0].Entity.Uscc); n != 1 {
			t.Errorf("stored tier of %s is not C or D", got[0].Entity.Uscc)
		}
		// Re-sending the batch returns the stored rows and writes nothing.
		clerk.mustData(createPenaltiesQ, map[string]any{"in": rows}, &again)
		for i := range got {
			if again.CreateAdministrativePenalties[i].ID != got[i].ID {
				t.Errorf("re-sent row %d: id %s, want %s", i, again.CreateAdministrativePenalties[i].ID, got[i].ID)
			}
		}
		stored := env.count("administrative_penalties", "")
		// One bad row among good ones: nothing of the batch is written.
		bad := penaltyBatch(env, 10, "C")
		bad[7]["decisionDate"] = vocab.SystemClock.Today().AddDate(1, 0, 0).Format(time.DateOnly) // next year: in the future, within range
		if e := clerk.wantError(createPenaltiesQ, map[string]any{"in": bad}, "BAD_USER_INPUT", "input[7].decisionDate"); !strings.Contains(e.Message, "future") {
			t.Errorf("message %q does not say what is wrong", e.Message)
		}
		dup := penaltyBatch(env, 5, "D")
		dup[3]["sourceRecordID"] = dup[1]["sourceRecordID"]
		clerk.wantError(createPenaltiesQ, map[string]any{"in": dup}, "BAD_USER_INPUT", "input[3].sourceRecordID")
		// A value over the schema's limit, and a decision number the department has recorded
		// already under another source key, are named with their row like any other problem.
		long := penaltyBatch(env, 5, "G")
		long[2]["counterpartyName"] = strings.Repeat("长", 300)
		clerk.wantError(createPenaltiesQ, map[string]any{"in": long}, "BAD_USER_INPUT", "input[2].counterpartyName")
		clash := penaltyBatch(env, 5, "H")
		clash[4]["decisionNo"] = rows[0]["decisionNo"]
		clerk.wantError(createPenaltiesQ, map[string]any{"in": clash}, "CONFLICT", "input[4].decisionNo")
		clerk.wantError(createPenaltiesQ, map[string]any{"in": []map[string]any{}}, "BAD_USER_INPUT", "input")
		clerk.wantError(createPenaltiesQ, map[string]any{"in": penaltyBatch(env, 1001, "E")}, "BAD_USER_INPUT", "input")
		// A labour clerk may not record market penalties: refused whole.
		env.as("demo-labour-clerk").wantError(createPenaltiesQ, map[string]any{"in": penaltyBatch(env, 4, "F")}, "FORBIDDEN", "")
		if n := env.count("administrative_penalties", ""); n != stored {
			t.Errorf("refused batches wrote %d rows", n-stored)
		}
	})
}

// Every String field of a batch's rows, made 3,000 characters long in one row, is either
// taken or refused naming that row and field (input[2].legalBasis) in words, never the ORM's
// or the database's message and never an internal error; every ID field pointing at no stored
// row is refused naming the row, the field and the ID. The fields come from the served schema,
// so a field added later is checked too.
func TestBatchNamesTheRowOfAnOverlongValue(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		clerk := env.as("demo-market-clerk")
		var schema struct {
			Type struct {
				InputFields []struct {
					Name string
					Type struct {
						Kind, Name string
						OfType     *struct{ Name string }
					}
				}
			} `json:"__type"`
		}
		env.mustData(`{ __type(name: "CreateAdministrativePenaltyInput") { inputFields { name type { kind name ofType { name } } } } }`, nil, &schema)
		byType := map[string][]string{} // scalar type → the input's fields of that type
		for _, f := range schema.Type.InputFields {
			name := f.Type.Name
			if f.Type.OfType != nil {
				name = f.Type.OfType.Name
			}
			byType[name] = append(byType[name], f.Name)
		}
		if len(byType["String"]) < 10 || len(byType["ID"]) < 3 {
			t.Fatalf("too few fields found in CreateAdministrativePenaltyInput: %v", byType)
		}
		for i, f := range byType["String"] {
			rows := penaltyBatch(env, 4, fmt.Sprintf("O%d-", i))
			rows[2][f] = strings.Repeat("长", 3000)
			r := clerk.post(createPenaltiesQ, map[string]any{"in": rows})
			if len(r.Errors) == 0 {
				continue // no limit on this field
			}
			got := r.Errors[0]
			want := "input[2]." + f
			if got.Extensions["code"] != "BAD_USER_INPUT" || got.Extensions["field"] != want {
				t.Errorf("%s too long: %q %v, want BAD_USER_INPUT naming %s", f, got.Message, got.Extensions, want)
				continue
			}
			for _, bad := range []string{"ent:", "validator", "Error 1", "AdministrativePenalty"} {
				if strings.Contains(got.Message, bad) {
					t.Errorf("%s too long: the message %q says %q", f, got.Message, bad)
				}
			}
		}
		// Every ID field pointing at no stored row: refused naming the row and the field.
		for i, f := range byType["ID"] {
			rows := penaltyBatch(env, 4, fmt.Sprintf("R%d-", i))
			rows[2][f] = "99999999"
			if e := clerk.wantError(createPenaltiesQ, map[string]any{"in": rows}, "BAD_USER_INPUT", "input[2]."+f); !strings.Contains(e.Message, "99999999") {
				t.Errorf("%s: %q does not say which ID", f, e.Message)
			}
		}
	})
}

// BenchmarkIngestPenalties sends batches of 1,000 penalties over 500 entities through the HTTP
// server; records/s is the figure to read. On MariaDB, set CREDITGRAPH_TEST_MYSQL_DSN.
//
//	go test ./graph -run '^$' -bench IngestPenalties -benchtime 10x
func BenchmarkIngestPenalties(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) { benchmarkIngest(b, e) })
	}
}

func benchmarkIngest(b *testing.B, e storagetest.Engine) {
	{
		env := newEnv(b, e, 600)
		clerk := env.as("demo-market-clerk")
		b.ReportAllocs()
		n, stmts := 0, int64(0)
		for b.Loop() {
			b.StopTimer()
			rows := penaltyBatch(env, 1000, fmt.Sprintf("bench%d", n))
			n++
			env.stmts.Store(0)
			b.StartTimer()
			clerk.mustData(`mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`,
				map[string]any{"in": rows}, nil)
			stmts += env.stmts.Load()
		}
		b.ReportMetric(float64(stmts)/float64(n), "statements/op")
		b.ReportMetric(float64(n*1000)/b.Elapsed().Seconds(), "records/s")
	}
}

// BenchmarkIngestPenaltiesTwoClients is BenchmarkIngestPenalties from two clients at once,
// each sending its batches about entities of its own (as two departments would): records/s of
// both together is the figure to read.
//
//	go test ./graph -run '^$' -bench IngestPenaltiesTwoClients -benchtime 10x
func BenchmarkIngestPenaltiesTwoClients(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			env := newEnv(b, e, 1200)
			clerk := env.as("demo-market-clerk")
			var list struct {
				MarketEntities struct {
					Edges []struct{ Node benchEntity }
				}
			}
			env.as("demo-credit-office").mustData(`{ marketEntities(first: 1000, orderBy: [{field: USCC}]) { edges { node { id uscc } } } }`, nil, &list)
			var own [2][]benchEntity
			for i, e := range list.MarketEntities.Edges {
				own[i*2/len(list.MarketEntities.Edges)] = append(own[i*2/len(list.MarketEntities.Edges)], e.Node)
			}
			n := 0
			for b.Loop() {
				b.StopTimer()
				var batches [2][]map[string]any
				for c := range batches {
					batches[c] = penaltyBatchOver(env, own[c], 1000, fmt.Sprintf("two%d-%d", n, c))
				}
				n++
				b.StartTimer()
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for c := range batches {
					wg.Go(func() {
						errs[c] = answered(clerk.post(`mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`,
							map[string]any{"in": batches[c]}))
					})
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n*2000)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// Concurrent writers naming the same entities all succeed: batches and single creates lock the
// entities they name in one order before writing, where MariaDB would otherwise deadlock (the
// foreign key's shared lock, then the evaluation update's exclusive one).
func TestConcurrentWritesOnSharedEntities(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 30)
		clerk := env.as("demo-market-clerk")
		before := env.count("administrative_penalties", "")
		const batchWriters, singleWriters, rounds = 4, 4, 3
		// The rows are drawn first: a test may only stop itself from its own goroutine.
		batches := map[[2]int][]map[string]any{}
		singles := map[[2]int]map[string]any{}
		for w := range batchWriters + singleWriters {
			for r := range rounds {
				if w < batchWriters {
					// 40 rows over the same 20 entities, in an order of the writer's own.
					rows := penaltyBatch(env, 40, fmt.Sprintf("W%d-%d", w, r))
					slices.Reverse(rows[:20+w])
					batches[[2]int{w, r}] = rows
				} else {
					singles[[2]int{w, r}] = penaltyBatch(env, 1, fmt.Sprintf("S%d-%d", w, r))[0]
				}
			}
		}
		concurrently(t, batchWriters+singleWriters, rounds, func(w, r int) error {
			if rows, ok := batches[[2]int{w, r}]; ok {
				return clerk.sentUntilAnswered(`mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`,
					map[string]any{"in": rows})
			}
			return clerk.sentUntilAnswered(createPenaltyQ, map[string]any{"in": singles[[2]int{w, r}]})
		})
		if n, want := env.count("administrative_penalties", "")-before, batchWriters*rounds*40+singleWriters*rounds; n != want {
			t.Errorf("%d penalties stored, want %d", n, want)
		}
	})
}

// Concurrent writers about the same entities leave every evaluation as a recompute from
// scratch gives it. A write recomputes its entities in its own transaction, after waiting for
// their locks; if it read the records as of a snapshot taken before another writer committed
// (MariaDB's repeatable read), it would store an evaluation without that writer's record, and
// the tier would stay wrong until the next write. The oracle: recomputeEvaluations after the
// writers changes no entity's tier, score, grade or due day.
func TestConcurrentWritesLeaveEvaluationsCurrent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		clerk := env.as("demo-market-clerk")
		snapshot := func() map[int]string {
			rows, err := env.db.SQL.Query("SELECT id, COALESCE(risk_tier, ''), COALESCE(credit_score, -1), COALESCE(credit_grade, ''), COALESCE(evaluation_due_on, '') FROM market_entities")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[int]string{}
			for rows.Next() {
				var id int
				var tier, grade, due string
				var score float64
				if err := rows.Scan(&id, &tier, &score, &grade, &due); err != nil {
					t.Fatal(err)
				}
				out[id] = fmt.Sprintf("%s %.2f %s %.10s", tier, score, grade, due)
			}
			return out
		}
		before := snapshot()
		const writers, rounds = 8, 4
		singles := map[[2]int]map[string]any{}
		for w := range writers {
			for r := range rounds {
				// Two entities for all writers, so that every write waits for another's; later
				// writes decided earlier, so the evaluation's due day (the earliest publicity
				// deadline) follows the last ones written, and a write that missed a concurrent
				// one would store a later day.
				in := penaltyBatch(env, 4, fmt.Sprintf("EV%d-%d", w, r))[(w+r)%2*2]
				in["decisionDate"] = todayMinus(100 + 20*r + w)
				singles[[2]int{w, r}] = in
			}
		}
		concurrently(t, writers, rounds, func(w, r int) error {
			return clerk.sentUntilAnswered(createPenaltyQ, map[string]any{"in": singles[[2]int{w, r}]})
		})
		written := snapshot()
		changed := 0
		for id, s := range written {
			if before[id] != s {
				changed++
			}
		}
		if changed == 0 {
			t.Fatal("the writes changed no evaluation: the test lost its reach")
		}
		env.as("demo-credit-office").mustData(`mutation { recomputeEvaluations }`, nil, nil)
		for id, s := range snapshot() {
			if written[id] != s {
				t.Errorf("entity %d: after the writers %q, recomputed %q", id, written[id], s)
			}
		}
	})
}

// A batch looks up the source keys it names that are stored already by probing the
// department's unique source key once for each: on MariaDB the statement is run again under
// ANALYZE (after the batch, so it finds every key) and may plan no more probes of the whole key,
// and read no more index entries, than a batch names keys, and join no list as a derived
// table; on SQLite its plan must search the index by all three columns. Batches of the largest
// size the API takes, over one source system and over two, re-send rows of earlier ones, which
// must come back as stored.
func TestSourceKeyLookupsProbeOnlyTheirKeys(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		env := newEnvWith(t, e, 60, storage.Options{Wrap: faults.Wrap})
		clerk := env.as("demo-market-clerk")
		type result struct {
			CreateAdministrativePenalties []struct{ ID, SourceRecordID string }
		}
		send := func(rows []map[string]any) result {
			var r result
			clerk.mustData(createPenaltiesQ, map[string]any{"in": rows}, &r)
			return r
		}
		// sameIDs fails unless the first n rows of got are the stored rows of want.
		sameIDs := func(got, want result, n int) {
			t.Helper()
			for i := range n {
				if got.CreateAdministrativePenalties[i].ID != want.CreateAdministrativePenalties[i].ID {
					t.Fatalf("re-sent row %d: id %s, want the stored %s", i, got.CreateAdministrativePenalties[i].ID, want.CreateAdministrativePenalties[i].ID)
				}
			}
		}
		faults.Capture("source_record_id")
		k := send(penaltyBatch(env, ledger.MaxBatch, "K"))
		second := penaltyBatch(env, ledger.MaxBatch, "L") // over two source systems
		for i := 1; i < len(second); i += 2 {
			second[i]["sourceSystem"] = "ingest-test-2"
		}
		l := send(second)
		// The largest batch the API takes, one source system, a tenth of it sent before.
		rows := penaltyBatch(env, ledger.MaxBatch, "M")
		again := penaltyBatch(env, ledger.MaxBatch/10, "K")
		copy(rows, again)
		sameIDs(send(rows), k, len(again))
		if n := env.count("administrative_penalties", "source_record_id LIKE 'M-%'"); n != len(rows)-len(again) {
			t.Fatalf("%d new penalties stored, want %d", n, len(rows)-len(again))
		}
		// Rows of both source systems sent again come back as stored, each from its own.
		sameIDs(send(second[:20]), l, 20)
		const fullKey = "780" // department_id, source_system and source_record_id, in bytes
		lookups := 0
		for _, s := range faults.Captured() {
			if !strings.HasPrefix(s.Query, "SELECT") || !strings.Contains(s.Query, "administrative_penalties") {
				continue
			}
			lookups++
			if e.Name == "sqlite" {
				for _, step := range plan(t, env, "EXPLAIN QUERY PLAN "+s.Query, s.Args, 3) {
					if strings.Contains(step, "administrative_penalties") && !strings.Contains(step, "(department_id=? AND source_system=? AND source_record_id=?)") {
						t.Errorf("lookup searches %q:\n%s", step, s.Query)
					}
				}
				continue
			}
			for _, step := range plan(t, env, "ANALYZE "+s.Query, s.Args, -1) {
				fields := strings.Split(step, "\t") // id, select_type, table, type, …, rows, r_rows, …
				if strings.HasPrefix(fields[2], "<") {
					t.Errorf("lookup joins %s:\n%s", fields[2], s.Query)
				}
				if fields[2] == "administrative_penalties" {
					// rows: the probes planned (one a key on the unique index); r_rows: the
					// entries read, run after the batch committed, so every key is found.
					probes, _ := strconv.ParseFloat(fields[8], 64)
					read, _ := strconv.ParseFloat(fields[9], 64)
					if probes > ledger.MaxBatch || read > ledger.MaxBatch || fields[6] != fullKey {
						t.Errorf("lookup of at most %d keys: %v probes planned, %v entries read, access %s, key length %s (the whole key is %s)",
							ledger.MaxBatch, probes, read, fields[3], fields[6], fullKey)
					}
				}
			}
		}
		if lookups == 0 {
			t.Fatal("no lookup by source key was seen")
		}
	})
}

// plan runs an EXPLAIN or ANALYZE statement and returns its rows, columns joined by tabs (only
// column col when col >= 0).
func plan(t *testing.T, env *testEnv, q string, args []any, col int) []string {
	t.Helper()
	rows, err := env.db.SQL.Query(q, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for i, v := range vals {
			if col < 0 || i == col {
				fields = append(fields, v.String)
			}
		}
		out = append(out, strings.Join(fields, "\t"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
