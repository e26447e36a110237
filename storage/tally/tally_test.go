package tally_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/storage/tally"
)

// groupings are the groupings every check compares: the tallies' whole key, the register
// tallies' key, the dashboards' county × kind × status and city × tier, one dimension, none.
var groupings = [][]tally.Dim{tally.Dims, {tally.City, tally.County, tally.Kind, tally.Status},
	{tally.County, tally.Kind, tally.Status}, {tally.City, tally.Tier}, {tally.Grade}, {tally.Kind}, {}}

// recount is the oracle: market_entities counted by dims.
func recount(t *testing.T, db *storage.DB, dims []tally.Dim) string {
	t.Helper()
	cols := []string{"''"} // a constant for no groups, dropped below
	var groupBy []string
	for i, d := range dims {
		if i == 0 {
			cols = cols[:0]
		}
		col := string(d)
		if d == tally.City || d == tally.Tier || d == tally.Grade {
			col = "COALESCE(" + col + ", '')"
		}
		cols = append(cols, col)
		groupBy = append(groupBy, fmt.Sprint(i+1))
	}
	q := "SELECT " + strings.Join(cols, ", ") + ", COUNT(*) FROM market_entities"
	if len(groupBy) > 0 {
		q += " GROUP BY " + strings.Join(groupBy, ", ")
	}
	rows, err := db.SQL.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		k := make([]string, max(len(dims), 1))
		dest := make([]any, 0, len(k)+1)
		for i := range k {
			dest = append(dest, &k[i])
		}
		var n int64
		if err := rows.Scan(append(dest, &n)...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", strings.Join(k[:len(dims)], "|"), n))
	}
	slices.Sort(out) // MariaDB orders ENUM columns by their place in the list
	return strings.Join(out, " ")
}

