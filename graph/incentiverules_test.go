package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/sectors/incentives"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// An entity's incentives, and the inspection draw's factors, are the catalogue applied to the
// stored rows on every edge of their dates (domain.md §8; the schema's comments say which day
// is which): a red-list entry holds from the day recognised through its last valid day, unless
// withdrawn, removed or under objection; a catalogue measure applies from its first day and no
// longer on its end day; a listing in force withholds every incentive. The rows are generated
// with dates on, and a day either side of, today, and compared for every purpose with an oracle
// that reads them back by SQL.
func TestIncentivesAreTheCatalogueOverTheRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 16)
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		r := rand.New(rand.NewPCG(16, 4))
		date := func(n int) time.Time { return vocab.SystemClock.Today().AddDate(0, 0, -n) }
		type subject struct {
			id   int
			uscc string
		}
		var subjects []subject
		rows, err := env.db.SQL.Query(`SELECT id, uscc FROM market_entities e WHERE NOT EXISTS
			(SELECT 1 FROM list_entries l WHERE l.entity_id = e.id) ORDER BY id LIMIT 10`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s subject
			if err := rows.Scan(&s.id, &s.uscc); err != nil {
				t.Fatal(err)
			}
			subjects = append(subjects, s)
		}
		rows.Close()
		if len(subjects) < 10 {
			t.Fatalf("want 10 demo entities without listings, got %d", len(subjects))
		}
		// Each red list from the department of its sector.
		reds := []struct {
			dep  string
			list redlistentry.ListType
		}{{"credit_office-320000", redlistentry.ListTypeTAX_A_GRADE}, {"labour-320000", redlistentry.ListTypeLABOUR_A_GRADE},
			{"environment-320000", redlistentry.ListTypeENV_GREEN}, {"market-320000", redlistentry.ListTypeSAMR_CONTRACT_HONOUR},
			{"transport-320000", redlistentry.ListTypeTRANSPORT_AA_GRADE}}
		seq := 0
		for i, s := range subjects {
			for k := range 2 + r.IntN(3) {
				red := reds[r.IntN(len(reds))]
				seq++
				no := fmt.Sprintf("IR-%d", seq)
				q := c.RedListEntry.Create().SetDepartmentID(env.departmentID(red.dep)).SetEntityID(s.id).SetSourceSystem("ir").
					SetSourceRecordID(no).SetListType(red.list).SetSource("认定机关").SetDecisionNo(no).SetRecognisedOn(date(40)).SetBasis("b")
				if i < 3 && k == 0 {
					// The listed subjects below each hold one entry in force, which a listing must withhold.
					if _, err := q.Save(ctx); err != nil {
						t.Fatalf("red-list entry: %v", err)
					}
					continue
				}
				if v := r.IntN(5); v < 4 {
					q.SetValidUntil(date(1 - v)) // yesterday, today, tomorrow, the day after
				}
				if _, err := q.Save(ctx); err != nil {
					t.Fatalf("red-list entry: %v", err)
				}
				// Some not in force each way, some recognised only today or tomorrow.
				set := []string{"under_objection = TRUE", "removed_on = ?", "status = 'WITHDRAWN'", "recognised_on = ?", "recognised_on = ?",
					"", "", ""}[r.IntN(8)]
				day := date(1) // removed yesterday
				if set == "recognised_on = ?" {
					day = date(r.IntN(2) - 1) // today or tomorrow
				}
				setRow(t, env, "red_list_entries", set, no, day)
			}
		}
		// A listing in force withholds every incentive; one removed, or under objection, does not.
		for i, set := range []string{"", "removed_on = ?", "under_objection = TRUE"} {
			no := fmt.Sprintf("IR-L%d", i)
			if _, err := c.ListEntry.Create().SetDepartmentID(env.departmentID("market-320500")).SetEntityID(subjects[i].id).
				SetSourceSystem("ir").SetSourceRecordID(no).SetSeverity(vocab.General).SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).
				SetListedOn(date(20)).SetReason("r").SetBasis("b").SetDecisionNo(no).Save(ctx); err != nil {
				t.Fatalf("listing: %v", err)
			}
			setRow(t, env, "list_entries", set, no, date(1))
		}
		// Catalogue measures beginning and ending on, and beside, today, beside the stored ones.
		purposes := []string{"LICENSING", "FINANCING", "INSPECTION", "HONOURS"}
		for i := range 12 {
			var types []string
			for _, red := range reds {
				if r.IntN(2) == 0 {
					types = append(types, string(red.list))
				}
			}
			if len(types) == 0 {
				types = append(types, string(reds[i%len(reds)].list))
			}
			q := c.IncentiveMeasure.Create().SetCode(fmt.Sprintf("T-%02d", i)).SetName("激励").SetImplementingDepartment("各部门").
				SetLegalBasis("依据").SetRedListTypes(types).SetPurposes([]string{purposes[i%len(purposes)]}).
				SetEffectiveFrom(date(1 - i%3)) // yesterday, today, tomorrow
			if i%4 > 0 {
				q.SetEffectiveTo(date(2 - i%4)) // yesterday, today, tomorrow
			}
			if purposes[i%len(purposes)] == "INSPECTION" {
				q.SetInspectionFactor(float64(1+r.IntN(9)) / 10)
			}
			if _, err := q.Save(ctx); err != nil {
				t.Fatalf("measure: %v", err)
			}
		}
		// Two inspection incentives in force: every red list at 0.7, two of them at 0.2; the
		// draw takes the smallest factor an entity earns.
		for _, m := range []struct {
			code   string
			types  []string
			factor float64
		}{{"T-INS-A", []string{"TAX_A_GRADE", "LABOUR_A_GRADE", "ENV_GREEN", "SAMR_CONTRACT_HONOUR", "TRANSPORT_AA_GRADE"}, 0.7},
			{"T-INS-B", []string{"TAX_A_GRADE", "ENV_GREEN"}, 0.2}} {
			if _, err := c.IncentiveMeasure.Create().SetCode(m.code).SetName("减少检查").SetImplementingDepartment("各部门").
				SetLegalBasis("依据").SetRedListTypes(m.types).SetPurposes([]string{"INSPECTION"}).SetEffectiveFrom(date(30)).
				SetInspectionFactor(m.factor).Save(ctx); err != nil {
				t.Fatalf("measure: %v", err)
			}
		}

		want, factors, granted := incentivesOracle(t, env)
		for _, s := range subjects {
			for _, purpose := range jointpunishment.Purposes {
				var out struct {
					Incentives []struct {
						DecisionNo string
						Measure    struct{ Code string }
					}
				}
				env.as("demo-market-clerk").mustData(`query($u: String!, $p: Purpose!) { incentives(uscc: $u, purpose: $p) {
					decisionNo measure { code } } }`, map[string]any{"u": s.uscc, "p": purpose}, &out)
				var got []string
				for _, x := range out.Incentives {
					got = append(got, x.Measure.Code+" "+x.DecisionNo)
				}
				slices.Sort(got)
				w := want[fmt.Sprint(s.id, purpose)]
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Errorf("entity %d, %s: incentives %v, want %v", s.id, purpose, got, w)
				}
			}
		}
		ids := make([]int, len(subjects))
		for i, s := range subjects {
			ids[i] = s.id
		}
		got, err := incentives.InspectionFactors(ctx, c, marketentity.IDIn(ids...), vocab.SystemClock.Today())
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(factors) {
			t.Errorf("inspection factors %v, want %v", got, factors)
		}
		// Each edge decided some pair, so the comparison says something.
		for _, edge := range []string{"red from today", "red to today", "measure from today", "measure to tomorrow", "withheld", "factors differ"} {
			if granted[edge] == 0 {
				t.Errorf("no incentive decided on the edge %q (%v): the generated rows test nothing there", edge, granted)
			}
		}
	})
}

