package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Twenty identical submissions at once have exactly one effect, on both engines: the others
// are answered CONFLICT or with the stored result, never INTERNAL and never a second row
// (issue 12, point 8).
func TestConcurrentIdenticalSubmissionsHaveOneEffect(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co := env.as("demo-market-clerk"), env.as("demo-credit-office")
		var ent struct{ CreateMarketEntity struct{ ID string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州并发某公司"}) { id } }`, nil, &ent)
		var l struct{ CreateListEntry struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e,
			sourceSystem: "race", sourceRecordID: "L1", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
			reason: "r", basis: "b", decisionNo: "R-1"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID,
				"on": vocab.SystemClock.Today().AddDate(0, -1, 0).Format(time.DateOnly)}, &l)

		// at sends query 20 times at once and returns the error codes ("" for success).
		at := func(who *testEnv, query string, vars map[string]any) []string {
			codes := make([]string, 20)
			var wg sync.WaitGroup
			for i := range codes {
				wg.Go(func() {
					r := who.post(query, vars)
					if len(r.Errors) > 0 {
						codes[i], _ = r.Errors[0].Extensions["code"].(string)
					}
				})
			}
			wg.Wait()
			return codes
		}
		check := func(what string, codes []string, table, where string, allowStored bool) {
			t.Helper()
			ok := 0
			for _, c := range codes {
				switch {
				case c == "":
					ok++
				case c != "CONFLICT":
					t.Errorf("%s: a loser got %s, want CONFLICT", what, c)
				}
			}
			if ok != 1 && !(allowStored && ok >= 1) {
				t.Errorf("%s: %d submissions succeeded, want exactly 1", what, ok)
			}
			if n := env.count(table, where); n != 1 {
				t.Errorf("%s: %d rows, want 1", what, n)
			}
		}

		file := `mutation($l: ID!) { fileObjection(input: {listEntryID: $l, grounds: SHOULD_NOT_PUBLISH, description: "已撤销"}) { id } }`
		check("objection filing", at(co, file, map[string]any{"l": l.CreateListEntry.ID}), "objections", "list_entry_id IS NOT NULL", false)

		var id int
		if err := env.db.SQL.QueryRow("SELECT id FROM objections").Scan(&id); err != nil {
			t.Fatal(err)
		}
		move := `mutation($id: ID!) { transitionObjection(id: $id, to: NOT_ACCEPTED, reason: "材料不全") { state } }`
		codes := at(co, move, map[string]any{"id": id})
		ok := 0
		for _, c := range codes {
			if c == "" {
				ok++
			} else if c != "CONFLICT" {
				t.Errorf("objection transition: a loser got %s, want CONFLICT", c)
			}
		}
		if ok != 1 {
			t.Errorf("objection transition: %d submissions succeeded, want exactly 1", ok)
		}

		in := penaltyInput(env, "market-320500", "RACE-P1")
		check("penalty create", at(clerk, createPenaltyQ, in), "administrative_penalties", "source_record_id = 'RACE-P1'", true)

		// A repair step submitted twenty times at once is taken once: one transition row. The
		// entity's serious listing, left in force above, would bar the repair of its market
		// penalty (SAMR Order 45 art. 14): it is removed first.
		if _, err := env.db.SQL.Exec(`UPDATE list_entries SET removed_on = ?, removal_reason = 'EARLY_REPAIR' WHERE id = ?`,
			vocab.SystemClock.Today(), idOf(t, l.CreateListEntry.ID)); err != nil {
			t.Fatal(err)
		}
		app := createApplication(t, env, setupRepair(t, env, "RACE-R1"), nil)
		check("repair submission", at(clerk, transition, map[string]any{"id": app, "to": "SUBMITTED"}),
			"repair_transitions", "to_state = 'SUBMITTED'", false)

		// A prior notice's reply, and its handling, recorded twenty times at once: once each.
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {name: "王五", idNumber: "32050219800101123X"}) { id } }`, nil, &p)
		var n struct{ CreatePriorNotice struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "RACE-N1", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "事实", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID, "s": todayMinus(5), "r": todayMinus(-5)}, &n)
		reply := `mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "不服"}) { id } }`
		check("prior-notice reply", at(clerk, reply, map[string]any{"id": n.CreatePriorNotice.ID, "on": todayMinus(1)}),
			"prior_notices", "replied_on IS NOT NULL", false)
		handle := `mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "理由不成立") { id } }`
		check("prior-notice handling", at(clerk, handle, map[string]any{"id": n.CreatePriorNotice.ID}),
			"prior_notices", "reply_handled = TRUE", false)
	})
}

// Workflow documents (objections, prior notices) are read by the departments that read their
// sector in full, auditors in scope and the credit office — not every department, not the
// public (issue 12, point 6). The oracle is each demo role's permissions, not a hand-made list.
func TestWorkflowDocumentsAreReadByTheirSectorOnly(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co := env.as("demo-market-clerk"), env.as("demo-credit-office")
		var ent struct{ CreateMarketEntity struct{ ID string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州某公司"}) { id } }`, nil, &ent)
		var l struct{ CreateListEntry struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e,
			sourceSystem: "wf", sourceRecordID: "L1", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
			reason: "r", basis: "b", decisionNo: "WF-1"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID,
				"on": vocab.SystemClock.Today().AddDate(0, -1, 0).Format(time.DateOnly)}, &l)
		co.mustData(`mutation($l: ID!) { fileObjection(input: {listEntryID: $l, grounds: SHOULD_NOT_PUBLISH, description: "已撤销"}) { id } }`,
			map[string]any{"l": l.CreateListEntry.ID}, nil)
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {name: "李四", idNumber: "32050219800101123X"}) { id } }`, nil, &p)
		today := vocab.SystemClock.Today()
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "N-1", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "事实", servedOn: $s, serviceMethod: ELECTRONIC, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID,
				"s": today.AddDate(0, 0, -20).Format(time.DateOnly), "r": today.AddDate(0, 0, -5).Format(time.DateOnly)}, nil)
		for name := range env.secrets {
			perms := env.authorizer.Permissions(authz.TokenSubject(name))
			want := 0
			if perms.ManagePolicy || perms.RegistryRead && slices.Contains(perms.ReadSectors(), vocab.Market) {
				want = 1
			}
			var got struct{ Objections, PriorNotices struct{ TotalCount int } }
			env.as(name).mustData(`{ objections { totalCount } priorNotices { totalCount } }`, nil, &got)
			if got.Objections.TotalCount != want || got.PriorNotices.TotalCount != want {
				t.Errorf("%s sees %d objections and %d prior notices of the market sector, want %d", name, got.Objections.TotalCount, got.PriorNotices.TotalCount, want)
			}
		}
		var pub struct{ Objections struct{ TotalCount int } }
		env.as("").mustData(`{ objections { totalCount } }`, nil, &pub)
		if pub.Objections.TotalCount != 0 {
			t.Errorf("the public sees %d objections", pub.Objections.TotalCount)
		}
	})
}

// State that workflows own is not CRUD (issue 12, point 5): no generic create or update input
// of any type — read from the served schema — carries a record's publication status, its
// objection mark or publicity stop, or an entity's evaluation; those change only through
// repair, objections, the evaluator and the expiry job.
func TestWorkflowStateIsNotInGenericInputs(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 0)
	owned := map[string]bool{"underObjection": true, "publicityStoppedOn": true, "publicityStart": true,
		"publicityMinEnd": true, "publicityDeadline": true, "repairable": true, "exemption": true,
		"riskTier": true, "creditGrade": true, "creditScore": true, "evaluation": true, "evaluatedAt": true, "evaluationDueOn": true,
		// a prior notice's reply and its handling (replyToPriorNotice, handlePriorNoticeReply)
		"hearingRequested": true, "statements": true, "repliedOn": true, "replyHandled": true, "handledOn": true}
	records := map[string]bool{}
	for _, q := range introspect(env).types["Query"].Fields {
		if name, _, _ := q.Type.named(); strings.HasSuffix(name, "Connection") {
			records[strings.TrimSuffix(name, "Connection")] = true
		}
	}
	sch := introspect(env)
	checked := 0
	for name, ty := range sch.types {
		if ty.Kind != "INPUT_OBJECT" || !strings.HasPrefix(name, "Create") && !strings.HasPrefix(name, "Update") {
			continue
		}
		target := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(name, "Create"), "Update"), "Input")
		// Records carry a status the workflows own; an entity's status is its registration state.
		isRecord := false
		for _, f := range sch.types[target].Fields {
			isRecord = isRecord || f.Name == "sourceRecordID"
		}
		for _, f := range ty.InputFields {
			checked++
			if owned[f.Name] || isRecord && f.Name == "status" {
				t.Errorf("%s carries %s, which only a workflow may change", name, f.Name)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d input fields checked", checked)
	}
}

// A record sent many times at once — a department's system retrying a send it is unsure of —
// is stored once, and every send is answered with that record: the sends that looked before
// the first committed meet its source key and run again (ledger's once), on one record and on
// a batch alike.
func TestConcurrentSendsOfOneRecordAreAllAnsweredWithIt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		one := penaltyInput(env, "market-320500", "SEND-1")
		var rows []any
		for i := range 3 {
			r := penaltyInput(env, "market-320500", fmt.Sprintf("SEND-B%d", i))["in"].(map[string]any)
			rows = append(rows, r)
		}
		tests := []struct {
			name, query string
			vars        map[string]any
			where       string
			want        int
		}{
			{"one record", `mutation($in: CreateAdministrativePenaltyInput!) { r: createAdministrativePenalty(input: $in) { id } }`, one,
				"source_record_id = 'SEND-1'", 1},
			{"a batch", `mutation($in: [CreateAdministrativePenaltyInput!]!) { r: createAdministrativePenalties(input: $in) { id } }`,
				map[string]any{"in": rows}, "source_record_id LIKE 'SEND-B%'", 3},
		}
		for _, tt := range tests {
			answers := make([]string, 16)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					r := clerk.post(tt.query, tt.vars)
					if len(r.Errors) > 0 {
						answers[i] = fmt.Sprintf("errors %+v", r.Errors)
						return
					}
					answers[i] = string(r.Data)
				})
			}
			wg.Wait()
			for i, a := range answers {
				if a != answers[0] || strings.HasPrefix(a, "errors") {
					t.Errorf("%s: send %d was answered %s; send 0 %s", tt.name, i, a, answers[0])
				}
			}
			if n := env.count("administrative_penalties", tt.where); n != tt.want {
				t.Errorf("%s: %d rows stored, want %d", tt.name, n, tt.want)
			}
		}
	})
}
