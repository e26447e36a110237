package graph_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Time alone completes a prior notice — its reply deadline passing with no reply — and the
// calendar job (Ledger.SyncNoticesDue) then stores the measures that reach the person. However
// long the job did not run or failed — a server stopped over the Spring Festival, a database
// away for weeks — its next run catches up: with a listed entity's legal representative served
// a notice due tomorrow, and its principal too but replying in time, the job is run today, then
// not for 20 days, then twice. After each run the representative's stored applications in force
// are exactly its restrictions over every purpose, from the day after the deadline; the
// principal, who replied and is not yet heard, has none.
func TestNoticeDeadlinesCatchUpAfterAnyGap(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var now atomic.Int64
		start := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
		now.Store(start.Unix())
		clock := vocab.Clock(func() time.Time { return time.Unix(now.Load(), 0).UTC() })
		env := newEnvWith(t, e, 0, storage.Options{Clock: clock})
		ctx := authz.SystemContext(context.Background())
		clerk := env.as("demo-market-clerk")
		day := func(n int) string { return start.AddDate(0, 0, n).Format(time.DateOnly) }
		var ent struct{ CreateMarketEntity struct{ ID, Uscc string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州期满某公司"}) { id uscc } }`, nil, &ent)
		rep, principal := env.registerPerson("期满甲", "32050219800101123"), env.registerPerson("期满乙", "11010119900307777")
		notices := map[string]string{}
		for person, role := range map[string]string{rep: "LEGAL_REPRESENTATIVE", principal: "PRINCIPAL"} {
			clerk.mustData(`mutation($e: ID!, $p: ID!, $r: EntityRoleRole!, $from: Date!) { createEntityRole(input: {entityID: $e, personID: $p, role: $r, startedOn: $from}) { id } }`,
				map[string]any{"e": ent.CreateMarketEntity.ID, "p": person, "r": role, "from": day(-400)}, nil)
			var n struct{ CreatePriorNotice struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $p: ID!, $no: String!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
				noticeNo: $no, listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
				map[string]any{"d": env.departmentID("market-320500"), "p": person, "no": "QM-" + role, "s": day(-10), "r": day(1)}, &n)
			notices[person] = n.CreatePriorNotice.ID
		}
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "申辩"}) { id } }`,
			map[string]any{"id": notices[principal], "on": day(0)}, nil)
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "qm",
			sourceRecordID: "QM-L1", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on, reason: "r", basis: "总局令第44号", decisionNo: "QM-L1"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID, "on": day(-30)}, nil)

		check := func(stage string, wantFrom string) {
			t.Helper()
			today := clock.Today()
			ymd := today.Format(time.DateOnly)
			for _, person := range []string{rep, principal} {
				want := map[string]bool{}
				for _, purpose := range jointpunishment.Purposes {
					rs, err := jointpunishment.ForPerson(ctx, env.db.Client, atoi(t, person), purpose, today)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range rs {
						want[r.Measure.Code] = true
					}
				}
				got := map[string]bool{}
				for _, code := range sqlStrings(t, env, `SELECT m.code FROM measure_applications a JOIN joint_punishment_measures m ON m.id = a.measure_id
					WHERE a.person_id = ? AND SUBSTR(a.from_on, 1, 10) <= ? AND (a.to_on IS NULL OR SUBSTR(a.to_on, 1, 10) >= ?) AND a.lifted_on IS NULL`,
					atoi(t, person), ymd, ymd) {
					got[code] = true
				}
				if len(got) != len(want) {
					t.Errorf("%s, person %s: stored applications in force %v, the restrictions are %v", stage, person, got, want)
				}
				for c := range want {
					if !got[c] {
						t.Errorf("%s, person %s: %s restricts but is not stored", stage, person, c)
					}
				}
			}
			froms := sqlStrings(t, env, `SELECT DISTINCT SUBSTR(from_on, 1, 10) FROM measure_applications WHERE person_id = ?`, atoi(t, rep))
			if wantFrom == "" && len(froms) != 0 || wantFrom != "" && (len(froms) != 1 || froms[0] != wantFrom) {
				t.Errorf("%s: the representative's applications start %v, want %q", stage, froms, wantFrom)
			}
			if n := env.count("measure_applications", "person_id = ?", atoi(t, principal)); n != 0 {
				t.Errorf("%s: the principal, who replied and is not yet heard, has %d applications", stage, n)
			}
		}
		if err := env.db.Ledger.SyncNoticesDue(ctx, env.db.Client); err != nil {
			t.Fatal(err)
		}
		check("today, the deadline tomorrow", "")
		now.Store(start.AddDate(0, 0, 20).Unix()) // 20 days without a run
		if err := env.db.Ledger.SyncNoticesDue(ctx, env.db.Client); err != nil {
			t.Fatal(err)
		}
		check("after 20 days without a run", day(2))
		before := env.count("measure_applications", "")
		if err := env.db.Ledger.SyncNoticesDue(ctx, env.db.Client); err != nil {
			t.Fatal(err)
		}
		check("run again", day(2))
		if n := env.count("measure_applications", ""); n != before || before == 0 {
			t.Errorf("running the job again went from %d to %d applications", before, n)
		}
	})
}