// incentivesOracle reads the red lists, the catalogue and the listings back by SQL and applies
// the rules: "entity purpose" → "code decisionNo" lines; each entity's inspection factor; and
// how many pairs of measure and red-list entry each date edge decided.
func incentivesOracle(t *testing.T, env *testEnv) (map[string][]string, map[int]float64, map[string]int) {
	t.Helper()
	today, tomorrow := todayMinus(0), todayMinus(-1)
	type measure struct {
		code, from, to  string
		types, purposes []string
		factor          *float64
	}
	var measures []measure
	rows, err := env.db.SQL.Query(`SELECT code, SUBSTR(effective_from, 1, 10), COALESCE(SUBSTR(effective_to, 1, 10), ''),
		red_list_types, purposes, inspection_factor FROM incentive_measures`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m measure
		var types, purposes []byte
		if err := rows.Scan(&m.code, &m.from, &m.to, &types, &purposes, &m.factor); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(types, &m.types); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(purposes, &m.purposes); err != nil {
			t.Fatal(err)
		}
		measures = append(measures, m)
	}
	rows.Close()
	type red struct {
		entity               int
		list, no, from, last string
	}
	var reds []red
	rows, err = env.db.SQL.Query(`SELECT entity_id, list_type, decision_no, SUBSTR(recognised_on, 1, 10), COALESCE(SUBSTR(valid_until, 1, 10), '')
		FROM red_list_entries WHERE status = 'PUBLISHED' AND under_objection = FALSE AND removed_on IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x red
		if err := rows.Scan(&x.entity, &x.list, &x.no, &x.from, &x.last); err != nil {
			t.Fatal(err)
		}
		if x.from <= today && (x.last == "" || x.last >= today) {
			reds = append(reds, x)
		}
	}
	rows.Close()
	withheld := map[int]bool{}
	rows, err = env.db.SQL.Query(`SELECT l.entity_id FROM list_entries l WHERE l.entity_id IS NOT NULL AND `+listingInForce, today, today, today)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		withheld[id] = true
	}
	rows.Close()

	want, factors, granted := map[string][]string{}, map[int]float64{}, map[string]int{}
	for _, m := range measures {
		if m.from > today || m.to != "" && m.to <= today {
			continue
		}
		for _, x := range reds {
			if !slices.Contains(m.types, x.list) {
				continue
			}
			if withheld[x.entity] {
				granted["withheld"]++
				continue
			}
			for edge, on := range map[string]bool{"red from today": x.from == today, "red to today": x.last == today,
				"measure from today": m.from == today, "measure to tomorrow": m.to == tomorrow} {
				if on {
					granted[edge]++
				}
			}
			for _, p := range m.purposes {
				k := fmt.Sprint(x.entity, p)
				want[k] = append(want[k], m.code+" "+x.no)
			}
			if slices.Contains(m.purposes, "INSPECTION") && m.factor != nil {
				f, ok := factors[x.entity]
				if ok && f != *m.factor {
					granted["factors differ"]++
				}
				if !ok || *m.factor < f {
					factors[x.entity] = *m.factor
				}
			}
		}
	}
	return want, factors, granted
}
