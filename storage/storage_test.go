package storage_test

import (
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, dialect, dsnHas, errHas string
	}{
		{in: "", dialect: "sqlite3", dsnHas: "file:./creditgraph.db?_pragma=foreign_keys(1)"},
		{in: "/var/lib/cg.db", dialect: "sqlite3", dsnHas: "file:/var/lib/cg.db?"},
		{in: "file:x.db?mode=rwc", dialect: "sqlite3", dsnHas: "file:x.db?_pragma"},
		{in: "mysql://cg:s3cret@db.internal:3307/credit", dialect: "mysql", dsnHas: "cg:s3cret@tcp(db.internal:3307)/credit?"},
		{in: "mysql://root@127.0.0.1/credit", dialect: "mysql", dsnHas: "root@tcp(127.0.0.1:3306)/credit?"},
		{in: "mysql://root@127.0.0.1:3306/", errHas: "names no database"},
	}
	for _, tt := range tests {
		got, err := storage.ParseTarget(tt.in)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("ParseTarget(%q) error = %v, want %q", tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil || got.Dialect != tt.dialect || !strings.Contains(got.DSN, tt.dsnHas) {
			t.Errorf("ParseTarget(%q) = %+v, %v; want dialect %s and DSN containing %q", tt.in, got, err, tt.dialect, tt.dsnHas)
		}
		if strings.Contains(got.Where, "s3cret") || got.Where == "" {
			t.Errorf("ParseTarget(%q).Where = %q: empty or carries the password", tt.in, got.Where)
		}
		if tt.dialect == "mysql" && !strings.Contains(got.DSN, "parseTime=true") {
			t.Errorf("ParseTarget(%q): MySQL DSN %q lacks parseTime=true", tt.in, got.DSN)
		}
	}
}
