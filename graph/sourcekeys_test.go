package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A source key (sourceSystem, sourceRecordID) is its department's: a department's system
// re-sending a record gets its own record back, and another department sending the same key
// gets a record of its own — never the first department's record answered as its own (its
// record silently not written), never CONFLICT about a record it may not read (an existence
// oracle; a clerk could also squat keys another department's system will send). Generated from
// the served schema: every create mutation whose input carries a source key and a department.
func TestSourceKeysAreTheDepartments(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		sch := introspect(env)
		var ents struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.as("demo-credit-office").mustData(`{ marketEntities(first: 1, orderBy: [{field: USCC}]) { edges { node { id } } } }`, nil, &ents)
		entity := ents.MarketEntities.Edges[0].Node.ID
		type template struct {
			token      string
			deps       [2]string // two departments the token writes for
			input      func(dep, key string) map[string]any
			foreign    string // a token of another sector, which may not read the first record
			foreignDep string
		}
		base := func(dep, key string, more map[string]any) map[string]any {
			in := map[string]any{"departmentID": env.departmentID(dep), "entityID": entity, "sourceSystem": "dept-sys", "sourceRecordID": key}
			for k, v := range more {
				in[k] = v
			}
			return in
		}
		market := [2]string{"market-320000", "market-320500"}
		templates := map[string]template{
			"createAdministrativePenalty": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return penaltyInput(env, dep, key)["in"].(map[string]any)
			}, "demo-labour-clerk", "labour-320000"},
			"createAdministrativePenalties": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				in := penaltyInput(env, dep, key)["in"].(map[string]any)
				in["decisionNo"] = "批" + key
				return in
			}, "demo-labour-clerk", "labour-320000"},
			"createAdministrativeLicense": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"decisionDocName": "准予许可决定书", "decisionNo": "许" + key, "licenseCategory": "ORDINARY",
					"content": "食品销售", "decisionDate": "2025-01-01", "validFrom": "2025-01-01", "validTo": "2030-01-01",
					"authorityName": "省局", "authorityUscc": "11320000014000003W"})
			}, "", ""},
			"createListEntry": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"severity": "SERIOUS", "listType": "MS_ABNORMAL_OPERATION", "listedOn": "2025-01-02",
					"reason": "无法联系", "basis": "办法第四条", "decisionNo": "列" + key})
			}, "", ""},
			"createSectorRating": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"scheme": "MARKET_RISK_CLASS", "grade": "b", "period": "2025-12", "validFrom": "2025-12-01"})
			}, "", ""},
			"createSpotCheck": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"taskID": "SSLM-1", "checkItems": "年报", "inspectedOn": "2025-06-01", "result": "NO_PROBLEM"})
			}, "", ""},
			"createCreditCommitment": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"kind": "INDUSTRY_SELF_DISCIPLINE", "text": "守法经营", "signedOn": "2025-01-01", "relatedMatter": "行业自律"})
			}, "", ""},
			"createRedListEntry": {"demo-market-clerk", market, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"listType": "SAMR_CONTRACT_HONOUR", "source": "省市场监管局", "decisionNo": "荣" + key,
					"recognisedOn": todayMinus(40), "validUntil": todayMinus(-300), "basis": "办法"})
			}, "", ""},
			"createCreditScoreEvent": {"demo-environment-clerk", [2]string{"environment-320000", "environment-320500"}, func(dep, key string) map[string]any {
				return base(dep, key, map[string]any{"scheme": "ENV_CREDIT_JS", "points": 1, "category": "超标排放", "effectiveFrom": todayMinus(10)})
			}, "", ""},
		}
		type made struct {
			ID         string
			Department struct{ Code string }
		}
		send := func(token string, m gqlField, in map[string]any) (made, gqlResponse) {
			_, _, list := m.Args[0].Type.named()
			var arg any = in
			if list {
				arg = []any{in} // a batch of one
			}
			r := env.as(token).post(`mutation($in: `+typeString(m.Args[0].Type)+`) { r: `+m.Name+`(`+m.Args[0].Name+`: $in) { id department { code } } }`,
				map[string]any{"in": arg})
			if len(r.Errors) > 0 {
				return made{}, r
			}
			var one map[string]made
			var many map[string][]made
			if err := json.Unmarshal(r.Data, &one); err != nil {
				if err := json.Unmarshal(r.Data, &many); err != nil || len(many["r"]) != 1 {
					t.Fatalf("%s answers %s", m.Name, r.Data)
				}
				return many["r"][0], r
			}
			return one["r"], r
		}
		tried := 0
		for _, m := range sch.types["Mutation"].Fields {
			if !strings.HasPrefix(m.Name, "create") || len(m.Args) == 0 {
				continue
			}
			in, _, _ := m.Args[0].Type.named()
			fields := map[string]bool{}
			for _, f := range sch.types[in].InputFields {
				fields[f.Name] = true
			}
			if !fields["sourceRecordID"] || !fields["departmentID"] {
				continue
			}
			tt, ok := templates[m.Name]
			if !ok {
				t.Errorf("%s takes a source key and a department: give it a template here", m.Name)
				continue
			}
			tried++
			key := "K-" + m.Name
			first, r := send(tt.token, m, tt.input(tt.deps[0], key))
			if len(r.Errors) > 0 {
				t.Fatalf("%s to %s: %v", m.Name, tt.deps[0], r.Errors)
			}
			again, r := send(tt.token, m, tt.input(tt.deps[0], key))
			if len(r.Errors) > 0 || again.ID != first.ID {
				t.Errorf("%s: re-sending to %s answers %+v %v, want the stored record %s", m.Name, tt.deps[0], again, r.Errors, first.ID)
			}
			other, r := send(tt.token, m, tt.input(tt.deps[1], key))
			switch {
			case len(r.Errors) > 0:
				t.Errorf("%s: the same key sent to %s answers %v, want a record of its own", m.Name, tt.deps[1], r.Errors)
			case other.ID == first.ID || other.Department.Code != tt.deps[1]:
				t.Errorf("%s: the same key sent to %s answers %+v, %s's record", m.Name, tt.deps[1], other, tt.deps[0])
			}
			if tt.foreign != "" {
				if got, r := send(tt.foreign, m, tt.input(tt.foreignDep, key)); len(r.Errors) > 0 || got.Department.Code != tt.foreignDep {
					t.Errorf("%s: %s sending the key to %s answers %+v %v, want a record of its own", m.Name, tt.foreign, tt.foreignDep, got, r.Errors)
				}
			}
		}
		if tried < len(templates) {
			t.Errorf("%d of %d templates tried: a create mutation lost its source key or department", tried, len(templates))
		}
	})
}
