// Package tally keeps exact counts of market entities by city, county, risk tier, credit grade,
// kind and status, so the supervisors' tier counts and the dashboards' entity counts take time
// that does not grow with the data (issue 15).
//
// Database triggers on market_entities append a delta row (+1 for the key an entity came to
// have, -1 for the key it left) in the writing transaction, whoever writes: the ORM, the
// evaluator's bulk UPDATE, the loader. Appending never waits on another writer, so the counts
// add no lock contention to ingest. Compact folds deltas into entity_tallies, one row per key;
// Count sums both tables in one statement, which reads one snapshot, so a count is exact at
// every moment: a write is counted when it commits, never twice, never half.
//
// entity_register_tallies holds the same counts without the evaluation's dimensions (tier and
// grade): a third of the rows at Jiangsu's size, read by every count that asks nothing of the
// evaluation. Triggers on entity_tallies keep it, in the transaction that changes a tally row,
// so it agrees with entity_tallies whoever writes them: this compactor, a rebuild, or the
// compactor of a build that knows nothing of it (a cluster upgraded server by server).
package tally

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/creditgraph/creditgraph/derrors"
)

// Store is the tallies of one database.
type Store struct {
	DB      *sql.DB
	Dialect string // dialect.MySQL or dialect.SQLite
}

// Dim is a dimension entities are counted by: a column of market_entities and of the tally
// tables.
type Dim string

// The dimensions.
const (
	City   Dim = "city_code"
	County Dim = "division_code"
	Tier   Dim = "risk_tier"
	Grade  Dim = "credit_grade"
	Kind   Dim = "entity_kind"
	Status Dim = "status"
)

// Dims lists every dimension in the order of the tally's key.
var Dims = []Dim{City, County, Tier, Grade, Kind, Status}

// registerDims are the dimensions of entity_register_tallies: all but the evaluation's.
var registerDims = []Dim{City, County, Kind, Status}

// nullable are the dimensions market_entities may leave NULL; the tallies hold ” for them.
var nullable = map[Dim]bool{City: true, Tier: true, Grade: true}

// Op compares a dimension with values.
type Op int

// The comparisons, with SQL's meaning on market_entities: a NULL value satisfies only IsNil.
const (
	In     Op = iota // one of Values
	NotIn            // not NULL and none of Values
	IsNil            // NULL (Values unused)
	NotNil           // not NULL (Values unused)
)

// Cond is one condition of a filter; a Filter is their conjunction.
type Cond struct {
	Dim    Dim
	Op     Op
	Values []string
}

// Filter is a conjunction of conditions.
type Filter []Cond

// Group is one group's key values (in the order asked) and its count.
type Group struct {
	Keys []string
	N    int64
}

// ErrEmptyValue is returned for a condition on an empty string: the tallies store a NULL as
// ”, so they cannot tell the two apart; the caller counts such a filter the slow way.
var ErrEmptyValue = errors.New("tally: an empty value cannot be counted from the tallies")

// where renders f on the tally tables' columns.
func (f Filter) where() (string, []any, error) {
	var (
		parts []string
		args  []any
	)
	for _, c := range f {
		if !slices.Contains(Dims, c.Dim) {
			return "", nil, fmt.Errorf("tally: no dimension %q", c.Dim)
		}
		col := string(c.Dim)
		for _, v := range c.Values {
			if v == "" {
				return "", nil, ErrEmptyValue
			}
			args = append(args, v)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(c.Values)), ", ")
		switch {
		case (c.Op == IsNil || c.Op == NotNil) && !nullable[c.Dim]:
			if c.Op == IsNil {
				parts = append(parts, "1 = 0")
			}
		case c.Op == IsNil:
			parts = append(parts, col+" = ''")
		case c.Op == NotNil:
			parts = append(parts, col+" <> ''")
		case len(c.Values) == 0 && c.Op == In:
			parts = append(parts, "1 = 0")
		case len(c.Values) == 0 && c.Op == NotIn:
			parts = append(parts, col+" <> ''")
		case c.Op == In:
			parts = append(parts, col+" IN ("+marks+")")
		case c.Op == NotIn:
			parts = append(parts, col+" NOT IN ("+marks+") AND "+col+" <> ''")
		default:
			return "", nil, fmt.Errorf("tally: unknown comparison %d", c.Op)
		}
	}
	if len(parts) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args, nil
}

