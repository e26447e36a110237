// Package storage opens the database behind the credit graph: an embedded SQLite file by
// default (pure Go, modernc.org/sqlite), or MySQL/MariaDB in production. It turns the one
// --db setting into a driver and DSN, applies the schema and reports readiness.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/migrate"
	_ "github.com/creditgraph/creditgraph/ent/runtime" // privacy policies and defaults
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/storage/tally"
	"github.com/creditgraph/creditgraph/vocab"
)

// DefaultPath is the embedded database file used when no --db is given.
const DefaultPath = "./creditgraph.db"

// Target is a parsed --db setting.
type Target struct {
	Dialect string // dialect.SQLite or dialect.MySQL
	Driver  string // database/sql driver name
	DSN     string // driver DSN
	Path    string // the SQLite file, empty for MySQL
	Where   string // host:port/dbname or the SQLite file: where the data is, without credentials
}

// Writers is how many write transactions are worth running at once, e.g. an import's batches
// (exchange.Importer.Workers): SQLite runs one writer at a time, so 1; MariaDB runs them side by
// side, and on this 2-core machine two writers imported 40–50 % more rows a second than one and
// three fewer than two (BENCHMARKS.md, "Import with two writers").
func (t Target) Writers() int {
	if t.Dialect == dialect.MySQL {
		return 2
	}
	return 1
}

