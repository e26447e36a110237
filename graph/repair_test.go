package graph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/hook"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

const transition = `mutation($id: ID!, $to: RepairApplicationState!, $r: String) { transitionRepair(id: $id, to: $to, reason: $r) {
	state dueOn overdue allowedNextStates } }`

type repairSetup struct {
	penaltyID, entityID, uscc, commitmentID string
}

// setupRepair records a published, repairable penalty of a market entity (decided under the
// 2026 rules, minimum publicity passed, its own kind of violation) and a repair commitment of
// the entity.
func setupRepair(t *testing.T, env *testEnv, src string) repairSetup {
	t.Helper()
	clerk := env.as("demo-market-clerk")
	in := penaltyInput(env, "market-320500", src)
	// Its own kind of violation: under SAMR Order 45 another penalty of the same kind would bar
	// the repair (TestRepairOfAMarketPenaltyNeedsAClearRecord).
	in["in"].(map[string]any)["violationType"] = "虚假广告 " + src
	var p struct {
		CreateAdministrativePenalty struct {
			ID     string
			Entity struct{ ID, Uscc string }
		}
	}
	clerk.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id entity { id uscc } } }`, in, &p)
	var c struct{ CreateCreditCommitment struct{ ID string } }
	clerk.mustData(`mutation($d: ID!, $e: ID!, $src: String!) { createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "repair",
		sourceRecordID: $src, kind: REPAIR, text: "本单位已履行处罚决定，承诺今后守法经营", signedOn: "2026-09-01", relatedMatter: "信用修复"}) { id } }`,
		map[string]any{"d": env.departmentID("market-320500"), "e": p.CreateAdministrativePenalty.Entity.ID, "src": "C-" + src}, &c)
	return repairSetup{p.CreateAdministrativePenalty.ID, p.CreateAdministrativePenalty.Entity.ID, p.CreateAdministrativePenalty.Entity.Uscc, c.CreateCreditCommitment.ID}
}

func createApplication(t *testing.T, env *testEnv, s repairSetup, extra map[string]any) string {
	t.Helper()
	in := map[string]any{"penaltyID": s.penaltyID, "departmentID": env.departmentID("market-320500"), "commitmentID": s.commitmentID,
		"obligationsFulfilled": true, "materials": "缴款凭证；整改报告"}
	for k, v := range extra {
		in[k] = v
	}
	var out struct{ CreateRepairApplication struct{ ID, State string } }
	env.as("demo-market-clerk").mustData(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id state } }`, map[string]any{"in": in}, &out)
	if out.CreateRepairApplication.State != "DRAFT" {
		t.Fatalf("a new application is %s", out.CreateRepairApplication.State)
	}
	return out.CreateRepairApplication.ID
}

// A repair application goes to the department that made the record (谁认定、谁修复, domain.md
// §5.2): one naming another department — even of the same sector — is refused by field and not
// stored; a token of one city's bureau records and changes only its own bureau's records.
func TestRepairGoesToTheDeterminingDepartment(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		s := setupRepair(t, env, "DD-1")
		before := env.count("repair_applications", "")
		const create = `mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`
		in := map[string]any{"penaltyID": s.penaltyID, "commitmentID": s.commitmentID, "obligationsFulfilled": true, "materials": "材料"}
		for _, dep := range []string{"market-320100", "market-320000"} {
			in["departmentID"] = env.departmentID(dep)
			got := env.as("demo-market-clerk").wantError(create, map[string]any{"in": in}, "BAD_USER_INPUT", "departmentID")
			if !strings.Contains(got.Message, "market-320500") {
				t.Errorf("refusal %q does not name the record's department", got.Message)
			}
		}
		if n := env.count("repair_applications", ""); n != before {
			t.Errorf("%d applications stored by refused requests", n-before)
		}
		update := `mutation($id: ID!) { updateAdministrativePenalty(id: $id, input: {remark: "更正"}) { id } }`
		env.as("demo-market-nanjing-clerk").wantError(update, map[string]any{"id": s.penaltyID}, "FORBIDDEN", "")
		env.as("demo-market-nanjing-clerk").wantError(createPenaltyQ, penaltyInput(env, "market-320500", "DD-2"), "FORBIDDEN", "")
		env.as("demo-market-nanjing-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320100", "DD-3"), nil)
		env.as("demo-market-suzhou-supervisor").mustData(update, map[string]any{"id": s.penaltyID}, nil)
		if n := env.count("administrative_penalties", "source_record_id = 'DD-2'"); n != 0 {
			t.Error("the refused penalty was stored")
		}
	})
}

