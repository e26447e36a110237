package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A joint-punishment measure applies only while it is in force (the catalogue is dated data:
// domain.md §8's 基础清单 replaces what came before). The catalogue's measures are given windows
// on every edge of today — beginning today or tomorrow, ending (effectiveTo, the first day it
// no longer applies) today or tomorrow, repealed between two listings, open — and entities are
// listed before, between and after them. For every purpose, restrictions(uscc:) must be what
// an oracle gives from the rows read back by SQL: the measures of the entity's listings in
// force today that are in force today, each until the earlier of the listing's end and the
// measure's last day. The stored measure applications must run over the days both the listing
// and the measure apply, beginning in the future for a measure not yet in force, and be absent
// where they never meet.
func TestMeasuresApplyWhileInForce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 8)
		ctx := authz.SystemContext(context.Background())
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		dateTheCatalogue(t, env)
		// Listings written through the engine, which stores their applications.
		entities := sqlIDs(t, env, `SELECT id FROM market_entities e WHERE NOT EXISTS (SELECT 1 FROM list_entries l WHERE l.entity_id = e.id) ORDER BY id LIMIT 4`)
		if len(entities) < 4 {
			t.Fatalf("want 4 demo entities without listings, got %d", len(entities))
		}
		for i, l := range []struct {
			dep  string
			list listentry.ListType
			on   int
		}{{"market-320500", listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST, -30}, {"market-320500", listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST, -10},
			{"market-320500", listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST, -1}, {"labour-320200", listentry.ListTypeHR_WAGE_ARREARS, -30}} {
			no := fmt.Sprintf("MD-%d", i)
			q := env.db.Client.ListEntry.Create().SetDepartmentID(env.departmentID(l.dep)).SetEntityID(atoi(t, entities[i])).
				SetSourceSystem("md").SetSourceRecordID(no).SetSeverity(vocab.Serious).SetListType(l.list).SetListedOn(day(l.on)).
				SetReason("r").SetBasis("b").SetDecisionNo(no).SetOrderDeadline(day(l.on - 15)) // the order to pay came first
			if i == 1 {
				q.SetMeasuresEndOn(day(5)) // the listing's own measures end before a measure's window does
			}
			if err := q.Exec(ctx); err != nil {
				t.Fatalf("listing %s: %v", no, err)
			}
		}

		wantNow, wantStored, edges := measureDatesOracle(t, env, today)
		for _, edge := range []string{"first day today", "not yet", "ended today", "last day today", "cut by its measure", "never met"} {
			if edges[edge] == 0 {
				t.Errorf("no listing and measure meet on the edge %q: the test proves nothing there (%v)", edge, edges)
			}
		}
		office := env.as("demo-credit-office")
		office.t = t
		var purposes []string
		for _, v := range introspect(env).types["Purpose"].EnumValues {
			purposes = append(purposes, v.Name)
		}
		uscc := map[string]string{}
		for _, id := range entities {
			uscc[id] = sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, id))[0]
		}
		for _, id := range entities {
			for _, purpose := range purposes {
				var got struct {
					Restrictions []struct {
						Measure    struct{ Code string }
						DecisionNo string
						Until      *string
					}
				}
				office.mustData(`query($u: String!, $p: Purpose!) { restrictions(uscc: $u, purpose: $p) { measure { code } decisionNo until } }`,
					map[string]any{"u": uscc[id], "p": purpose}, &got)
				var lines []string
				for _, r := range got.Restrictions {
					until := "-"
					if r.Until != nil {
						until = *r.Until
					}
					lines = append(lines, fmt.Sprintf("%s %s %s", r.DecisionNo, r.Measure.Code, until))
				}
				slices.Sort(lines)
				want := wantNow[id+" "+purpose]
				slices.Sort(want)
				if !slices.Equal(lines, want) {
					t.Errorf("entity %s, %s: restrictions %v; the catalogue in force gives %v", id, purpose, lines, want)
				}
			}
		}
		var stored []string
		rows, err := env.db.SQL.Query(`SELECT l.decision_no, m.code, SUBSTR(a.from_on, 1, 10), COALESCE(SUBSTR(a.to_on, 1, 10), '-')
			FROM measure_applications a JOIN list_entries l ON l.id = a.list_entry_id JOIN joint_punishment_measures m ON m.id = a.measure_id
			WHERE l.decision_no LIKE 'MD-%' AND a.lifted_on IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var no, code, from, to string
			if err := rows.Scan(&no, &code, &from, &to); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, strings.Join([]string{no, code, from, to}, " "))
		}
		rows.Close()
		slices.Sort(stored)
		slices.Sort(wantStored)
		if !slices.Equal(stored, wantStored) {
			t.Errorf("stored applications:\n%s\nthe listings and measures give:\n%s", strings.Join(stored, "\n"), strings.Join(wantStored, "\n"))
		}
	})
}

// dateTheCatalogue gives the catalogue's measures, in code order, windows on every edge of
// today.
func dateTheCatalogue(t *testing.T, env *testEnv) {
	t.Helper()
	day := func(n int) time.Time { return vocab.SystemClock.Today().AddDate(0, 0, n) }
	// Windows as days from today (nil: none).
	at := func(n int) *int { return &n }
	windows := []struct{ from, to *int }{
		{at(0), nil},        // first day today
		{at(1), nil},        // not yet in force
		{nil, at(0)},        // no longer applies from today
		{nil, at(1)},        // its last day is today
		{nil, nil},          // open
		{at(-400), at(-20)}, // repealed between listings of 30 and 10 days ago
	}
	codes := sqlStrings(t, env, `SELECT code FROM joint_punishment_measures ORDER BY code`)
	if len(codes) < len(windows) {
		t.Fatalf("want %d catalogue measures, got %v", len(windows), codes)
	}
	for i, code := range codes {
		w := windows[i%len(windows)]
		var from, to any
		if w.from != nil {
			from = day(*w.from)
		}
		if w.to != nil {
			to = day(*w.to)
		}
		if _, err := env.db.SQL.Exec(`UPDATE joint_punishment_measures SET effective_from = ?, effective_to = ? WHERE code = ?`, from, to, code); err != nil {
			t.Fatal(err)
		}
	}
}

// measureDatesOracle reads the catalogue and the MD- listings back by SQL and applies the
// rules: "entityID purpose" → "decisionNo code until" restrictions today; the applications
// "decisionNo code from to" they store; and how often each date edge decided a pair.
func measureDatesOracle(t *testing.T, env *testEnv, today time.Time) (now map[string][]string, stored []string, edges map[string]int) {
	t.Helper()
	parse := func(s string) *time.Time {
		if s == "" {
			return nil
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	show := func(d *time.Time) string {
		if d == nil {
			return "-"
		}
		return d.Format(time.DateOnly)
	}
	type measure struct {
		code            string
		lists, purposes []string
		kinds           []string
		from, to        *time.Time
	}
	var measures []measure
	rows, err := env.db.SQL.Query(`SELECT code, list_types, purposes, subject_kinds, COALESCE(SUBSTR(effective_from, 1, 10), ''),
		COALESCE(SUBSTR(effective_to, 1, 10), '') FROM joint_punishment_measures`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m measure
		var l, p, k []byte
		var from, to string
		if err := rows.Scan(&m.code, &l, &p, &k, &from, &to); err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			raw []byte
			to  *[]string
		}{{l, &m.lists}, {p, &m.purposes}, {k, &m.kinds}} {
			if len(f.raw) > 0 {
				if err := json.Unmarshal(f.raw, f.to); err != nil {
					t.Fatal(err)
				}
			}
		}
		m.from, m.to = parse(from), parse(to)
		measures = append(measures, m)
	}
	rows.Close()
	type listing struct {
		entity, list, no, on, end string
	}
	var lists []listing
	rows, err = env.db.SQL.Query(`SELECT l.entity_id, l.list_type, l.decision_no, SUBSTR(l.listed_on, 1, 10),
		COALESCE(SUBSTR(l.measures_end_on, 1, 10), SUBSTR(l.planned_end_on, 1, 10), '') FROM list_entries l
		WHERE l.decision_no LIKE 'MD-%' AND `+listingInForce, today.Format(time.DateOnly), today.Format(time.DateOnly), today.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l listing
		if err := rows.Scan(&l.entity, &l.list, &l.no, &l.on, &l.end); err != nil {
			t.Fatal(err)
		}
		lists = append(lists, l)
	}
	rows.Close()
	if len(lists) != 4 {
		t.Fatalf("%d of the 4 listings in force", len(lists))
	}

	now, edges = map[string][]string{}, map[string]int{}
	for _, l := range lists {
		listed, end := parse(l.on), parse(l.end)
		for _, m := range measures {
			if !slices.Contains(m.lists, l.list) || len(m.kinds) > 0 && !slices.Contains(m.kinds, "ENTITY") {
				continue
			}
			// The days both apply: from the later start to the earlier last day (the day
			// before effectiveTo).
			from, to := *listed, end
			if m.from != nil && m.from.After(from) {
				from = *m.from
			}
			cut := false
			if m.to != nil {
				last := m.to.AddDate(0, 0, -1)
				if to == nil || last.Before(*to) {
					to, cut = &last, true
				}
			}
			if to != nil && to.Before(from) {
				edges["never met"]++
				continue
			}
			stored = append(stored, fmt.Sprintf("%s %s %s %s", l.no, m.code, from.Format(time.DateOnly), show(to)))
			inForce := (m.from == nil || !m.from.After(today)) && (m.to == nil || m.to.After(today))
			switch {
			case m.from != nil && m.from.Equal(today):
				edges["first day today"]++
			case m.from != nil && m.from.After(today):
				edges["not yet"]++
			case m.to != nil && m.to.Equal(today):
				edges["ended today"]++
			case m.to != nil && m.to.Equal(today.AddDate(0, 0, 1)):
				edges["last day today"]++
			}
			if !inForce {
				continue
			}
			if cut {
				edges["cut by its measure"]++
			}
			for _, p := range m.purposes {
				k := l.entity + " " + p
				now[k] = append(now[k], fmt.Sprintf("%s %s %s", l.no, m.code, show(to)))
			}
		}
	}
	return now, stored, edges
}
