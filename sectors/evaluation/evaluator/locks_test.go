package evaluator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql/schema"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A batch's locks, reads and evaluation store lock the rows of the entities it names, whatever
// the optimizer's statistics say: while one writer holds its entities and the records it is
// inserting about them, uncommitted, a writer of other entities must not wait for it. Before the reads
// were forced through the entity index, MariaDB walked the whole table (or the penalties'
// publicity-deadline index) when the statistics were older than the rows, reached the other
// writer's rows and waited; with two writers that was a deadlock, and one batch in six of an
// import was written again. Every table the recompute reads records from is filled: each
// gets, in the first writer's transaction, a copy of one of its rows for each of its entities;
// 600 entities, a small table, on which MariaDB also chose to scan market_entities whole.
// MySQL only: SQLite lets one writer in at a time.
func TestABatchLocksOnlyItsEntities(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		if e.Name != "mysql" {
			t.Skip("one writer at a time on " + e.Name)
		}
		db, ctx := demo(t, e, 600)
		c := db.Client
		ids, err := c.MarketEntity.Query().Order(marketentity.ByID()).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// More than MariaDB dives into (eq_range_index_dive_limit, 200): beyond that it plans
		// from statistics, as for an import's batch of 500.
		mine, theirs := ids[:250], ids[len(ids)-250:]
		writer, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer writer.Rollback()
		if err := evaluator.Lock(ctx, writer.Client(), mine...); err != nil {
			t.Fatal(err)
		}
		// Of each table a row the recompute counts, so that a plan by date reaches the copies too.
		copies(t, ctx, writer, migrate.AdministrativePenaltiesTable, "status = 'PUBLISHED' AND publicity_deadline >= CURRENT_DATE", mine)
		copies(t, ctx, writer, migrate.SectorRatingsTable, "status = 'PUBLISHED' AND entity_id IS NOT NULL", mine)
		copies(t, ctx, writer, migrate.ListEntriesTable, "status = 'PUBLISHED' AND entity_id IS NOT NULL", mine)
		if err := evaluator.Recompute(ctx, writer.Client(), vocab.SystemClock, mine...); err != nil {
			t.Fatal(err)
		}
		reader, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer reader.Rollback()
		if _, err := reader.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
			t.Fatal(err)
		}
		defer reader.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = DEFAULT")
		if err := evaluator.Lock(ctx, reader.Client(), theirs...); err != nil {
			t.Errorf("locking other entities: %v", err)
		}
		if err := evaluator.Recompute(ctx, reader.Client(), vocab.SystemClock, theirs...); err != nil {
			t.Errorf("recomputing other entities: %v", err)
		}
	})
}

// copies inserts into table, through tx and uncommitted, a copy of its newest row matching where
// for each of the entities, with an ID, source key and decision number of its own.
func copies(t *testing.T, ctx context.Context, tx *ent.Tx, table *schema.Table, where string, entities []int) {
	t.Helper()
	var cols, exprs []string
	for _, col := range table.Columns {
		cols = append(cols, "`"+col.Name+"`")
		switch col.Name {
		case "id":
			exprs = append(exprs, "m.top + v.k")
		case "entity_id":
			exprs = append(exprs, "v.eid")
		case "source_record_id", "decision_no":
			exprs = append(exprs, "CONCAT('locks-', v.k)")
		default:
			exprs = append(exprs, "t.`"+col.Name+"`")
		}
	}
	var rows []string
	var args []any
	for i, id := range entities {
		rows = append(rows, "SELECT ? AS eid, ? AS k")
		args = append(args, id, i+1)
	}
	q := fmt.Sprintf("INSERT INTO `%s` (%s) SELECT %s FROM (SELECT * FROM `%s` WHERE %s ORDER BY id DESC LIMIT 1) t, (SELECT MAX(id) AS top FROM `%s`) m, (%s) v",
		table.Name, strings.Join(cols, ", "), strings.Join(exprs, ", "), table.Name, where, table.Name, strings.Join(rows, " UNION ALL "))
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("copying a row of %s: %v", table.Name, err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(entities)) {
		t.Fatalf("%s: %d copies for %d entities", table.Name, n, len(entities))
	}
}
