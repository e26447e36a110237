// Package storagetest gives tests real databases: a fresh SQLite file always, and a fresh
// MariaDB/MySQL database when CREDITGRAPH_TEST_MYSQL_DSN is set (CI always sets it), so every
// integration test runs on both engines.
package storagetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/storage"
)

// EnvMySQL names the variable holding a mysql://user:pass@host:port/prefix DSN; each test gets
// its own database named prefix_<pid>_<n>, dropped when the test ends.
const EnvMySQL = "CREDITGRAPH_TEST_MYSQL_DSN"

var counter atomic.Int64

// Options tune the databases a test gets.
type Options struct {
	storage.Options
	// NoMigrate leaves the database empty.
	NoMigrate bool
}

// Engine is one database engine a test runs on.
type Engine struct {
	Name string
	Open func(t testing.TB, o Options) *storage.DB
}

// Engines are SQLite, plus MySQL when EnvMySQL is set.
func Engines() []Engine {
	es := []Engine{{Name: "sqlite", Open: OpenSQLite}}
	if os.Getenv(EnvMySQL) != "" {
		es = append(es, Engine{Name: "mysql", Open: OpenMySQL})
	}
	return es
}

// MySQLConfigured reports whether EnvMySQL names a server.
func MySQLConfigured() bool { return os.Getenv(EnvMySQL) != "" }

// GaleraConfigured reports whether EnvGalera names a cluster's nodes.
func GaleraConfigured() bool { return os.Getenv(EnvGalera) != "" }

// Each runs fn as a subtest on every engine.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

// OpenSQLite opens a migrated SQLite database in a temporary directory.
func OpenSQLite(t testing.TB, o Options) *storage.DB {
	t.Helper()
	target, err := storage.ParseTarget(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	return open(t, target, o)
}

// OpenMySQL creates a database on the server named by EnvMySQL and opens it migrated.
func OpenMySQL(t testing.TB, o Options) *storage.DB {
	t.Helper()
	target, err := storage.ParseTarget(NewMySQLAddress(t))
	if err != nil {
		t.Fatal(err)
	}
	return open(t, target, o)
}

// NewMySQLAddress creates an empty database on the server named by EnvMySQL, dropped when the
// test ends, and returns its mysql:// address as the commands' --db takes it.
func NewMySQLAddress(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(EnvMySQL)
	if raw == "" {
		t.Skipf("%s is not set", EnvMySQL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	if prefix == "" {
		prefix = "creditgraph_test"
	}
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), counter.Add(1))
	createDatabase(t, *u, name)
	u.Path = "/" + name
	return u.String()
}

// dropLockWait is how many seconds dropping a test's database waits for locks.
const dropLockWait = 20

// createDatabase creates database name on the server at u (any database path) and drops it
// when the test ends.
func createDatabase(t testing.TB, u url.URL, name string) {
	t.Helper()
	u.Path = "/information_schema" // any user may connect to it
	target, err := storage.ParseTarget(u.String())
	if err != nil {
		t.Fatal(err)
	}
	adm, err := sql.Open(target.Driver, target.DSN)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		adm.Close()
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		defer adm.Close()
		// A transaction the test left open (one that failed before its rollback) keeps its
		// locks, and the DROP would wait for them for MariaDB's default of a year: the whole
		// test binary then hangs until go test's timeout. Wait a bounded time and say why.
		ctx := context.Background()
		conn, err := adm.Conn(ctx)
		if err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
			return
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = "+strconv.Itoa(dropLockWait)); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
			return
		}
		if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("dropping test database %s: %v (is a transaction of the test still open, holding its locks?)", name, err)
		}
	})
}

// TestCipher seals personal data in tests with a fixed key.
func TestCipher() *pii.Cipher {
	c, err := pii.New([]byte("creditgraph-test-key-32-bytes!!!"))
	if err != nil {
		panic(err)
	}
	return c
}

func open(t testing.TB, target storage.Target, o Options) *storage.DB {
	t.Helper()
	ctx := context.Background()
	if o.Cipher == nil {
		o.Cipher = TestCipher()
	}
	db, err := storage.Open(ctx, target, o.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if !o.NoMigrate {
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// Count returns SELECT COUNT(*) FROM table [WHERE where], straight from SQL, as an independent
// check of what the API reports.
func Count(t testing.TB, db *storage.DB, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.SQL.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Reopen opens a second handle on db's database, as another instance of the service would:
// its own pool, client and event broker, with o's options. The schema is already applied.
func Reopen(t testing.TB, db *storage.DB, o Options) *storage.DB {
	t.Helper()
	o.NoMigrate = true
	return open(t, db.Target, o)
}

// EnvGalera names the variable holding the nodes of a Galera cluster, comma-separated
// mysql://user:pass@host:port/ addresses (scripts/cluster.sh nodes starts one; .ci/run sets it).
const EnvGalera = "CREDITGRAPH_TEST_GALERA_DSNS"

// GaleraNodes creates a fresh database on the cluster named by EnvGalera, migrated through the
// first node, and opens it through every node — as instances on different nodes would, with
// causal reads (wsrep_sync_wait=1) — or skips the test when EnvGalera is not set.
func GaleraNodes(t testing.TB, o Options) []*storage.DB {
	t.Helper()
	raw := os.Getenv(EnvGalera)
	if raw == "" {
		t.Skipf("%s is not set (scripts/cluster.sh nodes starts a cluster)", EnvGalera)
	}
	name := fmt.Sprintf("creditgraph_galera_%d_%d", os.Getpid(), counter.Add(1))
	var dbs []*storage.DB
	for i, node := range strings.Split(raw, ",") {
		u, err := url.Parse(strings.TrimSpace(node))
		if err != nil {
			t.Fatalf("%s: %v", EnvGalera, err)
		}
		if i == 0 {
			createDatabase(t, *u, name)
		}
		u.Path = "/" + name
		u.RawQuery = "wsrep_sync_wait=1"
		target, err := storage.ParseTarget(u.String())
		if err != nil {
			t.Fatal(err)
		}
		no := o
		no.NoMigrate = i > 0 // DDL replicates to every node before it returns (total order isolation)
		dbs = append(dbs, open(t, target, no))
	}
	return dbs
}
