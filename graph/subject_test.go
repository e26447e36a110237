package graph_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// issue issues a token with the demo environment's token service and lets env.as use it.
func (e *testEnv) issue(req authz.IssueRequest) {
	e.t.Helper()
	secret, err := e.tokens.Issue(context.Background(), req)
	if err != nil {
		e.t.Fatalf("issuing %s: %v", req.Name, err)
	}
	e.secrets[req.Name] = secret
}

var camel = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// tableOf is the table of a top-level connection field (administrativePenalties →
// administrative_penalties).
func tableOf(field string) string { return strings.ToLower(camel.ReplaceAllString(field, "${1}_${2}")) }

// ownFile is, per table, the SQL condition of the rows in the own file of entity e (the subject
// token) or person p (the person token); reference data is everyone's ("1=1"); every table the
// schema lists must be classified here, so a new type cannot slip past the test.
func ownFile(e, p string) map[string][2]string {
	rec := [2]string{"entity_id = " + e, "person_id = " + p}
	none := [2]string{"1=0", "1=0"}
	all := [2]string{"1=1", "1=1"}
	workflow := [2]string{
		"(penalty_id IN (SELECT id FROM administrative_penalties WHERE entity_id = " + e + ") OR list_entry_id IN (SELECT id FROM list_entries WHERE entity_id = " + e + "))",
		"(penalty_id IN (SELECT id FROM administrative_penalties WHERE person_id = " + p + ") OR list_entry_id IN (SELECT id FROM list_entries WHERE person_id = " + p + "))",
	}
	return map[string][2]string{
		"administrative_penalties": rec, "administrative_licenses": rec, "list_entries": rec, "sector_ratings": rec,
		"spot_checks": rec, "credit_commitments": rec, "credit_score_events": rec, "red_list_entries": rec,
		"market_entities": {"id = " + e, "1=0"}, "natural_persons": {"1=0", "id = " + p},
		"repair_applications": workflow, "objections": workflow, "prior_notices": {"1=0", "person_id = " + p},
		// Reference data, public to all.
		"divisions": all, "departments": all, "publicity_rules": all, "scale_rules": all, "holidays": all, "time_limits": all,
		"joint_punishment_measures": all, "incentive_measures": all, "evaluation_rule_sets": all, "exemption_periods": all,
		// Other subjects' data, government records, the audit trail, plans: none.
		"entity_roles": none, "service_providers": none, "practitioners": none, "audit_logs": none,
		"government_integrity_records": none, "measure_applications": none, "inspection_plans": none,
	}
}