// A repair runs from submission to completion with the right role at each step; the record
// leaves public view and the tier is recomputed; wrong roles and states are refused.
func TestRepairRunsToCompletion(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		s := setupRepair(t, env, "R-1")
		app := createApplication(t, env, s, nil)
		clerk, co, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-supervisor")
		step := func(c *testEnv, to, reason string) {
			t.Helper()
			vars := map[string]any{"id": app, "to": to}
			if reason != "" {
				vars["r"] = reason
			}
			c.mustData(transition, vars, nil)
		}
		step(clerk, "SUBMITTED", "")
		// Wrong role: the clerk cannot accept; the error names who may.
		got := clerk.wantError(transition, map[string]any{"id": app, "to": "ACCEPTED"}, "FORBIDDEN", "")
		if !strings.Contains(got.Message, "credit office") {
			t.Errorf("wrong-role message %q does not say who may", got.Message)
		}
		// Wrong state: CONFLICT naming the allowed next states.
		got = co.wantError(transition, map[string]any{"id": app, "to": "COMPLETED"}, "CONFLICT", "")
		if !strings.Contains(got.Message, "ACCEPTED") || !strings.Contains(got.Message, "NEEDS_SUPPLEMENT") {
			t.Errorf("wrong-state message %q does not name the allowed next states", got.Message)
		}
		co.wantError(transition, map[string]any{"id": app, "to": "NOT_ACCEPTED"}, "BAD_USER_INPUT", "reason")
		step(co, "ACCEPTED", "")
		reviewer := env.as("demo-market-reviewer")
		// 谁认定、谁修复: the market department reviews — not the credit office, not the applicant.
		co.wantError(transition, map[string]any{"id": app, "to": "INITIAL_APPROVED"}, "FORBIDDEN", "")
		clerk.wantError(transition, map[string]any{"id": app, "to": "INITIAL_APPROVED"}, "FORBIDDEN", "") // applied: separation of duties
		step(reviewer, "INITIAL_APPROVED", "")
		step(reviewer, "UNDER_AUTHORITY_REVIEW", "")
		co.wantError(transition, map[string]any{"id": app, "to": "APPROVED"}, "FORBIDDEN", "")       // the determining department re-reviews
		reviewer.wantError(transition, map[string]any{"id": app, "to": "APPROVED"}, "FORBIDDEN", "") // by the role above the initial reviewer
		step(sup, "APPROVED", "")
		step(co, "COMPLETED", "")
		var pen struct {
			Node struct {
				Status    string
				Publicity struct{ StoppedOn *string }
			}
		}
		co.mustData(`query($id: ID!) { node(id: $id) { ... on AdministrativePenalty { status publicity { stoppedOn } } } }`, map[string]any{"id": s.penaltyID}, &pen)
		if pen.Node.Status != "REPAIRED" || pen.Node.Publicity.StoppedOn == nil {
			t.Errorf("penalty after completion: %+v", pen.Node)
		}
		var pub struct{ Node *struct{ ID string } }
		env.as("").mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": s.penaltyID}, &pub)
		if pub.Node != nil {
			t.Error("the repaired penalty is still public")
		}
		if tier := env.count("market_entities", "uscc = ? AND risk_tier = 'C'", s.uscc); tier != 0 {
			t.Error("the tier still carries the repaired penalty's gate")
		}
		if n := env.count("repair_transitions", "application_id = ?", idOf(t, app)); n != 6 {
			t.Errorf("%d transitions kept, want 6", n)
		}
		if n := env.count("repair_transitions", "application_id = ? AND to_state = 'APPROVED' AND actor = 'demo-market-supervisor' AND actor_role = 'supervisor'", idOf(t, app)); n != 1 {
			t.Error("the approval's actor is not recorded")
		}
		// A revocation republishes it.
		step(co, "REVOKED", "承诺不实，材料造假")
		co.mustData(`query($id: ID!) { node(id: $id) { ... on AdministrativePenalty { status publicity { stoppedOn } } } }`, map[string]any{"id": s.penaltyID}, &pen)
		if pen.Node.Status != "PUBLISHED" || pen.Node.Publicity.StoppedOn != nil {
			t.Errorf("penalty after revocation: %+v", pen.Node)
		}
		// The report counts the stages reached.
		var rep struct {
			RepairReport []struct {
				Department, State string
				Count             int
			}
		}
		co.mustData(`{ repairReport(from: "2026-01-01", to: "2099-12-31") { department state count } }`, nil, &rep)
		counts := map[string]int{}
		for _, r := range rep.RepairReport {
			counts[r.State] += r.Count
		}
		if counts["SUBMITTED"] != 1 || counts["UNDER_AUTHORITY_REVIEW"] != 1 || counts["COMPLETED"] != 1 {
			t.Errorf("report = %+v", rep.RepairReport)
		}
	})
}

