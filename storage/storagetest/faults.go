package storagetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
)

// Faults wraps ent's driver (storage.Options.Wrap) so that a test can make one statement of a
// transaction fail the way the database would, e.g. with the deadlock a Galera node reports for
// a certification failure, wherever in the transaction that statement is.
type Faults struct {
	mu      sync.Mutex
	pending *fault // taken by the next transaction that begins
	last    int    // statements the last observed transaction ran
	fired   bool
	// matching fails the next times statements, in a transaction or not, containing match,
	// after letting skip of them run.
	match       string
	skip, times int
	merr        error
	// capture records the statements containing it, with their arguments.
	capture  string
	captured []Statement
}

// Statement is a statement's text and arguments as ent sent them.
type Statement struct {
	Query string
	Args  []any
}

// Capture records from now on the statements whose text contains match, in a transaction or
// outside one, with their arguments; Captured returns them.
func (f *Faults) Capture(match string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.capture, f.captured = match, nil
}

// Captured is the statements recorded since Capture.
func (f *Faults) Captured() []Statement {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.captured)
}

// FailMatching makes the next times statements whose text contains match return err, in a
// transaction or outside one.
func (f *Faults) FailMatching(match string, times int, err error) {
	f.FailMatchingAfter(match, 0, times, err)
}

// FailMatchingAfter is FailMatching after skip statements containing match have run.
func (f *Faults) FailMatchingAfter(match string, skip, times int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match, f.skip, f.times, f.merr = match, skip, times, err
}

// matching returns the error a statement is to fail with by FailMatching, if any, and
// records it when Capture asked for it.
func (f *Faults) matching(query string, args any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.capture != "" && strings.Contains(query, f.capture) {
		list, _ := args.([]any)
		f.captured = append(f.captured, Statement{Query: query, Args: slices.Clone(list)})
	}
	if f.times > 0 && strings.Contains(query, f.match) {
		if f.skip > 0 {
			f.skip--
			return nil
		}
		f.times--
		return f.merr
	}
	return nil
}

type fault struct {
	at  int // the statement to fail, from 1; 0 fails the commit; < 0 fails nothing
	err error
}

// Wrap is for storage.Options.Wrap.
func (f *Faults) Wrap(d dialect.Driver) dialect.Driver { return faultDriver{Driver: d, f: f} }

// FailNext makes statement at (from 1; 0 means the COMMIT) of the next transaction that begins
// return err instead of running. The statement counts as run.
func (f *Faults) FailNext(at int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending, f.fired = &fault{at: at, err: err}, false
}

// ObserveNext counts the statements of the next transaction that begins, failing none.
func (f *Faults) ObserveNext() { f.FailNext(-1, nil) }

// Statements is how many statements the last observed transaction ran (Exec and Query, raw
// ones included; not its COMMIT).
func (f *Faults) Statements() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// Fired reports whether the fault asked for last has been returned.
func (f *Faults) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

func (f *Faults) take() *fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pending
	f.pending = nil
	return p
}

type faultDriver struct {
	dialect.Driver
	f *Faults
}

func (d faultDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &faultTx{Tx: tx, f: d.f, fault: d.f.take()}, nil
}

func (d faultDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("storagetest: the driver has no BeginTx")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &faultTx{Tx: tx, f: d.f, fault: d.f.take()}, nil
}

func (d faultDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := d.f.matching(query, args); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

func (d faultDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.f.matching(query, args); err != nil {
		return err
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d faultDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := d.f.matching(query, args); err != nil {
		return nil, err
	}
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (d faultDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := d.f.matching(query, args); err != nil {
		return nil, err
	}
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// faultTx is a transaction that counts its statements and fails the one its fault names.
type faultTx struct {
	dialect.Tx
	f      *Faults
	fault  *fault // nil: not observed
	n      int
	failed error // the error a statement returned: the database has rolled the transaction back
}

// next counts a statement and returns the error it is to fail with, if any.
func (t *faultTx) next(query string, args any) error {
	if err := t.f.matching(query, args); err != nil {
		t.failed = err
		return err
	}
	if t.fault == nil {
		return nil
	}
	t.n++
	if t.fault.at == t.n {
		t.f.mu.Lock()
		t.f.fired = true
		t.f.mu.Unlock()
		t.failed = t.fault.err
		return t.fault.err
	}
	return nil
}

func (t *faultTx) Exec(ctx context.Context, query string, args, v any) error {
	if err := t.next(query, args); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *faultTx) Query(ctx context.Context, query string, args, v any) error {
	if err := t.next(query, args); err != nil {
		return err
	}
	return t.Tx.Query(ctx, query, args, v)
}

func (t *faultTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.next(query, args); err != nil {
		return nil, err
	}
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (t *faultTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.next(query, args); err != nil {
		return nil, err
	}
	return t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

func (t *faultTx) Commit() error {
	t.f.mu.Lock()
	if t.fault != nil {
		t.f.last = t.n
		if t.fault.at == 0 && t.failed == nil {
			t.f.fired = true
			t.failed = t.fault.err
		}
	}
	t.f.mu.Unlock()
	// A transaction the database ended cannot commit, even when the caller went on after the
	// error (storage's guard reports that on MySQL); a commit that fails leaves nothing either.
	if t.failed != nil {
		_ = t.Tx.Rollback()
		return t.failed
	}
	return t.Tx.Commit()
}

func (t *faultTx) Rollback() error {
	if t.fault != nil {
		t.f.mu.Lock()
		t.f.last = t.n
		t.f.mu.Unlock()
	}
	return t.Tx.Rollback()
}
