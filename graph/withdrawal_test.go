package graph_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

const withdrawQ = `mutation($id: ID!, $reason: AdministrativePenaltyWithdrawalReason!, $basis: String!, $on: Date!) {
	withdrawAdministrativePenalty(id: $id, input: {reason: $reason, basis: $basis, effectiveOn: $on}) { id status withdrawBy } }`

// A penalty whose decision was revoked, or confirmed illegal or void, is withdrawn from
// publication by its own department (SAMR Order 45 art. 11: within 3 working days of the
// revocation taking effect). Every token the demo issues, and a subject token, tries it on a
// penalty of each provincial department and two city bureaus; the answer is compared with an
// oracle that reads the token's role, department and unit by SQL — a supervisor of the deciding
// sector, of the bureau where the token has one — FORBIDDEN where the caller sees the penalty,
// NOT_FOUND where it does not, nothing written either way.
func TestOnlyTheDecidingDepartmentWithdrawsAPenalty(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		deps := []string{"environment-320000", "labour-320000", "transport-320000", "market-320000", "market-320500", "market-320100"}
		penalty := penaltiesOf(env, deps, "WD")
		subjectEntity := sqlIDs(t, env, `SELECT entity_id FROM administrative_penalties WHERE id = ?`, atoi(t, penalty["market-320500"]))[0]
		env.issue(authz.IssueRequest{Name: "wd-subject", Role: authz.RoleSubject, Department: "credit_office",
			SubjectUSCC: sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, subjectEntity))[0]})
		type token struct {
			name, role, department string
			unit                   sql.NullString
		}
		var tokens []token
		rows, err := env.db.SQL.Query(`SELECT name, role, department, unit FROM api_tokens ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var tk token
			if err := rows.Scan(&tk.name, &tk.role, &tk.department, &tk.unit); err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tk)
		}
		rows.Close()
		tokens = append(tokens, token{name: "", role: "public"})
		state := func(pid string) string {
			return strings.Join(sqlStrings(t, env, `SELECT CONCAT(status, '/', COALESCE(withdrawal_reason, ''), '/', COALESCE(withdrawal_basis, ''))
				FROM administrative_penalties WHERE id = ?`, atoi(t, pid)), "")
		}
		seen := map[string]int{}
		for _, tk := range tokens {
			for _, dep := range deps {
				pid := penalty[dep]
				sector := strings.Split(dep, "-")[0]
				may := tk.role == authz.RoleSupervisor && tk.department == sector && (!tk.unit.Valid || tk.unit.String == "" || tk.unit.String == dep)
				var node struct{ Node *struct{ ID string } }
				env.as(tk.name).mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": pid}, &node)
				want := "ok"
				switch {
				case !may && (tk.role == authz.RoleAuditor || tk.role == "public"): // never write: refused before any record is looked up
					want = "FORBIDDEN"
				case !may && node.Node != nil:
					want = "FORBIDDEN"
				case !may:
					want = "NOT_FOUND"
				}
				seen[want]++
				before := state(pid)
				res := env.as(tk.name).post(withdrawQ, map[string]any{"id": pid, "reason": "REVOKED", "basis": "苏复决字〔2026〕1号", "on": todayMinus(1)})
				got := "ok"
				if len(res.Errors) > 0 {
					got = fmt.Sprint(res.Errors[0].Extensions["code"])
				}
				if got != want {
					t.Errorf("%s (%s of %s, unit %q) withdrawing %s's penalty: %s, want %s (%v)", tk.name, tk.role, tk.department, tk.unit.String, dep, got, want, res.Errors)
				}
				after := state(pid)
				if (after != before) != (got == "ok") {
					t.Errorf("%s withdrawing %s's penalty: answered %s, the row went from %s to %s", tk.name, dep, got, before, after)
				}
				// Published again for the next caller.
				if _, err := env.db.SQL.Exec(`UPDATE administrative_penalties SET status = 'PUBLISHED', withdrawal_reason = NULL, withdrawal_basis = NULL,
					withdrawal_effective_on = NULL, withdraw_by = NULL, publicity_stopped_on = NULL WHERE id = ?`, atoi(t, pid)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, k := range []string{"ok", "FORBIDDEN", "NOT_FOUND"} {
			if seen[k] == 0 {
				t.Errorf("no attempt answered %s: the test proves little (%v)", k, seen)
			}
		}
	})
}

// What a withdrawal does, and what it refuses. A serious penalty withdrawn on a revocation that
// took effect on each of the last 12 days: WITHDRAWN with its reason, document and day, out of
// publicity from today, gone from the public's view, the entity's evaluation as before the
// penalty, and withdrawBy that day plus the time limit's working days, counted here over the
// holidays table read by SQL. An expired penalty is withdrawn without a publicity stop. A
// revocation dated tomorrow or before the decision, a blank document, and a second withdrawal
// are refused naming the field (or CONFLICT), and change nothing.
func TestAWithdrawnPenaltyLeavesPublicityAndTheEvaluation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		clerk, sup, public := env.as("demo-market-clerk"), env.as("demo-market-suzhou-supervisor"), env.as("")
		clerk.t, sup.t, public.t = t, t, t
		today := vocab.SystemClock.Today()
		limit := atoi(t, sqlStrings(t, env, "SELECT working_days FROM time_limits WHERE `procedure` = 'PENALTY' AND step = 'WITHDRAW'")[0])
		working := map[string]bool{}
		for _, r := range sqlStrings(t, env, `SELECT CONCAT(SUBSTR(day, 1, 10), '=', CASE WHEN working THEN 'w' ELSE 'h' END) FROM holidays`) {
			d, kind, _ := strings.Cut(r, "=")
			working[d] = kind == "w"
		}
		addWorking := func(from time.Time, n int) string {
			d := from
			for n > 0 {
				d = d.AddDate(0, 0, 1)
				w, listed := working[d.Format(time.DateOnly)]
				if !listed {
					w = d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
				}
				if w {
					n--
				}
			}
			return d.Format(time.DateOnly)
		}
		evaluation := func(entity string) string {
			return sqlStrings(t, env, `SELECT CONCAT(COALESCE(risk_tier, ''), '/', COALESCE(credit_score, '')) FROM market_entities WHERE id = ?`, atoi(t, entity))[0]
		}
		entities := sqlIDs(t, env, `SELECT id FROM market_entities ORDER BY id`)
		moved := 0 // entities whose evaluation the penalty changed
		for i := range 12 {
			entity := entities[i]
			before := evaluation(entity)
			in := penaltyInput(env, "market-320500", fmt.Sprint("WDE-", i))
			m := in["in"].(map[string]any)
			m["entityID"] = entity
			m["counterpartyUscc"] = sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, entity))[0]
			m["severity"] = "SERIOUS"
			var p struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(createPenaltyQ, in, &p)
			pid := p.CreateAdministrativePenalty.ID
			if evaluation(entity) != before {
				moved++
			}
			var shown struct{ Node *struct{ ID string } }
			if public.mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": pid}, &shown); shown.Node == nil {
				t.Fatalf("penalty %d is not public before its withdrawal: the test proves little", i)
			}
			on := today.AddDate(0, 0, -i)
			var out struct {
				WithdrawAdministrativePenalty struct{ Status, WithdrawBy string }
			}
			reason := []string{"REVOKED", "CONFIRMED_ILLEGAL", "CONFIRMED_VOID"}[i%3]
			sup.mustData(withdrawQ, map[string]any{"id": pid, "reason": reason, "basis": " 苏州市人民政府复议决定书〔2026〕" + fmt.Sprint(i) + "号 ",
				"on": on.Format(time.DateOnly)}, &out)
			if want := addWorking(on, limit); out.WithdrawAdministrativePenalty.Status != "WITHDRAWN" || out.WithdrawAdministrativePenalty.WithdrawBy != want {
				t.Errorf("revocation of %s: %+v, want WITHDRAWN by %s", on.Format(time.DateOnly), out.WithdrawAdministrativePenalty, want)
			}
			if n := env.count("administrative_penalties", `id = ? AND withdrawal_reason = ? AND withdrawal_basis = ? AND SUBSTR(withdrawal_effective_on, 1, 10) = ?
				AND SUBSTR(publicity_stopped_on, 1, 10) = ?`, atoi(t, pid), reason, "苏州市人民政府复议决定书〔2026〕"+fmt.Sprint(i)+"号", on.Format(time.DateOnly), todayMinus(0)); n != 1 {
				t.Errorf("revocation of %s: the reason, trimmed document, day or publicity stop were not stored", on.Format(time.DateOnly))
			}
			if public.mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": pid}, &shown); shown.Node != nil {
				t.Errorf("revocation of %s: the public still sees the penalty", on.Format(time.DateOnly))
			}
			if got := evaluation(entity); got != before {
				t.Errorf("revocation of %s: the entity's evaluation is %s, %s before the penalty", on.Format(time.DateOnly), got, before)
			}
			sup.wantError(withdrawQ, map[string]any{"id": pid, "reason": "REVOKED", "basis": "x", "on": todayMinus(0)}, "CONFLICT", "")
		}

		if moved == 0 {
			t.Error("no serious penalty changed its entity's evaluation: the test cannot tell that the withdrawal undid it")
		}

		// An expired penalty: withdrawn, with no publicity stop (it was not public).
		var p struct{ CreateAdministrativePenalty struct{ ID string } }
		clerk.mustData(createPenaltyQ, penaltyInput(env, "market-320500", "WDE-X"), &p)
		pid := p.CreateAdministrativePenalty.ID
		if _, err := env.db.SQL.Exec(`UPDATE administrative_penalties SET status = 'EXPIRED' WHERE id = ?`, atoi(t, pid)); err != nil {
			t.Fatal(err)
		}
		sup.mustData(withdrawQ, map[string]any{"id": pid, "reason": "REVOKED", "basis": "判决书", "on": todayMinus(0)}, nil)
		if env.count("administrative_penalties", "id = ? AND status = 'WITHDRAWN' AND publicity_stopped_on IS NULL", atoi(t, pid)) != 1 {
			t.Error("an expired penalty's withdrawal: not WITHDRAWN, or a publicity stop was recorded")
		}

		// Bad input changes nothing.
		clerk.mustData(createPenaltyQ, penaltyInput(env, "market-320500", "WDE-B"), &p)
		pid = p.CreateAdministrativePenalty.ID
		decided := sqlStrings(t, env, `SELECT SUBSTR(decision_date, 1, 10) FROM administrative_penalties WHERE id = ?`, atoi(t, pid))[0]
		dec, _ := time.Parse(time.DateOnly, decided)
		for _, bad := range []struct {
			basis, on, field string
		}{
			{"判决书", today.AddDate(0, 0, 1).Format(time.DateOnly), "effectiveOn"},
			{"判决书", dec.AddDate(0, 0, -1).Format(time.DateOnly), "effectiveOn"},
			{"  ", todayMinus(0), "basis"},
			{strings.Repeat("判", 90), todayMinus(0), "basis"},
		} {
			sup.wantError(withdrawQ, map[string]any{"id": pid, "reason": "REVOKED", "basis": bad.basis, "on": bad.on}, "BAD_USER_INPUT", bad.field)
		}
		if env.count("administrative_penalties", "id = ? AND status = 'PUBLISHED' AND withdrawal_reason IS NULL AND withdraw_by IS NULL", atoi(t, pid)) != 1 {
			t.Error("a refused withdrawal changed the penalty")
		}
	})
}
