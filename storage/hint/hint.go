// Package hint names the index a statement walks on MySQL, where the optimizer would otherwise
// choose it from statistics that can be older than the rows.
//
// Two kinds of statement need that. A locking read or an UPDATE locks every row its plan walks:
// a batch that names its entities must walk only their rows, or two writers of different
// entities lock each other's rows and deadlock (TestABatchLocksOnlyItsEntities in the
// evaluator). And a lookup by a department's source key must use the unique key: with
// statistics from before a department's first import, MariaDB walked every record of the
// source system instead, a cost that grew with each batch of the import.
//
// SQLite plans these statements well and gets no hint.
package hint

import (
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
)

// Through makes a query of table walk index on MySQL (FORCE INDEX). ent has no index hints:
// an unquoted table is written as given, and its alias keeps the columns named after the table.
func Through(table, index string) func(*sql.Selector) {
	from := Table(table, index)
	return func(s *sql.Selector) {
		if s.Dialect() == dialect.MySQL {
			s.From(sql.Table(from).Unquote().As(table))
		}
	}
}

// Table is table with MySQL's hint to walk index, for a statement written by hand.
func Table(table, index string) string {
	return "`" + table + "` FORCE INDEX (`" + index + "`)"
}

// Leading is the name of t's first index whose first column is column; it panics when t has
// none, which the tests of its callers see at once.
func Leading(t *schema.Table, column string) string {
	for _, ix := range t.Indexes {
		if len(ix.Columns) > 0 && ix.Columns[0].Name == column {
			return ix.Name
		}
	}
	panic(fmt.Sprintf("hint: no index of %s leads with %s", t.Name, column))
}

// SourceKey is the name of t's unique index on a department's source key (department_id,
// source_system, source_record_id).
func SourceKey(t *schema.Table) string {
	for _, ix := range t.Indexes {
		if ix.Unique && len(ix.Columns) == 3 && ix.Columns[0].Name == "department_id" &&
			ix.Columns[1].Name == "source_system" && ix.Columns[2].Name == "source_record_id" {
			return ix.Name
		}
	}
	panic(fmt.Sprintf("hint: %s has no unique source key", t.Name))
}