// A subject token reads exactly its entity's whole file and a person token exactly its person's
// (records not in publicity included), reference data as everyone does, and nothing of anyone
// else: for every top-level connection of the schema, totalCount equals an independent SQL
// count of the own file.
func TestSubjectAndPersonSeeExactlyTheirOwn(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 200)
		// The subject: an entity with a penalty in publicity and one past it, a commitment, a
		// repair application, and its demo records.
		s := setupRepair(t, env, "SUBJ-1")
		createApplication(t, env, s, nil)
		old := penaltyInput(env, "market-320500", "SUBJ-OLD")
		old["in"].(map[string]any)["decisionDate"] = "2016-03-01"
		env.as("demo-market-clerk").mustData(createPenaltyQ, old, nil)
		uscc := s.uscc
		var eid string
		if err := env.db.SQL.QueryRow("SELECT id FROM market_entities WHERE uscc = ?", uscc).Scan(&eid); err != nil {
			t.Fatal(err)
		}
		// The person: a natural person with a penalty of their own.
		var persons struct {
			NaturalPersons edges[struct{ ID, Name string }]
		}
		env.as("demo-credit-office").mustData(`{ naturalPersons(first: 1) { edges { node { id name } } } }`, nil, &persons)
		person := persons.NaturalPersons.Edges[0].Node
		in := penaltyInput(env, "market-320000", "PERS-1")["in"].(map[string]any)
		delete(in, "entityID")
		delete(in, "counterpartyUscc")
		in["counterpartyCategory"], in["counterpartyName"], in["personID"] = "NATURAL_PERSON", person.Name, person.ID
		env.as("demo-market-clerk").mustData(createPenaltyQ, map[string]any{"in": in}, nil)
		var pid int
		if err := env.db.SQL.QueryRow("SELECT person_id FROM administrative_penalties WHERE source_record_id = 'PERS-1'").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		env.issue(authz.IssueRequest{Name: "subject-a", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: uscc})
		env.issue(authz.IssueRequest{Name: "person-a", Role: authz.RolePerson, Department: "credit_office", PersonID: pid})

		sch := introspect(env)
		checked := 0
		for _, token := range []string{"subject-a", "person-a"} {
			conds := ownFile(eid, strconv.Itoa(pid))
			for _, f := range sch.types["Query"].Fields {
				name, _, _ := f.Type.named()
				if !strings.HasSuffix(name, "Connection") {
					continue
				}
				table := tableOf(f.Name)
				cond, ok := conds[table]
				if !ok {
					t.Errorf("%s (table %s) is not classified for own-file readers", f.Name, table)
					continue
				}
				c := cond[0]
				if token == "person-a" {
					c = cond[1]
				}
				var got map[string]struct{ TotalCount int }
				env.as(token).mustData(`{ c: `+f.Name+` { totalCount } }`, nil, &got)
				want := env.count(table, c)
				if testing.Verbose() && want > 0 {
					t.Logf("%s: %s %d rows", token, f.Name, want)
				}
				if got["c"].TotalCount != want {
					t.Errorf("%s: %s totalCount %d, own file has %d (%s)", token, f.Name, got["c"].TotalCount, want, c)
				}
				checked++
			}
		}
		if checked < 40 {
			t.Errorf("compared only %d connections", checked)
		}
		// The own file holds what the public cannot see, or the comparison proves little.
		var public struct {
			AdministrativePenalties struct{ TotalCount int }
		}
		env.as("").mustData(`query($e: ID!) { administrativePenalties(where: {entityID: $e}) { totalCount } }`, map[string]any{"e": s.entityID}, &public)
		if all := env.count("administrative_penalties", "entity_id = "+eid); public.AdministrativePenalties.TotalCount >= all {
			t.Errorf("the public sees %d of the subject's %d penalties: the own file shows nothing more", public.AdministrativePenalties.TotalCount, all)
		}
		// Checks by key answer another subject like a missing one; its own, as for anyone.
		var other string
		_ = env.db.SQL.QueryRow("SELECT uscc FROM market_entities WHERE id <> ? ORDER BY id LIMIT 1", eid).Scan(&other)
		sub := env.as("subject-a")
		for _, q := range []string{
			`query($u: String!) { restrictions(uscc: $u, purpose: BIDDING) { via } }`,
			`query($u: String!) { incentives(uscc: $u, purpose: LICENSING) { purpose } }`,
			`mutation($u: String!) { creditReport(uscc: $u, edition: PUBLIC, purpose: BIDDING) { number } }`,
			`mutation($u: String!) { creditReport(uscc: $u, edition: AUTHORITY, purpose: BIDDING) { number } }`,
		} {
			sub.wantError(q, map[string]any{"u": other}, "NOT_FOUND", "")
			sub.mustData(q, map[string]any{"u": uscc}, nil)
		}
		sub.wantError(`query($u: String!) { creditReview(uscc: $u, purpose: LICENSING) { conclusion } }`, map[string]any{"u": uscc}, "FORBIDDEN", "")
		// EIA status by entity ID: its own, not another's.
		var otherGID struct {
			MarketEntities edges[struct{ ID string }]
		}
		env.mustData(`query($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node { id } } } }`, map[string]any{"u": other}, &otherGID)
		const eia = `query($e: ID!) { eiaStatus(entityID: $e) { status } }`
		sub.wantError(eia, map[string]any{"e": otherGID.MarketEntities.Edges[0].Node.ID}, "NOT_FOUND", "")
		sub.mustData(eia, map[string]any{"e": s.entityID}, nil)
		// A person's restrictions by ID: a subject token asks only about itself; the person
		// token about itself (the public's check by person ID stays as it was).
		const byPerson = `query($p: ID!) { restrictions(personId: $p, purpose: BIDDING) { via } }`
		sub.wantError(byPerson, map[string]any{"p": person.ID}, "NOT_FOUND", "")
		env.as("person-a").mustData(byPerson, map[string]any{"p": person.ID}, nil)
		env.as("demo-labour-clerk").mustData(byPerson, map[string]any{"p": person.ID}, nil)
		// Its own entity, without its legal representative's personal data.
		var mine struct {
			MarketEntities edges[struct {
				Uscc                string
				LegalRepresentative *struct{ Name string }
			}]
		}
		sub.mustData(`{ marketEntities(first: 5) { edges { node { uscc legalRepresentative { name } } } } }`, nil, &mine)
		if len(mine.MarketEntities.Edges) != 1 || mine.MarketEntities.Edges[0].Node.Uscc != uscc || mine.MarketEntities.Edges[0].Node.LegalRepresentative != nil {
			t.Errorf("the subject sees %+v", mine)
		}
	})
}

