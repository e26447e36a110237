package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"

	"github.com/creditgraph/creditgraph/derrors"
)

// ErrTxLost is how a transaction the server ended on its own is reported: as the write clash it
// is (a deadlock, 1213), so the callers that retry clashes run it again.
var ErrTxLost = &mysql.MySQLError{Number: 1213,
	Message: "the transaction was rolled back by the database (a conflicting write committed on another cluster node); nothing of it was kept"}

// guarded runs every ent transaction on MySQL so that it is all or nothing even when the server
// ends it on its own. A Galera node rolls a local transaction back when a write replicated from
// another node conflicts with it (a brute-force abort). The client should get a deadlock error
// on its next statement; under load (scripts/cluster.sh load) that error sometimes did not come,
// the transaction's remaining statements ran one by one in autocommit, COMMIT found nothing to
// commit — and acknowledged penalties were on no node while their events were.
//
// So a transaction here is a connection with autocommit off: statements after a silent abort
// start a new implicit transaction instead of committing on their own. The transaction begins
// by writing a marker row into a temporary (unreplicated, transactional) table; COMMIT first
// reads it back: gone means the server ended the transaction, and everything since is rolled
// back and reported as ErrTxLost. The connection gets autocommit back before it returns to the
// pool.
type guarded struct {
	dialect.Driver
	db *sql.DB
}

func (d guarded) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx opens a guarded transaction (ent's sql.Driver offers BeginTx; opts other than the
// default are not used by creditgraph).
func (d guarded) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if opts != nil && (opts.ReadOnly || opts.Isolation != sql.LevelDefault) {
		return nil, fmt.Errorf("storage: transaction options %+v are not supported", *opts)
	}
	for attempt := 1; ; attempt++ {
		t, err := d.begin(ctx)
		// A connection can carry a deadlock error the server held back from an earlier
		// transaction's abort; nothing is begun yet, so another connection is simply tried.
		switch {
		case err == nil:
			return t, nil
		case derrors.WriteClash(err) && attempt < 3:
			continue
		default:
			return nil, err
		}
	}
}

func (d guarded) begin(ctx context.Context) (*guardedTx, error) {
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	t := &guardedTx{Conn: entsql.Conn{ExecQuerier: c}, c: c}
	for _, q := range []string{
		"CREATE TEMPORARY TABLE IF NOT EXISTS creditgraph_tx_marker (id INT PRIMARY KEY) ENGINE=InnoDB",
		"SET autocommit = 0",
		"INSERT INTO creditgraph_tx_marker (id) VALUES (1)",
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.discard()
			return nil, err
		}
	}
	return t, nil
}

// discard rolls back and closes the connection instead of returning it to the pool.
func (t *guardedTx) discard() {
	_, _ = t.c.ExecContext(context.Background(), "ROLLBACK")
	_ = t.c.Raw(func(any) error { return driver.ErrBadConn })
	_ = t.c.Close()
	t.c = nil
}

type guardedTx struct {
	entsql.Conn
	c *sql.Conn
}

func (t *guardedTx) Commit() error {
	ctx := context.Background()
	var n int
	if err := t.c.QueryRowContext(ctx, "SELECT COUNT(*) FROM creditgraph_tx_marker").Scan(&n); err != nil {
		t.end(ctx, "ROLLBACK")
		return err
	}
	if n == 0 {
		t.end(ctx, "ROLLBACK")
		return ErrTxLost
	}
	if _, err := t.c.ExecContext(ctx, "DELETE FROM creditgraph_tx_marker"); err != nil {
		t.end(ctx, "ROLLBACK")
		return err
	}
	return t.end(ctx, "COMMIT")
}

func (t *guardedTx) Rollback() error {
	return t.end(context.Background(), "ROLLBACK")
}

// end sends COMMIT or ROLLBACK, gives the connection its autocommit back and returns it to the
// pool — or, when it cannot be trusted any more, closes it.
func (t *guardedTx) end(ctx context.Context, verb string) error {
	if t.c == nil {
		return sql.ErrTxDone
	}
	c := t.c
	t.c = nil
	// COMMIT and ROLLBACK both end the marker's row with the transaction (deleted and
	// committed, or its insert undone). A connection whose ROLLBACK failed may still hold it,
	// and one that cannot get autocommit back must not serve anyone else: both are closed.
	_, err := c.ExecContext(ctx, verb)
	if _, rerr := c.ExecContext(ctx, "SET autocommit = 1"); rerr != nil || err != nil && verb == "ROLLBACK" {
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = c.Close()
	if verb == "ROLLBACK" && derrors.WriteClash(err) {
		// The server had already rolled the transaction back (an abort it reports on the next
		// statement, here the ROLLBACK): what was asked for is done.
		return nil
	}
	return err
}

// ExecContext and QueryContext pass raw statements through to the transaction (ent's
// execquery feature: the evaluator's set-based UPDATE).
func (t *guardedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.c == nil {
		return nil, sql.ErrTxDone
	}
	return t.c.ExecContext(ctx, query, args...)
}

func (t *guardedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.c == nil {
		return nil, sql.ErrTxDone
	}
	return t.c.QueryContext(ctx, query, args...)
}

// ExecContext and QueryContext on the driver, for the same feature outside transactions.
func (d guarded) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.db.ExecContext(ctx, query, args...)
}

func (d guarded) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(ctx, query, args...)
}
