package seed

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// On MariaDB the loader sends each table's rows as one LOAD DATA LOCAL INFILE, the rows
// streamed from memory through the driver's reader handler: the server reads tab-separated
// fields instead of parsing a statement of 60,000 literals, which was a third of its work in a
// load (BENCHMARKS.md). LOAD DATA LOCAL turns what an INSERT refuses — a value that does not
// fit, a duplicate key — into a warning and goes on, so loadData checks that every row was
// stored and that the server warned of nothing, and fails the batch otherwise: a load stays
// exact or stops.

// fieldBuffers keep the encoded rows' buffers between batches, grown to a batch's size.
var fieldBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// loadDataSeq names each load's reader uniquely: the driver's handlers are process-wide.
var loadDataSeq atomic.Int64

// loadData writes rows lo … hi-1 of r in one LOAD DATA LOCAL INFILE on tx.
func (r *rowSet) loadData(ctx context.Context, tx *sql.Tx, lo, hi int) error {
	buf := fieldBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer fieldBuffers.Put(buf) // after the statement, which has read it
	vals := r.vals[lo*len(r.cols) : hi*len(r.cols)]
	for i, v := range vals {
		if i > 0 {
			if i%len(r.cols) == 0 {
				buf.WriteByte('\n')
			} else {
				buf.WriteByte('\t')
			}
		}
		if err := appendField(buf, v); err != nil {
			return fmt.Errorf("loading %s, column %s: %w", r.table, r.cols[i%len(r.cols)], err)
		}
	}
	buf.WriteByte('\n')
	name := "creditgraph-seed-" + strconv.FormatInt(loadDataSeq.Add(1), 10)
	data := buf.Bytes()
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(data) })
	defer mysql.DeregisterReaderHandler(name)
	// CHARACTER SET binary: the bytes go into each column as they are, UTF-8 text and sealed
	// ID numbers alike. The separators are LOAD DATA's defaults (tab, backslash, newline),
	// spelled out in hex so that they mean the same under any sql_mode (NO_BACKSLASH_ESCAPES
	// would make '\t' two characters).
	q := "LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE `" + r.table + "` CHARACTER SET binary " +
		"FIELDS TERMINATED BY X'09' ESCAPED BY X'5C' LINES TERMINATED BY X'0A' " +
		"(`" + strings.Join(r.cols, "`, `") + "`)"
	res, err := tx.ExecContext(ctx, q)
	if err != nil {
		return fmt.Errorf("loading %s: %w", r.table, err)
	}
	warnings, err := showWarnings(ctx, tx)
	if err != nil {
		return fmt.Errorf("loading %s: %w", r.table, err)
	}
	if len(warnings) > 0 {
		return fmt.Errorf("loading %s: the server changed or skipped values: %s", r.table, strings.Join(warnings, "; "))
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(hi-lo) {
		return fmt.Errorf("loading %s: %d rows stored of %d sent (%v)", r.table, n, hi-lo, err)
	}
	return nil
}

// showWarnings returns the first few warnings (and notes) of the statement before.
func showWarnings(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SHOW WARNINGS LIMIT 5")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s %d: %s", level, code, msg))
	}
	return out, rows.Err()
}

// appendField writes v as one field of LOAD DATA's default format: \N for NULL, the escapes
// for backslash, tab, newline, carriage return and NUL, and each type as the driver's own
// interpolation would write it (times in UTC, a day at midnight as a bare date).
func appendField(buf *bytes.Buffer, v any) error {
	if val, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = val.Value(); err != nil {
			return err
		}
	}
	switch v := v.(type) {
	case nil:
		buf.WriteString(`\N`)
	case string:
		escapeField(buf, v)
	case []byte:
		escapeField(buf, string(v))
	case int:
		buf.WriteString(strconv.Itoa(v))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case float64:
		buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case bool:
		if v {
			buf.WriteByte('1')
		} else {
			buf.WriteByte('0')
		}
	case time.Time:
		v = v.UTC()
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			buf.WriteString(v.Format(time.DateOnly))
		} else {
			buf.WriteString(v.Format("2006-01-02 15:04:05.999999999"))
		}
	case *time.Time:
		if v == nil {
			buf.WriteString(`\N`)
			return nil
		}
		return appendField(buf, *v)
	default:
		return fmt.Errorf("no field form for a %T", v)
	}
	return nil
}

func escapeField(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf.WriteString(`\\`)
		case '\t':
			buf.WriteString(`\t`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case 0:
			buf.WriteString(`\0`)
		default:
			buf.WriteByte(c)
		}
	}
}
