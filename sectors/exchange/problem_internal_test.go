package exchange

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// ormWords are what the batch, the ORM and the databases put in their errors.
var ormWords = regexp.MustCompile(`input\[|\bent[:/]|Error \d|INSERT|UPDATE|constraint failed|validator failed|deny rule`)

// Every kind of row fault the write engine names a row for (ledger.RowFault) is reported in the
// API's words: not prefixed with the batch's input[i] (the report names the row by its line),
// not in the ORM's or the database's terms. The ORM's errors are real ones, from the database.
func TestRowProblemsAreWordedForTheReport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		create := func(uscc, name string) error {
			return db.Client.MarketEntity.Create().SetUscc(uscc).SetName(name).Exec(ctx)
		}
		if err := create("91320214745555318W", "甲"); err != nil {
			t.Fatal(err)
		}
		_, notFound := db.Client.MarketEntity.Get(ctx, 1<<30)
		faults := map[string]error{
			"field":      derrors.Field("decisionDate", "is after today"),
			"validation": create("913205056082348768", strings.Repeat("名", 300)),
			"constraint": create("91320214745555318W", "乙"),
			"not found":  notFound,
			"NotFound":   fmt.Errorf("%w: no entity with USCC 91320214745555318W", derrors.NotFound),
			"Conflict":   fmt.Errorf("%w: personID: a prior notice first", derrors.Conflict),
			"Forbidden":  fmt.Errorf("%w: the department does not write this sector", derrors.Forbidden),
			"Invalid":    fmt.Errorf("%w: the dates are the wrong way round", derrors.InvalidArgument),
			"denied":     fmt.Errorf("%w: %w: %s", privacy.Deny, derrors.Forbidden, "the department does not write this sector"),
			"Deny":       privacy.Denyf("no viewer"),
		}
		for name, fault := range faults {
			if fault == nil || !ledger.RowFault(fault) {
				t.Fatalf("%s: %v is not a row fault; the table lost its reach", name, fault)
			}
			err := derrors.Row("input", 3, fault)
			m := rowField.FindStringSubmatch(err.Error())
			if m == nil || m[1] != "3" {
				t.Errorf("%s: %q does not name its row", name, err)
				continue
			}
			field, msg := rowProblem(err, m[2])
			if testing.Verbose() {
				t.Logf("%s: column %q: %s", name, field, msg)
			}
			if ormWords.MatchString(msg) {
				t.Errorf("%s: the report would say %q", name, msg)
			}
			if msg == "" {
				t.Errorf("%s: no problem text", name)
			}
		}
	})
}