// A subject signs its own commitments (PENDING), applies for repair of its own penalty and
// submits it, and files an objection about its own record; it writes nothing else.
func TestSubjectActsForItself(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		s := setupRepair(t, env, "SELF-1")
		env.issue(authz.IssueRequest{Name: "subject-self", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: s.uscc})
		var otherGID, otherUSCC string
		var others struct {
			MarketEntities edges[struct{ ID, Uscc string }]
		}
		env.as("demo-credit-office").mustData(`{ marketEntities(first: 2, orderBy: [{field: USCC, direction: DESC}]) { edges { node { id uscc } } } }`, nil, &others)
		for _, x := range others.MarketEntities.Edges {
			if x.Node.Uscc != s.uscc {
				otherGID, otherUSCC = x.Node.ID, x.Node.Uscc
			}
		}
		me := env.as("subject-self")
		const sign = `mutation($d: ID!, $e: ID!, $sys: String!, $src: String!, $f: CreditCommitmentFulfilment) { createCreditCommitment(input: {departmentID: $d, entityID: $e,
			sourceSystem: $sys, sourceRecordID: $src, kind: VOLUNTARY, text: "诚信经营", signedOn: "2026-11-01", relatedMatter: "主动承诺", fulfilment: $f}) { id fulfilment } }`
		dep := env.departmentID("market-320500")
		own := "self:entity:" + s.entityID // the subject's own source system
		var signed struct {
			CreateCreditCommitment struct{ ID, Fulfilment string }
		}
		me.mustData(sign, map[string]any{"d": dep, "e": s.entityID, "sys": own, "src": "S1"}, &signed)
		if signed.CreateCreditCommitment.Fulfilment != "PENDING" {
			t.Errorf("signed commitment is %s", signed.CreateCreditCommitment.Fulfilment)
		}
		me.wantError(sign, map[string]any{"d": dep, "e": otherGID, "sys": own, "src": "S2"}, "FORBIDDEN", "")
		me.wantError(sign, map[string]any{"d": dep, "e": s.entityID, "sys": own, "src": "S3", "f": "FULFILLED"}, "FORBIDDEN", "")
		// Its keys are its own: in a department's system (where it could squat on the keys the
		// department will send) it is refused, naming the field; another subject signing the same
		// key in its own system meets nothing of this one's.
		me.wantError(sign, map[string]any{"d": dep, "e": s.entityID, "sys": "js-credit-commit", "src": "S4"}, "BAD_USER_INPUT", "sourceSystem")
		// Nor may a department's writer take a subject's keys.
		env.as("demo-market-clerk").wantError(sign, map[string]any{"d": dep, "e": s.entityID, "sys": own, "src": "S5"}, "BAD_USER_INPUT", "sourceSystem")
		env.issue(authz.IssueRequest{Name: "subject-other", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: otherUSCC})
		env.as("subject-other").mustData(sign, map[string]any{"d": dep, "e": otherGID, "sys": "self:entity:" + otherGID, "src": "S1"}, nil)
		me.wantError(`mutation($id: ID!) { updateCreditCommitment(id: $id, input: {fulfilment: FULFILLED}) { id } }`,
			map[string]any{"id": signed.CreateCreditCommitment.ID}, "FORBIDDEN", "")
		if n := env.count("credit_commitments", "source_system = ?", own); n != 1 {
			t.Errorf("%d self-signed commitments stored, want 1", n)
		}
		// Repair of its own penalty: a draft, then submitted by the subject as the applicant.
		var app struct{ CreateRepairApplication struct{ ID, State string } }
		me.mustData(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id state } }`,
			map[string]any{"in": map[string]any{"penaltyID": s.penaltyID, "departmentID": dep, "commitmentID": s.commitmentID,
				"obligationsFulfilled": true, "materials": "缴款凭证"}}, &app)
		var moved struct{ TransitionRepair struct{ State string } }
		me.mustData(`mutation($id: ID!) { transitionRepair(id: $id, to: SUBMITTED) { state } }`, map[string]any{"id": app.CreateRepairApplication.ID}, &moved)
		if moved.TransitionRepair.State != "SUBMITTED" {
			t.Errorf("submitted application is %s", moved.TransitionRepair.State)
		}
		// It cannot accept its own application: that is the credit office's step.
		me.wantError(`mutation($id: ID!) { transitionRepair(id: $id, to: ACCEPTED) { state } }`, map[string]any{"id": app.CreateRepairApplication.ID}, "FORBIDDEN", "")
		// An objection about its own penalty; someone else's penalty is not found.
		var obj struct{ FileObjection struct{ State string } }
		me.mustData(`mutation($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: WRONG, description: "金额有误"}) { state } }`,
			map[string]any{"p": s.penaltyID}, &obj)
		if obj.FileObjection.State != "SUBMITTED" {
			t.Errorf("objection is %s", obj.FileObjection.State)
		}
		// It records nothing for a department.
		in := penaltyInput(env, "market-320500", "SELF-P")
		in["in"].(map[string]any)["entityID"] = s.entityID
		me.wantError(createPenaltyQ, in, "FORBIDDEN", "")
	})
}