// Count counts the entities f admits, grouped by groupBy (no groups: one group, the total),
// as of one snapshot of the database. Groups with no entity are left out, as a GROUP BY of
// market_entities leaves them out; groups come in the order of their keys, at most limit of
// them (0: no limit). The statement reads the rows of both tables the filter admits (one
// UNION ALL: one snapshot) and sums them here: a few thousand short rows at Jiangsu's size,
// which MariaDB hands over faster than it groups them through a temporary table.
func (s *Store) Count(ctx context.Context, f Filter, groupBy []Dim, limit int) ([]Group, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	cols := make([]string, 0, len(groupBy)+1)
	for _, d := range groupBy {
		if !slices.Contains(Dims, d) {
			return nil, fmt.Errorf("tally: no dimension %q", d)
		}
		cols = append(cols, string(d))
	}
	list := strings.Join(append(cols, "n"), ", ")
	q := "SELECT " + list + " FROM " + tallyTable(f, groupBy) + where + " UNION ALL SELECT " + list + " FROM entity_tally_deltas" + where
	rows, err := s.DB.QueryContext(ctx, q, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("tally: counting: %w", err)
	}
	defer rows.Close()
	// A few thousand rows fall into at most as many groups: a key becomes a string of its own
	// only for a group not seen before.
	sums := map[string]*Group{}
	keys := make([]keyColumn, len(groupBy))
	dest := make([]any, 0, len(groupBy)+1)
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	var n int64
	dest = append(dest, &n)
	var id []byte
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		id = id[:0]
		for i := range keys {
			id = append(keys[i].appendTo(id), 0)
		}
		g := sums[string(id)]
		if g == nil {
			g = &Group{Keys: make([]string, len(keys))}
			for i := range keys {
				g.Keys[i] = keys[i].String()
			}
			sums[string(id)] = g
		}
		g.N += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(groupBy) == 0 {
		var total int64
		if g := sums[""]; g != nil {
			total = g.N
		}
		return []Group{{Keys: []string{}, N: total}}, nil
	}
	ids := make([]string, 0, len(sums))
	for id, g := range sums {
		if g.N != 0 {
			ids = append(ids, id)
		}
	}
	// Each key of an id ends in a NUL, the least byte, which no key holds (codes and enum
	// values): ids sort as their keys do, and a string compares faster than a list of them.
	slices.Sort(ids)
	out := make([]Group, len(ids))
	for i, id := range ids {
		out[i] = *sums[id]
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// keyColumn is a key of a tally row as the driver hands it over, uncopied: MySQL's bytes
// (valid until the next row), SQLite's string. Scanning into a string would allocate one per
// key per row on MySQL; scanning into sql.RawBytes would copy SQLite's.
type keyColumn struct {
	s     string
	b     []byte
	bytes bool
}

func (k *keyColumn) Scan(src any) error {
	switch v := src.(type) {
	case string:
		k.s, k.bytes = v, false
	case []byte:
		k.b, k.bytes = v, true
	default:
		return fmt.Errorf("tally: a key column holds %T", src)
	}
	return nil
}

func (k *keyColumn) appendTo(b []byte) []byte {
	if k.bytes {
		return append(b, k.b...)
	}
	return append(b, k.s...)
}

func (k *keyColumn) String() string {
	if k.bytes {
		return string(k.b)
	}
	return k.s
}

// tallyTable is the table of folded tallies Count reads for f and groupBy: the register
// tallies when neither names a dimension they lack.
func tallyTable(f Filter, groupBy []Dim) string {
	for _, c := range f {
		if !slices.Contains(registerDims, c.Dim) {
			return "entity_tallies"
		}
	}
	for _, d := range groupBy {
		if !slices.Contains(registerDims, d) {
			return "entity_tallies"
		}
	}
	return "entity_register_tallies"
}

// Total is Count without groups: how many entities f admits.
func (s *Store) Total(ctx context.Context, f Filter) (int64, error) {
	gs, err := s.Count(ctx, f, nil, 0)
	if err != nil {
		return 0, err
	}
	return gs[0].N, nil
}

// key is one tally key in Dims order.
type key [6]string

// Compact folds up to limit deltas into entity_tallies in one transaction and returns how many
// it folded. Compactors on several instances may run at once: on MariaDB each takes the
// deltas no other holds (SKIP LOCKED) and writes tally rows in key order, so they neither
// count a delta twice nor deadlock on each other; writers, which only append deltas, never
// wait for a compactor.
func (s *Store) Compact(ctx context.Context, limit int) (int, error) {
	var opts *sql.TxOptions
	lock := ""
	if s.Dialect == dialect.MySQL {
		// Read committed takes no gap locks, so the writers' appends pass the compactor's.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
		lock = " FOR UPDATE SKIP LOCKED"
	}
	tx, err := s.DB.BeginTx(ctx, opts)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id, %s, n FROM entity_tally_deltas ORDER BY id LIMIT %d%s", dimList(), limit, lock))
	if err != nil {
		return 0, fmt.Errorf("tally: reading deltas: %w", err)
	}
	sums := map[key]int64{}
	var ids []any
	for rows.Next() {
		var (
			id int64
			k  key
			n  int64
		)
		if err := rows.Scan(&id, &k[0], &k[1], &k[2], &k[3], &k[4], &k[5], &n); err != nil {
			rows.Close()
			return 0, err
		}
		sums[k] += n
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	ks := make([]key, 0, len(sums))
	for k, n := range sums {
		if n != 0 {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, lockOrder)
	if err := upsert(ctx, tx, s.Dialect, ks, sums); err != nil {
		return 0, err
	}
	for chunk := range slices.Chunk(ids, 1000) {
		q := deleteDeltas(s.Dialect, len(chunk))
		if _, err := tx.ExecContext(ctx, q, chunk...); err != nil {
			return 0, fmt.Errorf("tally: removing folded deltas: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// deleteDeltas is the statement that deletes n deltas by id. On MariaDB the ids are joined to
// the table by its primary key, in that order (STRAIGHT_JOIN), so it locks the named rows
// alone: with the ids in an IN list MariaDB deleted by scanning a small deltas table (EXPLAIN:
// ALL; FORCE INDEX did not change it), waiting on every delta another compactor held. Behind
// a new build's DDL on entity_tallies, which waits for the compactor, that wait became a cycle
// through a metadata lock that InnoDB does not detect, held until the lock wait timed out
// (50 s by default). The short lock wait stays as a bound, should a plan ever wait again.
func deleteDeltas(d string, n int) string {
	if d != dialect.MySQL {
		return "DELETE FROM entity_tally_deltas WHERE id IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	ids := "SELECT ? AS id"
	if n > 1 {
		ids += " UNION ALL VALUES " + strings.TrimSuffix(strings.Repeat("(?), ", n-1), ", ")
	}
	return "SET STATEMENT innodb_lock_wait_timeout = 2 FOR DELETE d FROM (" + ids + ") ids STRAIGHT_JOIN entity_tally_deltas d ON d.id = ids.id"
}

// lockOrder is the order in which compactors and rebuilds write tally rows: by the register
// key first, so the register tallies' rows, which the triggers write with each, are taken in
// their order too, and two compactors never wait on each other in a circle.
func lockOrder(a, b key) int {
	for _, i := range lockPositions {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// lockPositions are the places in a key of the register dimensions, then of the others.
var lockPositions = func() []int {
	var ps []int
	for i, d := range Dims {
		if slices.Contains(registerDims, d) {
			ps = append(ps, i)
		}
	}
	for i, d := range Dims {
		if !slices.Contains(registerDims, d) {
			ps = append(ps, i)
		}
	}
	return ps
}()

// upsert adds sums[k] to the tally row of each k, creating the rows that are missing.
func upsert(ctx context.Context, tx *sql.Tx, d string, ks []key, sums map[key]int64) error {
	conflict := " ON CONFLICT (" + dimList() + ") DO UPDATE SET n = entity_tallies.n + excluded.n"
	if d == dialect.MySQL {
		conflict = " ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
	}
	for chunk := range slices.Chunk(ks, 500) {
		args := make([]any, 0, len(chunk)*7)
		for _, k := range chunk {
			for _, v := range k {
				args = append(args, v)
			}
			args = append(args, sums[k])
		}
		q := "INSERT INTO entity_tallies (" + dimList() + ", n) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ") + conflict
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("tally: adding to the tallies: %w", err)
		}
	}
	return nil
}

// Rebuild recounts the tallies from market_entities, replacing what they held. It holds the
// entities against change while it counts (a shared lock on every row on MariaDB, SQLite's
// one writer lock there), so the result is exact even while others write: a write waits and
// is counted by its delta after.
func (s *Store) Rebuild(ctx context.Context) error { return s.rebuild(ctx, nil) }

// rebuild is Rebuild, recording the triggers named in mark as installed in its transaction.
func (s *Store) rebuild(ctx context.Context, mark []string) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.Dialect == dialect.MySQL {
		// The locking read waits for writers in flight and keeps new ones out; the GROUP BY
		// after it reads a snapshot taken once they are in.
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_entities FORCE INDEX (PRIMARY) LOCK IN SHARE MODE").Scan(&n); err != nil {
			return fmt.Errorf("tally: holding the entities: %w", err)
		}
	}
	// On SQLite the transaction is immediate (storage's DSN): it holds the one writer lock.
	sums, err := sum(ctx, tx, len(Dims), entityCounts)
	if err != nil {
		return fmt.Errorf("tally: counting the entities: %w", err)
	}
	// Deleting the tallies takes them off the register tallies (their triggers); those are then
	// cleared whatever they held, and the upsert below refills them.
	for _, q := range []string{"DELETE FROM entity_tally_deltas", "DELETE FROM entity_tallies", "DELETE FROM entity_register_tallies"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("tally: clearing: %w", err)
		}
	}
	ks := make([]key, 0, len(sums))
	for k := range sums {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, lockOrder)
	if err := upsert(ctx, tx, s.Dialect, ks, sums); err != nil {
		return err
	}
	if err := s.markInstalled(ctx, tx, mark); err != nil {
		return err
	}
	return tx.Commit()
}

// rebuildRegister refills the register tallies from entity_tallies, which hold the same counts
// by more dimensions: a few thousand rows where Rebuild counts every entity. It holds the
// tally rows against the compactors while it reads them (a shared lock on every row and the
// gaps between on MariaDB, the writer lock on SQLite); a compactor that folds after it changes
// the register tallies through their triggers.
func (s *Store) rebuildRegister(ctx context.Context, mark []string) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	lock := ""
	if s.Dialect == dialect.MySQL {
		lock = " LOCK IN SHARE MODE"
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM entity_tallies FORCE INDEX (PRIMARY)"+lock).Scan(&n); err != nil {
			return fmt.Errorf("tally: holding the tallies: %w", err)
		}
	}
	reg := dims(registerDims)
	sums, err := sum(ctx, tx, len(registerDims), "SELECT "+reg+", SUM(n) FROM entity_tallies GROUP BY "+reg+lock)
	if err != nil {
		return fmt.Errorf("tally: summing the tallies: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM entity_register_tallies"); err != nil {
		return fmt.Errorf("tally: clearing the register tallies: %w", err)
	}
	ks := make([]key, 0, len(sums))
	for k, n := range sums {
		if n != 0 {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b key) int { return slices.Compare(a[:], b[:]) })
	for chunk := range slices.Chunk(ks, 500) {
		args := make([]any, 0, len(chunk)*(len(registerDims)+1))
		for _, k := range chunk {
			for _, v := range k[:len(registerDims)] {
				args = append(args, v)
			}
			args = append(args, sums[k])
		}
		q := "INSERT INTO entity_register_tallies (" + reg + ", n) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("tally: filling the register tallies: %w", err)
		}
	}
	if err := s.markInstalled(ctx, tx, mark); err != nil {
		return err
	}
	return tx.Commit()
}

// sum reads rows of n key columns and a count into sums by key (the key's first n places).
func sum(ctx context.Context, tx *sql.Tx, n int, q string) (map[key]int64, error) {
	sums := map[key]int64{}
	return sums, addUp(ctx, tx, sums, n, q)
}

// addUp adds the counts of q's rows, n key columns and a count, to sums.
func addUp(ctx context.Context, tx *sql.Tx, sums map[key]int64, n int, q string) error {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k key
			c int64
		)
		dest := make([]any, 0, n+1)
		for i := range n {
			dest = append(dest, &k[i])
		}
		if err := rows.Scan(append(dest, &c)...); err != nil {
			return err
		}
		sums[k] += c
	}
	return rows.Err()
}

// entityCounts is the query that counts market_entities by the whole key.
const entityCounts = "SELECT COALESCE(city_code, ''), division_code, COALESCE(risk_tier, ''), COALESCE(credit_grade, ''), entity_kind, status, COUNT(*) FROM market_entities GROUP BY 1, 2, 3, 4, 5, 6"

// verify records the named triggers, which are in place, as installed when the counts they
// feed agree with counting the entities; it answers whether they did. It reads one snapshot
// and locks nothing, so writers go on: where the counts agree at a moment when the triggers
// were already in place, the triggers keep them. That is a database of the build before
// tally_installs, whose Install finished; one whose Install stopped before its rebuild
// disagrees (unless nothing was written before its triggers) and is rebuilt.
func (s *Store) verify(ctx context.Context, mark []string) (bool, error) {
	var opts *sql.TxOptions
	if s.Dialect == dialect.MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead} // one snapshot for every read
	}
	tx, err := s.DB.BeginTx(ctx, opts)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	want, err := sum(ctx, tx, len(Dims), entityCounts)
	if err != nil {
		return false, fmt.Errorf("tally: counting the entities: %w", err)
	}
	got := map[key]int64{}
	for _, q := range []string{
		"SELECT " + dimList() + ", n FROM entity_tallies",
		"SELECT " + dimList() + ", SUM(n) FROM entity_tally_deltas GROUP BY " + dimList(),
	} {
		if err := addUp(ctx, tx, got, len(Dims), q); err != nil {
			return false, fmt.Errorf("tally: reading the tallies: %w", err)
		}
	}
	register, err := sum(ctx, tx, len(registerDims), "SELECT "+dims(registerDims)+", n FROM entity_register_tallies")
	if err != nil {
		return false, fmt.Errorf("tally: reading the register tallies: %w", err)
	}
	wantRegister := map[key]int64{}
	for k, n := range want {
		var r key
		for i, p := range lockPositions[:len(registerDims)] {
			r[i] = k[p]
		}
		wantRegister[r] += n
	}
	if !sameCounts(got, want) || !sameCounts(register, wantRegister) {
		return false, nil
	}
	if err := s.markInstalled(ctx, tx, mark); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// sameCounts reports whether a and b hold the same counts, a key missing counting as 0.
func sameCounts(a, b map[key]int64) bool {
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	for k, n := range b {
		if a[k] != n {
			return false
		}
	}
	return true
}

// markInstalled records in tx that the named triggers are in place and their counts rebuilt.
func (s *Store) markInstalled(ctx context.Context, tx *sql.Tx, names []string) error {
	upsert := " ON CONFLICT (trigger_name) DO UPDATE SET installed_at = excluded.installed_at"
	if s.Dialect == dialect.MySQL {
		upsert = " ON DUPLICATE KEY UPDATE installed_at = VALUES(installed_at)"
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tally_installs (trigger_name, installed_at) VALUES (?, ?)"+upsert, name, now); err != nil {
			return fmt.Errorf("tally: recording trigger %s: %w", name, err)
		}
	}
	return nil
}