// Submission is refused when the record is not eligible; an unfinished minimum period names
// the day repair becomes possible.
func TestRepairEligibility(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		s := setupRepair(t, env, "R-2")
		clerk := env.as("demo-market-clerk")
		noObligations := createApplication(t, env, s, map[string]any{"obligationsFulfilled": false})
		clerk.wantError(transition, map[string]any{"id": noObligations, "to": "SUBMITTED"}, "BAD_USER_INPUT", "obligationsFulfilled")
		noCommitment := createApplication(t, env, s, map[string]any{"commitmentID": nil})
		clerk.wantError(transition, map[string]any{"id": noCommitment, "to": "SUBMITTED"}, "BAD_USER_INPUT", "commitmentID")
		// A penalty decided last week: its minimum publicity runs for months.
		in := penaltyInput(env, "market-320500", "R-3")
		in["in"].(map[string]any)["decisionDate"] = fmt.Sprint(todayMinus(7))
		var p struct{ CreateAdministrativePenalty struct{ ID string } }
		clerk.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`, in, &p)
		early := createApplication(t, env, repairSetup{p.CreateAdministrativePenalty.ID, s.entityID, s.uscc, s.commitmentID}, nil)
		got := clerk.wantError(transition, map[string]any{"id": early, "to": "SUBMITTED"}, "CONFLICT", "")
		if !strings.Contains(got.Message, "minimum publicity period runs until") {
			t.Errorf("message %q", got.Message)
		}
		// The epidemic circumstance counts only for conduct inside a declared epidemic period
		// (domain.md §5.4; the reference period is 2020): last week's penalty cannot claim it.
		epidemic := createApplication(t, env, repairSetup{p.CreateAdministrativePenalty.ID, s.entityID, s.uscc, s.commitmentID},
			map[string]any{"mitigatingFlags": []string{"EPIDEMIC", "SME"}})
		clerk.wantError(transition, map[string]any{"id": epidemic, "to": "SUBMITTED"}, "BAD_USER_INPUT", "mitigatingFlags")
		env.as("demo-market-clerk").wantError(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"penaltyID": s.penaltyID, "departmentID": env.departmentID("market-320500"),
				"mitigatingFlags": []string{"PANDEMIC"}}}, "BAD_USER_INPUT", "")
		// A first offence without intent need not wait (our rule for the 2020 guidance).
		waived := createApplication(t, env, repairSetup{p.CreateAdministrativePenalty.ID, s.entityID, s.uscc, s.commitmentID},
			map[string]any{"mitigatingFlags": []string{"FIRST_OFFENCE", "NO_SUBJECTIVE_INTENT"}})
		var out struct{ TransitionRepair struct{ State, DueOn string } }
		clerk.mustData(transition, map[string]any{"id": waived, "to": "SUBMITTED"}, &out)
		if out.TransitionRepair.State != "SUBMITTED" || out.TransitionRepair.DueOn == "" {
			t.Errorf("after submission: %+v", out.TransitionRepair)
		}
		// Overdue applications can be found by their due date.
		var over struct{ RepairApplications struct{ TotalCount int } }
		clerk.mustData(`query($d: Date!) { repairApplications(where: {dueOnLT: $d, stateIn: [SUBMITTED, ACCEPTED, UNDER_AUTHORITY_REVIEW, APPROVED]}) { totalCount } }`,
			map[string]any{"d": "2099-01-01"}, &over)
		if over.RepairApplications.TotalCount != 1 {
			t.Errorf("%d applications due before 2099, want 1", over.RepairApplications.TotalCount)
		}
	})
}

// Completion is all-or-nothing: a failure after the record changed leaves everything as it was.
func TestRepairCompletionIsAtomic(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		s := setupRepair(t, env, "R-4")
		app := createApplication(t, env, s, nil)
		clerk, co, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-supervisor")
		for _, st := range []struct {
			c  *testEnv
			to string
		}{{clerk, "SUBMITTED"}, {co, "ACCEPTED"}, {env.as("demo-market-reviewer"), "INITIAL_APPROVED"},
			{env.as("demo-market-reviewer"), "UNDER_AUTHORITY_REVIEW"}, {sup, "APPROVED"}} {
			st.c.mustData(transition, map[string]any{"id": app, "to": st.to}, nil)
		}
		// Inject a failure at the very end of completion: writing the transition record.
		env.db.Client.RepairTransition.Use(func(next ent.Mutator) ent.Mutator {
			return hook.RepairTransitionFunc(func(ctx context.Context, m *gen.RepairTransitionMutation) (ent.Value, error) {
				if to, _ := m.ToState(); to == "COMPLETED" {
					return nil, errors.New("injected failure")
				}
				return next.Mutate(ctx, m)
			})
		})
		co.wantError(transition, map[string]any{"id": app, "to": "COMPLETED"}, "INTERNAL", "")
		if n := env.count("administrative_penalties", "id = ? AND status = 'PUBLISHED' AND publicity_stopped_on IS NULL", idOf(t, s.penaltyID)); n != 1 {
			t.Error("the penalty changed although completion failed")
		}
		if n := env.count("repair_applications", "id = ? AND state = 'APPROVED'", idOf(t, app)); n != 1 {
			t.Error("the application changed although completion failed")
		}
	})
}

// 谁认定、谁修复 and separation of duties (domain.md §5.2, §5.3): the applicant, the acceptor,
// the initial reviewer and the decider are four different people; the decision is taken by
// the determining department's role above the initial reviewer — Suzhou's bureau for Suzhou's
// penalty, not Nanjing's bureau of the same sector; another sector cannot act at all.
func TestRepairSeparatesDuties(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		s := setupRepair(t, env, "SD-1")
		app := createApplication(t, env, s, nil)
		sup, co, reviewer := env.as("demo-market-supervisor"), env.as("demo-credit-office"), env.as("demo-market-reviewer")
		move := func(who *testEnv, to string) gqlResponse {
			return who.post(transition, map[string]any{"id": app, "to": to})
		}
		mustMove := func(who *testEnv, to string) {
			t.Helper()
			if r := move(who, to); len(r.Errors) != 0 {
				t.Fatalf("%s → %s by %s: %+v", app, to, who.token, r.Errors)
			}
		}
		mustMove(sup, "SUBMITTED") // the supervisor applies for the subject
		mustMove(co, "ACCEPTED")
		env.as("demo-labour-clerk").wantError(transition, map[string]any{"id": app, "to": "INITIAL_APPROVED"}, "NOT_FOUND", "")
		sup.wantError(transition, map[string]any{"id": app, "to": "INITIAL_APPROVED"}, "FORBIDDEN", "") // not a clerk's initial review
		mustMove(reviewer, "INITIAL_APPROVED")
		mustMove(reviewer, "UNDER_AUTHORITY_REVIEW")
		got := sup.wantError(transition, map[string]any{"id": app, "to": "APPROVED"}, "FORBIDDEN", "") // applied: cannot decide
		if !strings.Contains(got.Message, "separation of duties") {
			t.Errorf("refusal %q does not say why", got.Message)
		}
		env.as("demo-labour-supervisor").wantError(transition, map[string]any{"id": app, "to": "APPROVED"}, "NOT_FOUND", "")
		got = env.as("demo-market-nanjing-supervisor").wantError(transition, map[string]any{"id": app, "to": "APPROVED"}, "FORBIDDEN", "")
		if !strings.Contains(got.Message, "market-320500") {
			t.Errorf("refusal %q does not name the determining department", got.Message)
		}
		mustMove(env.as("demo-market-suzhou-supervisor"), "APPROVED")
		var n int
		if err := env.db.SQL.QueryRow("SELECT COUNT(DISTINCT actor) FROM repair_transitions WHERE to_state IN ('SUBMITTED', 'ACCEPTED', 'INITIAL_APPROVED', 'APPROVED')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("%d people took the four duties, want 4", n)
		}
	})
}

// A submission checks the record as committed: a record withdrawn by a transaction still open
// when the application is submitted is not repaired. The submission waits for the withdrawal
// and is refused (the record is not published); on MariaDB it had read the record from its
// snapshot and been accepted.
func TestRepairSubmissionSeesTheRecordAsCommitted(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		s := setupRepair(t, env, "R-W")
		app := createApplication(t, env, s, nil)
		ctx := authz.AsSystem(context.Background())
		var r gqlResponse
		err := interleave(t, env, func(c *gen.Client) error {
			return c.AdministrativePenalty.UpdateOneID(atoi(t, s.penaltyID)).SetStatus(vocab.Withdrawn).Exec(ctx)
		}, func() error {
			r = env.as("demo-market-clerk").post(transition, map[string]any{"id": app, "to": "SUBMITTED"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "WITHDRAWN") {
			t.Errorf("submitting the repair of a penalty withdrawn meanwhile: %s %+v, want CONFLICT naming WITHDRAWN", r.Data, r.Errors)
		}
		if n := env.count("repair_applications", "state = 'DRAFT'"); n != 1 {
			t.Errorf("%d applications in DRAFT, want the one", n)
		}
	})
}
