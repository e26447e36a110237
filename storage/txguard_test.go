package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A table definition damaged in a node's cache (a trigger that failed to parse, a definition
// file that failed to read) is reloaded and the statement reported as a write clash, so that
// the mutation runs again against the reloaded definition; other errors pass unchanged. The
// reload needs the RELOAD privilege: without it, the error stays what it was and the operator
// is told what to run. Runs on MariaDB (the CI account has no RELOAD) and on a Galera node
// (root).
func TestDamagedTableDefinitionIsReloadedOnMariaDBAndGalera(t *testing.T) {
	var dbs []*storage.DB
	if storagetest.MySQLConfigured() {
		dbs = append(dbs, storagetest.OpenMySQL(t, storagetest.Options{}))
	}
	if storagetest.GaleraConfigured() {
		dbs = append(dbs, storagetest.GaleraNodes(t, storagetest.Options{})[0])
	}
	if len(dbs) == 0 {
		t.Skip("needs MariaDB or a Galera cluster")
	}
	ctx := context.Background()
	for _, db := range dbs {
		var name string
		if err := db.SQL.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		var grants int
		if err := db.SQL.QueryRow("SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'RELOAD'").Scan(&grants); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: RELOAD privilege %v", name, grants > 0)
		// A message that names a trigger or a table reloads that table; one that names neither,
		// every table with triggers.
		table := func(t string) string { return "`" + name + "`.`" + t + "`" }
		for _, c := range []struct {
			damaged *mysql.MySQLError
			tables  []string
		}{
			{&mysql.MySQLError{Number: 1064, Message: "Trigger 'market_entities_tally_insert_v1' has an error in its body: 'You have an error in your SQL syntax; " +
				"check the manual that corresponds to your MariaDB server version for the right syntax to use near '' at line 1'"}, []string{table("market_entities")}},
			{&mysql.MySQLError{Number: 1064, Message: "Trigger 'entity_tallies_register_update_v1' has an error in its body: 'You have an error in your SQL syntax; " +
				"check the manual that corresponds to your MariaDB server version for the right syntax to use near 'END IF' at line 1'"}, []string{table("entity_tallies")}},
			{&mysql.MySQLError{Number: 1033, Message: fmt.Sprintf("Incorrect information in file: './%s/market_entities.frm'", name)}, []string{table("market_entities")}},
			{&mysql.MySQLError{Number: 1064, Message: "Unknown trigger has an error in its body: 'Query was empty'"}, []string{table("entity_tallies"), table("market_entities")}},
		} {
			damaged, want := c.damaged, strings.Join(c.tables, ", ")
			var heard []string
			warn := func(msg string, args ...any) { heard = append(heard, fmt.Sprint(append([]any{msg}, args...)...)) }
			err := db.Repair(ctx, fmt.Errorf("storing evaluations: %w", damaged), warn)
			switch {
			case grants > 0:
				if !errors.Is(err, storage.ErrTableReloaded) || !derrors.WriteClash(err) {
					t.Errorf("%s with RELOAD: %v, want the table reloaded and the statement reported as a clash", damaged.Message, err)
				}
				if len(heard) != 1 || !strings.Contains(heard[0], "reloaded a table definition") || !strings.Contains(heard[0], want) {
					t.Errorf("%s: warnings %q, want one naming %s reloaded", damaged.Message, heard, want)
				}
			default:
				if !errors.Is(err, damaged) || errors.Is(err, storage.ErrTableReloaded) {
					t.Errorf("%s without RELOAD: %v, want the error unchanged", damaged.Message, err)
				}
				// "err", the key after the list: no other table is named.
				if len(heard) != 1 || !strings.Contains(heard[0], "needs FLUSH TABLES "+want+"err") {
					t.Errorf("%s: warnings %q, want one telling the operator to flush %s", damaged.Message, heard, want)
				}
			}
		}
		other := &mysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax near 'x'"}
		if err := db.Repair(ctx, other, func(string, ...any) { t.Error("warned about an ordinary error") }); err != other {
			t.Errorf("an ordinary error came back as %v", err)
		}
	}
}

// ent numbers a multi-row INSERT's rows from LAST_INSERT_ID() one by one, so a server that hands
// out ids in steps (a Galera node with wsrep_auto_increment_control) would give rows the ids of
// other rows: Open refuses it, naming the settings to change.
func TestOpenRefusesAutoIncrementSteps(t *testing.T) {
	if !storagetest.MySQLConfigured() {
		t.Skip("needs MariaDB")
	}
	db := storagetest.OpenMySQL(t, storagetest.Options{NoMigrate: true})
	target := db.Target
	sep := "?"
	if strings.Contains(target.DSN, "?") {
		sep = "&"
	}
	target.DSN += sep + "auto_increment_increment=3" // as a three-node cluster would set it
	got, err := storage.Open(context.Background(), target, storage.Options{})
	if err == nil {
		got.Close()
		t.Fatal("opened a server that hands out ids in steps of 3")
	}
	for _, want := range []string{"steps of 3", "auto_increment_increment=1", "wsrep_auto_increment_control=OFF"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Times reach MariaDB at the microsecond its DATETIME(6) columns keep: a time with nanoseconds
// is stored as its microsecond without a truncation note. Each note costs the server a little,
// and a trigger copies its statement's notes for every row it runs on.
func TestTimesAreSentToTheMicrosecond(t *testing.T) {
	if !storagetest.MySQLConfigured() {
		t.Skip("needs MariaDB")
	}
	db := storagetest.OpenMySQL(t, storagetest.Options{NoMigrate: true})
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx) // a temporary table and SHOW WARNINGS are the connection's
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE TEMPORARY TABLE times (at DATETIME(6) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 9, 30, 15, 123456789, time.UTC)
	if _, err := conn.ExecContext(ctx, "INSERT INTO times (at) VALUES (?)", at); err != nil {
		t.Fatal(err)
	}
	var notes int
	if err := conn.QueryRowContext(ctx, "SHOW COUNT(*) WARNINGS").Scan(&notes); err != nil {
		t.Fatal(err)
	}
	var stored time.Time
	if err := conn.QueryRowContext(ctx, "SELECT at FROM times").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Microsecond); notes != 0 || !stored.Equal(want) {
		t.Errorf("stored %v with %d notes; want %v and none", stored, notes, want)
	}
}