func dimList() string { return dims(Dims) }

// dims renders a list of dimensions as columns.
func dims(ds []Dim) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

// row renders the key of the OLD or NEW row of a trigger, NULLs as ”.
func row(which string) string {
	s := make([]string, len(Dims))
	for i, d := range Dims {
		s[i] = which + "." + string(d)
		if nullable[d] {
			s[i] = "COALESCE(" + s[i] + ", '')"
		}
	}
	return strings.Join(s, ", ")
}

// changed is the trigger condition that an update moved the row to another key.
func changed(d string) string {
	same := "<=>"
	if d == dialect.SQLite {
		same = "IS"
	}
	s := make([]string, len(Dims))
	for i, dim := range Dims {
		s[i] = fmt.Sprintf("OLD.%s %s NEW.%s", dim, same, dim)
	}
	return "NOT (" + strings.Join(s, " AND ") + ")"
}

// triggers are the statements that create the triggers, by name: three on market_entities
// that append deltas, three on entity_tallies that carry each change of a tally row to the
// register tallies. The names carry a version: a change of what they count gets new names,
// and Install rebuilds.
func triggers(d string) map[string]string {
	ins := "INSERT INTO entity_tally_deltas (" + dimList() + ", n) VALUES "
	added, removed := "("+row("NEW")+", 1)", "("+row("OLD")+", -1)"
	reg := "INSERT INTO entity_register_tallies (" + dims(registerDims) + ", n) VALUES "
	regNew, regOld := "("+tallyRow("NEW")+", NEW.n)", "("+tallyRow("OLD")+", -OLD.n)"
	regUpsert := " ON CONFLICT (" + dims(registerDims) + ") DO UPDATE SET n = entity_register_tallies.n + excluded.n"
	if d == dialect.MySQL {
		regUpsert = " ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
		return map[string]string{
			"market_entities_tally_insert_v1": "CREATE TRIGGER IF NOT EXISTS market_entities_tally_insert_v1 AFTER INSERT ON market_entities FOR EACH ROW " + ins + added,
			"market_entities_tally_update_v1": "CREATE TRIGGER IF NOT EXISTS market_entities_tally_update_v1 AFTER UPDATE ON market_entities FOR EACH ROW IF " +
				changed(d) + " THEN " + ins + removed + ", " + added + "; END IF",
			"market_entities_tally_delete_v1":   "CREATE TRIGGER IF NOT EXISTS market_entities_tally_delete_v1 AFTER DELETE ON market_entities FOR EACH ROW " + ins + removed,
			"entity_tallies_register_insert_v1": "CREATE TRIGGER IF NOT EXISTS entity_tallies_register_insert_v1 AFTER INSERT ON entity_tallies FOR EACH ROW " + reg + regNew + regUpsert,
			"entity_tallies_register_update_v1": "CREATE TRIGGER IF NOT EXISTS entity_tallies_register_update_v1 AFTER UPDATE ON entity_tallies FOR EACH ROW " + reg + regOld + ", " + regNew + regUpsert,
			"entity_tallies_register_delete_v1": "CREATE TRIGGER IF NOT EXISTS entity_tallies_register_delete_v1 AFTER DELETE ON entity_tallies FOR EACH ROW " + reg + regOld + regUpsert,
		}
	}
	return map[string]string{
		"market_entities_tally_insert_v1": "CREATE TRIGGER IF NOT EXISTS market_entities_tally_insert_v1 AFTER INSERT ON market_entities BEGIN " + ins + added + "; END",
		"market_entities_tally_update_v1": "CREATE TRIGGER IF NOT EXISTS market_entities_tally_update_v1 AFTER UPDATE ON market_entities WHEN " +
			changed(d) + " BEGIN " + ins + removed + ", " + added + "; END",
		"market_entities_tally_delete_v1":   "CREATE TRIGGER IF NOT EXISTS market_entities_tally_delete_v1 AFTER DELETE ON market_entities BEGIN " + ins + removed + "; END",
		"entity_tallies_register_insert_v1": "CREATE TRIGGER IF NOT EXISTS entity_tallies_register_insert_v1 AFTER INSERT ON entity_tallies BEGIN " + reg + regNew + regUpsert + "; END",
		"entity_tallies_register_update_v1": "CREATE TRIGGER IF NOT EXISTS entity_tallies_register_update_v1 AFTER UPDATE ON entity_tallies BEGIN " + reg + regOld + ", " + regNew + regUpsert + "; END",
		"entity_tallies_register_delete_v1": "CREATE TRIGGER IF NOT EXISTS entity_tallies_register_delete_v1 AFTER DELETE ON entity_tallies BEGIN " + reg + regOld + regUpsert + "; END",
	}
}

