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
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// inPublicity is, per record type of the served schema, what domain.md §4 and §10 say is in
// publicity on a day — what the public and other departments see — written from the
// regulation over the type's table, not from sectors/publicity, which it checks. A record is
// public only PUBLISHED (§4: "expired or repaired records … are not publicly displayed or
// shared"); a dated window is public through its last day (publicity_deadline is CF_GSJZQ, a
// planned end or validity its last day, all inclusive); a removed listing or red-list entry
// is not. Each ? is the day, as YYYY-MM-DD.
var inPublicity = map[string]struct {
	table, rule string
	dates       []string // the dated columns the rule reads, each put on every side of the day
	removed     bool     // whether the table has removed_on, put before the day or left empty
}{
	"AdministrativePenalty": {"administrative_penalties", "status = 'PUBLISHED' AND SUBSTR(publicity_deadline, 1, 10) >= ?",
		[]string{"publicity_deadline"}, false},
	"CreditCommitment": {"credit_commitments", "status = 'PUBLISHED' AND SUBSTR(publicity_deadline, 1, 10) >= ?",
		[]string{"publicity_deadline"}, false},
	"ListEntry": {"list_entries", "status = 'PUBLISHED' AND removed_on IS NULL AND (planned_end_on IS NULL OR SUBSTR(planned_end_on, 1, 10) >= ?)",
		[]string{"planned_end_on"}, true},
	"RedListEntry": {"red_list_entries", "status = 'PUBLISHED' AND removed_on IS NULL AND (valid_until IS NULL OR SUBSTR(valid_until, 1, 10) >= ?)",
		[]string{"valid_until"}, true},
	"SectorRating": {"sector_ratings", "status = 'PUBLISHED' AND (valid_until IS NULL OR SUBSTR(valid_until, 1, 10) >= ?)",
		[]string{"valid_until"}, false},
	// Licences, spot checks and score events have no publicity window in domain.md: published
	// is public.
	"AdministrativeLicense": {"administrative_licenses", "status = 'PUBLISHED'", nil, false},
	"SpotCheck":             {"spot_checks", "status = 'PUBLISHED'", nil, false},
	"CreditScoreEvent":      {"credit_score_events", "status = 'PUBLISHED'", nil, false},
}

