package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A person's restrictions are, for every purpose, exactly what the rules give from the stored
// rows (domain.md §7, §8), compared with an oracle that reads the rows back by SQL: the
// measures of the person's own active listings (SELF), and those of each active listing of an
// entity the person held a role in on the listing date, the role among the measure's, the
// person given prior notice for the listing's kind. The rows are generated: persons with own
// listings and roles at several entities, roles begun or ended around the listing dates,
// listings removed, expired, under objection, exempt or with their measures ended, notices
// complete or still open; the catalogue's measures in force, not yet or no longer.
func TestPersonRestrictionsAreTheRulesOverTheRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 8)
		dateTheCatalogue(t, env) // measures in force, not yet, no longer: only those in force restrict
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		r := rand.New(rand.NewPCG(15, 8))
		entities := sqlColumn[int](t, env, `SELECT id FROM market_entities ORDER BY id LIMIT 6`)
		if len(entities) < 6 {
			t.Fatalf("want 6 demo entities, got %d", len(entities))
		}
		// The lists a market and a labour department keep, both reaching persons.
		kinds := []struct {
			dep  string
			list listentry.ListType
		}{{"market-320500", listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST}, {"market-320500", listentry.ListTypeMS_ABNORMAL_OPERATION},
			{"labour-320200", listentry.ListTypeHR_WAGE_ARREARS}}
		date := func(n int) time.Time { return vocab.SystemClock.Today().AddDate(0, 0, -n) }
		roles := []entityrole.Role{entityrole.RoleLEGAL_REPRESENTATIVE, entityrole.RolePRINCIPAL, entityrole.RoleLEGAL_REPRESENTATIVE,
			entityrole.RolePRINCIPAL, entityrole.RoleDIRECTLY_RESPONSIBLE_MANAGER, entityrole.RoleSHAREHOLDER}
		ids := []string{"32050219800101123", "11010119900307777", "44010619800101001", "32010619700101001", "32010219850505001",
			"32058219751212003", "32050519660606002", "32068219910909004", "32011319820202005", "32092319770707006"}
		var persons []string
		seq := 0
		next := func(p string) string { seq++; return fmt.Sprintf("PR-%s-%d", p, seq) }
		var listed []string // the decision numbers of the listings made
		// The entities' listings, on days the roles below begin and end around.
		listedOn := map[int][]int{} // entity → days before today it was listed
		for _, id := range entities {
			for range 2 + r.IntN(3) {
				kind := kinds[r.IntN(len(kinds))]
				no := next("E")
				listed = append(listed, no)
				on := r.IntN(400)
				listedOn[id] = append(listedOn[id], on)
				if _, err := c.ListEntry.Create().SetDepartmentID(env.departmentID(kind.dep)).SetEntityID(id).
					SetSourceSystem("pr").SetSourceRecordID(no).SetSeverity(vocab.Serious).SetListType(kind.list).
					SetListedOn(date(on)).SetOrderDeadline(date(on + 15)).SetReason("r").SetBasis("b").SetDecisionNo(no).Save(ctx); err != nil {
					t.Fatalf("entity listing: %v", err)
				}
			}
		}
		for pi, first17 := range ids {
			person := env.registerPerson(fmt.Sprintf("受限%d", pi), first17)
			persons = append(persons, person)
			pid := idOf(t, person)
			// Notices: each kind complete long ago, still open, or none.
			complete := map[int]bool{}
			for k, kind := range kinds {
				state := r.IntN(4)
				if state == 3 {
					continue
				}
				deadline := 190
				if state == 2 {
					deadline = -3 // the reply deadline is still to come
				} else {
					complete[k] = true
				}
				if _, err := c.PriorNotice.Create().SetDepartmentID(env.departmentID(kind.dep)).SetPersonID(pid).
					SetNoticeNo(next("N")).SetListType(string(kind.list)).SetFacts("f").SetServedOn(date(200)).
					SetServiceMethod(priornotice.ServiceMethodPOST).SetReplyDeadline(date(deadline)).Save(ctx); err != nil {
					t.Fatalf("notice: %v", err)
				}
			}
			// Own listings, allowed only after a complete notice.
			for k, kind := range kinds {
				if !complete[k] || kind.list == listentry.ListTypeMS_ABNORMAL_OPERATION {
					continue
				}
				for range 1 + r.IntN(2) {
					no := next("L")
					listed = append(listed, no)
					if _, err := c.ListEntry.Create().SetDepartmentID(env.departmentID(kind.dep)).SetPersonID(pid).
						SetSourceSystem("pr").SetSourceRecordID(no).SetSeverity(vocab.Serious).SetListType(kind.list).
						SetListedOn(date(r.IntN(180))).SetOrderDeadline(date(200)).SetReason("r").SetBasis("b").SetDecisionNo(no).Save(ctx); err != nil {
						t.Fatalf("own listing: %v", err)
					}
				}
			}
			// Roles at entities, beginning and ending at random or on, or a day beside, one of
			// the entity's listing dates.
			for range 2 + r.IntN(3) {
				id := entities[r.IntN(len(entities))]
				around := func() int {
					if on := listedOn[id]; r.IntN(3) > 0 {
						return max(0, on[r.IntN(len(on))]+r.IntN(3)-1)
					}
					return r.IntN(400)
				}
				q := c.EntityRole.Create().SetEntityID(id).SetPersonID(pid).SetRole(roles[r.IntN(len(roles))])
				from := 500 // no start: held since before any listing
				if r.IntN(3) > 0 {
					from = around()
					q.SetStartedOn(date(from))
				}
				if r.IntN(3) == 0 {
					q.SetEndedOn(date(min(from, around())))
				}
				if _, err := q.Save(ctx); err != nil {
					t.Fatalf("role: %v", err)
				}
			}
		}
		// Listings that no longer restrict, each way a listing stops: two in seven still do.
		for _, no := range listed {
			set := []string{"removed_on = ?", "planned_end_on = ?", "measures_end_on = ?", "under_objection = TRUE",
				"exemption = 'EPIDEMIC'", "", ""}[r.IntN(7)]
			setRow(t, env, "list_entries", set, no, date(1))
		}

		want, spared, edges := personRestrictionsOracle(t, env)
		reached := map[string]int{}
		for _, p := range persons {
			for _, purpose := range jointpunishment.Purposes {
				var out restrictionsOut
				env.as("demo-labour-clerk").mustData(`query($p: ID!, $u: Purpose!) { restrictions(personId: $p, purpose: $u) {
					via decisionNo entity { uscc } measure { code } } }`, map[string]any{"p": p, "u": purpose}, &out)
				var got []string
				for _, x := range out.Restrictions {
					uscc := ""
					if x.Entity != nil {
						uscc = x.Entity.Uscc
					}
					got = append(got, fmt.Sprintf("%s %s %s %s", x.Via, x.DecisionNo, uscc, x.Measure.Code))
				}
				slices.Sort(got)
				w := want[fmt.Sprint(idOf(t, p))+" "+purpose]
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Errorf("person %s, %s: restrictions\n%s\nwant\n%s", p, purpose, strings.Join(got, "\n"), strings.Join(w, "\n"))
				}
				for _, x := range w {
					reached[strings.Fields(x)[0]]++
				}
			}
		}
		// The generated rows reach persons both ways each rule keeps some apart, and some
		// are reached on a role's first or last day, so the comparison says something.
		if reached["SELF"] == 0 || len(reached) < 3 || len(spared) < 2 || len(edges) < 2 {
			t.Fatalf("the generated rows restrict through %v and spare %v: want SELF and two roles, some spared by each rule, some reached on a role's first and last day (%v)", reached, spared, edges)
		}
	})
}