// tallied is the same grouping from the tallies.
func tallied(t *testing.T, db *storage.DB, dims []tally.Dim) string {
	t.Helper()
	gs, err := db.Tallies.Count(context.Background(), nil, dims, 0)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(gs, func(g tally.Group) bool { return len(g.Keys) != len(dims) }); i >= 0 {
		t.Fatalf("group %d has %d keys", i, len(gs[i].Keys))
	}
	for i := 1; i < len(gs); i++ {
		if slices.Compare(gs[i-1].Keys, gs[i].Keys) >= 0 {
			t.Fatalf("groups out of their keys' order: %q before %q", gs[i-1].Keys, gs[i].Keys)
		}
	}
	var out []string
	for _, g := range gs {
		out = append(out, fmt.Sprintf("%s=%d", strings.Join(g.Keys, "|"), g.N))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// exact fails unless the tallies agree with counting market_entities in every grouping.
func exact(t *testing.T, db *storage.DB, when string) {
	t.Helper()
	for _, dims := range groupings {
		if got, want := tallied(t, db, dims), recount(t, db, dims); got != want {
			t.Fatalf("%s, grouped by %v:\n%s", when, dims, differ(got, want))
		}
	}
}

// compactAll folds every delta, as the server's compactor would.
func compactAll(tb testing.TB, ctx context.Context, db *storage.DB) {
	tb.Helper()
	for {
		n, err := db.Tallies.Compact(ctx, 10000)
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// differ says where two groupings differ.
func differ(got, want string) string {
	g, w := strings.Fields(got), strings.Fields(want)
	var out []string
	for _, x := range g {
		if !slices.Contains(w, x) {
			out = append(out, "tallies have "+x)
		}
	}
	for _, x := range w {
		if !slices.Contains(g, x) {
			out = append(out, "entities have "+x)
		}
	}
	return strings.Join(out, "\n")
}

// The tallies stay exact under concurrent writers, compactors and a rebuild: four writers move
// entities between keys (tier, grade, status, city), add and delete entities, in transactions
// of several statements of which some roll back (or deadlock and roll back on MariaDB), while
// two compactors fold deltas in small chunks and a rebuild recounts midway. Afterwards the
// tallies, before and after a last compaction, equal counting market_entities, on both
// engines; and Install rebuilds tallies whose triggers were missing.
func TestTalliesExactUnderConcurrentWrites(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if _, err := seed.Bulk(ctx, db, seed.BulkOptions{Entities: 400, Seed: 3, Batch: 100, Cipher: storagetest.TestCipher()}); err != nil {
			t.Fatal(err)
		}
		exact(t, db, "after the load")
		var ids []int64
		if err := scanIDs(db.SQL, &ids); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var compactors sync.WaitGroup
		for range 2 {
			compactors.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := db.Tallies.Compact(ctx, 13); err != nil && !transient(err) {
						t.Error("compact:", err)
						return
					}
				}
			})
		}
		var writers sync.WaitGroup
		var committed, rolledBack, failed int64
		var mu sync.Mutex
		for w := range 4 {
			writers.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 9))
				for i := range 60 {
					err := write(ctx, db.SQL, rng, ids, w*1000+i)
					mu.Lock()
					switch {
					case err == errRolledBack:
						rolledBack++
					case err != nil && transient(err):
						failed++
					case err != nil:
						t.Error("write:", err)
					default:
						committed++
					}
					mu.Unlock()
					if w == 0 && i == 30 {
						retried(t, "rebuild", func() error { return db.Tallies.Rebuild(ctx) })
					}
					if w == 2 && i == 20 {
						// A start of the first build with tally_installs, over the database of
						// the build before it, while others write: the counts are right.
						if _, err := db.SQL.Exec("DELETE FROM tally_installs"); err != nil {
							t.Error(err)
						}
						retried(t, "install", func() error { return db.Tallies.Install(ctx) })
					}
					if w == 1 && i == 40 {
						// The register tallies' triggers are installed while others write and
						// compact: a cluster whose first server of a new build starts. Folds
						// between the drop and the install reach entity_tallies alone.
						for name := range strings.FieldsSeq(registerTriggers) {
							if _, err := db.SQL.Exec("DROP TRIGGER " + name); err != nil {
								t.Error(err)
							}
						}
						time.Sleep(20 * time.Millisecond)
						retried(t, "install", func() error { return db.Tallies.Install(ctx) })
					}
				}
			})
		}
		writers.Wait()
		close(stop)
		compactors.Wait()
		if committed < 100 || rolledBack < 10 {
			t.Fatalf("%d transactions committed, %d rolled back (%d failed): too few to prove anything", committed, rolledBack, failed)
		}
		exact(t, db, "after concurrent writes")
		compactAll(t, ctx, db)
		exact(t, db, "compacted")
		if n := storagetest.Count(t, db, "entity_tally_deltas", ""); n != 0 {
			t.Fatalf("%d deltas left after compacting", n)
		}
		t.Logf("%d transactions committed, %d rolled back, %d failed on a deadlock or lock wait", committed, rolledBack, failed)

		// A compactor of a build before the register tallies folds deltas into entity_tallies
		// alone (a cluster upgraded server by server): the register tallies stay exact.
		rng := rand.New(rand.NewPCG(5, 5))
		for i := range 20 {
			if err := write(ctx, db.SQL, rng, ids, 9000+i); err != nil && err != errRolledBack && !transient(err) {
				t.Fatal(err)
			}
		}
		if n := storagetest.Count(t, db, "entity_tally_deltas", ""); n == 0 {
			t.Fatal("no deltas to fold the earlier build's way")
		}
		earlierCompaction(t, db)
		exact(t, db, "after an earlier build's compaction")

		// Install on the database of the build before the register tallies (their table new
		// and empty, their triggers missing) fills them.
		reinstall(t, db, registerTriggers, "DELETE FROM entity_register_tallies")
		exact(t, db, "after Install on the earlier build's database")

		// An Install that stopped after creating its triggers, before its rebuild committed,
		// left triggers that say nothing of the rows written before them: the next Install
		// rebuilds. Here the counts are wrong as well, so that one that does not is seen.
		unfinished(t, db, registerTriggers, "UPDATE entity_register_tallies SET n = n + 7")
		exact(t, db, "after Install following one that stopped before the register tallies' rebuild")
		unfinished(t, db, entityTriggers, "UPDATE entity_tallies SET n = n + 3")
		exact(t, db, "after Install following one that stopped before the rebuild")

		// The database of the build before tally_installs: every trigger in place and none
		// recorded, the counts right. Install records the triggers and rewrites no tally.
		before := tallyRows(t, db)
		unfinished(t, db, entityTriggers+" "+registerTriggers)
		exact(t, db, "after Install over the database of the build before tally_installs")
		if after := tallyRows(t, db); after != before {
			t.Fatalf("Install rewrote tallies that were right:\nbefore %s\nafter  %s", before, after)
		}
		if n := storagetest.Count(t, db, "tally_installs", ""); n != 6 {
			t.Fatalf("%d triggers recorded as installed, want 6", n)
		}

		// Install on a database whose triggers are gone (an older version's) recounts, and
		// so it does register tallies that hold anything.
		reinstall(t, db, entityTriggers+" "+registerTriggers,
			fmt.Sprintf("UPDATE market_entities SET status = 'CANCELLED' WHERE id IN (%d, %d, %d)", ids[0], ids[1], ids[2]),
			"UPDATE entity_register_tallies SET n = n + 7")
		exact(t, db, "after Install")
	})
}

