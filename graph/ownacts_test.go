package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A subject token and a person token act and ask only about themselves (主体自助, issue 16
// point 3). Each is tried on every action open to it — signing a commitment, applying for the
// repair of a record, objecting to a record — and every question by key — restrictions,
// incentives, EIA status, both editions of the credit report — about every subject of a
// generated set: its own entity or person, another entity, another person, and a commitment
// naming two of them at once. The oracle: an action or question is answered exactly when all
// it names is the token's own (a record is its subject's); otherwise it is refused as a missing
// record or subject is — the same code — and nothing is written.
func TestOwnFileTokensActOnlyForThemselves(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		ctx := authz.SystemContext(context.Background())
		clerk := env.as("demo-market-clerk")
		clerk.t = t
		dep := env.departmentID("market-320500")
		ents := sqlIDs(t, env, `SELECT id FROM market_entities ORDER BY id LIMIT 2`)
		pers := sqlIDs(t, env, `SELECT id FROM natural_persons ORDER BY id LIMIT 2`)
		if len(ents) < 2 || len(pers) < 2 {
			t.Fatalf("%d entities, %d persons", len(ents), len(pers))
		}
		uscc := map[string]string{}
		for _, id := range ents {
			uscc[id] = sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, id))[0]
		}
		// A subject is "e:<id>" or "p:<id>"; each has a penalty, each entity a listing.
		type subject struct{ kind, id string }
		subjects := []subject{{"e", ents[0]}, {"e", ents[1]}, {"p", pers[0]}, {"p", pers[1]}}
		penalty, listing := map[subject]string{}, map[subject]string{}
		for i, s := range subjects {
			in := penaltyInput(env, "market-320500", fmt.Sprint("OWN-", i))["in"].(map[string]any)
			in["decisionDate"] = todayMinus(20)
			if s.kind == "e" {
				in["entityID"], in["counterpartyUscc"] = s.id, uscc[s.id]
			} else {
				delete(in, "entityID")
				delete(in, "counterpartyUscc")
				in["counterpartyCategory"], in["counterpartyName"], in["personID"] = "NATURAL_PERSON", "某人", s.id
			}
			var out struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(createPenaltyQ, map[string]any{"in": in}, &out)
			penalty[s] = out.CreateAdministrativePenalty.ID
			if s.kind == "e" {
				l, err := env.db.Client.ListEntry.Create().SetDepartmentID(dep).SetEntityID(atoi(t, s.id)).SetSourceSystem("own").
					SetSourceRecordID(fmt.Sprint("L-", i)).SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).SetSeverity(vocab.General).
					SetListedOn(vocab.SystemClock.Today().AddDate(0, 0, -10)).SetReason("通过登记的住所无法联系").SetBasis("《企业经营异常名录管理暂行办法》").
					SetDecisionNo(fmt.Sprint("苏市监异〔2026〕", i)).Save(ctx)
				if err != nil {
					t.Fatal(err)
				}
				listing[s] = fmt.Sprint(l.ID)
			}
		}
		env.issue(authz.IssueRequest{Name: "own-subject", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: uscc[ents[0]]})
		env.issue(authz.IssueRequest{Name: "own-person", Role: authz.RolePerson, Department: "credit_office", PersonID: atoi(t, pers[0])})
		owner := map[string]subject{"own-subject": subjects[0], "own-person": subjects[2]}
		const missing = "999999999"

		writes := func() int {
			return env.count("credit_commitments", "") + env.count("repair_applications", "") + env.count("objections", "")
		}
		// try asks as token; answered says whether it was, code is the error's otherwise.
		try := func(token, query string, vars map[string]any) (answered bool, code string) {
			r := env.as(token).post(query, vars)
			if len(r.Errors) == 0 {
				return true, ""
			}
			code, _ = r.Errors[0].Extensions["code"].(string)
			return false, code
		}
		n := 0
		// check runs one case: named are the subjects it names, miss the same case naming a
		// missing record or subject instead (nil when naming one that does not exist says
		// nothing, as for a commitment's pair).
		check := func(token, what, query string, vars map[string]any, named []subject, miss map[string]any) {
			t.Helper()
			n++
			own := len(named) > 0
			for _, s := range named {
				own = own && s == owner[token]
			}
			before := writes()
			answered, code := try(token, query, vars)
			switch {
			case answered != own:
				t.Errorf("%s %s: answered %v (%s), want %v", token, what, answered, code, own)
			case !answered && writes() != before:
				t.Errorf("%s %s: refused with %s but wrote", token, what, code)
			case !answered && miss != nil:
				if _, want := try(token, query, miss); code != want {
					t.Errorf("%s %s: refused with %s; a missing one answers %s", token, what, code, want)
				}
			}
		}
		const sign = `mutation($in: CreateCreditCommitmentInput!) { createCreditCommitment(input: $in) { id } }`
		const apply = `mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`
		const object = `mutation($in: FileObjectionInput!) { fileObjection(input: $in) { state } }`
		pairs := [][]subject{}
		for _, a := range subjects {
			pairs = append(pairs, []subject{a})
			for _, b := range subjects {
				if a.kind == "e" && b.kind == "p" {
					pairs = append(pairs, []subject{a, b})
				}
			}
		}
		for token, me := range owner {
			source := "self:entity:" + me.id
			if me.kind == "p" {
				source = "self:person:" + me.id
			}
			for i, named := range pairs {
				in := map[string]any{"departmentID": dep, "sourceSystem": source, "sourceRecordID": fmt.Sprint(token, i), "kind": "VOLUNTARY",
					"text": "诚信经营", "signedOn": todayMinus(1), "relatedMatter": "主动承诺"}
				for _, s := range named {
					in[map[string]string{"e": "entityID", "p": "personID"}[s.kind]] = s.id
				}
				check(token, fmt.Sprint("signing for ", named), sign, map[string]any{"in": in}, named, nil)
			}
			for _, s := range subjects {
				records := map[string]string{"penaltyID": penalty[s]}
				if s.kind == "e" {
					records["listEntryID"] = listing[s]
				}
				for field, id := range records {
					in := map[string]any{field: id, "departmentID": dep, "obligationsFulfilled": true, "materials": "缴款凭证"}
					miss := map[string]any{field: missing, "departmentID": dep, "obligationsFulfilled": true, "materials": "缴款凭证"}
					check(token, fmt.Sprintf("applying about %s of %v", field, s), apply, map[string]any{"in": in}, []subject{s}, map[string]any{"in": miss})
					check(token, fmt.Sprintf("objecting to %s of %v", field, s), object,
						map[string]any{"in": map[string]any{field: id, "grounds": "WRONG", "description": "有误"}}, []subject{s},
						map[string]any{"in": map[string]any{field: missing, "grounds": "WRONG", "description": "有误"}})
				}
				if s.kind == "e" {
					for _, q := range []string{
						`query($k: String!) { restrictions(uscc: $k, purpose: BIDDING) { via } }`,
						`query($k: String!) { incentives(uscc: $k, purpose: LICENSING) { purpose } }`,
						`mutation($k: String!) { creditReport(uscc: $k, edition: PUBLIC, purpose: BIDDING) { number } }`,
						`mutation($k: String!) { creditReport(uscc: $k, edition: AUTHORITY, purpose: BIDDING) { number } }`,
					} {
						check(token, fmt.Sprintf("asking %.40s… about %v", q, s), q, map[string]any{"k": uscc[s.id]}, []subject{s},
							map[string]any{"k": validUSCC("91320000", "99999999")})
					}
					check(token, fmt.Sprintf("asking eiaStatus about %v", s), `query($k: ID!) { eiaStatus(entityID: $k) { status } }`,
						map[string]any{"k": s.id}, []subject{s}, map[string]any{"k": missing})
				} else {
					check(token, fmt.Sprintf("asking restrictions about %v", s), `query($k: ID!) { restrictions(personId: $k, purpose: BIDDING) { via } }`,
						map[string]any{"k": s.id}, []subject{s}, map[string]any{"k": missing})
					check(token, fmt.Sprintf("asking eiaStatus about %v", s), `query($k: ID!) { eiaStatus(personID: $k) { status } }`,
						map[string]any{"k": s.id}, []subject{s}, map[string]any{"k": missing})
				}
			}
		}
		// Submitting, the applicant's step, is the subject's own too: its own application gets
		// past the role table to the conditions (no commitment is attached: BAD_USER_INPUT);
		// the other token does not see it (NOT_FOUND).
		for token, me := range owner {
			var app struct{ CreateRepairApplication struct{ ID string } }
			env.as(token).mustData(apply, map[string]any{"in": map[string]any{"penaltyID": penalty[me], "departmentID": dep,
				"obligationsFulfilled": true, "materials": "缴款凭证"}}, &app)
			for other := range owner {
				want := map[bool]string{true: "BAD_USER_INPUT", false: "NOT_FOUND"}[other == token]
				if _, code := try(other, transition, map[string]any{"id": app.CreateRepairApplication.ID, "to": "SUBMITTED"}); code != want {
					t.Errorf("%s submitting %s's own application: %s, want %s", other, token, code, want)
				}
			}
		}
		if n < 60 {
			t.Errorf("tried only %d cases", n)
		}
	})
}
