package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// TestMain lets a test run a command in a process of its own (command below), as instances
// are: ent's migration may not run twice at once within one process.
func TestMain(m *testing.M) {
	if args := os.Getenv("CREDITGRAPH_TEST_COMMAND"); args != "" {
		if err := run(context.Background(), strings.Split(args, "\n"), quiet()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command prepares creditgraph args in a process of its own: this test binary, through TestMain.
func command(args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), "CREDITGRAPH_TEST_COMMAND="+strings.Join(args, "\n"))
	return c
}

// Instances started together with --migrate on a database no build has migrated take turns:
// each process succeeds, and the database holds what one migrate gives, table by table.
// Without the migration lock the later ones compared the schema before the first had changed
// it and failed on tables it had just made (or, before the reference load's own lock, added a
// second copy of the publicity rules).
func TestMigratesStartedTogetherTakeTurns(t *testing.T) {
	if !storagetest.MySQLConfigured() {
		t.Skipf("%s is not set", storagetest.EnvMySQL)
	}
	t.Setenv("CREDITGRAPH_DATA_KEY", "Y3JlZGl0Z3JhcGgtdGVzdC1rZXktMzItYnl0ZXMhISE=")
	counts := func(addr string) map[string]int {
		t.Helper()
		target, err := storage.ParseTarget(addr)
		if err != nil {
			t.Fatal(err)
		}
		db, err := storage.Open(context.Background(), target, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		out := map[string]int{}
		rows, err := db.SQL.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		rows.Close()
		for _, tb := range tables {
			if tb != "reference_loads" && tb != "tally_installs" { // the times of a load and an install
				out[tb] = storagetest.Count(t, db, tb, "")
			}
		}
		return out
	}
	one := storagetest.NewMySQLAddress(t)
	if out, err := command("migrate", "--db", one).CombinedOutput(); err != nil {
		t.Fatalf("one migrate: %v\n%s", err, out)
	}
	want := counts(one)
	for round := range 2 {
		addr := storagetest.NewMySQLAddress(t)
		var procs []*exec.Cmd
		var outs []*bytes.Buffer
		for range 3 {
			c := command("migrate", "--db", addr)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			procs, outs = append(procs, c), append(outs, &out)
		}
		for i, c := range procs {
			if err := c.Wait(); err != nil {
				t.Errorf("round %d: migrate %d beside two others: %v\n%s", round, i, err, outs[i])
			}
		}
		if got := counts(addr); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("round %d: after three migrates at once the tables hold %v; after one %v", round, got, want)
		}
	}
}
