package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Submitting a repair application is decided by domain.md §5.1's conditions over the stored
// rows, at every edge: penalties are put in every publication status, repairable or not, with
// the minimum publicity ending yesterday, today, tomorrow or never set, and decided on the
// days around a declared epidemic period; applications carry obligations met or not, no
// commitment, the subject's REPAIR commitment, another kind of commitment or another
// subject's (another entity, or the entity with a person), and mitigating flags that make up a
// waiver of the REPAIR_WAIVERS version in force (one from yesterday, with an empty set), part
// of one, or none. Each submission's answer (accepted, or the error's code and field) is
// compared with an oracle that reads the penalty, the commitment, the exemption periods and the
// waivers back by SQL and applies the conditions in their order: published, repairable,
// obligations met, a commitment attached, EPIDEMIC only for conduct in a declared period (its
// first and last days inside), the minimum period passed (its last day the first on which one
// may apply) unless waived, the commitment a REPAIR one of the record's subject, then the
// further conditions of the record's regime (barOracle).
func TestRepairSubmissionIsTheRulesOverTheRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		ctx := authz.SystemContext(context.Background())
		clerk := env.as("demo-market-clerk")
		clerk.t = t
		r := rand.New(rand.NewPCG(5, 1))
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		dep := env.departmentID("market-320500")
		starts := sqlStrings(t, env, `SELECT SUBSTR(starts_on, 1, 10) FROM exemption_periods ORDER BY starts_on`)
		ends := sqlStrings(t, env, `SELECT SUBSTR(ends_on, 1, 10) FROM exemption_periods ORDER BY starts_on`)
		if len(starts) == 0 {
			t.Fatal("no declared exemption period to decide EPIDEMIC at its edges")
		}
		start, err := time.Parse(time.DateOnly, starts[0])
		if err != nil {
			t.Fatal(err)
		}
		end, err := time.Parse(time.DateOnly, ends[0])
		if err != nil {
			t.Fatal(err)
		}
		decided := []time.Time{start.AddDate(0, 0, -1), start, end, end.AddDate(0, 0, 1), day(-60)}

		// Commitments: the subject's REPAIR and VOLUNTARY ones, and another entity's REPAIR one.
		subject := atoi(t, penaltyInput(env, "market-320500", "x")["in"].(map[string]any)["entityID"].(string))
		other := atoi(t, sqlIDs(t, env, `SELECT id FROM market_entities WHERE id <> ? ORDER BY id LIMIT 1`, subject)[0])
		commitment := func(entity int, kind creditcommitment.Kind, src string) string {
			cm, err := env.db.Client.CreditCommitment.Create().SetDepartmentID(dep).SetEntityID(entity).SetSourceSystem("rr").
				SetSourceRecordID(src).SetKind(kind).SetText("承诺").SetSignedOn(day(-1)).SetRelatedMatter("信用修复").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(cm.ID)
		}
		person := atoi(t, sqlIDs(t, env, `SELECT id FROM natural_persons ORDER BY id LIMIT 1`)[0])
		signedBy := func(id string) string { // the same commitment given by a person as well as the entity
			if _, err := env.db.SQL.Exec(`UPDATE credit_commitments SET person_id = ? WHERE id = ?`, person, atoi(t, id)); err != nil {
				t.Fatal(err)
			}
			return id
		}
		commitments := []string{"", commitment(subject, creditcommitment.KindREPAIR, "own"),
			commitment(subject, creditcommitment.KindVOLUNTARY, "voluntary"), commitment(other, creditcommitment.KindREPAIR, "other"),
			signedBy(commitment(subject, creditcommitment.KindREPAIR, "person"))}
		// Which circumstances waive the minimum is dated data: a version from yesterday replaces
		// the reference one (EPIDEMIC alone no longer waives; SME with ACTIVE_REMEDIATION does),
		// and an empty set in it waives nothing.
		if err := env.db.Client.ScaleRule.Create().SetScale(vocab.ScaleRepairWaivers).SetEffectiveFrom(day(-1)).
			SetParams(vocab.ScaleParams{Waivers: [][]string{{}, {"FIRST_OFFENCE", "NO_SUBJECTIVE_INTENT"}, {"BANKRUPTCY_RESTRUCTURING"},
				{"SME", "ACTIVE_REMEDIATION"}}}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		flagSets := [][]string{nil, {"EPIDEMIC"}, {"EPIDEMIC", "SME"}, {"FIRST_OFFENCE"}, {"FIRST_OFFENCE", "NO_SUBJECTIVE_INTENT"},
			{"BANKRUPTCY_RESTRUCTURING"}, {"SME", "ACTIVE_REMEDIATION"}}
		statuses := []string{"REPAIRED", "EXPIRED", "WITHDRAWN", "CORRECTED"}
		minEnds := []*time.Time{nil, new(day(-1)), new(day(0)), new(day(1)), new(day(1)), new(day(-400))}

		type submission struct{ id, penalty, commitment string }
		var subs []submission
		for i := range 120 {
			var p struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`,
				penaltyInput(env, "market-320500", fmt.Sprintf("RR-%d", i)), &p)
			pid := p.CreateAdministrativePenalty.ID
			var minEnd any
			if m := minEnds[r.IntN(len(minEnds))]; m != nil {
				minEnd = *m
			}
			// Each its own kind of violation: SAMR Order 45's bar on a repeat is its own test's.
			if _, err := env.db.SQL.Exec(`UPDATE administrative_penalties SET status = ?, repairable = ?, publicity_min_end = ?, decision_date = ?, violation_type = ? WHERE id = ?`,
				pick(r, 8, "PUBLISHED", statuses), r.IntN(10) > 0, minEnd, decided[r.IntN(len(decided))], "RR-"+pid, atoi(t, pid)); err != nil {
				t.Fatal(err)
			}
			in := map[string]any{"penaltyID": pid, "departmentID": dep, "obligationsFulfilled": r.IntN(10) > 0, "materials": "缴款凭证"}
			cm := commitments[1]
			if r.IntN(3) == 0 {
				cm = commitments[r.IntN(len(commitments))]
			}
			if cm != "" {
				in["commitmentID"] = cm
			}
			if flags := flagSets[r.IntN(len(flagSets))]; flags != nil {
				in["mitigatingFlags"] = flags
			}
			var out struct{ CreateRepairApplication struct{ ID string } }
			clerk.mustData(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`, map[string]any{"in": in}, &out)
			subs = append(subs, submission{out.CreateRepairApplication.ID, pid, cm})
		}

		decidedBy := map[string]int{}
		for _, s := range subs {
			want, rule := repairOracle(t, env, s.id, today)
			decidedBy[rule]++
			res := clerk.post(transition, map[string]any{"id": s.id, "to": "SUBMITTED"})
			got := "ok"
			if len(res.Errors) > 0 {
				field, _ := res.Errors[0].Extensions["field"].(string)
				got = strings.TrimSpace(fmt.Sprint(res.Errors[0].Extensions["code"], " ", field))
			}
			if got != want {
				t.Errorf("application %s (penalty %s, commitment %q): %s; the conditions give %s (%s)", s.id, s.penalty, s.commitment, got, want, rule)
			}
			state := sqlStrings(t, env, `SELECT state FROM repair_applications WHERE id = ?`, atoi(t, s.id))[0]
			if (want == "ok") != (state == "SUBMITTED") {
				t.Errorf("application %s: %s after an answer of %s", s.id, state, got)
			}
		}
		for _, rule := range []string{"eligible", "not published", "not repairable", "obligations", "no commitment", "epidemic outside",
			"epidemic on the period's first day", "epidemic on the period's last day", "minimum period", "minimum ends today",
			"waived", "commitment kind", "commitment subject"} {
			if decidedBy[rule] == 0 {
				t.Errorf("no submission was decided by %q: the test proves nothing there (%v)", rule, decidedBy)
			}
		}
	})
}