// What the public and other departments see of every record type is what is in publicity
// (domain.md §4, §10), at every date edge: the rows of each type the served schema gives a
// publication status are put in every combination of status, each dated column of its window
// (empty, yesterday, today, tomorrow) and removal, and each type's connection (its totalCount
// and its rows) and nodes(ids:) over all its rows are compared, for the public and for a
// supervisor reading the other sectors publicly, with the rule above read by SQL. So a window
// whose last day is left out, a removal or status ignored, or a record type without a rule is
// found, wherever the filter sits.
func TestPublicityIsTheRulesOverTheRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 600)
		sch := introspect(env)
		connections := nodeTypes(sch)
		var statuses []string
		for _, v := range sch.types["RecordStatus"].EnumValues {
			statuses = append(statuses, v.Name)
		}
		if !slices.Contains(statuses, string(vocab.Published)) || len(statuses) < 2 {
			t.Fatalf("RecordStatus values %v", statuses)
		}
		// The records: the nodes with a publication status (a report's copy of a listing is
		// not a node; the report is built as the public reads).
		var types []string
		for name, ty := range sch.types {
			var status, id bool
			for _, f := range ty.Fields {
				n, _, _ := f.Type.named()
				status = status || f.Name == "status" && n == "RecordStatus"
				id = id || f.Name == "id" && n == "ID"
			}
			if status && id && ty.Kind == "OBJECT" {
				types = append(types, name)
			}
		}
		slices.Sort(types)
		for _, name := range types {
			if _, ok := inPublicity[name]; !ok {
				t.Errorf("%s has a publication status but no publicity rule in this test: write domain.md's rule for it", name)
			}
			if connections[name] == "" {
				t.Errorf("%s has no top-level connection to compare", name)
			}
		}
		if len(types) != len(inPublicity) {
			t.Fatalf("the schema's record types %v differ from the rules' %d", types, len(inPublicity))
		}

		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		ymd := func(n int) string { return day(n).Format(time.DateOnly) }
		dated := []*time.Time{nil, new(day(-1)), new(day(0)), new(day(1))}
		removals := []*time.Time{nil, new(day(0))}
		addRows(t, env)

		for _, name := range types {
			spec := inPublicity[name]
			// Every combination of status, dated columns and removal, in turn over the rows.
			combos := [][]any{}
			for _, s := range statuses {
				combos = append(combos, []any{s})
			}
			cols := []string{"status"}
			vary := func(col string, values []*time.Time) {
				cols = append(cols, col)
				var next [][]any
				for _, c := range combos {
					for _, v := range values {
						var arg any
						if v != nil {
							arg = *v
						}
						next = append(next, append(slices.Clone(c), arg))
					}
				}
				combos = next
			}
			for _, col := range spec.dates {
				vary(col, dated)
			}
			if spec.removed {
				vary("removed_on", removals)
			}
			ids := tableIDs(t, env, spec.table)
			if len(ids) < len(combos) || len(ids) > 1000 {
				t.Fatalf("%s: %d rows for %d combinations (and at most one page of 1,000)", spec.table, len(ids), len(combos))
			}
			set := make([]string, len(cols))
			for i, c := range cols {
				set[i] = c + " = ?"
			}
			for i, id := range ids {
				if _, err := env.db.SQL.Exec(`UPDATE `+spec.table+` SET `+strings.Join(set, ", ")+` WHERE id = ?`,
					append(slices.Clone(combos[i%len(combos)]), id)...); err != nil {
					t.Fatal(err)
				}
			}
			rule := "(" + spec.rule + ")"
			args := func(where string) []any {
				var a []any
				for range strings.Count(where, "?") {
					a = append(a, ymd(0))
				}
				return a
			}
			// The rule decides at each edge: the last day shown, the day after not, a
			// published row kept out by each of its conditions.
			public := env.count(spec.table, rule, args(rule)...)
			if public == 0 || public == len(ids) {
				t.Errorf("%s: the rule shows %d of %d rows", name, public, len(ids))
			}
			for _, col := range spec.dates {
				last := rule + " AND SUBSTR(" + col + ", 1, 10) = ?"
				past := "status = 'PUBLISHED' AND SUBSTR(" + col + ", 1, 10) = ? AND NOT " + rule
				if env.count(spec.table, last, append(args(rule), ymd(0))...) == 0 ||
					env.count(spec.table, past, append([]any{ymd(-1)}, args(rule)...)...) == 0 {
					t.Errorf("%s: no row decides %s's last day", name, col)
				}
			}

			for _, role := range []string{"", "demo-environment-supervisor"} {
				where := rule
				if role != "" {
					where = "(sector = 'ENVIRONMENT' OR " + rule + ")"
				}
				want := sqlIDs(t, env, `SELECT id FROM `+spec.table+` WHERE `+where+` ORDER BY id`, args(where)...)
				c := env.as(role)
				c.t = t
				var got struct {
					C struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
				c.mustData(`{ c: `+connections[name]+`(first: 1000) { totalCount edges { node { id } } } }`, nil, &got)
				var listed []string
				for _, ed := range got.C.Edges {
					listed = append(listed, ed.Node.ID)
				}
				slices.Sort(listed)
				if got.C.TotalCount != len(want) || !slices.Equal(listed, want) {
					t.Errorf("%s as %q: totalCount %d and %d rows; the rule shows %d: %s", name, role, got.C.TotalCount,
						len(listed), len(want), idDiff(listed, want))
				}
				// A row not shown is not found, as a row that does not exist.
				r := c.post(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
				for _, ge := range r.Errors {
					if ge.Extensions["code"] != "NOT_FOUND" {
						t.Fatalf("%s as %q: nodes(ids:): %+v", name, role, ge)
					}
				}
				var byID struct{ Nodes []*struct{ ID string } }
				if err := json.Unmarshal(r.Data, &byID); err != nil {
					t.Fatal(err)
				}
				if len(r.Errors) != len(ids)-len(want) {
					t.Errorf("%s as %q: %d rows not found; the rule hides %d", name, role, len(r.Errors), len(ids)-len(want))
				}
				var found []string
				for _, n := range byID.Nodes {
					if n != nil {
						found = append(found, n.ID)
					}
				}
				slices.Sort(found)
				if !slices.Equal(found, want) {
					t.Errorf("%s as %q: nodes(ids:) finds %d rows; the rule shows %d: %s", name, role, len(found), len(want), idDiff(found, want))
				}
			}
		}
	})
}