// ParseTarget reads a --db value: a SQLite file path (optionally file:…), or
// mysql://user:pass@host:port/dbname[?params] for MySQL/MariaDB.
func ParseTarget(db string) (Target, error) {
	if db == "" {
		db = DefaultPath
	}
	// Errors never echo the address: it may carry a password.
	if scheme, _, ok := strings.Cut(db, "://"); ok && scheme != "mysql" {
		return Target{}, fmt.Errorf("--db: unknown scheme %q: give a SQLite file path or mysql://user:pass@host:3306/dbname", scheme)
	}
	if strings.HasPrefix(db, "mysql://") {
		u, err := url.Parse(db)
		if err != nil {
			return Target{}, errors.New("--db: not a valid mysql:// address (mysql://user:pass@host:3306/dbname)")
		}
		name := strings.TrimPrefix(u.Path, "/")
		if name == "" {
			return Target{}, fmt.Errorf("--db: %s names no database (mysql://user:pass@host:3306/dbname)", u.Redacted())
		}
		cfg := mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.DBName = name
		cfg.ParseTime = true
		cfg.Loc = time.UTC
		cfg.Params = map[string]string{"charset": "utf8mb4"}
		// Statements with their arguments in one COM_QUERY, not prepare/execute/close: one
		// round trip instead of three, and on a Galera node a transaction aborted by a
		// replicated write gets its deadlock error on the next statement — around a prepared
		// statement's close the server may hold the error back, and our writes then ran on
		// outside the rolled-back transaction (lost acknowledged writes under cluster.sh load).
		cfg.InterpolateParams = true
		// Times go at the microsecond the DATETIME(6) columns keep. Sent with Go's nanoseconds,
		// every stored time drew a truncation note, and the tally trigger copies its statement's
		// notes for every row it runs on (in a profiled import, the evaluation UPDATE's share of
		// server CPU fell from 26.8 % to 24.8 % of all samples without them).
		cfg.Apply(mysql.TimeTruncate(time.Microsecond))
		cfg.Collation = "utf8mb4_unicode_ci"
		cfg.Timeout = 5 * time.Second
		for k, v := range u.Query() {
			cfg.Params[k] = v[0]
		}
		return Target{Dialect: dialect.MySQL, Driver: "mysql", DSN: cfg.FormatDSN(), Where: cfg.Addr + "/" + name}, nil
	}
	path := strings.TrimPrefix(db, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	return Target{Dialect: dialect.SQLite, Driver: "sqlite", DSN: dsn, Path: path, Where: path}, nil
}

// DB is an open database: the ent client (with the write engine's hooks) and the *sql.DB
// under it.
type DB struct {
	Target Target
	SQL    *sql.DB
	Client *ent.Client
	// Ledger is the write engine registered on Client; Events is its broker.
	Ledger *ledger.Engine
	Events *events.Broker
	// Tallies count market entities by key in time that does not grow with them.
	Tallies *tally.Store
	// plain is the driver without the transaction guard, for migrations: DDL ends a
	// transaction on MySQL, which is what the guard looks for.
	plain dialect.Driver
}

// Options tune Open.
type Options struct {
	// Debug, when set, receives every statement ent runs (tests count them with it).
	Debug func(ctx context.Context, args ...any)
	// Cipher seals personal data; without it, persons cannot be recorded.
	Cipher *pii.Cipher
	// Events receives credit events after their transactions commit; a new broker when nil.
	Events *events.Broker
	// Clock is the service's one clock; the system clock when nil.
	Clock vocab.Clock
	// Logger hears what the storage layer repairs on its own; slog's default when nil.
	Logger *slog.Logger
	// Wrap, when set, wraps the driver ent uses, under Debug (tests inject faults with it).
	Wrap func(dialect.Driver) dialect.Driver
}

// Open connects to target, checks that the database answers and builds the ent client with the
// write engine (package ledger) registered on it: every client the service uses validates and
// derives the same way, so Open is the one place clients are built.
func Open(ctx context.Context, t Target, opts Options) (*DB, error) {
	db, err := sql.Open(t.Driver, t.DSN)
	if err != nil {
		return nil, err
	}
	if t.Dialect == dialect.SQLite {
		// One writer at a time is what SQLite allows; a small pool keeps readers concurrent
		// under WAL while writers queue on the busy timeout.
		db.SetMaxOpenConns(4)
	} else {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(16)
		db.SetConnMaxLifetime(30 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to the %s database: %w", t.Dialect, err)
	}
	if t.Dialect == dialect.MySQL {
		// ent numbers the rows of a multi-row INSERT from LAST_INSERT_ID() one by one. A server
		// that hands out ids in steps (a Galera node with wsrep_auto_increment_control, which
		// ignores a session's own setting) made ent give rows the ids of other rows, and the
		// hooks after the INSERT then wrote about rows that were not theirs.
		var step int
		if err := db.QueryRowContext(pctx, "SELECT @@auto_increment_increment").Scan(&step); err != nil {
			db.Close()
			return nil, fmt.Errorf("reading auto_increment_increment: %w", err)
		}
		if step != 1 {
			db.Close()
			return nil, fmt.Errorf("the MySQL server hands out AUTO_INCREMENT ids in steps of %d; creditgraph needs steps of 1 "+
				"(on a Galera cluster: wsrep_auto_increment_control=OFF and auto_increment_increment=1; see SCALING.md)", step)
		}
	}
	plain := entsql.OpenDB(t.Dialect, db)
	var drv dialect.Driver = plain
	if t.Dialect == dialect.MySQL {
		logger := opts.Logger
		if logger == nil {
			logger = slog.Default()
		}
		drv = guarded{Driver: drv, db: db, warn: logger.Warn}
	}
	if opts.Wrap != nil {
		drv = opts.Wrap(drv)
	}
	if opts.Debug != nil {
		drv = dialect.DebugWithContext(drv, opts.Debug)
	}

	if opts.Clock == nil {
		opts.Clock = vocab.SystemClock
	}
	if opts.Events == nil {
		opts.Events = events.NewBroker(opts.Clock)
	}
	client := ent.NewClient(ent.Driver(drv))
	engine := &ledger.Engine{Clock: opts.Clock, Events: opts.Events, Cipher: opts.Cipher}
	engine.Register(client)
	return &DB{Target: t, SQL: db, Client: client, Ledger: engine, Events: opts.Events, Tallies: &tally.Store{DB: db, Dialect: t.Dialect}, plain: plain}, nil
}

// Migrate applies the ent schema (creating or altering tables and indexes) and installs the
// entity tallies' triggers and the shared events' sequence row; it is idempotent.
func (d *DB) Migrate(ctx context.Context) error {
	if err := migrate.NewSchema(d.plain).Create(authz.SystemContext(ctx)); err != nil {
		return fmt.Errorf("applying the schema: %w", err)
	}
	if err := d.retireIndexes(ctx); err != nil {
		return err
	}
	if err := events.Install(ctx, d.Client); err != nil {
		return fmt.Errorf("the outbox sequence: %w", err)
	}
	return d.Tallies.Install(ctx)
}

// LockMigration keeps migrations of the database one at a time, across processes: on MySQL it
// takes a named lock (GET_LOCK, per database) on a connection of its own and answers the
// function that releases it. Instances started together with --migrate otherwise compared the
// schema with the same stale view and altered it twice — the later ones failing their start on
// a table or column the first had just made. Galera's named locks are the node's own; there,
// schema changes are ordered by the cluster, and the reference load by its transaction.
func (d *DB) LockMigration(ctx context.Context) (release func(), err error) {
	if d.Target.Dialect != dialect.MySQL {
		return func() {}, nil
	}
	c, err := d.SQL.Conn(ctx)
	if err != nil {
		return nil, err
	}
	const name = "CONCAT('creditgraph_migrate_', MD5(DATABASE()))"
	var got sql.NullInt64
	if err := c.QueryRowContext(ctx, "SELECT GET_LOCK("+name+", ?)", int(migrationLockWait.Seconds())).Scan(&got); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("waiting for another migration of the database: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		_ = c.Close()
		return nil, fmt.Errorf("another migration of the database has held its lock for %s: is one stuck?", migrationLockWait)
	}
	return func() {
		_, _ = c.ExecContext(context.Background(), "DO RELEASE_LOCK("+name+")")
		_ = c.Close() // closing alone would release it too
	}, nil
}

// migrationLockWait is how long a migration waits for another of the same database.
const migrationLockWait = 30 * time.Minute

// HasSchema reports whether a schema was ever applied to the database (its market_entities
// table exists): a command on a database that migrate never ran on says so rather than
// failing on its first missing table.
func (d *DB) HasSchema(ctx context.Context) (bool, error) {
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if d.Target.Dialect == dialect.MySQL {
		q = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
	}
	var n int
	if err := d.SQL.QueryRowContext(ctx, q, "market_entities").Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// retireIndexes drops the indexes earlier versions created that the schema replaced; ent's
// migration adds indexes but never drops one. A record's source key was unique across all
// departments (<type>_source_system_source_record_id), beside an index of its own on the
// department (<type>_department_id); the unique index on the department's source key took the
// place of both. Run after the schema is applied, so the department's foreign key always has
// an index.
func (d *DB) retireIndexes(ctx context.Context) error {
	for _, t := range migrate.Tables {
		for _, ix := range t.Indexes {
			var cols []string
			for _, c := range ix.Columns {
				cols = append(cols, c.Name)
			}
			if !ix.Unique || strings.Join(cols, ",") != "department_id,source_system,source_record_id" {
				continue
			}
			prefix := typePrefix(t)
			if prefix == "" {
				continue
			}
			for _, old := range []string{prefix + "_source_system_source_record_id", prefix + "_department_id"} {
				if err := d.dropIndex(ctx, t.Name, old); err != nil {
					return fmt.Errorf("dropping the retired index %s: %w", old, err)
				}
			}
		}
	}
	return nil
}

// typePrefix is how ent begins the names of table t's indexes, <type>_: taken from the record
// index on person_id (ent shortens long index names in place, so not from the source key's).
func typePrefix(t *schema.Table) string {
	for _, ix := range t.Indexes {
		if len(ix.Columns) == 1 && ix.Columns[0].Name == "person_id" {
			if p, ok := strings.CutSuffix(ix.Name, "_person_id"); ok {
				return p
			}
		}
	}
	return ""
}

// dropIndex drops index name of table when it exists.
func (d *DB) dropIndex(ctx context.Context, table, name string) error {
	if d.Target.Dialect == dialect.SQLite {
		_, err := d.SQL.ExecContext(ctx, "DROP INDEX IF EXISTS `"+name+"`")
		return err
	}
	var n int
	if err := d.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?",
		table, name).Scan(&n); err != nil || n == 0 {
		return err
	}
	_, err := d.SQL.ExecContext(ctx, "ALTER TABLE `"+table+"` DROP INDEX `"+name+"`")
	return err
}

// Ready reports whether the database answers within the context's deadline and, on a Galera
// cluster node, whether the node takes queries (wsrep_ready: a node cut off from the
// cluster's majority answers pings but refuses statements).
func (d *DB) Ready(ctx context.Context) error {
	if err := d.SQL.PingContext(ctx); err != nil {
		return err
	}
	if d.Target.Dialect == dialect.SQLite {
		return nil
	}
	// MariaDB builds carry wsrep whether or not they run in a cluster: wsrep_on says.
	var on int
	if err := d.SQL.QueryRowContext(ctx, "SELECT @@wsrep_on").Scan(&on); err != nil || on == 0 {
		return nil // MySQL (no such variable) or a MariaDB outside a cluster
	}
	var name, value string
	switch err := d.SQL.QueryRowContext(ctx, "SHOW STATUS LIKE 'wsrep_ready'").Scan(&name, &value); {
	case err != nil:
		return err
	case value != "ON":
		return fmt.Errorf("%w: this Galera node is not part of the cluster's primary component (wsrep_ready %s)", derrors.Unavailable, value)
	}
	return nil
}

// Close closes the client and the pool.
func (d *DB) Close() error { return d.Client.Close() }