// repairOracle gives the answer to submitting application id under domain.md §5.1, read back
// by SQL: "ok" or "CODE field", and the rule that decided it.
func repairOracle(t *testing.T, env *testEnv, id string, today time.Time) (string, string) {
	t.Helper()
	ymd := today.Format(time.DateOnly)
	var status, decided string
	var minEnd, commitmentKind *string
	var repairable, met bool
	var flagsRaw []byte
	var commitmentEntity, penaltyEntity *int
	var commitmentPerson, penaltyPerson *int
	var commitmentID *int
	var penaltyID int
	if err := env.db.SQL.QueryRow(`SELECT a.penalty_id, p.status, p.repairable, SUBSTR(p.publicity_min_end, 1, 10), SUBSTR(p.decision_date, 1, 10), p.entity_id, p.person_id,
		a.obligations_fulfilled, a.mitigating_flags, a.commitment_id, c.kind, c.entity_id, c.person_id
		FROM repair_applications a JOIN administrative_penalties p ON p.id = a.penalty_id LEFT JOIN credit_commitments c ON c.id = a.commitment_id
		WHERE a.id = ?`, atoi(t, id)).Scan(&penaltyID, &status, &repairable, &minEnd, &decided, &penaltyEntity, &penaltyPerson, &met, &flagsRaw,
		&commitmentID, &commitmentKind, &commitmentEntity, &commitmentPerson); err != nil {
		t.Fatal(err)
	}
	var flags []string
	if len(flagsRaw) > 0 {
		if err := json.Unmarshal(flagsRaw, &flags); err != nil {
			t.Fatal(err)
		}
	}
	switch {
	case status != "PUBLISHED":
		return "CONFLICT", "not published"
	case !repairable:
		return "CONFLICT", "not repairable"
	case !met:
		return "BAD_USER_INPUT obligationsFulfilled", "obligations"
	case commitmentID == nil:
		return "BAD_USER_INPUT commitmentID", "no commitment"
	}
	rule := "eligible"
	if slices.Contains(flags, "EPIDEMIC") {
		var first, last int
		if err := env.db.SQL.QueryRow(`SELECT COUNT(CASE WHEN SUBSTR(starts_on, 1, 10) = ? THEN 1 END), COUNT(CASE WHEN SUBSTR(ends_on, 1, 10) = ? THEN 1 END)
			FROM exemption_periods WHERE SUBSTR(starts_on, 1, 10) <= ? AND SUBSTR(ends_on, 1, 10) >= ?`, decided, decided, decided, decided).Scan(&first, &last); err != nil {
			t.Fatal(err)
		}
		inside := env.count("exemption_periods", "SUBSTR(starts_on, 1, 10) <= ? AND SUBSTR(ends_on, 1, 10) >= ?", decided, decided) > 0
		switch {
		case !inside:
			return "BAD_USER_INPUT mitigatingFlags", "epidemic outside"
		case first > 0:
			rule = "epidemic on the period's first day"
		case last > 0:
			rule = "epidemic on the period's last day"
		}
	}
	if minEnd != nil {
		// The waivers in force today: every flag of one set.
		var params []byte
		if err := env.db.SQL.QueryRow(`SELECT params FROM scale_rules WHERE scale = 'REPAIR_WAIVERS' AND SUBSTR(effective_from, 1, 10) <= ?
			AND (effective_to IS NULL OR SUBSTR(effective_to, 1, 10) > ?) ORDER BY effective_from DESC LIMIT 1`, ymd, ymd).Scan(&params); err != nil {
			t.Fatal(err)
		}
		var p struct{ Waivers [][]string }
		if err := json.Unmarshal(params, &p); err != nil {
			t.Fatal(err)
		}
		waived := false
		for _, w := range p.Waivers {
			all := len(w) > 0
			for _, f := range w {
				all = all && slices.Contains(flags, f)
			}
			waived = waived || all
		}
		switch {
		case *minEnd > ymd && waived:
			if rule == "eligible" {
				rule = "waived"
			}
		case *minEnd > ymd:
			return "CONFLICT", "minimum period"
		case *minEnd == ymd && rule == "eligible":
			rule = "minimum ends today"
		}
	}
	switch {
	case *commitmentKind != "REPAIR":
		return "BAD_USER_INPUT commitmentID", "commitment kind"
	case !sameRef(commitmentEntity, penaltyEntity) || !sameRef(commitmentPerson, penaltyPerson):
		return "BAD_USER_INPUT commitmentID", "commitment subject"
	}
	if want, why := barOracle(t, env, fmt.Sprint(penaltyID), today); want != "ok" {
		return want, why
	}
	return "ok", rule
}

// pick is usual, n-1 times in n, else one of the others.
func pick(r *rand.Rand, n int, usual string, others []string) string {
	if r.IntN(n) > 0 {
		return usual
	}
	return others[r.IntN(len(others))]
}

func sameRef(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
