package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// An inspection draw (双随机、一公开, domain.md §3.4) is its rules over the stored rows, for a
// province, a city and a county, for the default shares and others: the candidates are the
// division's entities in business (存续, 在业) with a risk tier; an entity earning fewer
// inspections — a red list in force and no listing in force — is drawn at its tier's share
// times the smallest INSPECTION factor of the catalogue measures in force for its red lists;
// from each tier and factor, round(share × factor × n) entities are drawn, none twice, each
// with an inspector of the department's pool. Red lists are generated in force, removed, not
// yet recognised, past their validity and under objection, some with a listing in force or
// ended; the catalogue gains a measure with a smaller factor for one red list and one not yet
// in force. The oracle reads all of it back by SQL.
func TestInspectionDrawIsTheRulesOverTheRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 500)
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		r := rand.New(rand.NewPCG(3, 4))
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		ymd := today.Format(time.DateOnly)
		for _, m := range []struct {
			code   string
			factor float64
			from   time.Time
		}{{"T-INS-GREEN", 0.25, day(0)}, {"T-INS-SOON", 0.1, day(1)}} {
			if err := c.IncentiveMeasure.Create().SetCode(m.code).SetName("减少抽查").SetImplementingDepartment("各监管部门").SetLegalBasis("测试").
				SetRedListTypes([]string{"ENV_GREEN"}).SetPurposes([]string{"INSPECTION"}).SetInspectionFactor(m.factor).SetEffectiveFrom(m.from).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		deps := map[redlistentry.ListType]int{redlistentry.ListTypeLABOUR_A_GRADE: env.departmentID("labour-320000"),
			redlistentry.ListTypeENV_GREEN: env.departmentID("environment-320000")}
		market := env.departmentID("market-320500")
		entities := sqlIDs(t, env, `SELECT id FROM market_entities WHERE risk_tier IS NOT NULL ORDER BY id`)
		// Every registration status among them (the demo registers most as operating).
		for i, st := range []string{"EXISTING", "REVOKED", "CANCELLED", "MOVED_OUT"} {
			if _, err := env.db.SQL.Exec(`UPDATE market_entities SET status = ? WHERE MOD(id, 9) = ?`, st, i); err != nil {
				t.Fatal(err)
			}
		}
		for i, id := range entities {
			if r.IntN(3) > 0 {
				continue
			}
			for lt, dep := range deps {
				if r.IntN(2) > 0 {
					continue
				}
				red := c.RedListEntry.Create().SetDepartmentID(dep).SetEntityID(atoi(t, id)).SetSourceSystem("draw").
					SetSourceRecordID(fmt.Sprint(lt, i)).SetListType(lt).SetSource("认定机关").SetDecisionNo(fmt.Sprint("R", i)).
					SetRecognisedOn(day(-30)).SetBasis("b")
				switch r.IntN(8) {
				case 0:
					red.SetRecognisedOn(day(0))
				case 1:
					red.SetValidUntil(day(0))
				case 2:
					red.SetRemovedOn(day(-1))
				case 3:
					red.SetUnderObjection(true)
				case 4:
					red.SetStatus(vocab.Expired)
				}
				if err := red.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if r.IntN(4) == 0 {
				l := c.ListEntry.Create().SetDepartmentID(market).SetEntityID(atoi(t, id)).SetSourceSystem("draw").
					SetSourceRecordID(fmt.Sprint("L", i)).SetSeverity(vocab.General).SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).
					SetListedOn(day(-20)).SetReason("r").SetBasis("b").SetDecisionNo(fmt.Sprint("L", i))
				if r.IntN(2) == 0 {
					l.SetMeasuresEndOn(day(-1))
				}
				if err := l.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}

		// The oracle's factors: the catalogue in force, by red list, and each entity's.
		factorOf := map[string]float64{}
		rows, err := env.db.SQL.Query(`SELECT red_list_types, purposes, inspection_factor FROM incentive_measures
			WHERE inspection_factor IS NOT NULL AND SUBSTR(effective_from, 1, 10) <= ? AND (effective_to IS NULL OR SUBSTR(effective_to, 1, 10) > ?)`, ymd, ymd)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var lists, purposes string
			var f float64
			if err := rows.Scan(&lists, &purposes, &f); err != nil {
				t.Fatal(err)
			}
			var ls, ps []string
			if json.Unmarshal([]byte(lists), &ls) != nil || json.Unmarshal([]byte(purposes), &ps) != nil {
				t.Fatalf("catalogue row %s %s", lists, purposes)
			}
			for _, l := range ls {
				if old, ok := factorOf[l]; slices.Contains(ps, "INSPECTION") && (!ok || f < old) {
					factorOf[l] = f
				}
			}
		}
		rows.Close()
		factor := map[string]float64{}
		rows, err = env.db.SQL.Query(`SELECT entity_id, list_type FROM red_list_entries WHERE status = 'PUBLISHED' AND NOT under_objection
			AND removed_on IS NULL AND SUBSTR(recognised_on, 1, 10) <= ? AND (valid_until IS NULL OR SUBSTR(valid_until, 1, 10) >= ?)
			AND entity_id NOT IN (SELECT entity_id FROM list_entries WHERE entity_id IS NOT NULL AND status = 'PUBLISHED' AND NOT under_objection
				AND (exemption IS NULL OR exemption = '') AND removed_on IS NULL AND SUBSTR(listed_on, 1, 10) <= ?
				AND (planned_end_on IS NULL OR SUBSTR(planned_end_on, 1, 10) >= ?) AND (measures_end_on IS NULL OR SUBSTR(measures_end_on, 1, 10) >= ?))`,
			ymd, ymd, ymd, ymd, ymd)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, lt string
			if err := rows.Scan(&id, &lt); err != nil {
				t.Fatal(err)
			}
			if f, ok := factorOf[lt]; ok && (factor[id] == 0 || f < factor[id]) {
				factor[id] = f
			}
		}
		rows.Close()
		strata := map[float64]bool{}
		for _, f := range factor {
			strata[f] = true
		}
		if !strata[0.5] || !strata[0.25] {
			t.Fatalf("the fixture gives factors %v: want 0.5 and 0.25", strata)
		}

		county := sqlStrings(t, env, `SELECT division_code FROM market_entities WHERE city_code = '320500' AND division_code <> '320500'
			GROUP BY division_code ORDER BY COUNT(*) DESC LIMIT 1`)[0]
		divisions := map[string]string{"320000": "1=1", "320500": "city_code = '320500'", county: "division_code = '" + county + "'"}
		var inspectors []string
		if err := json.Unmarshal([]byte(sqlStrings(t, env, `SELECT inspectors FROM departments WHERE id = ?`, market)[0]), &inspectors); err != nil {
			t.Fatal(err)
		}
		sup := env.as("demo-market-supervisor")
		sup.t = t
		type share struct{ A, B, C, D float64 }
		shares := []*share{nil, {0.3, 0.5, 0.7, 1}, {1, 0.05, 0, 0.5}, {0.15, 0.25, 0.35, 0.45}}
		defaults := share{0.02, 0.05, 1, 1}
		drawn := 0
		for div, where := range divisions {
			cands := map[string]string{} // id → tier
			ids := sqlIDs(t, env, `SELECT id FROM market_entities WHERE risk_tier IS NOT NULL AND status IN ('EXISTING', 'OPERATING') AND `+where)
			tiers := sqlStrings(t, env, `SELECT risk_tier FROM market_entities WHERE risk_tier IS NOT NULL AND status IN ('EXISTING', 'OPERATING') AND `+where+` ORDER BY id`)
			ordered := sqlColumn[int](t, env, `SELECT id FROM market_entities WHERE risk_tier IS NOT NULL AND status IN ('EXISTING', 'OPERATING') AND `+where+` ORDER BY id`)
			for i, id := range ordered {
				cands[fmt.Sprint(id)] = tiers[i]
			}
			for si, sh := range shares {
				vars := map[string]any{"d": market, "v": div, "s": 10 + si}
				ratio := defaults
				if sh != nil {
					vars["r"] = map[string]any{"A": sh.A, "B": sh.B, "C": sh.C, "D": sh.D}
					ratio = *sh
				}
				var out struct {
					DrawInspectionPlan struct {
						Candidates  int
						Assignments []struct{ EntityID, Tier, Inspector string }
					}
				}
				sup.mustData(`mutation($d: ID!, $v: String!, $s: Int!, $r: TierRatiosInput) { drawInspectionPlan(departmentID: $d, divisionCode: $v,
					seed: $s, ratios: $r) { candidates assignments { entityID tier inspector } } }`, vars, &out)
				p := out.DrawInspectionPlan
				name := fmt.Sprintf("division %s, shares %+v", div, ratio)
				if p.Candidates != len(ids) {
					t.Errorf("%s: %d candidates, the rows give %d", name, p.Candidates, len(ids))
				}
				// Per tier and factor: how many there are, and how many were drawn.
				type stratum struct {
					tier   string
					factor float64
				}
				size, got := map[stratum]int{}, map[stratum]int{}
				for id, tier := range cands {
					f := factor[id]
					if f == 0 {
						f = 1
					}
					size[stratum{tier, f}]++
				}
				seen := map[string]bool{}
				for _, a := range p.Assignments {
					tier, ok := cands[a.EntityID]
					switch {
					case !ok:
						t.Errorf("%s: drew %s, not a candidate", name, a.EntityID)
					case tier != a.Tier:
						t.Errorf("%s: drew %s as tier %s; it is %s", name, a.EntityID, a.Tier, tier)
					case seen[a.EntityID]:
						t.Errorf("%s: drew %s twice", name, a.EntityID)
					case !slices.Contains(inspectors, a.Inspector):
						t.Errorf("%s: inspector %q is not in the department's pool", name, a.Inspector)
					}
					seen[a.EntityID] = true
					f := factor[a.EntityID]
					if f == 0 {
						f = 1
					}
					got[stratum{a.Tier, f}]++
				}
				for s, n := range size {
					share := map[string]float64{"A": ratio.A, "B": ratio.B, "C": ratio.C, "D": ratio.D}[s.tier]
					if want := int(math.Round(share * s.factor * float64(n))); got[s] != want {
						t.Errorf("%s: tier %s at factor %v: drew %d of %d, want round(%v × %v × %d) = %d", name, s.tier, s.factor, got[s], n, share, s.factor, n, want)
					}
				}
				drawn += len(p.Assignments)
			}
		}
		if drawn == 0 || !strings.HasPrefix(county, "3205") {
			t.Errorf("drew %d in all (county %s)", drawn, county)
		}
	})
}