// addRows writes red-list entries, listings and score events, which the demo data lacks or
// has too few of for every combination, through the
// engine (its hooks), for their states to be set.
func addRows(t *testing.T, env *testEnv) {
	t.Helper()
	ctx := authz.SystemContext(context.Background())
	c := env.db.Client
	entities := sqlIDs(t, env, `SELECT id FROM market_entities ORDER BY id LIMIT 40`)
	env2 := env.departmentID("environment-320000")
	labour := env.departmentID("labour-320000")
	market := env.departmentID("market-320500")
	recognised := vocab.SystemClock.Today().AddDate(0, -2, 0)
	for i, e := range entities {
		id := atoi(t, e)
		no := fmt.Sprintf("PR-%d", i)
		if err := c.RedListEntry.Create().SetDepartmentID(labour).SetEntityID(id).SetSourceSystem("pr").SetSourceRecordID(no).
			SetListType(redlistentry.ListTypeLABOUR_A_GRADE).SetSource("认定机关").SetDecisionNo(no).SetRecognisedOn(recognised).
			SetBasis("b").Exec(ctx); err != nil {
			t.Fatalf("red-list entry: %v", err)
		}
		if i < 30 {
			if err := c.ListEntry.Create().SetDepartmentID(market).SetEntityID(id).SetSourceSystem("pr").SetSourceRecordID(no).
				SetSeverity(vocab.General).SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).SetListedOn(recognised).
				SetReason("r").SetBasis("b").SetDecisionNo(no).Exec(ctx); err != nil {
				t.Fatalf("listing: %v", err)
			}
		}
		if i < 10 {
			if err := c.CreditScoreEvent.Create().SetDepartmentID(env2).SetEntityID(id).SetSourceSystem("pr").SetSourceRecordID(no).
				SetScheme(creditscoreevent.SchemeENV_CREDIT_JS).SetPoints(-1).SetCategory("超标排放").SetEffectiveFrom(recognised).
				Exec(ctx); err != nil {
				t.Fatalf("score event: %v", err)
			}
		}
	}
}

// tableIDs are the IDs of a table's rows, as GraphQL writes them, in order.
func tableIDs(t *testing.T, env *testEnv, table string) []string {
	t.Helper()
	return sqlIDs(t, env, `SELECT id FROM `+table+` ORDER BY id`)
}

// sqlIDs runs a query of one ID column, returning the IDs as GraphQL writes them, sorted as
// strings.
func sqlIDs(t *testing.T, env *testEnv, query string, args ...any) []string {
	t.Helper()
	var out []string
	for _, id := range sqlColumn[int](t, env, query, args...) {
		out = append(out, fmt.Sprint(id))
	}
	slices.Sort(out)
	return out
}

// sqlStrings runs a query of one string column.
func sqlStrings(t *testing.T, env *testEnv, query string, args ...any) []string {
	t.Helper()
	return sqlColumn[string](t, env, query, args...)
}

// sqlColumn runs a query of one column, returning its values in the query's order.
func sqlColumn[T any](t *testing.T, env *testEnv, query string, args ...any) []T {
	t.Helper()
	rows, err := env.db.SQL.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// idDiff names (the first ten of) what one sorted ID list has that the other lacks.
func idDiff(got, want []string) string {
	var extra, missing []string
	for _, id := range got {
		if _, ok := slices.BinarySearch(want, id); !ok {
			extra = append(extra, id)
		}
	}
	for _, id := range want {
		if _, ok := slices.BinarySearch(got, id); !ok {
			missing = append(missing, id)
		}
	}
	first := func(ids []string) []string { return ids[:min(len(ids), 10)] }
	return fmt.Sprintf("%d shown but not in publicity %v; %d in publicity but not shown %v",
		len(extra), first(extra), len(missing), first(missing))
}