// setRow sets one generated row's column by SQL, the way no API would (set is "col = value",
// or "col = ?" for day; empty sets nothing): the oracles' rows in each state a rule looks at.
func setRow(t *testing.T, env *testEnv, table, set, decisionNo string, day time.Time) {
	t.Helper()
	if set == "" {
		return
	}
	var args []any
	if strings.Contains(set, "?") {
		args = append(args, day)
	}
	if _, err := env.db.SQL.Exec(`UPDATE `+table+` SET `+set+` WHERE decision_no = ?`, append(args, decisionNo)...); err != nil {
		t.Fatal(err)
	}
}

// listingInForce is the oracles' own statement of a listing in force on a day (domain.md §4,
// §8), over list_entries named l; its three parameters are the day as YYYY-MM-DD.
const listingInForce = `l.status = 'PUBLISHED' AND l.under_objection = FALSE AND (l.exemption IS NULL OR l.exemption = '')
	AND l.removed_on IS NULL AND SUBSTR(l.listed_on, 1, 10) <= ? AND (l.planned_end_on IS NULL OR SUBSTR(l.planned_end_on, 1, 10) >= ?)
	AND (l.measures_end_on IS NULL OR SUBSTR(l.measures_end_on, 1, 10) >= ?)`

// personRestrictionsOracle reads the rows back by SQL and applies the rules: "person purpose"
// → "via decisionNo uscc measure" lines; how many role and listing pairs each date or notice
// rule kept apart; and how many were joined on a role's first or last day.
func personRestrictionsOracle(t *testing.T, env *testEnv) (want map[string][]string, spared, edges map[string]int) {
	t.Helper()
	today := todayMinus(0)
	type measure struct {
		code                                     string
		lists, purposes, extendsTo, subjectKinds []string
	}
	var measures []measure
	rows, err := env.db.SQL.Query(`SELECT code, list_types, purposes, extends_to_roles, subject_kinds FROM joint_punishment_measures
		WHERE (effective_from IS NULL OR SUBSTR(effective_from, 1, 10) <= ?) AND (effective_to IS NULL OR SUBSTR(effective_to, 1, 10) > ?)`, today, today)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m measure
		var l, p, x, k []byte
		if err := rows.Scan(&m.code, &l, &p, &x, &k); err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			raw []byte
			to  *[]string
		}{{l, &m.lists}, {p, &m.purposes}, {x, &m.extendsTo}, {k, &m.subjectKinds}} {
			if len(f.raw) > 0 {
				if err := json.Unmarshal(f.raw, f.to); err != nil {
					t.Fatal(err)
				}
			}
		}
		measures = append(measures, m)
	}
	rows.Close()
	type listing struct {
		entity, person             int
		list, sector, on, no, uscc string
	}
	var lists []listing
	rows, err = env.db.SQL.Query(`SELECT COALESCE(l.entity_id, 0), COALESCE(l.person_id, 0), l.list_type, d.sector, SUBSTR(l.listed_on, 1, 10),
		l.decision_no, COALESCE(e.uscc, '') FROM list_entries l JOIN departments d ON d.id = l.department_id
		LEFT JOIN market_entities e ON e.id = l.entity_id
		WHERE `+listingInForce, today, today, today)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l listing
		if err := rows.Scan(&l.entity, &l.person, &l.list, &l.sector, &l.on, &l.no, &l.uscc); err != nil {
			t.Fatal(err)
		}
		lists = append(lists, l)
	}
	rows.Close()
	type role struct {
		entity, person int
		role, from, to string
	}
	var roles []role
	rows, err = env.db.SQL.Query(`SELECT entity_id, person_id, role, COALESCE(SUBSTR(started_on, 1, 10), ''), COALESCE(SUBSTR(ended_on, 1, 10), '') FROM entity_roles`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r role
		if err := rows.Scan(&r.entity, &r.person, &r.role, &r.from, &r.to); err != nil {
			t.Fatal(err)
		}
		roles = append(roles, r)
	}
	rows.Close()
	noticed := map[string]bool{} // "person list sector" with a notice complete today
	rows, err = env.db.SQL.Query(`SELECT n.person_id, n.list_type, d.sector FROM prior_notices n JOIN departments d ON d.id = n.department_id
		WHERE SUBSTR(n.served_on, 1, 10) <= ? AND (SUBSTR(n.reply_deadline, 1, 10) < ? OR n.reply_handled = TRUE)`, today, today)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int
		var l, s string
		if err := rows.Scan(&p, &l, &s); err != nil {
			t.Fatal(err)
		}
		noticed[fmt.Sprint(p, l, s)] = true
	}
	rows.Close()

	want, spared, edges = map[string][]string{}, map[string]int{}, map[string]int{}
	add := func(person int, via string, l listing, needRole bool) (n int) {
		for _, m := range measures {
			if !slices.Contains(m.lists, l.list) || len(m.subjectKinds) > 0 && !slices.Contains(m.subjectKinds, "PERSON") ||
				needRole && !slices.Contains(m.extendsTo, via) {
				continue
			}
			for _, purpose := range m.purposes {
				k := fmt.Sprint(person) + " " + purpose
				want[k] = append(want[k], fmt.Sprintf("%s %s %s %s", via, l.no, l.uscc, m.code))
				n++
			}
		}
		return n
	}
	for _, l := range lists {
		if l.person != 0 {
			add(l.person, "SELF", l, false)
		}
		for _, r := range roles {
			switch {
			case l.entity == 0 || r.entity != l.entity:
			case r.from != "" && r.from > l.on || r.to != "" && r.to < l.on:
				spared["role not held on the listing date"]++
			case !noticed[fmt.Sprint(r.person, l.list, l.sector)]:
				spared["no complete notice"]++
			default:
				if add(r.person, r.role, l, true) > 0 {
					if r.from == l.on {
						edges["first"]++
					}
					if r.to == l.on {
						edges["last"]++
					}
				}
			}
		}
	}
	return want, spared, edges
}