// The triggers of storage/tally: on market_entities, and on entity_tallies for the register
// tallies.
const (
	entityTriggers   = "market_entities_tally_insert_v1 market_entities_tally_update_v1 market_entities_tally_delete_v1"
	registerTriggers = "entity_tallies_register_insert_v1 entity_tallies_register_update_v1 entity_tallies_register_delete_v1"
)

// retried runs f until it succeeds, failing t on an error that is not a clash with another
// writer or after ten clashes.
func retried(t *testing.T, what string, f func() error) {
	for k := 0; ; k++ {
		err := f()
		if err == nil {
			return
		}
		if !transient(err) || k == 10 {
			t.Error(what+":", err)
			return
		}
	}
}

// tallyRows lists the tally and register tally rows with their ids: a rebuild writes them anew.
func tallyRows(t *testing.T, db *storage.DB) string {
	t.Helper()
	var out []string
	for _, q := range []string{"SELECT id, n FROM entity_tallies ORDER BY id", "SELECT id, n FROM entity_register_tallies ORDER BY id"} {
		rows, err := db.SQL.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d:%d", id, n))
		}
		rows.Close()
		out = append(out, "|")
	}
	return strings.Join(out, " ")
}

// unfinished leaves the named triggers as an Install that stopped before its rebuild
// committed would (in place, not recorded as installed), runs the statements, and migrates.
func unfinished(t *testing.T, db *storage.DB, triggers string, stmts ...string) {
	t.Helper()
	for name := range strings.FieldsSeq(triggers) {
		stmts = append([]string{"DELETE FROM tally_installs WHERE trigger_name = '" + name + "'"}, stmts...)
	}
	reinstall(t, db, "", stmts...)
}

// reinstall drops the named triggers, runs the statements (writes the triggers then miss) and
// migrates, as a newer build's start on the database would.
func reinstall(t *testing.T, db *storage.DB, triggers string, stmts ...string) {
	t.Helper()
	for name := range strings.FieldsSeq(triggers) {
		stmts = append([]string{"DROP TRIGGER " + name}, stmts...)
	}
	for _, q := range stmts {
		if _, err := db.SQL.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(authz.SystemContext(context.Background())); err != nil {
		t.Fatal(err)
	}
}

// earlierCompaction folds every delta as a build before the register tallies did: into
// entity_tallies, then removes them, in one transaction.
func earlierCompaction(t *testing.T, db *storage.DB) {
	t.Helper()
	cols := "city_code, division_code, risk_tier, credit_grade, entity_kind, status"
	upsert := " ON DUPLICATE KEY UPDATE n = entity_tallies.n + VALUES(n)"
	where := ""
	if db.Target.Dialect == dialect.SQLite {
		upsert, where = " ON CONFLICT ("+cols+") DO UPDATE SET n = entity_tallies.n + excluded.n", " WHERE true"
	}
	tx, err := db.SQL.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		"INSERT INTO entity_tallies (" + cols + ", n) SELECT " + cols + ", SUM(n) FROM entity_tally_deltas" + where + " GROUP BY " + cols + upsert,
		"DELETE FROM entity_tally_deltas",
	} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func scanIDs(db *sql.DB, ids *[]int64) error {
	rows, err := db.Query("SELECT id FROM market_entities ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		*ids = append(*ids, id)
	}
	return rows.Err()
}

var errRolledBack = fmt.Errorf("rolled back on purpose")

// write runs one transaction of two to five changes: a tier and grade set or cleared (as the
// evaluator writes them), a status, a city, a new entity copied from another, or the deletion
// of one added before; one in five ends in a rollback.
func write(ctx context.Context, db *sql.DB, rng *rand.Rand, ids []int64, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for range 2 + rng.IntN(4) {
		id := ids[rng.IntN(len(ids))]
		var err error
		switch rng.IntN(6) {
		case 0, 1:
			tier, grade := any(string("ABCD"[rng.IntN(4)])), any([]string{"EXCELLENT", "GOOD", "MEDIUM", "POOR"}[rng.IntN(4)])
			if rng.IntN(5) == 0 {
				tier, grade = nil, nil
			}
			_, err = tx.ExecContext(ctx, "UPDATE market_entities SET risk_tier = ?, credit_grade = ? WHERE id = ?", tier, grade, id)
		case 2:
			_, err = tx.ExecContext(ctx, "UPDATE market_entities SET status = ? WHERE id = ?", []string{"EXISTING", "OPERATING", "REVOKED"}[rng.IntN(3)], id)
		case 3:
			_, err = tx.ExecContext(ctx, "UPDATE market_entities SET city_code = ? WHERE id = ?", []any{"320100", "320500", nil}[rng.IntN(3)], id)
		case 4: // one to three new entities in one INSERT, as the ORM and the loader write them
			var created, updated any
			var kind, division, status string
			var city, tier, grade sql.NullString
			err = tx.QueryRowContext(ctx, "SELECT created_at, updated_at, entity_kind, division_code, city_code, status, risk_tier, credit_grade FROM market_entities WHERE id = ?", id).
				Scan(&created, &updated, &kind, &division, &city, &status, &tier, &grade)
			if err != nil {
				break
			}
			rows := 1 + rng.IntN(3)
			var args []any
			for r := range rows {
				args = append(args, created, updated, fmt.Sprintf("TALLY%012d%d", n, r), "NOORG0000", "tally test", kind, division, city, status, tier, grade)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO market_entities (created_at, updated_at, uscc, org_code, name, entity_kind, division_code, city_code, status, risk_tier, credit_grade)
				VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", "), args...)
		case 5:
			_, err = tx.ExecContext(ctx, "DELETE FROM market_entities WHERE uscc LIKE 'TALLY%' AND id = (SELECT MIN(id) FROM (SELECT id FROM market_entities WHERE uscc LIKE 'TALLY%') t)")
		}
		if err != nil {
			return err
		}
	}
	if rng.IntN(5) == 0 {
		return errRolledBack
	}
	return tx.Commit()
}

