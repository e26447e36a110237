package storage_test

import (
	"context"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A database made by an earlier version keeps its indexes through ent's migration, which only
// adds: the source key that was unique across departments would go on refusing a second
// department's record. Migrate drops it (and the department index the new key replaces), on
// both engines, and running Migrate again is a no-op.
func TestMigrateRetiresTheSourceKeyAcrossDepartments(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := context.Background()
		const table, old, dep = "administrative_penalties", "administrativepenalty_source_system_source_record_id", "administrativepenalty_department_id"
		for _, stmt := range []string{
			"CREATE UNIQUE INDEX " + old + " ON " + table + " (source_system, source_record_id)",
			"CREATE INDEX " + dep + " ON " + table + " (department_id)",
		} {
			if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{old, dep, "penalties_source_key", "penalties_source"} {
			var n int
			q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
			if e.Name != "sqlite" {
				q = "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?"
			}
			if err := db.SQL.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 0, false: 1}[name == old || name == dep]; n != want {
				t.Errorf("%s: %d indexes after Migrate, want %d", name, n, want)
			}
		}
	})
}
