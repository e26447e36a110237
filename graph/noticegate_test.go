package graph_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A person is listed only if, on the listing date, the procedure of prior notice was complete
// (domain.md §7): a notice of the listing department's sector for the list was served by then,
// and by then its reply deadline had passed without a reply, or its reply had been handled — a
// person who replied (statements, a hearing request) is heard before being listed, however
// late the department is; a reply handled after the listing date does not make an earlier
// listing lawful, as a deadline passing after it does not. Notices are generated with replies handled on, before and after the days
// tried, replies not handled, and notices of another sector or list; every listing date around
// them is tried through the write engine (every writer's path), and the answer — written, or
// CONFLICT naming personID with nothing written — is compared with the rule over the rows read
// back by SQL.
func TestPersonListingNeedsTheNoticeCompleteOnItsDate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 12)
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		r := rand.New(rand.NewPCG(7, 11))
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		market, labour := env.departmentID("market-320500"), env.departmentID("labour-320200")
		persons := sqlIDs(t, env, `SELECT id FROM natural_persons ORDER BY id LIMIT 12`)
		if len(persons) < 12 {
			t.Fatalf("want 12 demo persons, got %d", len(persons))
		}
		const list = listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST
		decided, written, seq := map[string]int{}, 0, 0
		for i, p := range persons {
			pid := atoi(t, p)
			served := -60 + r.IntN(10)
			deadline := served + 10 + r.IntN(10)
			handled := deadline - 5 + r.IntN(15) // before, on or after the deadline
			dep, lt := market, string(list)
			switch i % 6 {
			case 4:
				dep = labour // another sector's notice allows nothing here
			case 5:
				lt = string(listentry.ListTypeMS_ABNORMAL_OPERATION) // another list's
			}
			n, err := c.PriorNotice.Create().SetDepartmentID(dep).SetPersonID(pid).SetNoticeNo(fmt.Sprintf("NG-%d", i)).SetListType(lt).
				SetFacts("f").SetServedOn(day(served)).SetServiceMethod(priornotice.ServiceMethodPOST).SetReplyDeadline(day(deadline)).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			switch i % 3 {
			case 1: // replied, handled on a day of its own
				if _, err := env.db.SQL.Exec(`UPDATE prior_notices SET replied_on = ?, statements = 's', reply_handled = TRUE, handled_on = ?, outcome = 'o' WHERE id = ?`,
					day(served+1), day(min(handled, 0)), n.ID); err != nil {
					t.Fatal(err)
				}
			case 2: // replied, not handled yet
				if _, err := env.db.SQL.Exec(`UPDATE prior_notices SET replied_on = ?, statements = 's' WHERE id = ?`, day(served+1), n.ID); err != nil {
					t.Fatal(err)
				}
			}
			for _, on := range []int{served - 1, served, deadline - 1, deadline, deadline + 1, handled - 1, handled, handled + 1} {
				if on > 0 {
					continue // a listing date is never in the future
				}
				want, rule := noticeGateOracle(t, env, pid, string(list), "MARKET", day(on))
				decided[rule]++
				seq++
				no := fmt.Sprintf("NG-L%d", seq)
				before := env.count("list_entries", "")
				err := c.ListEntry.Create().SetDepartmentID(market).SetPersonID(pid).SetSourceSystem("ng").SetSourceRecordID(no).
					SetSeverity(vocab.Serious).SetListType(list).SetListedOn(day(on)).SetReason("r").SetBasis("b").SetDecisionNo(no).Exec(ctx)
				switch {
				case want && err != nil:
					t.Errorf("person %d listed on %s (%s): %v; the notice was complete then", pid, day(on).Format(time.DateOnly), rule, err)
				case !want && err == nil:
					t.Errorf("person %d listed on %s (%s): written; no notice was complete then", pid, day(on).Format(time.DateOnly), rule)
				case !want && (!errors.Is(err, derrors.Conflict) || env.count("list_entries", "") != before):
					t.Errorf("person %d listed on %s: %v, %d rows more; want CONFLICT and nothing written", pid, day(on).Format(time.DateOnly), err, env.count("list_entries", "")-before)
				}
				if err == nil {
					written++
				}
			}
		}
		for _, rule := range []string{"deadline passed", "handled by then", "handled only later", "deadline not passed", "not served yet", "no notice of the kind",
			"replied, deadline passed, not handled by then"} {
			if decided[rule] == 0 {
				t.Errorf("no listing was decided by %q: the test proves nothing there (%v)", rule, decided)
			}
		}
		if written == 0 {
			t.Error("no listing was written")
		}
	})
}

// noticeGateOracle says whether a notice to the person, of the sector, for the list was complete
// on day, read back by SQL, and the rule that decided it.
func noticeGateOracle(t *testing.T, env *testEnv, person int, list, sector string, on time.Time) (bool, string) {
	t.Helper()
	ymd := on.Format(time.DateOnly)
	rows, err := env.db.SQL.Query(`SELECT SUBSTR(n.served_on, 1, 10), SUBSTR(n.reply_deadline, 1, 10), n.reply_handled, COALESCE(SUBSTR(n.handled_on, 1, 10), ''),
		COALESCE(SUBSTR(n.replied_on, 1, 10), '')
		FROM prior_notices n JOIN departments d ON d.id = n.department_id WHERE n.person_id = ? AND n.list_type = ? AND d.sector = ?`, person, list, sector)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rule := "no notice of the kind"
	for rows.Next() {
		var served, deadline, handledOn, replied string
		var handled bool
		if err := rows.Scan(&served, &deadline, &handled, &handledOn, &replied); err != nil {
			t.Fatal(err)
		}
		switch {
		case served > ymd:
			rule = "not served yet"
		case handled && handledOn <= ymd:
			return true, "handled by then"
		case deadline < ymd && replied == "":
			return true, "deadline passed"
		case deadline < ymd:
			rule = "replied, deadline passed, not handled by then"
		case handled:
			rule = "handled only later"
		default:
			rule = "deadline not passed"
		}
	}
	return false, rule
}