// transient are the errors a writer retries or gives up on without harm: MariaDB's deadlock
// and lock wait timeout, a duplicate code drawn twice, SQLite's busy.
func transient(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Deadlock") || strings.Contains(s, "Lock wait timeout") || strings.Contains(s, "Duplicate entry") ||
		strings.Contains(s, "UNIQUE constraint") || strings.Contains(s, "SQLITE_BUSY")
}

// BenchmarkCount reads the tallies of 20,000 entities grouped by county × kind × status, the
// large dashboard of cmd/loadbench's query h: the statement and the summing of its rows, which
// come from the register tallies (register-rows; the whole key has tally-rows).
func BenchmarkCount(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			db := e.Open(b, storagetest.Options{})
			ctx := authz.SystemContext(context.Background())
			if _, err := seed.Bulk(ctx, db, seed.BulkOptions{Entities: 20000, Seed: 3, Batch: 1000, Cipher: storagetest.TestCipher()}); err != nil {
				b.Fatal(err)
			}
			compactAll(b, ctx, db)
			var rows, registerRows, groups int
			if err := db.SQL.QueryRow(`SELECT (SELECT COUNT(*) FROM entity_tallies), (SELECT COUNT(*) FROM entity_register_tallies)`).Scan(&rows, &registerRows); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				gs, err := db.Tallies.Count(ctx, nil, []tally.Dim{tally.County, tally.Kind, tally.Status}, 0)
				if err != nil {
					b.Fatal(err)
				}
				groups = len(gs)
			}
			b.ReportMetric(float64(rows), "tally-rows")
			b.ReportMetric(float64(registerRows), "register-rows")
			b.ReportMetric(float64(groups), "groups")
		})
	}
}

// A compactor deletes only the deltas it took. Another compactor's deltas, held in an open
// transaction, do not stop it: MariaDB deleted by scanning a small deltas table (EXPLAIN: ALL)
// and waited on every row another held, for as long as it held it.
func TestACompactorWaitsOnNoOtherCompactor(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		if e.Name == "sqlite" {
			t.Skip("SQLite has one writer: compactors take turns")
		}
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if _, err := seed.Bulk(ctx, db, seed.BulkOptions{Entities: 40, Seed: 5, Batch: 40, Cipher: storagetest.TestCipher()}); err != nil {
			t.Fatal(err)
		}
		compactAll(t, ctx, db)
		var ids []int64
		if err := scanIDs(db.SQL, &ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids[:10] { // each moves to another key: two deltas
			if _, err := db.SQL.Exec("UPDATE market_entities SET status = 'CANCELLED' WHERE id = ?", id); err != nil {
				t.Fatal(err)
			}
		}
		deltas := storagetest.Count(t, db, "entity_tally_deltas", "")
		other, err := db.SQL.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		held, err := other.Query("SELECT id FROM entity_tally_deltas ORDER BY id LIMIT 3 FOR UPDATE")
		if err != nil {
			t.Fatal(err)
		}
		held.Close()
		n, err := db.Tallies.Compact(ctx, 10000)
		if err != nil || n != deltas-3 {
			t.Fatalf("with 3 of %d deltas held by another compactor: folded %d, %v; want the other %d at once", deltas, n, err, deltas-3)
		}
		other.Rollback()
		compactAll(t, ctx, db)
		exact(t, db, "after compacting around another compactor")
	})
}
