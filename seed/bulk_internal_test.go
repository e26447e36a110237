package seed

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// BenchmarkBulkDraw measures the loader's own work per entity (drawing, sealing, evaluating),
// without the database writes.
//
//	go test ./seed -run '^$' -bench BulkDraw -benchmem
func BenchmarkBulkDraw(b *testing.B) {
	db := storagetest.OpenSQLite(b, storagetest.Options{})
	ctx := authz.SystemContext(context.Background())
	if err := Reference(ctx, db.Client); err != nil {
		b.Fatal(err)
	}
	l, err := newLoader(ctx, db, BulkOptions{Seed: 1, AsOf: DefaultOptions().AsOf, Cipher: storagetest.TestCipher()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.build(i, i+1000)
		i += 1000
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "entities/s")
}

// On MariaDB the loader writes with LOAD DATA LOCAL INFILE; what it stores must be what the
// INSERT it replaced stored, for every kind of value it sends: text with the format's own
// separators and escapes in it, Chinese, bytes that are not UTF-8, NULL in every column,
// days, instants to the microsecond, decimals, floats, booleans. And where LOAD DATA would only
// warn — a value that does not fit, a duplicate key — the load fails instead.
func TestLoadDataStoresWhatInsertStores(t *testing.T) {
	db := storagetest.OpenMySQL(t, storagetest.Options{})
	ctx := context.Background()
	const cols = "(id BIGINT PRIMARY KEY, s VARCHAR(64), t LONGTEXT, b VARBINARY(64), d DATE, dt DATETIME(6), " +
		"amount DECIMAL(18,6), f DOUBLE, flag BOOL, n BIGINT, js LONGTEXT CHECK (JSON_VALID(js)))"
	for _, table := range []string{"by_insert", "by_load", "by_load_nbe"} {
		if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE "+table+" "+cols+" DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"); err != nil {
			t.Fatal(err)
		}
	}
	sealed := make([]byte, 64)
	for i := range sealed {
		sealed[i] = byte(i * 4) // 0x00, 0x5c (a backslash), 0x09 (a tab) … and bytes UTF-8 has no place for
	}
	noon := time.Date(2026, 3, 1, 12, 30, 5, 123456000, time.UTC)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cst := time.FixedZone("CST", 8*3600)
	rows := [][]any{
		{int64(1), "a\tb\nc\rd\\e", "\\N", sealed, day, noon, decimal.RequireFromString("12345.678901"), 0.1, true, int64(-7), `{"a":"\t"}`},
		{int64(2), "江苏省市场监督管理局", "行政处罚决定书\x00文号", []byte{}, &day, &noon, decimal.Zero, 1e15, false, 0, `[]`},
		{int64(3), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(4), "", "N", []byte(`\N`), (*time.Time)(nil), noon.In(cst), decimal.RequireFromString("-0.000001"), -2.5, true, int64(1) << 40, `{"b":"\\"}`},
	}
	for _, target := range []struct {
		table string
		write func(*rowSet, *sql.Tx) error
	}{
		{"by_insert", func(r *rowSet, tx *sql.Tx) error { return r.insert(ctx, tx, 60000) }},
		{"by_load", func(r *rowSet, tx *sql.Tx) error { return r.loadData(ctx, tx, 0, r.n()) }},
		// A server whose sql_mode has NO_BACKSLASH_ESCAPES reads string literals otherwise.
		{"by_load_nbe", func(r *rowSet, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"); err != nil {
				return err
			}
			defer tx.ExecContext(ctx, "SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')")
			return r.loadData(ctx, tx, 0, r.n())
		}},
	} {
		r := newRows(target.table, "id", "s", "t", "b", "d", "dt", "amount", "f", "flag", "n", "js")
		for _, row := range rows {
			r.add(row...)
		}
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := target.write(r, tx); err != nil {
			_ = tx.Rollback() // or the cleanup's DROP DATABASE waits for its locks
			t.Fatalf("%s: %v", target.table, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	read := func(table string) [][]string {
		rs, err := db.SQL.QueryContext(ctx, "SELECT id, s, t, HEX(b), d, dt, amount, f, flag, n, js FROM "+table+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out [][]string
		for rs.Next() {
			vals := make([]sql.NullString, 11)
			dest := make([]any, len(vals))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rs.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = "NULL"
				if v.Valid {
					row[i] = "'" + v.String + "'"
				}
			}
			out = append(out, row)
		}
		return out
	}
	inserted, loaded := read("by_insert"), read("by_load")
	if len(inserted) != len(rows) {
		t.Fatalf("the INSERT stored %d rows of %d", len(inserted), len(rows))
	}
	if !reflect.DeepEqual(inserted, loaded) {
		t.Errorf("LOAD DATA stored\n%q\nwhere INSERT stored\n%q", loaded, inserted)
	}
	if nbe := read("by_load_nbe"); !reflect.DeepEqual(inserted, nbe) {
		t.Errorf("LOAD DATA under NO_BACKSLASH_ESCAPES stored\n%q\nwhere INSERT stored\n%q", nbe, inserted)
	}

	// What an INSERT refuses, the load refuses too, and the transaction stores nothing.
	for name, row := range map[string][]any{
		"a value too long for its column": {int64(10), strings.Repeat("长", 65), nil, nil, nil, nil, nil, nil, nil, nil, nil},
		"a duplicate key":                 {int64(1), "again", nil, nil, nil, nil, nil, nil, nil, nil, nil},
		"a malformed day":                 {int64(11), nil, nil, nil, "2026-02-30", nil, nil, nil, nil, nil, nil},
	} {
		r := newRows("by_load", "id", "s", "t", "b", "d", "dt", "amount", "f", "flag", "n", "js")
		r.add(row...)
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.loadData(ctx, tx, 0, 1); err == nil {
			t.Errorf("%s: loaded without an error", name)
		}
		_ = tx.Rollback()
	}
	if got := read("by_load"); !reflect.DeepEqual(got, loaded) {
		t.Errorf("after the refused loads the table holds\n%q\nwant\n%q", got, loaded)
	}
}