// tallyRow renders the register key of the OLD or NEW row of a trigger on entity_tallies.
func tallyRow(which string) string {
	s := make([]string, len(registerDims))
	for i, d := range registerDims {
		s[i] = which + "." + string(d)
	}
	return strings.Join(s, ", ")
}

// Install creates the triggers that are missing and rebuilds the counts they feed from what
// is already stored. A trigger counts as installed once the rebuild after its creation has
// committed (its row in tally_installs, written in the rebuild's transaction): an Install
// that stopped between the two, or whose rebuild clashed, is finished by the next. Triggers
// in place but not recorded are recorded without a rebuild when the counts agree with the
// entities (verify, which locks nothing). When only the register tallies' triggers are new,
// their counts are summed from entity_tallies rather than from every entity. A rebuild that
// clashes with a writer is run again a few times. It is idempotent; storage.Migrate runs it
// after the tables exist.
func (s *Store) Install(ctx context.Context) error {
	ts := triggers(s.Dialect)
	names := make([]any, 0, len(ts))
	for name := range ts {
		names = append(names, name)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
	q := "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN (" + marks + ")"
	if s.Dialect == dialect.MySQL {
		q = "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN (" + marks + ")"
	}
	present, err := s.names(ctx, q, names...)
	if err != nil {
		return fmt.Errorf("tally: looking for the triggers: %w", err)
	}
	installed, err := s.names(ctx, "SELECT trigger_name FROM tally_installs")
	if err != nil {
		return fmt.Errorf("tally: reading the installed triggers: %w", err)
	}
	var unfinished []string
	missing := false
	for name := range ts {
		if !present[name] || !installed[name] {
			unfinished = append(unfinished, name)
			missing = missing || !present[name]
		}
	}
	if len(unfinished) == 0 {
		return nil
	}
	slices.Sort(unfinished)
	if !missing {
		// Every trigger is in place; some were never recorded as installed.
		if ok, err := s.verify(ctx, unfinished); err != nil || ok {
			return err
		}
	}
	for _, name := range unfinished {
		if _, err := s.DB.ExecContext(ctx, ts[name]); err != nil { // IF NOT EXISTS
			return fmt.Errorf("tally: creating trigger %s: %w", name, err)
		}
	}
	rebuild := s.rebuild
	if !slices.ContainsFunc(unfinished, func(name string) bool { return !strings.HasPrefix(name, "entity_tallies_register_") }) {
		rebuild = s.rebuildRegister
	}
	for n := 1; ; n++ {
		err := rebuild(ctx, unfinished)
		if err == nil || !derrors.WriteClash(err) || n == maxRebuilds || !derrors.AfterClash(ctx, n) {
			return err
		}
	}
}

// maxRebuilds is how many times Install runs a rebuild that clashed with a writer.
const maxRebuilds = 5

// names runs q and answers the first column of its rows as a set.
func (s *Store) names(ctx context.Context, q string, args ...any) (map[string]bool, error) {
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		set[name] = true
	}
	return set, rows.Err()
}

// Keep compacts every interval until ctx ends, folding deltas in chunks of compactChunk until
// none are left, so a count sums at most the tally rows and about an interval's worth of
// deltas. warn hears the errors (a deadlock with another instance's compactor is one; the
// next round tries again).
func (s *Store) Keep(ctx context.Context, interval time.Duration, warn func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.Compact(ctx, compactChunk)
			if err != nil && ctx.Err() == nil {
				warn(err)
			}
			if err != nil || n < compactChunk {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// compactChunk is how many deltas one compaction folds: a transaction of a few milliseconds.
const compactChunk = 10000
